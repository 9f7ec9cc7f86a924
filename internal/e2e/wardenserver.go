package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// WardenServer is a `warden serve` a test started: HTTP on a loopback port
// (API, OTLP/HTTP and audit ingest), no gRPC, SQLite in Dir.
type WardenServer struct {
	// URL is the base URL, http://127.0.0.1:PORT: WARDEN_SERVER for hooks
	// and OTEL_EXPORTER_OTLP_ENDPOINT for the client.
	URL    string
	Dir    string
	warden string
	cmd    *exec.Cmd
	done   chan struct{}
	mu     sync.Mutex
	out    bytes.Buffer
}

// StartWardenServer runs `warden serve` from the warden binary with its
// data in dir (which must exist) and waits until /readyz answers 200.
// Tokens are made with CreateToken.
func StartWardenServer(ctx context.Context, warden, dir string) (*WardenServer, error) {
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	s := &WardenServer{URL: "http://127.0.0.1:" + strconv.Itoa(port), Dir: dir, warden: warden, done: make(chan struct{})}
	s.cmd = exec.Command(warden, "serve", "--data-dir", dir, "--addr", "127.0.0.1:"+strconv.Itoa(port), "--grpc-addr", "", "--log-level", "warn")
	s.cmd.Stdout, s.cmd.Stderr = (*lockedWriter)(s), (*lockedWriter)(s)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start warden serve: %w", err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		code, _, err := s.Get(ctx, "", "/readyz")
		if err == nil && code == http.StatusOK {
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("warden serve exited: %s", s.Output())
		case <-ctx.Done():
			return nil, errors.Join(fmt.Errorf("warden serve not ready: %s", s.Output()), s.Close())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

type lockedWriter WardenServer

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.Write(p)
}

// Output is what the server logged so far.
func (s *WardenServer) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimSpace(s.out.String())
}

// CreateToken creates a token with the scopes (ingest, read, admin) in the
// server's store and returns its secret.
func (s *WardenServer) CreateToken(ctx context.Context, name string, scopes ...string) (string, error) {
	args := []string{"token", "create", "--data-dir", s.Dir, "--name", name}
	for _, sc := range scopes {
		args = append(args, "--scope", sc)
	}
	out, err := exec.CommandContext(ctx, s.warden, args...).Output()
	if err != nil {
		return "", fmt.Errorf("warden token create: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	tok := strings.TrimSpace(lines[len(lines)-1])
	if !strings.HasPrefix(tok, "wdn_") {
		return "", fmt.Errorf("warden token create printed %q, want a wdn_ token last", out)
	}
	return tok, nil
}

// Get requests path with the token (none when empty) and returns the
// status and body.
func (s *WardenServer) Get(ctx context.Context, token, path string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, body, err
}

// Close stops the server (SIGTERM, then SIGKILL after 10 s).
func (s *WardenServer) Close() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	return nil
}

// freeLoopbackPort returns a TCP port on 127.0.0.1 that was free a moment
// ago.
func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
