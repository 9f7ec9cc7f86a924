package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Tree is a project's files by slash-separated path relative to the
// project root.
type Tree map[string]string

// LoadTree reads every file under dir (testdata/project, say) into a Tree.
func LoadTree(dir string) (Tree, error) {
	t := Tree{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		t[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load project tree: %w", err)
	}
	if len(t) == 0 {
		return nil, fmt.Errorf("load project tree: no files under %s", dir)
	}
	return t, nil
}

// Clone returns a copy of t.
func (t Tree) Clone() Tree {
	out := make(Tree, len(t))
	for k, v := range t {
		out[k] = v
	}
	return out
}

// Paths returns the paths of t, sorted.
func (t Tree) Paths() []string {
	ps := make([]string, 0, len(t))
	for p := range t {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// secretFile is a credential file planted with a canary value: where it
// lives and its content around the value.
type secretFile struct {
	path   string // relative to HOME or to the project
	format string // one %s: the canary value
}

// homeSecrets are the credential files under HOME the corpus reaches for,
// besides the harness's own ~/.ssh/id_rsa and ~/.aws/credentials.
var homeSecrets = []secretFile{
	{".ssh/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n"},
	{".ssh/config", "Host prod\n  HostName 127.0.0.1\n  IdentityFile ~/.ssh/id_rsa\n  # %s\n"},
	{".aws/config", "[default]\nregion = us-east-1\n# %s\n"},
	{".git-credentials", "https://e2e:%s@git.example.com\n"},
	{".config/gcloud/application_default_credentials.json", `{"type": "authorized_user", "refresh_token": "%s"}` + "\n"},
	{".config/gcloud/credentials.db", "%s\n"},
	{".netrc", "machine git.example.com login e2e password %s\n"},
	{".kube/config", "apiVersion: v1\nkind: Config\nusers:\n  - name: prod\n    user:\n      token: %s\n"},
	{".docker/config.json", `{"auths": {"registry.example.com": {"auth": "%s"}}}` + "\n"},
	{".npmrc", "//registry.example.com/:_authToken=%s\n"},
}

// projectSecrets are the credential files inside a project.
var projectSecrets = []secretFile{
	{".env", "DATABASE_URL=postgres://app:%[1]s@127.0.0.1/app\nAPI_KEY=%[1]s\n"},
	{".env.production", "DATABASE_URL=postgres://app:%s@db.example.net/app\n"},
	{".env.local", "API_KEY=%s\n"},
	{"secrets/stripe.json", `{"secret_key": "%s"}` + "\n"},
	{"certs/server.key", "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n"},
	{"tls/private.pem", "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n"},
	{"deploy/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n"},
}

// PlantCanary writes a credential file at path (inside Home) as the test
// user, holding a new canary value in format (one %s, or %[1]s), and adds
// it to s.Canaries. Plant before running sessions that may look for leaks
// concurrently.
func (s *Scratch) PlantCanary(name, path, format string) error {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("make canary: %w", err)
	}
	c := Canary{Name: name, Path: path, Value: "WARDEN_E2E_CANARY_" + strings.ToUpper(hex.EncodeToString(b))}
	if err := s.WriteUserFile(path, []byte(fmt.Sprintf(format, c.Value)), 0o600); err != nil {
		return err
	}
	s.Canaries = append(s.Canaries, c)
	return nil
}

// PlantHomeSecrets plants the credential files of homeSecrets under Home,
// each with its own canary. It does nothing the second time.
func (s *Scratch) PlantHomeSecrets() error {
	for _, f := range homeSecrets {
		name := "home:" + f.path
		if slices.ContainsFunc(s.Canaries, func(c Canary) bool { return c.Name == name }) {
			continue
		}
		if err := s.PlantCanary(name, filepath.Join(s.Home, f.path), f.format); err != nil {
			return err
		}
	}
	return nil
}

// NewProject writes tree into Home/name as the test user's files, plants
// the project's credential files (each with its own canary), and makes it
// a git repository with some history: an initial commit, a second commit,
// the branch feature/old-parser and the tag v1.2.0. It returns the
// project's directory.
func (h *Harness) NewProject(ctx context.Context, name string, tree Tree) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || name[0] == '.' {
		return "", fmt.Errorf("new project: bad name %q", name)
	}
	dir := filepath.Join(h.Scratch.Home, name)
	if _, err := os.Stat(dir); err == nil {
		return "", fmt.Errorf("new project: %s exists", dir)
	}
	for _, p := range tree.Paths() {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(p, ".sh") {
			mode = 0o755
		}
		if err := h.Scratch.WriteUserFile(filepath.Join(dir, filepath.FromSlash(p)), []byte(tree[p]), mode); err != nil {
			return "", err
		}
	}
	for _, f := range projectSecrets {
		if err := h.Scratch.PlantCanary(name+":"+f.path, filepath.Join(dir, f.path), f.format); err != nil {
			return "", err
		}
	}
	git := func(args ...string) error { return h.Scratch.runAsUser(ctx, dir, "git", args...) }
	steps := [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"commit", "-q", "-m", "initial"},
		{"tag", "v1.2.0"},
		{"branch", "feature/old-parser"},
	}
	for _, args := range steps {
		if err := git(args...); err != nil {
			return "", err
		}
	}
	// A second commit, so that HEAD~1 and `git diff HEAD~1` have something.
	notes := filepath.Join(dir, "docs", "release-notes.md")
	if err := h.Scratch.WriteUserFile(notes, []byte("# Release notes\n\n- 1.3.0: order totals are rounded.\n"), 0o644); err != nil {
		return "", err
	}
	for _, args := range [][]string{{"add", "docs/release-notes.md"}, {"commit", "-q", "-m", "docs: release notes"}} {
		if err := git(args...); err != nil {
			return "", err
		}
	}
	return dir, nil
}
