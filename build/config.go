package build

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"rbuild/cache"
)

// UserConfig is rbuild's own config file (README "Configuration"):
// $RBUILD_CONFIG, else $XDG_CONFIG_HOME/rbuild/config.toml, else
// ~/.config/rbuild/config.toml. A missing file means the defaults.
type UserConfig struct {
	Build BuildConfig `toml:"build"`
	Cache CacheConfig `toml:"cache"`
	Path  string      `toml:"-"`
}

// BuildConfig is the [build] table.
type BuildConfig struct {
	// Unstable = false is --no-unstable for every build: rustc run as
	// cargo runs it, no -Z flag, no RUSTC_BOOTSTRAP.
	Unstable *bool `toml:"unstable"`
}

// CacheConfig is the [cache] table: the per-user artifact cache.
type CacheConfig struct {
	Enabled *bool  `toml:"enabled"`
	Dir     string `toml:"dir"`
	// MaxSize is the high-water mark of the automatic trim, TrimTo where
	// it trims down to (default 80% of MaxSize).
	MaxSize string `toml:"max-size"`
	TrimTo  string `toml:"trim-to"`
	// BuildScripts and ProcMacros let their compiles in, which are linked
	// by the system's linker and run code at build time.
	BuildScripts bool `toml:"build-scripts"`
	ProcMacros   bool `toml:"proc-macros"`
	// Relocatable builds path packages with the workspace root remapped,
	// so registry crates built on them are shared between checkouts.
	Relocatable bool         `toml:"relocatable"`
	Deny        []string     `toml:"deny"`
	Remote      RemoteConfig `toml:"remote"`
	// getenv reads the environment the config was loaded in.
	getenv func(string) string
}

// RemoteConfig is the [cache.remote] table (README "Threat model").
type RemoteConfig struct {
	URL string `toml:"url"`
	// Mode is read-only (the default) or read-write: uploading must be
	// asked for, since whoever writes decides what every reader links.
	Mode    string `toml:"mode"`
	Timeout string `toml:"timeout"`
	// AllowHTTP accepts plain http:// to a host other than loopback.
	AllowHTTP bool `toml:"allow-http"`
	// CredentialsFile holds user:password for HTTP basic auth; it must be
	// the owner's alone (0600). RBUILD_CACHE_REMOTE_CREDENTIALS, in the
	// same form, takes its place. Never in the URL: URLs are shown.
	CredentialsFile string `toml:"credentials-file"`
}

// CredentialsEnv carries the remote cache's user:password, for CI systems
// that hand secrets over in the environment.
const CredentialsEnv = "RBUILD_CACHE_REMOTE_CREDENTIALS"

// ReadWrite reports whether the remote takes uploads: only when the
// config says mode = "read-write".
func (r *RemoteConfig) ReadWrite() bool { return r.Mode == "read-write" }

// checkURL refuses what cache.CheckURL refuses, saying how to do it with
// this config instead.
func (r *RemoteConfig) checkURL() error {
	_, err := cache.CheckURL(r.URL, r.AllowHTTP)
	switch {
	case errors.Is(err, cache.ErrCredentialsInURL):
		return fmt.Errorf("cache.remote.url: %w; put user:password in a file named by cache.remote.credentials-file (mode 0600) or in %s", err, CredentialsEnv)
	case errors.Is(err, cache.ErrPlainHTTP):
		return fmt.Errorf("cache.remote.url: %w; use https, or set cache.remote.allow-http = true", err)
	case err != nil:
		return fmt.Errorf("cache.remote.url: %w", err)
	}
	return nil
}

// credentials are the remote's basic auth: the environment's, else the
// credentials file's, else none. Errors name where they came from, never
// what they hold.
func (c *CacheConfig) credentials() (*cache.Credentials, error) {
	if v := c.getenv(CredentialsEnv); v != "" {
		creds, err := cache.ParseCredentials(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", CredentialsEnv, err)
		}
		return creds, nil
	}
	if f := c.Remote.CredentialsFile; f != "" {
		creds, err := cache.ReadCredentialsFile(expandHome(f))
		if err != nil {
			return nil, fmt.Errorf("cache.remote.credentials-file: %w", err)
		}
		return creds, nil
	}
	return nil, nil
}

const (
	defaultMaxSize       = 10 << 30
	defaultRemoteTimeout = 10 * time.Second
)

func configPath(getenv func(string) string) string {
	if p := getenv("RBUILD_CONFIG"); p != "" {
		return p
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "rbuild", "config.toml")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".config", "rbuild", "config.toml")
	}
	return ""
}

// LoadUserConfig reads the config file named by the environment getenv
// reads; unknown keys are errors, so a typo does not silently leave the
// cache misconfigured.
func LoadUserConfig(getenv func(string) string) (*UserConfig, error) {
	c := &UserConfig{Path: configPath(getenv)}
	c.Cache.getenv = getenv
	if c.Path == "" {
		return c, nil
	}
	md, err := toml.DecodeFile(c.Path, c)
	if os.IsNotExist(err) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", c.Path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("config %s: unknown key %q", c.Path, und[0].String())
	}
	if _, err := c.Cache.Limits(); err != nil {
		return nil, fmt.Errorf("config %s: %w", c.Path, err)
	}
	if m := c.Cache.Remote.Mode; m != "" && m != "read-write" && m != "read-only" {
		return nil, fmt.Errorf("config %s: cache.remote.mode must be read-write or read-only, not %q", c.Path, m)
	}
	if _, err := c.Cache.Remote.timeout(); err != nil {
		return nil, fmt.Errorf("config %s: %w", c.Path, err)
	}
	if c.Cache.Remote.URL != "" {
		if err := c.Cache.Remote.checkURL(); err != nil {
			return nil, fmt.Errorf("config %s: %w", c.Path, err)
		}
	}
	return c, nil
}

// IsEnabled: RBUILD_CACHE=off|on overrides the file; on by default.
func (c *CacheConfig) IsEnabled() bool {
	switch strings.ToLower(c.getenv("RBUILD_CACHE")) {
	case "0", "off", "false", "no":
		return false
	case "1", "on", "true", "yes":
		return true
	}
	return c.Enabled == nil || *c.Enabled
}

// Directory is where the artifact cache lives: cache.dir, else the per-user
// cache dir ($RBUILD_CACHE_DIR or ~/.cache/rbuild).
func (c *CacheConfig) Directory() string {
	if c.Dir != "" {
		return expandHome(c.Dir)
	}
	if d := userCacheDir(c.getenv); d != "" {
		return filepath.Join(d, "artifacts")
	}
	return ""
}

// TrimLimits are the automatic trim's marks: above High, trim to Low.
type TrimLimits struct{ High, Low int64 }

// Limits reads max-size and trim-to.
func (c *CacheConfig) Limits() (TrimLimits, error) {
	l := TrimLimits{High: defaultMaxSize}
	var err error
	if c.MaxSize != "" {
		if l.High, err = ParseSize(c.MaxSize); err != nil {
			return l, fmt.Errorf("cache.max-size: %w", err)
		}
	}
	l.Low = l.High / 10 * 8
	if c.TrimTo != "" {
		if l.Low, err = ParseSize(c.TrimTo); err != nil {
			return l, fmt.Errorf("cache.trim-to: %w", err)
		}
		if l.Low > l.High {
			return l, fmt.Errorf("cache.trim-to (%s) is above cache.max-size", c.TrimTo)
		}
	}
	return l, nil
}

func (r *RemoteConfig) timeout() (time.Duration, error) {
	if r.Timeout == "" {
		return defaultRemoteTimeout, nil
	}
	d, err := time.ParseDuration(r.Timeout)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("cache.remote.timeout: %q is not a duration like 5s", r.Timeout)
	}
	return d, nil
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, rest)
		}
	}
	return p
}

// ParseSize reads "10GiB", "500M", "1.5G", "4096" (bytes). K, M, G and T
// are powers of 1024, as du and cargo's own GC settings read them.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	num := strings.TrimRightFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	unit := strings.ToUpper(strings.TrimSpace(t[len(num):]))
	unit = strings.TrimSuffix(strings.TrimSuffix(unit, "B"), "I")
	mult := map[string]float64{"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[unit]
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 || f < 0 {
		return 0, fmt.Errorf("%q is not a size like 10GiB, 500M or 4096", s)
	}
	return int64(f * mult), nil
}

// ParseAge reads a Go duration, or days and weeks: "30d", "2w", "12h".
func ParseAge(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(t, suffix); ok {
			f, err := strconv.ParseFloat(n, 64)
			if err == nil && f >= 0 {
				return time.Duration(f * float64(unit)), nil
			}
		}
	}
	d, err := time.ParseDuration(t)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not an age like 30d, 2w or 12h", s)
	}
	return d, nil
}

func FormatSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
