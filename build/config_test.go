package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseSizeAndAge(t *testing.T) {
	for in, want := range map[string]int64{"4096": 4096, "10GiB": 10 << 30, "500M": 500 << 20, "1.5G": 3 << 29, "2kb": 2048, "0": 0} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "10X", "-5M", "G"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "12h": 12 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "soon", "-3d"} {
		if _, err := ParseAge(bad); err == nil {
			t.Errorf("ParseAge(%q) accepted", bad)
		}
	}
}

// A config mistake is one clear error naming the file and the key, never
// a silently ignored setting.
func TestUserConfigErrors(t *testing.T) {
	for body, want := range map[string]string{
		"[cache]\nmax-sise = \"1G\"\n":                   `unknown key "cache.max-sise"`,
		"[cache]\nmax-size = \"big\"\n":                  "cache.max-size",
		"[cache]\nmax-size = \"1G\"\ntrim-to = \"2G\"\n": "above cache.max-size",
		"[cache.remote]\nmode = \"sometimes\"\n":         "read-write or read-only",
		"[cache.remote]\ntimeout = \"soon\"\n":           "cache.remote.timeout",
		"[cache\n":                                       "config ",
	} {
		p := filepath.Join(t.TempDir(), "config.toml")
		os.WriteFile(p, []byte(body), 0o644)
		t.Setenv("RBUILD_CONFIG", p)
		_, err := LoadUserConfig(os.Getenv)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), p) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %v, want one line naming %s and %q", body, err, p, want)
		}
	}
	t.Setenv("RBUILD_CONFIG", filepath.Join(t.TempDir(), "missing.toml"))
	t.Setenv("RBUILD_CACHE", "") // the suite turns the cache off
	c, err := LoadUserConfig(os.Getenv)
	if err != nil || !c.Cache.IsEnabled() {
		t.Errorf("a missing config file: %v, enabled %v; want the defaults", err, c != nil && c.Cache.IsEnabled())
	}
}
