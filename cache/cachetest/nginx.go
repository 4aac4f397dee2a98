// Package cachetest runs the servers the remote cache's tests talk to: a real
// nginx serving WebDAV (the simplest known-good Bazel HTTP cache) and a
// fault-injecting proxy to put in front of it. It is a normal package rather
// than a _test file so that other packages' tests can use it too.
package cachetest

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// NginxBinary is where Debian's nginx package installs the server.
const NginxBinary = "/usr/sbin/nginx"

// Nginx is a real nginx serving a WebDAV directory on loopback (a known-good
// Bazel HTTP cache).
type Nginx struct {
	URL  string // e.g. http://127.0.0.1:PORT/
	Root string // the served directory
	// AccessLog is nginx's log of every request (method, path, status).
	AccessLog string
}

const nginxConf = `# written by rbuild's cachetest.StartNginx
daemon off;
# One process and no user switch, so the same config runs as root and not.
master_process off;
worker_processes 1;
pid "{{dir}}/nginx.pid";
error_log "{{dir}}/error.log" warn;
events {
	worker_connections 256;
}
http {
	access_log "{{dir}}/access.log";
	client_body_temp_path "{{dir}}/tmp/client_body";
	proxy_temp_path "{{dir}}/tmp/proxy";
	fastcgi_temp_path "{{dir}}/tmp/fastcgi";
	uwsgi_temp_path "{{dir}}/tmp/uwsgi";
	scgi_temp_path "{{dir}}/tmp/scgi";
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:{{port}};
		root "{{root}}";
		location / {
			dav_methods PUT;
			create_full_put_path on;
			client_max_body_size 0;
{{auth}}		}
	}
}
`

// StartNginx starts nginx on a free loopback port with its config, logs and
// served directory under t.TempDir(), and stops it when the test ends. If
// nginx is not installed it skips the test, or fails it when
// RBUILD_REQUIRE_DEBIAN is set (make test promises the Debian packages).
func StartNginx(t testing.TB) *Nginx {
	t.Helper()
	return startNginxWith(t, "")
}

// StartNginxAuth is StartNginx for a cache anyone may read but only user
// (with password) may write, as the README's threat model advises: GET
// and HEAD are open, every other method needs HTTP basic auth, so a
// reader without credentials is refused by the server itself (401).
func StartNginxAuth(t testing.TB, user, password string) *Nginx {
	t.Helper()
	if strings.ContainsAny(user+password, "\n\r") || strings.Contains(user, ":") {
		t.Fatalf("nginx basic auth: user %q or the password has a character htpasswd cannot hold", user)
	}
	// {PLAIN} is nginx's scheme for a clear-text password: no htpasswd
	// tool needed, and the test knows the secret anyway.
	return startNginxWith(t, user+":{PLAIN}"+password+"\n")
}

// startNginxWith starts nginx; a non-empty htpasswd limits every method
// but GET and HEAD to the users it lists.
func startNginxWith(t testing.TB, htpasswd string) *Nginx {
	t.Helper()
	if _, err := os.Stat(NginxBinary); err != nil {
		if os.Getenv("RBUILD_REQUIRE_DEBIAN") != "" {
			t.Fatalf("%s missing: run scripts/install-test-deps.sh (make test does)", NginxBinary)
		}
		t.Skipf("%s not installed (scripts/install-test-deps.sh installs it)", NginxBinary)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for _, d := range []string{root, filepath.Join(dir, "tmp")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	auth := ""
	if htpasswd != "" {
		if err := os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(htpasswd), 0o600); err != nil {
			t.Fatal(err)
		}
		// limit_except GET also allows HEAD.
		auth = "\t\t\tlimit_except GET {\n\t\t\t\tauth_basic \"rbuild cache\";\n\t\t\t\tauth_basic_user_file \"" +
			filepath.Join(dir, "htpasswd") + "\";\n\t\t\t}\n"
	}
	// The free port is found by binding and releasing it, so another
	// process can take it before nginx binds: retry then.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		if lastErr = startNginx(t, dir, root, auth, port); lastErr == nil {
			return &Nginx{URL: fmt.Sprintf("http://127.0.0.1:%d/", port), Root: root, AccessLog: filepath.Join(dir, "access.log")}
		}
	}
	t.Fatalf("starting nginx: %v", lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startNginx runs nginx on port and waits until it accepts connections. On
// success the process is stopped by t.Cleanup.
func startNginx(t testing.TB, dir, root, auth string, port int) error {
	conf := strings.NewReplacer("{{dir}}", dir, "{{root}}", root, "{{port}}", strconv.Itoa(port), "{{auth}}", auth).Replace(nginxConf)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return err
	}
	errorLog := filepath.Join(dir, "error.log")
	os.Remove(errorLog) // so a retry's failure shows only its own messages
	// -e: nginx opens its error log before reading the config, and the
	// compiled-in /var/log/nginx/error.log is not writable by everyone.
	cmd := exec.Command(NginxBinary, "-p", dir, "-c", confPath, "-e", errorLog)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	stop := func() {
		// SIGTERM is nginx's fast shutdown; a stuck one is killed.
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			log, _ := os.ReadFile(errorLog)
			return fmt.Errorf("nginx exited: %s\n%s%s", cmd.ProcessState, out.Bytes(), log)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			stop()
			log, _ := os.ReadFile(errorLog)
			return fmt.Errorf("nginx did not accept connections on %s within 10s: %v\n%s%s", addr, err, out.Bytes(), log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(stop)
	return nil
}

// Fault is what the proxy does to requests.
type Fault int

const (
	// FaultNone forwards every request unchanged.
	FaultNone Fault = iota
	// FaultDown closes the listener and every open connection, so that new
	// connections are refused.
	FaultDown
	// FaultSlow holds each request for 30s, longer than any sane client
	// timeout, or until the client gives up.
	FaultSlow
	// Fault500 answers every request with 500 Internal Server Error.
	Fault500
	// FaultTruncate forwards GETs but sends only half of a successful
	// response's body, under the full Content-Length, then closes the
	// connection. Other methods are forwarded unchanged, so a test can still
	// upload through it.
	FaultTruncate
)

func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "none"
	case FaultDown:
		return "down"
	case FaultSlow:
		return "slow"
	case Fault500:
		return "500"
	case FaultTruncate:
		return "truncate"
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

// Proxy is a fault-injecting reverse proxy in front of a real server (for
// the fault tests).
type Proxy struct {
	URL string // e.g. http://127.0.0.1:PORT/

	t        testing.TB
	addr     string
	target   *url.URL
	forward  *httputil.ReverseProxy
	client   *http.Client // FaultTruncate's own upstream requests
	requests atomic.Int64

	mu     sync.Mutex
	fault  Fault
	ln     net.Listener // nil while down
	srv    *http.Server
	closed bool
}

// quiet drops the messages net/http would print about the connections the
// faults break on purpose.
var quiet = log.New(io.Discard, "", 0)

// StartProxy starts a proxy to target (a base URL such as Nginx.URL) on a
// free loopback port, with no fault, and stops it when the test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("proxy target: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &Proxy{
		URL:    "http://" + l.Addr().String() + "/",
		t:      t,
		addr:   l.Addr().String(),
		target: u,
		forward: &httputil.ReverseProxy{
			Rewrite:  func(pr *httputil.ProxyRequest) { pr.SetURL(u) },
			ErrorLog: quiet,
		},
		client: &http.Client{},
	}
	p.serve(l)
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.closed = true
		p.down()
		p.client.CloseIdleConnections()
	})
	return p
}

// serve starts a fresh server on l; called with p.mu held or before p is
// shared. A closed http.Server cannot serve again, hence one per "up".
func (p *Proxy) serve(l net.Listener) {
	p.ln = l
	p.srv = &http.Server{Handler: http.HandlerFunc(p.handle), ErrorLog: quiet}
	go p.srv.Serve(l)
}

// down closes the listener and every open connection; called with p.mu
// held. The listener is closed here rather than left to srv.Close, which
// misses it if Serve has not started yet: connections would then queue on
// it and be reset instead of refused.
func (p *Proxy) down() {
	if p.ln == nil {
		return
	}
	p.ln.Close()
	p.srv.Close()
	p.ln, p.srv = nil, nil
}

// SetFault switches the proxy's behaviour for the requests that follow.
// Call it from the test's goroutine: reopening the port after FaultDown can
// fail the test.
func (p *Proxy) SetFault(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.fault = f
	switch {
	case f == FaultDown:
		// Closing the open connections too matters: a client's idle
		// keep-alive connection would otherwise still get through.
		p.down()
	case p.ln == nil:
		l, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.t.Fatalf("proxy: reopening %s: %v", p.addr, err)
		}
		p.serve(l)
	}
}

// Requests reports how many requests reached the proxy.
func (p *Proxy) Requests() int { return int(p.requests.Load()) }

func (p *Proxy) handle(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	p.mu.Lock()
	fault := p.fault
	p.mu.Unlock()
	switch fault {
	case FaultSlow:
		select {
		case <-time.After(30 * time.Second):
			http.Error(w, "slow proxy", http.StatusGatewayTimeout)
		case <-r.Context().Done():
		}
	case Fault500:
		http.Error(w, "injected fault", http.StatusInternalServerError)
	case FaultTruncate:
		if r.Method == http.MethodGet {
			p.truncate(w, r)
			return
		}
		p.forward.ServeHTTP(w, r)
	default:
		p.forward.ServeHTTP(w, r)
	}
}

// truncate fetches the response itself, then sends half of a successful
// body under the whole body's Content-Length and drops the connection.
func (p *Proxy) truncate(w http.ResponseWriter, r *http.Request) {
	u := *p.target
	u.Path, u.RawPath = p.target.JoinPath(r.URL.Path).Path, ""
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	resp, err := p.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if resp.StatusCode != http.StatusOK {
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body[:len(body)/2])
	http.NewResponseController(w).Flush()
	// net/http's way to end a response early: it drops the connection
	// without logging a stack.
	panic(http.ErrAbortHandler)
}
