package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The pinned client. scripts/e2e-deps.sh installs this exact version.
const (
	ClientPackage = "@anthropic-ai/claude-code"
	ClientVersion = "2.1.330"
)

// ClientLink is where scripts/e2e-deps.sh links the client's native binary,
// relative to the module root. npm leaves bin/claude.exe a shell stub when
// its postinstall script is skipped; the runnable binary is the platform
// package's, node_modules/@anthropic-ai/claude-code-linux-x64/claude.
const ClientLink = ".e2e/bin/claude"

// ErrClientNotInstalled is returned when the pinned client is missing.
var ErrClientNotInstalled = errors.New("claude code client not installed")

// Client is an installed Claude Code binary.
type Client struct {
	Path    string
	Version string
}

// FindClient locates and checks the pinned client: $WARDEN_E2E_CLAUDE when
// set, else root/.e2e/bin/claude.
func FindClient(ctx context.Context, root string) (Client, error) {
	path := os.Getenv("WARDEN_E2E_CLAUDE")
	if path == "" {
		path = filepath.Join(root, ClientLink)
	}
	if _, err := os.Stat(path); err != nil {
		return Client{}, fmt.Errorf("%w: %s: %v; install it with `make e2e-deps`", ErrClientNotInstalled, path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return Client{}, fmt.Errorf("%w: %s --version: %v; reinstall it with `rm -rf .e2e && make e2e-deps`", ErrClientNotInstalled, path, err)
	}
	v, _, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if v != ClientVersion {
		return Client{}, fmt.Errorf("%s is Claude Code %q, want the pinned %s: reinstall it with `rm -rf .e2e && make e2e-deps`", path, v, ClientVersion)
	}
	return Client{Path: path, Version: v}, nil
}

// ModuleRoot returns the directory of the go.mod that encloses dir.
func ModuleRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		d = parent
	}
}

// ForUser returns a client that u can execute. When u cannot reach the
// installed binary (a checkout under a private directory such as /root),
// the binary is copied into dir, which u must be able to traverse.
func (c Client) ForUser(ctx context.Context, u User, dir string) (Client, error) {
	real, err := filepath.EvalSymlinks(c.Path)
	if err != nil {
		return Client{}, fmt.Errorf("resolve client %s: %w", c.Path, err)
	}
	c.Path = real
	if err := c.checkAs(ctx, u); err == nil {
		return c, nil
	}
	dst := filepath.Join(dir, "claude")
	if err := copyFile(real, dst, 0o755); err != nil {
		return Client{}, fmt.Errorf("copy client for user %s: %w", u.Name, err)
	}
	c.Path = dst
	if err := c.checkAs(ctx, u); err != nil {
		return Client{}, fmt.Errorf("user %s cannot run the client copied to %s: %w", u.Name, dst, err)
	}
	return c, nil
}

// checkAs runs `claude --version` as u.
func (c Client) checkAs(ctx context.Context, u User) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Path, "--version")
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent"}
	cmd.SysProcAttr = sysProcAttr(u)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s --version as %s: %w: %s", c.Path, u.Name, err, bytes.TrimSpace(stderr.Bytes()))
	}
	if !strings.HasPrefix(string(out), c.Version+" ") {
		return fmt.Errorf("%s --version as %s printed %q", c.Path, u.Name, out)
	}
	return nil
}

// copyFile copies src to dst (created with mode) and syncs it.
func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	// The umask may have narrowed mode.
	return os.Chmod(dst, mode)
}
