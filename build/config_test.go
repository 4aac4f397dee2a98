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

// The remote's trust settings (README "Threat model"): read-only unless
// mode = "read-write"; credentials in the URL and plain http to another
// host refused with a hint; credentials from the environment before the
// file, and a file others can read refused. No error shows the secret.
func TestRemoteConfigTrust(t *testing.T) {
	const secret = "hunter2-S3cret"
	load := func(t *testing.T, body string, env map[string]string) (*UserConfig, error) {
		t.Helper()
		p := filepath.Join(t.TempDir(), "config.toml")
		os.WriteFile(p, []byte(body), 0o644)
		getenv := func(k string) string {
			if k == "RBUILD_CONFIG" {
				return p
			}
			return env[k]
		}
		c, err := LoadUserConfig(getenv)
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("error shows the secret: %v", err)
		}
		return c, err
	}
	for body, want := range map[string]bool{
		"[cache.remote]\nurl = \"https://c.example/\"\n":                        false,
		"[cache.remote]\nurl = \"https://c.example/\"\nmode = \"read-only\"\n":  false,
		"[cache.remote]\nurl = \"https://c.example/\"\nmode = \"read-write\"\n": true,
	} {
		c, err := load(t, body, nil)
		if err != nil || c.Cache.Remote.ReadWrite() != want {
			t.Errorf("%q: %v, read-write %v; want %v", body, err, c != nil && c.Cache.Remote.ReadWrite(), want)
		}
	}
	for body, wantIn := range map[string]string{
		"[cache.remote]\nurl = \"https://ci:" + secret + "@c.example/\"\n": CredentialsEnv,
		"[cache.remote]\nurl = \"http://c.example/\"\n":                    "allow-http = true",
		"[cache.remote]\nurl = \"http://10.1.2.3:8080/\"\n":                "allow-http = true",
	} {
		if _, err := load(t, body, nil); err == nil || !strings.Contains(err.Error(), wantIn) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v; want one line mentioning %q", body, err, wantIn)
		}
	}
	for _, body := range []string{
		"[cache.remote]\nurl = \"http://c.example/\"\nallow-http = true\n",
		"[cache.remote]\nurl = \"http://127.0.0.1:8080/\"\n",
		"[cache.remote]\nurl = \"http://localhost:8080/\"\n",
	} {
		if _, err := load(t, body, nil); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}

	dir := t.TempDir()
	private, shared := filepath.Join(dir, "private"), filepath.Join(dir, "shared")
	os.WriteFile(private, []byte("file-user:"+secret+"\n"), 0o600)
	os.WriteFile(shared, []byte("file-user:"+secret+"\n"), 0o644)
	os.Chmod(shared, 0o644)
	const plain = "[cache.remote]\nurl = \"https://c.example/\"\n"
	withFile := func(p string) string { return plain + "credentials-file = \"" + p + "\"\n" }
	for _, tc := range []struct {
		name, body string
		env        map[string]string
		user       string // "" for none
		errIn      string
	}{
		{"none", plain, nil, "", ""},
		{"file", withFile(private), nil, "file-user", ""},
		{"environment first", withFile(private), map[string]string{CredentialsEnv: "env-user:" + secret}, "env-user", ""},
		{"environment alone", plain, map[string]string{CredentialsEnv: "env-user:" + secret}, "env-user", ""},
		{"file open to others", withFile(shared), nil, "", "0600"},
		{"missing file", withFile(filepath.Join(dir, "missing")), nil, "", "cache.remote.credentials-file"},
		{"malformed environment", withFile(private), map[string]string{CredentialsEnv: secret}, "", CredentialsEnv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(t, tc.body, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			creds, err := c.Cache.credentials()
			switch {
			case tc.errIn != "":
				if err == nil || !strings.Contains(err.Error(), tc.errIn) || strings.Contains(err.Error(), secret) {
					t.Errorf("credentials: %v; want an error mentioning %q, without the secret", err, tc.errIn)
				}
			case err != nil:
				t.Errorf("credentials: %v", err)
			case tc.user == "" && creds != nil:
				t.Errorf("credentials = %v, want none", creds)
			case tc.user != "" && (creds == nil || creds.User != tc.user):
				t.Errorf("credentials = %v, want user %s", creds, tc.user)
			}
		})
	}
}
