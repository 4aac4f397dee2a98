package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"rbuild/internal/atomicfile"
)

var (
	// ErrNotFound is a cache miss: the remote answered 404 for a blob.
	ErrNotFound = errors.New("not found in remote cache")
	// ErrRemoteDisabled is returned by every call after the remote had a
	// fault. The error of the call that hit the fault matches it too (with
	// errors.Is), so one check tells the caller the remote is off and the
	// problem was already reported through warn.
	ErrRemoteDisabled = errors.New("remote cache disabled after an earlier fault")
	// ErrDigestMismatch is a blob whose bytes do not match the digest it
	// was asked for by: damaged on the server, or planted there. It is a
	// miss (with a warning), never a build input and not a fault.
	ErrDigestMismatch = errors.New("blob does not match its digest")
	// ErrWriteRefused is an upload the server refused with 401 or 403:
	// this process has no right to write there. Reads go on.
	ErrWriteRefused = errors.New("remote cache refused the upload")
	// ErrCredentialsInURL and ErrPlainHTTP are CheckURL's refusals, for a
	// caller to add how its own configuration does it instead.
	ErrCredentialsInURL = errors.New("credentials in the URL are not accepted (a URL ends up in warnings and logs)")
	ErrPlainHTTP        = errors.New("plain http to a host other than loopback lets anyone on the way read and change what is sent")
)

const (
	defaultTimeout = 60 * time.Second
	// maxActionResultSize bounds what GetActionResult reads into memory, so a
	// misbehaving server cannot make rbuild allocate without limit. Outputs
	// live in the CAS; only captured stdout/stderr make an entry large.
	maxActionResultSize = 64 << 20
	// headMinSize is the blob size from which PutBlob asks whether the blob
	// is already there: below it an upload costs about what the extra round
	// trip would.
	headMinSize = 1 << 20
)

// Remote is a Bazel HTTP remote cache: GET/PUT <base>/ac/<key> (serialized
// ActionResult) and <base>/cas/<sha256> (blobs). It is safe for concurrent
// use.
//
// A remote cache is an optimisation, so its faults never fail a build: the
// first one (the server is down, slow, answers 5xx or garbage) is reported
// once through warn and switches the remote off for the rest of the process.
// A miss (404) is not a fault, and neither is the caller cancelling ctx.
// Two things are reported but leave reads on: a blob that fails its digest
// (a miss, each time) and an upload the server refuses with 401 or 403
// (once; uploads stop).
type Remote struct {
	base     string // ends in "/"; never holds credentials (see CheckURL)
	creds    *Credentials
	readOnly bool
	timeout  time.Duration
	warn     func(msg string)
	client   *http.Client
	disabled atomic.Bool
	// writesRefused: the server answered an upload 401 or 403, so this
	// process stops uploading but goes on reading.
	writesRefused atomic.Bool
	// mismatched holds the hashes of blobs that failed their digest here:
	// an upload of one is sent even if the server has a blob of its size.
	mismatched sync.Map
}

// RemoteOptions configures a Remote. The zero value is a read-only remote
// on https or loopback http, without credentials.
type RemoteOptions struct {
	// ReadWrite lets the remote take uploads. A remote is read-only unless
	// asked: anyone who can write to a cache decides what its readers link.
	ReadWrite bool
	// AllowHTTP accepts plain http:// to a host other than loopback, where
	// anyone on the path can read the credentials and change the blobs'
	// bytes in flight (the digest check still catches the latter).
	AllowHTTP bool
	// Credentials, if set, are sent as HTTP basic auth with every request.
	Credentials *Credentials
	// Timeout bounds each request as a whole, from dial to the body's last
	// byte (<= 0 means 60s, Bazel's --remote_timeout default).
	Timeout time.Duration
	// Warn receives the one-line reports (a fault, a refused upload, a
	// blob that failed its digest); nil drops them.
	Warn func(msg string)
}

// CheckURL parses a remote cache URL (http:// or https://; a path prefix
// like https://host:8080/cache is allowed) and returns it ending in "/".
// Credentials in it are refused: a URL is shown in warnings and logs, so
// they would leak. Plain http:// to a host other than loopback is refused
// unless allowHTTP. Errors never show a password.
func CheckURL(rawURL string, allowHTTP bool) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error quotes the URL whole, password and all.
		return nil, errors.New("remote cache URL: not a valid URL")
	}
	if u.User != nil {
		// Not even the user name is shown: a token is often passed as one.
		bare := *u
		bare.User = nil
		return nil, fmt.Errorf("remote cache URL %q: %w", bare.String(), ErrCredentialsInURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("remote cache URL %q: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("remote cache URL %q: no host", u.Redacted())
	}
	if u.Scheme == "http" && !allowHTTP && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("remote cache URL %q: %w", u.String(), ErrPlainHTTP)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("remote cache URL %q: query and fragment are not allowed", u.Redacted())
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u, nil
}

// isLoopback: localhost or a loopback address, which never leave the
// machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewRemote opens the remote cache at rawURL (see CheckURL).
func NewRemote(rawURL string, opt RemoteOptions) (*Remote, error) {
	u, err := CheckURL(rawURL, opt.AllowHTTP)
	if err != nil {
		return nil, err
	}
	timeout, warn := opt.Timeout, opt.Warn
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	if warn == nil {
		warn = func(string) {}
	}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		// A parallel build talks to the cache from many goroutines; the
		// default of 2 idle connections per host would mean constant
		// reconnecting.
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Remote{
		base:     u.String(),
		creds:    opt.Credentials,
		readOnly: !opt.ReadWrite,
		timeout:  timeout,
		warn:     warn,
		client: &http.Client{
			Transport: transport,
			// A cache that redirects is misconfigured; following could
			// also send credentials elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// URL is the cache's base URL, ending in "/" (it holds no credentials).
func (r *Remote) URL() string { return r.base }

// ReadOnly reports whether uploads are skipped: the remote was not opened
// read-write, or the server refused an upload.
func (r *Remote) ReadOnly() bool { return r.readOnly || r.writesRefused.Load() }

// Enabled reports whether the remote is still in use for this process.
func (r *Remote) Enabled() bool { return !r.disabled.Load() }

// faultError is the error of the call that disabled the remote.
type faultError struct {
	msg   string
	cause error
}

func (e *faultError) Error() string        { return e.msg }
func (e *faultError) Unwrap() error        { return e.cause }
func (e *faultError) Is(target error) bool { return target == ErrRemoteDisabled }

// fault disables the remote, warns if this is the first fault, and returns
// the error for the call that hit it. what must be a single line.
func (r *Remote) fault(what string, cause error) error {
	msg := fmt.Sprintf("remote cache %s: %s", r.base, oneLine(what))
	if r.disabled.CompareAndSwap(false, true) {
		r.warn(msg + "; continuing without it")
	}
	return &faultError{msg: msg, cause: cause}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// GetActionResult fetches ac/<key>. A miss returns (nil, nil).
func (r *Remote) GetActionResult(ctx context.Context, key string) (*ActionResult, error) {
	if err := checkHex("action key", key); err != nil {
		return nil, err
	}
	var ar *ActionResult
	err := r.roundTrip(ctx, http.MethodGet, "ac/"+key, nil, -1, func(resp *http.Response, what string) error {
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusNotFound:
			return nil
		default:
			return r.statusFault(what, resp)
		}
		if resp.ContentLength > maxActionResultSize {
			return r.fault(fmt.Sprintf("%s: body of %d bytes is over the %d byte limit", what, resp.ContentLength, maxActionResultSize), nil)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxActionResultSize+1))
		if err != nil {
			return r.readFault(resp, what, int64(len(body)), resp.ContentLength, err)
		}
		if len(body) > maxActionResultSize {
			return r.fault(fmt.Sprintf("%s: body is over the %d byte limit", what, maxActionResultSize), nil)
		}
		ar, err = UnmarshalActionResult(body)
		if err != nil {
			// The key is rbuild's own hash, so nothing else should write
			// there: garbage means a broken server, not a foreign entry.
			return r.fault(fmt.Sprintf("%s: %v", what, err), err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ar, nil
}

// PutActionResult stores ar at ac/<key>. It is a no-op when read-only.
func (r *Remote) PutActionResult(ctx context.Context, key string, ar *ActionResult) error {
	if err := checkHex("action key", key); err != nil {
		return err
	}
	if r.ReadOnly() {
		return nil
	}
	body := ar.Marshal()
	if len(body) > maxActionResultSize {
		return fmt.Errorf("remote cache %s: action result for %s is %d bytes, over the %d byte limit", r.base, key, len(body), maxActionResultSize)
	}
	return r.roundTrip(ctx, http.MethodPut, "ac/"+key, bytes.NewReader(body), int64(len(body)), r.checkPut)
}

// GetBlob downloads cas/<d.Hash> into a new file at dst (mode 0600: it is
// bound for the private cache). The file appears at dst only once its size
// and SHA-256 matched d; on any error nothing is left there. A miss returns
// ErrNotFound; a blob that does not match d is warned about and returns
// ErrDigestMismatch, and the remote stays on.
func (r *Remote) GetBlob(ctx context.Context, d Digest, dst string) error {
	if err := checkDigest(d); err != nil {
		return err
	}
	return r.roundTrip(ctx, http.MethodGet, "cas/"+d.Hash, nil, -1, func(resp *http.Response, what string) error {
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusNotFound:
			return fmt.Errorf("remote cache %s: %s: %w", r.base, what, ErrNotFound)
		default:
			return r.statusFault(what, resp)
		}
		if resp.ContentLength >= 0 && resp.ContentLength != d.Size {
			return r.mismatch(what, d, fmt.Sprintf("server has %d bytes, want %d", resp.ContentLength, d.Size))
		}
		return r.download(resp, what, d, dst)
	})
}

// download streams an accepted blob response into a temp file beside dst and
// renames it into place once verified.
func (r *Remote) download(resp *http.Response, what string, d Digest, dst string) error {
	// fillErr keeps the check's own error (a fault turns the remote off),
	// not the file writer's wrapping of it.
	var fillErr error
	err := atomicfile.WriteFunc(dst, 0o600, func(w io.Writer) error {
		h := sha256.New()
		src := &errReader{r: io.LimitReader(resp.Body, d.Size+1)}
		n, copyErr := io.Copy(io.MultiWriter(w, h), src)
		switch {
		case src.err != nil:
			fillErr = r.readFault(resp, what, n, d.Size, src.err)
		case copyErr != nil:
			fillErr = fmt.Errorf("remote cache: downloading %s to %s: %w", d, dst, copyErr)
		case n < d.Size:
			// A body that ended cleanly (no Content-Length) is the
			// server's whole blob, and it is short.
			fillErr = r.mismatch(what, d, fmt.Sprintf("body has %d bytes, want %d", n, d.Size))
		case n > d.Size:
			fillErr = r.mismatch(what, d, fmt.Sprintf("body is longer than the expected %d bytes", d.Size))
		default:
			if got := hex.EncodeToString(h.Sum(nil)); got != d.Hash {
				fillErr = r.mismatch(what, d, "body has SHA-256 "+got)
			}
		}
		return fillErr
	})
	if fillErr != nil {
		return fillErr
	}
	if err != nil {
		return fmt.Errorf("remote cache: downloading %s: %w", d, err)
	}
	return nil
}

// PutBlob uploads the file at path as cas/<d.Hash>, streaming it. It is a
// no-op when read-only. Large blobs the server already holds are not sent
// again. The file must still have d's size; its hash is the caller's word.
func (r *Remote) PutBlob(ctx context.Context, d Digest, path string) error {
	if err := checkDigest(d); err != nil {
		return err
	}
	if r.ReadOnly() {
		return nil
	}
	if r.disabled.Load() {
		return ErrRemoteDisabled
	}
	if _, bad := r.mismatched.Load(d.Hash); d.Size >= headMinSize && !bad {
		exists := false
		err := r.roundTrip(ctx, http.MethodHead, "cas/"+d.Hash, nil, -1, func(resp *http.Response, what string) error {
			switch resp.StatusCode {
			case http.StatusOK:
				// A blob of the wrong size is corrupt: overwrite it.
				exists = resp.ContentLength == d.Size
			case http.StatusNotFound:
			default:
				return r.statusFault(what, resp)
			}
			return nil
		})
		if err != nil || exists {
			return err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("remote cache: uploading %s: %w", d, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("remote cache: uploading %s: %w", d, err)
	}
	if fi.Size() != d.Size {
		return fmt.Errorf("remote cache: uploading %s: %s has %d bytes, want %d (changed since it was hashed?)", d, path, fi.Size(), d.Size)
	}
	var body io.Reader = http.NoBody
	if d.Size > 0 {
		// Exactly Content-Length bytes even if the file changes meanwhile: a
		// grown file is cut, a shrunk one aborts the request, and the server
		// discards a short PUT.
		body = &uploadReader{f: f, left: d.Size}
	}
	return r.roundTrip(ctx, http.MethodPut, "cas/"+d.Hash, body, d.Size, r.checkPut)
}

func (r *Remote) checkPut(resp *http.Response, what string) error {
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated, http.StatusNoContent:
		return nil
	case http.StatusUnauthorized, http.StatusForbidden:
		// The server is up and answering; it only will not take this
		// process's writes (no or wrong credentials). Reading goes on.
		hint := "without credentials"
		if r.creds != nil {
			hint = "from " + r.creds.String()
		}
		if r.writesRefused.CompareAndSwap(false, true) {
			r.warn(fmt.Sprintf("remote cache %s: %s: HTTP %s: the server refuses uploads %s; not uploading, still reading",
				r.base, what, resp.Status, hint))
		}
		return fmt.Errorf("remote cache %s: %s: HTTP %s: %w", r.base, what, resp.Status, ErrWriteRefused)
	}
	return r.statusFault(what, resp)
}

// mismatch reports a blob that is not what its digest says: a miss and a
// warning, never a build input. It is not a fault, since every other blob
// is checked the same way and may be fine; the hash is remembered so that
// an upload replaces the bad blob.
func (r *Remote) mismatch(what string, d Digest, detail string) error {
	r.mismatched.Store(d.Hash, true)
	msg := fmt.Sprintf("remote cache %s: %s: %s, not the %s asked for; not used, a miss", r.base, what, detail, d)
	r.warn(oneLine(msg))
	return fmt.Errorf("remote cache %s: %s: %s: %w", r.base, what, detail, ErrDigestMismatch)
}

func (r *Remote) statusFault(what string, resp *http.Response) error {
	return r.fault(fmt.Sprintf("%s: HTTP %s", what, resp.Status), nil)
}

// errRequestTimeout is the cause of a request's context when its own
// timeout fired, which tells it apart from the caller's context ending.
var errRequestTimeout = errors.New("remote cache request timed out")

// roundTrip sends one request under the per-request timeout and lets handle
// deal with the response while that timeout still runs, so that reading the
// body is bounded too. handle's errors are returned as they are.
func (r *Remote) roundTrip(ctx context.Context, method, rel string, body io.Reader, size int64,
	handle func(resp *http.Response, what string) error) error {
	if r.disabled.Load() {
		return ErrRemoteDisabled
	}
	what := method + " " + rel
	rctx, cancel := context.WithTimeoutCause(ctx, r.timeout, errRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, method, r.base+rel, body)
	if err != nil {
		return fmt.Errorf("remote cache %s: %s: %w", r.base, what, err)
	}
	if r.creds != nil {
		req.SetBasicAuth(r.creds.User, r.creds.password)
	}
	if size >= 0 {
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	resp, err := r.client.Do(req)
	if err != nil {
		var lerr *localError
		if errors.As(err, &lerr) {
			return fmt.Errorf("remote cache %s: %s: %w", r.base, what, lerr.err)
		}
		// url.Error repeats method and URL, which the message has already.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return r.ioFault(rctx, what, "", err)
	}
	defer resp.Body.Close()
	if err := handle(resp, what); err != nil {
		return err
	}
	// Draining lets the connection be reused; a large unread rest is
	// cheaper to drop along with the connection.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return nil
}

// ioFault classifies a failed send or body read: the caller's context
// ending is the caller's business, anything else is a fault. detail says
// how far the body had come, if it had started.
func (r *Remote) ioFault(rctx context.Context, what, detail string, err error) error {
	if rctx.Err() != nil && context.Cause(rctx) != errRequestTimeout {
		return fmt.Errorf("remote cache %s: %s: %w", r.base, what, rctx.Err())
	}
	if detail != "" {
		detail = " (" + detail + ")"
	}
	switch {
	case context.Cause(rctx) == errRequestTimeout || isTimeout(err):
		return r.fault(fmt.Sprintf("%s: timed out after %v%s", what, r.timeout, detail), err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return r.fault(fmt.Sprintf("%s: truncated body%s", what, detail), err)
	}
	return r.fault(fmt.Sprintf("%s: %v%s", what, err, detail), err)
}

// readFault reports a body read that failed after got of want bytes (want
// is -1 when the server did not say).
func (r *Remote) readFault(resp *http.Response, what string, got, want int64, err error) error {
	detail := fmt.Sprintf("got %d bytes", got)
	if want >= 0 {
		detail = fmt.Sprintf("got %d of %d bytes", got, want)
	}
	return r.ioFault(resp.Request.Context(), what, detail, err)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// localError marks a failure to read the file being uploaded, so that it is
// not mistaken for the server's fault when the transport returns it.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// uploadReader reads exactly size bytes of a file for a request body.
type uploadReader struct {
	f    *os.File
	left int64
}

func (u *uploadReader) Read(p []byte) (int, error) {
	if u.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > u.left {
		p = p[:u.left]
	}
	n, err := u.f.Read(p)
	u.left -= int64(n)
	switch {
	case err == io.EOF && u.left > 0:
		return n, &localError{fmt.Errorf("%s shrank while being uploaded", u.f.Name())}
	case err != nil && err != io.EOF:
		return n, &localError{err}
	}
	return n, nil
}

// errReader remembers its source's error, so that io.Copy's error can be
// told apart: a read error is the server's fault, a write error is local.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// checkHex accepts exactly 64 lowercase hex digits, the form of both
// SHA-256 digests and rbuild's action keys; anything else would also make
// an unsafe URL path.
func checkHex(what, s string) error {
	if len(s) != 64 {
		return fmt.Errorf("remote cache: %s %q is not 64 hex digits", what, s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("remote cache: %s %q is not 64 lowercase hex digits", what, s)
		}
	}
	return nil
}

func checkDigest(d Digest) error {
	if err := checkHex("digest hash", d.Hash); err != nil {
		return err
	}
	if d.Size < 0 {
		return fmt.Errorf("remote cache: digest %s has a negative size", d)
	}
	return nil
}

// FileDigest computes the Digest of a file (SHA-256, streaming).
func FileDigest(path string) (Digest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Digest{}, fmt.Errorf("digest: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Digest{}, fmt.Errorf("digest of %s: %w", path, err)
	}
	return Digest{Hash: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}
