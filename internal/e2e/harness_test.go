package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/fakemodel"
)

func TestClientEnv(t *testing.T) {
	u := User{Name: "wardene2e", UID: 1001, GID: 1001}
	env, err := ClientEnv(u, "/s/home", "http://127.0.0.1:4000", []string{"WARDEN_SPOOL=/s/spool/x.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"HOME":               "/s/home",
		"USER":               "wardene2e",
		"TMPDIR":             "/s/home/.tmp",
		"ANTHROPIC_BASE_URL": "http://127.0.0.1:4000",
		"ANTHROPIC_API_KEY":  "dummy",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
		"WARDEN_SPOOL": "/s/spool/x.jsonl",
	}
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := got[k]; dup {
			t.Errorf("%s set twice", k)
		}
		got[k] = v
		if strings.Contains(strings.ToLower(k), "proxy") {
			t.Errorf("proxy variable %s in client env", k)
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}

	bad := []struct {
		name, base string
		extra      []string
		want       string
	}{
		{"ProxyVar", "http://127.0.0.1:1", []string{"HTTPS_PROXY=http://127.0.0.1:3128"}, "proxy"},
		{"LowerProxyVar", "http://127.0.0.1:1", []string{"no_proxy=*"}, "proxy"},
		{"NotKV", "http://127.0.0.1:1", []string{"JUSTKEY"}, "KEY=VALUE"},
		{"RemoteModel", "http://192.0.2.1:80", nil, "not a loopback"},
		{"HostName", "http://localhost:80", nil, "not a loopback"},
		{"HTTPS", "https://127.0.0.1:443", nil, "want http"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ClientEnv(u, "/h", tt.base, tt.extra)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestGuardCounter(t *testing.T) {
	listing := `-P OUTPUT ACCEPT -c 10 600
-A OUTPUT ! -d 127.0.0.0/8 -m owner --uid-owner 1001 -m comment --comment warden-e2e-1001-77 -c 0 0 -j REJECT --reject-with icmp-port-unreachable
-A OUTPUT ! -d 127.0.0.0/8 -m owner --uid-owner 1001 -m comment --comment warden-e2e-1001-78 -c 2 120 -j REJECT --reject-with icmp-port-unreachable
`
	tests := []struct {
		comment string
		n       uint64
		ok      bool
	}{
		{"warden-e2e-1001-77", 0, true},
		{"warden-e2e-1001-78", 2, true},
		{"warden-e2e-1001-7", 0, false},
	}
	for _, tt := range tests {
		n, ok, err := guardCounter(listing, tt.comment)
		if err != nil || n != tt.n || ok != tt.ok {
			t.Errorf("guardCounter(%s) = %d, %v, %v; want %d, %v", tt.comment, n, ok, err, tt.n, tt.ok)
		}
	}
	if _, _, err := guardCounter("-A OUTPUT -m comment --comment x -j REJECT", "x"); err == nil {
		t.Error("rule without counter accepted")
	}
	f := strings.Fields(strings.Split(listing, "\n")[2])
	if pid, ok := staleGuardPID(f, "warden-e2e-1001-"); !ok || pid != 78 {
		t.Errorf("staleGuardPID = %d, %v", pid, ok)
	}
	if _, ok := staleGuardPID(f, "warden-e2e-1002-"); ok {
		t.Error("staleGuardPID matched another uid")
	}
}

func TestListener(t *testing.T) {
	l, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	start := time.Now()
	tests := []struct {
		name, send string
	}{
		{"GET", "GET /x?k=v HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"},
		{"POST", "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nsecret"},
		{"Raw", "ping-raw\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", l.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, tt.send); err != nil {
				t.Fatal(err)
			}
			if tt.name == "Raw" {
				// A raw peer closes its side; the listener must not wait.
				if err := c.(*net.TCPConn).CloseWrite(); err != nil {
					t.Fatal(err)
				}
			}
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := io.ReadAll(c)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(resp), "HTTP/1.1 200 OK") {
				t.Errorf("answer %q", resp)
			}
		})
	}
	conns := l.ConnsSince(start)
	if len(conns) != len(tests) {
		t.Fatalf("recorded %d connections, want %d", len(conns), len(tests))
	}
	for i, tt := range tests {
		if string(conns[i].Data) != tt.send || !strings.HasPrefix(conns[i].Remote, "127.0.0.1:") {
			t.Errorf("conn %d = %+v, want data %q", i, conns[i], tt.send)
		}
	}
	if got := l.ConnsSince(time.Now().Add(time.Hour)); len(got) != 0 {
		t.Errorf("ConnsSince(future) = %d", len(got))
	}
	if !strings.HasPrefix(l.URL("/x"), "http://127.0.0.1:") {
		t.Errorf("URL = %s", l.URL("/x"))
	}
}

func TestFindClient_Errors(t *testing.T) {
	t.Setenv("WARDEN_E2E_CLAUDE", "")
	root := t.TempDir()
	_, err := FindClient(context.Background(), root)
	if !errors.Is(err, ErrClientNotInstalled) || !strings.Contains(err.Error(), "make e2e-deps") {
		t.Errorf("missing client: err = %v", err)
	}
	// A stub like the npm placeholder: runs, but is not the client.
	stub := filepath.Join(root, ".e2e", "bin", "claude")
	if err := os.MkdirAll(filepath.Dir(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stub, []byte("#!/bin/sh\necho '2.0.0 (Claude Code)'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = FindClient(context.Background(), root)
	if err == nil || !strings.Contains(err.Error(), `"2.0.0"`) || !strings.Contains(err.Error(), ClientVersion) {
		t.Errorf("wrong version: err = %v", err)
	}
	if err := os.WriteFile(stub, []byte("#!/bin/sh\necho 'Error: claude native binary not installed.' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = FindClient(context.Background(), root)
	if !errors.Is(err, ErrClientNotInstalled) {
		t.Errorf("placeholder: err = %v", err)
	}
}

func TestLookupUser_Errors(t *testing.T) {
	_, err := LookupUser("warden-no-such-user")
	if err == nil || !strings.Contains(err.Error(), "make e2e-deps") {
		t.Errorf("err = %v", err)
	}
	if _, err := LookupUser("root"); err == nil || !strings.Contains(err.Error(), "uid 0") {
		t.Errorf("root accepted: %v", err)
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Error(err)
	}
	if _, err := ModuleRoot("/"); err == nil {
		t.Error("found a go.mod above /")
	}
}

func TestChunk(t *testing.T) {
	steps := make([]fakemodel.Step, 7)
	for i := range steps {
		steps[i] = fakemodel.Bash(fmt.Sprint(i))
	}
	tests := []struct {
		size int
		want []int
	}{
		{3, []int{3, 3, 1}},
		{7, []int{7}},
		{10, []int{7}},
		{0, []int{1, 1, 1, 1, 1, 1, 1}},
	}
	for _, tt := range tests {
		got := Chunk(steps, tt.size)
		var lens []int
		n := 0
		for _, c := range got {
			lens = append(lens, len(c))
			for _, st := range c {
				if st.Input.(map[string]any)["command"] != fmt.Sprint(n) {
					t.Errorf("Chunk(%d): step %d out of order", tt.size, n)
				}
				n++
			}
		}
		if fmt.Sprint(lens) != fmt.Sprint(tt.want) {
			t.Errorf("Chunk(%d) sizes %v, want %v", tt.size, lens, tt.want)
		}
	}
	if got := Chunk(nil, 3); len(got) != 0 {
		t.Errorf("Chunk(nil) = %v", got)
	}
	// Appending to a chunk must not overwrite the next one.
	c := Chunk(steps, 3)
	_ = append(c[0], fakemodel.Bash("x"))
	if c[1][0].Input.(map[string]any)["command"] != "3" {
		t.Error("chunks share capacity")
	}
}
