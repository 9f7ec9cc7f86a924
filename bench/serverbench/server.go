package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// server is the warden serve under test.
type server struct {
	cmd     *exec.Cmd
	url     string
	token   string
	backend string
	dir     string // SQLite data directory
	pgBase  string // PostgreSQL URL without the schema
	schema  string
	stderr  *bytes.Buffer
	client  *http.Client
}

// startServer starts `warden serve` on a free loopback port with a fresh
// store and creates an admin token.
func startServer(ctx context.Context, o options) (*server, error) {
	s := &server{stderr: &bytes.Buffer{}}
	var storeArgs []string
	if o.databaseURL != "" {
		var b [6]byte
		rand.Read(b[:])
		s.pgBase, s.schema = o.databaseURL, "warden_bench_"+hex.EncodeToString(b[:])
		if err := pgExec(ctx, s.pgBase, "CREATE SCHEMA "+s.schema); err != nil {
			return nil, fmt.Errorf("create schema: %w", err)
		}
		u, err := url.Parse(o.databaseURL)
		if err != nil {
			return nil, fmt.Errorf("-database-url must be a postgres:// URL")
		}
		q := u.Query()
		q.Set("search_path", s.schema)
		u.RawQuery = q.Encode()
		storeArgs = []string{"--database-url", u.String()}
		s.backend = "postgresql (schema " + s.schema + ")"
	} else {
		dir, err := os.MkdirTemp("", "serverbench-")
		if err != nil {
			return nil, err
		}
		s.dir = dir
		storeArgs = []string{"--data-dir", dir}
		s.backend = "sqlite (" + dir + ")"
	}

	out, err := exec.Command(o.warden, append([]string{"token", "create", "--scope", "admin", "--name", "serverbench"}, storeArgs...)...).Output()
	if err != nil {
		s.stop(o.keep)
		return nil, fmt.Errorf("warden token create: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	s.token = lines[len(lines)-1]

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s.url = "http://" + addr
	args := append([]string{"serve", "--addr", addr, "--grpc-addr", "", "--retention-days", "0", "--log-level", "warn"}, storeArgs...)
	s.cmd = exec.Command(o.warden, args...)
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		s.stop(o.keep)
		return nil, err
	}
	s.client = newClient(64)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := s.client.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop(o.keep)
			return nil, fmt.Errorf("server did not become ready: %v\n%s", err, s.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute,
			DisableCompression: true,
		},
	}
}

// stop ends the server with SIGTERM and removes its store unless keep.
func (s *server) stop(keep bool) {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
	}
	if keep {
		return
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
	if s.schema != "" {
		pgExec(context.Background(), s.pgBase, "DROP SCHEMA "+s.schema+" CASCADE")
	}
}

// rss reads the server's VmRSS and VmHWM (peak) in KiB.
func (s *server) rss() (rss, hwm int64, err error) {
	if s.cmd == nil {
		return 0, 0, fmt.Errorf("RSS only of a server serverbench started")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	return rss, hwm, nil
}

// cpu returns the server's user+system CPU time so far, from
// /proc/PID/stat (clock ticks of 10 ms on Linux).
func (s *server) cpu() time.Duration {
	if s.cmd == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func pgExec(ctx context.Context, dsn, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql)
	return err
}
