package hook

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden/internal/hookproto"
)

// Bounds on the git files read; real ones are far smaller.
const (
	maxHeadBytes   = 4 << 10
	maxConfigBytes = 256 << 10
)

// readGit reads what an audit event says about the repository rooted at
// root from its HEAD and config, never by running git: a hook runs on every
// tool call and must stay cheap. It
// supports .git files ("gitdir: ...") as written for worktrees and
// submodules, and a worktree's commondir. Missing or odd files leave fields
// empty; nothing here is an error worth failing a hook for.
func readGit(root string) hookproto.Git {
	info := hookproto.Git{Root: root}
	if root == "" {
		return info
	}
	gitDir := resolveGitDir(root)
	if gitDir == "" {
		return info
	}
	if head, err := readSmall(filepath.Join(gitDir, "HEAD"), maxHeadBytes); err == nil {
		head = strings.TrimSpace(head)
		if ref, ok := strings.CutPrefix(head, "ref:"); ok {
			info.Branch = strings.TrimPrefix(strings.TrimSpace(ref), "refs/heads/")
		} else if head != "" {
			info.Detached = true
		}
	}
	common := gitDir
	if c, err := readSmall(filepath.Join(gitDir, "commondir"), maxHeadBytes); err == nil {
		c = strings.TrimSpace(c)
		if !filepath.IsAbs(c) {
			c = filepath.Join(gitDir, c)
		}
		common = filepath.Clean(c)
	}
	if cfg, err := readSmall(filepath.Join(common, "config"), maxConfigBytes); err == nil {
		info.Remote = stripCredentials(remoteURL(cfg))
	}
	return info
}

// resolveGitDir returns root/.git, or the directory a .git file points to.
func resolveGitDir(root string) string {
	p := filepath.Join(root, ".git")
	fi, err := os.Stat(p)
	if err != nil {
		return ""
	}
	if fi.IsDir() {
		return p
	}
	s, err := readSmall(p, maxHeadBytes)
	if err != nil {
		return ""
	}
	dir, ok := strings.CutPrefix(strings.TrimSpace(s), "gitdir:")
	if !ok {
		return ""
	}
	dir = strings.TrimSpace(dir)
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	return filepath.Clean(dir)
}

func readSmall(path string, limit int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit))
	return string(b), err
}

// remoteURL returns the url of remote "origin" in a git config file, else
// that of the first remote that has one.
func remoteURL(config string) string {
	var first, remote string
	sc := bufio.NewScanner(strings.NewReader(config))
	sc.Buffer(make([]byte, 0, 4096), maxConfigBytes)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			remote = ""
			if sec, ok := strings.CutPrefix(line, "[remote"); ok {
				sec = strings.TrimSuffix(strings.TrimSpace(sec), "]")
				remote = strings.Trim(strings.TrimPrefix(sec, "."), `" `)
				if remote == "" {
					remote = "\x00" // [remote] without a name: skip its keys
				}
			}
			continue
		}
		if remote == "" || remote == "\x00" {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(key), "url") {
			continue
		}
		val = configValue(val)
		if remote == "origin" {
			return val
		}
		if first == "" {
			first = val
		}
	}
	return first
}

// configValue unquotes a git config value and drops a trailing comment.
func configValue(v string) string {
	v = strings.TrimSpace(v)
	var b strings.Builder
	quoted := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\\' && i+1 < len(v):
			i++
			b.WriteByte(v[i])
		case (c == '#' || c == ';') && !quoted:
			return strings.TrimSpace(b.String())
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}

// stripCredentials removes the user information of a URL remote
// (https://user:token@host/x → https://host/x); an ssh user name without a
// password (ssh://git@host/x) and scp-style remotes (git@host:x) are kept,
// as they name an account, not a secret.
func stripCredentials(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return raw
	}
	user := authority[:at]
	lower := strings.ToLower(scheme)
	if !strings.Contains(user, ":") && (lower == "ssh" || lower == "git+ssh" || lower == "ssh+git") {
		return raw
	}
	return scheme + "://" + rest[at+1:]
}
