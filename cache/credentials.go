package cache

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Credentials are the remote cache's HTTP basic auth. They are printed
// only as the user name: %v, %+v and %#v all hide the password, so a
// stray format verb in an error or a log line cannot leak it.
type Credentials struct {
	User     string
	password string
}

// String names the user only.
func (c Credentials) String() string { return "user " + c.User + " (password hidden)" }

// GoString keeps %#v from printing the password too.
func (c Credentials) GoString() string { return c.String() }

// Format keeps %+v and every other verb to String.
func (c Credentials) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// ParseCredentials reads "user:password", the form of the credentials
// file and of RBUILD_CACHE_REMOTE_CREDENTIALS (one line; the trailing
// newline a file usually has is dropped). Its errors never quote s.
func ParseCredentials(s string) (*Credentials, error) {
	s = strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
	user, password, ok := strings.Cut(s, ":")
	switch {
	case !ok:
		return nil, errors.New("want one line user:password, found no ':'")
	case user == "":
		return nil, errors.New("want one line user:password, the user is empty")
	case strings.ContainsAny(s, "\r\n"):
		return nil, errors.New("want one line user:password, found several lines")
	}
	return &Credentials{User: user, password: password}, nil
}

// ReadCredentialsFile reads a credentials file, which must be a regular
// file that only its owner may read or write (0600 or 0400): one that
// others can read is a secret already shared, and is refused rather than
// used.
func ReadCredentialsFile(path string) (*Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("remote cache credentials: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("remote cache credentials: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("remote cache credentials %s: not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("remote cache credentials %s: mode %#o lets others read or change it; run chmod 0600 %s", path, perm, path)
	}
	// A credentials file is a line: a big one is something else, and is
	// not read whole.
	const limit = 4096
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("remote cache credentials %s: %w", path, err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("remote cache credentials %s: over %d bytes; want one line user:password", path, limit)
	}
	c, err := ParseCredentials(string(data))
	if err != nil {
		return nil, fmt.Errorf("remote cache credentials %s: %w", path, err)
	}
	return c, nil
}
