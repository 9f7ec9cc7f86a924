package settings

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/policy"
)

// Files of an installation beside the installed ones.
const (
	// ManifestName records what Warden installed, with hashes, so that it
	// never overwrites or removes a file it did not write.
	ManifestName = ".warden-manifest.json"
	// BackupDirName holds what was there before Warden replaced it.
	BackupDirName = ".warden-backup"
	// UserSettingsFile is the user's settings file under ~/.claude.
	UserSettingsFile = "settings.json"
)

// DefaultDir is the managed-settings directory Claude Code reads on this
// operating system.
func DefaultDir() string {
	switch runtime.GOOS {
	case "darwin":
		return ManagedDir(FormatMacOS)
	case "windows":
		return ManagedDir(FormatWindows)
	}
	return ManagedDir(FormatLinux)
}

// InstallOptions configure Install and Uninstall.
type InstallOptions struct {
	// Root prefixes every path (tests, image builds); "" is the real root.
	Root string
	// Dir is the directory to install into: DefaultDir() for managed
	// settings, ~/.claude for User.
	Dir string
	// User merges the settings into Dir/settings.json instead of writing
	// managed settings.
	User bool
	// Force replaces (and backs up) files Warden did not write, or that
	// changed since it wrote them.
	Force bool
	// DryRun plans and diffs without writing.
	DryRun bool
	// Now stamps the manifest (time.Now when nil).
	Now func() time.Time
}

// Manifest is the record of one installation.
type Manifest struct {
	Version     int            `json:"version"`
	Tool        string         `json:"tool"`
	Policy      string         `json:"policy,omitempty"`
	Revision    string         `json:"revision,omitempty"`
	Tier        string         `json:"tier,omitempty"`
	User        bool           `json:"user,omitempty"`
	InstalledAt string         `json:"installed_at,omitempty"`
	Files       []ManifestFile `json:"files"`
}

// ManifestFile is one installed file.
type ManifestFile struct {
	Path   string `json:"path"`   // slash-separated, relative to the directory
	SHA256 string `json:"sha256"` // of the installed content
	// Backup is the backup of what was there before, relative to the
	// directory ("" when nothing was).
	Backup string `json:"backup,omitempty"`
}

// Change is one step of an installation plan.
type Change struct {
	// Op is create, replace, keep, remove or restore.
	Op   string
	Path string // absolute
	// Backup is where the previous content is (or will be) kept.
	Backup string
	// Diff is a unified diff of the change ("" for keep).
	Diff string
}

// Plan is what Install or Uninstall did, or would do with DryRun.
type Plan struct {
	Dir     string
	Changes []Change
	// Notes are things the caller should print (keys left out of user
	// settings, nothing to uninstall).
	Notes []string
}

// Changed reports whether the plan changes anything.
func (p *Plan) Changed() bool {
	for _, c := range p.Changes {
		if c.Op != "keep" {
			return true
		}
	}
	return false
}

// InstallError is a refusal to touch a file Warden does not own.
type InstallError struct {
	Path   string
	Reason string
}

func (e *InstallError) Error() string {
	return fmt.Sprintf("refusing to change %s: %s (rerun with --force to back it up and replace it)", e.Path, e.Reason)
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (o InstallOptions) dir() string {
	d := o.Dir
	if d == "" {
		d = DefaultDir()
	}
	if o.Root != "" {
		return filepath.Join(o.Root, d)
	}
	return d
}

func readManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Tool != "warden" {
		return nil, fmt.Errorf("%s is not a Warden manifest: %v", filepath.Join(dir, ManifestName), err)
	}
	return &m, nil
}

func (m *Manifest) entry(p string) *ManifestFile {
	if m == nil {
		return nil
	}
	for i := range m.Files {
		if m.Files[i].Path == p {
			return &m.Files[i]
		}
	}
	return nil
}

// readOptional returns a file's content, and whether it exists.
func readOptional(p string) ([]byte, bool, error) {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	return b, err == nil, err
}

// step is one planned file operation.
type step struct {
	rel      string
	op       string
	old, new []byte
	existed  bool
	backup   string // relative backup path to write the old content to ("" none)
	restore  []byte // content to restore for remove (nil: delete)
	mode     fs.FileMode
	manifest *ManifestFile // the new manifest entry (nil when removed)
}

// Install puts files into the managed-settings directory (or, with
// opts.User, merges the settings document into the user's settings.json
// and puts the compiled policy, if any, beside it),
// recording them in a manifest with their hashes and keeping a backup of
// what each replaced. It refuses, before writing anything, to overwrite a
// file Warden did not write (or that changed since) unless opts.Force.
// Installing the same files again changes nothing.
func Install(r *Result, files []File, opts InstallOptions) (*Plan, error) {
	if opts.User {
		return installUser(r, opts)
	}
	dir := opts.dir()
	m, err := readManifest(dir)
	if err != nil && !opts.Force {
		return nil, err
	}
	plan := &Plan{Dir: dir}
	var steps []step
	want := map[string]bool{}
	for _, f := range files {
		st, err := planFile(dir, m, f, opts.Force)
		if err != nil {
			return nil, err
		}
		want[f.Path] = true
		steps = append(steps, st)
	}
	if m != nil {
		for _, e := range m.Files {
			if want[e.Path] {
				continue
			}
			st, err := removeStep(dir, e, opts.Force)
			if err != nil {
				return nil, err
			}
			steps = append(steps, st)
		}
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	nm := &Manifest{Version: 1, Tool: "warden", Policy: r.Policy, Revision: r.Revision, Tier: r.Tier,
		InstalledAt: now().UTC().Format(time.RFC3339)}
	for _, st := range steps {
		if st.manifest != nil {
			nm.Files = append(nm.Files, *st.manifest)
		}
	}
	sort.Slice(nm.Files, func(i, j int) bool { return nm.Files[i].Path < nm.Files[j].Path })
	unchanged := m != nil && sameFiles(m.Files, nm.Files)
	if unchanged {
		nm = m // idempotent: leave the manifest (and its time stamp) alone
	}
	return plan, apply(dir, plan, hooksLast(steps), nm, !unchanged, opts.DryRun)
}

// planFile plans installing f in dir: create it, replace a file Warden
// wrote (m says which), keep it when unchanged; a file Warden did not
// write, or that changed since, is refused unless force, which backs it
// up first.
func planFile(dir string, m *Manifest, f File, force bool) (step, error) {
	if err := checkPaths([]File{f}); err != nil {
		return step{}, err
	}
	dst := filepath.Join(dir, filepath.FromSlash(f.Path))
	cur, exists, err := readOptional(dst)
	if err != nil {
		return step{}, fmt.Errorf("read %s: %w", dst, err)
	}
	e := m.entry(f.Path)
	st := step{rel: f.Path, old: cur, new: f.Data, existed: exists, mode: f.Mode,
		manifest: &ManifestFile{Path: f.Path, SHA256: sum(f.Data)}}
	owned := e != nil && exists && sum(cur) == e.SHA256
	switch {
	case exists && owned && bytes.Equal(cur, f.Data):
		st.op = "keep"
	case exists && owned:
		st.op = "replace"
	case exists && !force:
		reason := "Warden did not write it"
		if e != nil {
			reason = "it changed since Warden wrote it"
		}
		return step{}, &InstallError{Path: dst, Reason: reason}
	case exists:
		st.op = "replace"
		st.backup = path.Join(BackupDirName, f.Path)
	default:
		st.op = "create"
	}
	if e != nil {
		st.manifest.Backup = e.Backup
	}
	if st.backup != "" && st.manifest.Backup == "" {
		st.manifest.Backup = st.backup
	} else if st.backup != "" {
		// The first backup (what was there before Warden) is kept.
		st.backup = ""
	}
	return st, nil
}

func sameFiles(a, b []ManifestFile) bool {
	return reflect.DeepEqual(append([]ManifestFile{}, a...), append([]ManifestFile{}, b...))
}

// removeStep plans removing an installed file (and restoring its backup).
func removeStep(dir string, e ManifestFile, force bool) (step, error) {
	dst := filepath.Join(dir, filepath.FromSlash(e.Path))
	cur, exists, err := readOptional(dst)
	if err != nil {
		return step{}, fmt.Errorf("read %s: %w", dst, err)
	}
	if exists && sum(cur) != e.SHA256 && !force {
		return step{}, &InstallError{Path: dst, Reason: "it changed since Warden wrote it"}
	}
	st := step{rel: e.Path, op: "remove", old: cur, existed: exists, mode: 0o644}
	if e.Backup != "" {
		b, ok, err := readOptional(filepath.Join(dir, filepath.FromSlash(e.Backup)))
		if err != nil {
			return step{}, err
		}
		if ok {
			st.op, st.restore = "restore", b
		}
	}
	if !exists && st.op == "remove" {
		st.op = "keep"
	}
	return st, nil
}

// apply carries out the steps, or only plans them for a dry run. Backups
// are written first and the manifest last; when a step fails, the files
// already changed are put back.
func apply(dir string, plan *Plan, steps []step, nm *Manifest, writeManifest, dryRun bool) error {
	for _, st := range steps {
		dst := filepath.Join(dir, filepath.FromSlash(st.rel))
		c := Change{Op: st.op, Path: dst}
		if st.backup != "" {
			c.Backup = filepath.Join(dir, filepath.FromSlash(st.backup))
		}
		switch st.op {
		case "create", "replace":
			c.Diff = unifiedDiff(dst, dst, string(st.old), string(st.new))
		case "remove":
			c.Diff = unifiedDiff(dst, "/dev/null", string(st.old), "")
		case "restore":
			c.Diff = unifiedDiff(dst, dst+" (restored)", string(st.old), string(st.restore))
		}
		if path.Base(st.rel) == clientstate.ClientConfigName && c.Diff != "" {
			// It holds the ingest token: a dry run's output goes to
			// terminals and logs.
			c.Diff = "(" + clientstate.ClientConfigName + " holds the server's token: its diff is not shown)\n"
		}
		plan.Changes = append(plan.Changes, c)
	}
	if dryRun {
		return nil
	}
	// Backups first: nothing is replaced before what it replaces is safe.
	for _, st := range steps {
		if st.backup == "" {
			continue
		}
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(st.backup)), st.old, 0o600); err != nil {
			return fmt.Errorf("back up %s: %w", st.rel, err)
		}
	}
	var done []step
	rollback := func(cause error) error {
		var errs []error
		for i := len(done) - 1; i >= 0; i-- {
			st := done[i]
			dst := filepath.Join(dir, filepath.FromSlash(st.rel))
			if st.existed {
				errs = append(errs, writeFile(dst, st.old, st.mode))
			} else {
				errs = append(errs, os.Remove(dst))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("%w (and putting back the files already changed failed: %v)", cause, err)
		}
		return cause
	}
	for _, st := range steps {
		dst := filepath.Join(dir, filepath.FromSlash(st.rel))
		var err error
		switch st.op {
		case "create", "replace":
			err = writeFile(dst, st.new, st.mode)
		case "restore":
			err = writeFile(dst, st.restore, st.mode)
		case "remove":
			err = os.Remove(dst)
		}
		if err != nil {
			return rollback(fmt.Errorf("install %s: %w", dst, err))
		}
		done = append(done, st)
	}
	if !writeManifest {
		return nil
	}
	if nm == nil || len(nm.Files) == 0 {
		err := os.Remove(filepath.Join(dir, ManifestName))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return rollback(err)
		}
		return nil
	}
	b, err := json.MarshalIndent(nm, "", "  ")
	if err != nil {
		return rollback(err)
	}
	if err := writeFile(filepath.Join(dir, ManifestName), append(b, '\n'), 0o644); err != nil {
		return rollback(fmt.Errorf("write manifest: %w", err))
	}
	return nil
}

// wiresHooks reports whether a delivered file can register hooks with
// Claude Code: the settings files. The files those hooks read (the compiled
// policy, the client configuration) must be in place before a settings
// file is written and stay until it is gone: a hook that runs without them
// fails closed, and every tool call would be blocked in between (or, after
// an uninstall interrupted at the wrong moment, for good).
func wiresHooks(rel string) bool {
	return rel == SettingsFile || rel == UserSettingsFile || strings.HasPrefix(rel, FragmentsDir+"/")
}

// hooksLast orders an install: what the hooks read first, then the
// settings that wire them.
func hooksLast(steps []step) []step {
	sort.SliceStable(steps, func(i, j int) bool { return !wiresHooks(steps[i].rel) && wiresHooks(steps[j].rel) })
	return steps
}

// hooksFirst orders an uninstall: the settings that wire the hooks first,
// then what the hooks read.
func hooksFirst(steps []step) []step {
	sort.SliceStable(steps, func(i, j int) bool { return wiresHooks(steps[i].rel) && !wiresHooks(steps[j].rel) })
	return steps
}

// Uninstall removes what Install put in the directory and restores the
// backups of what it replaced. Files changed since Warden wrote them are
// refused unless opts.Force. With nothing installed it changes nothing.
func Uninstall(opts InstallOptions) (*Plan, error) {
	dir := opts.dir()
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	plan := &Plan{Dir: dir}
	if m == nil {
		plan.Notes = append(plan.Notes, "nothing installed by Warden in "+dir)
		return plan, nil
	}
	var steps []step
	for _, e := range m.Files {
		st, err := removeStep(dir, e, opts.Force)
		if err != nil {
			return nil, err
		}
		steps = append(steps, st)
	}
	if err := apply(dir, plan, hooksFirst(steps), nil, true, opts.DryRun); err != nil {
		return plan, err
	}
	if !opts.DryRun {
		if err := os.RemoveAll(filepath.Join(dir, BackupDirName)); err != nil {
			return plan, fmt.Errorf("remove backups: %w", err)
		}
	}
	return plan, nil
}

// managedOnly are settings Claude Code honours only from managed settings;
// a user install leaves them out.
var managedOnly = []string{
	"allowManagedPermissionRulesOnly", "allowManagedHooksOnly", "allowManagedMcpServersOnly",
	"forceRemoteSettingsRefresh", "pluginTrustMessage", "strictKnownMarketplaces", "blockedMarketplaces",
	"forceLoginMethod", "forceLoginOrgUUID", "allowedHttpHookUrls", "httpHookAllowedEnvVars",
}

// installUser merges the settings into the user's settings.json. The
// merge starts from what was there before Warden (its backup), so
// installing again replaces Warden's part instead of piling it up: lists
// are joined without duplicates, objects merged key by key, other values
// Warden's.
func installUser(r *Result, opts InstallOptions) (*Plan, error) {
	dir := opts.dir()
	m, err := readManifest(dir)
	if err != nil && !opts.Force {
		return nil, err
	}
	dst := filepath.Join(dir, UserSettingsFile)
	cur, exists, err := readOptional(dst)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dst, err)
	}
	e := m.entry(UserSettingsFile)
	owned := e != nil && exists && sum(cur) == e.SHA256
	base := cur
	backup := ""
	switch {
	case owned && e.Backup != "":
		b, ok, err := readOptional(filepath.Join(dir, filepath.FromSlash(e.Backup)))
		if err != nil {
			return nil, err
		}
		if ok {
			base = b
		}
		backup = e.Backup
	case owned:
		base = nil
	case e != nil && exists && !opts.Force:
		return nil, &InstallError{Path: dst, Reason: "it changed since Warden merged into it"}
	case e != nil:
		backup = e.Backup
	case exists:
		backup = path.Join(BackupDirName, UserSettingsFile)
	}
	var user map[string]any
	if len(bytes.TrimSpace(base)) > 0 {
		if err := json.Unmarshal(base, &user); err != nil {
			return nil, fmt.Errorf("%s is not a JSON object (%v); fix it or move it away first", dst, err)
		}
	}
	ours := map[string]any{}
	plan := &Plan{Dir: dir}
	var left []string
	for k, v := range r.Settings {
		if contains(managedOnly, k) {
			left = append(left, k)
			continue
		}
		ours[k] = v
	}
	if sb, ok := ours["sandbox"].(map[string]any); ok {
		if nw, ok := sb["network"].(map[string]any); ok && nw["allowManagedDomainsOnly"] != nil {
			left = append(left, "sandbox.network.allowManagedDomainsOnly")
		}
	}
	sort.Strings(left)
	if len(left) > 0 {
		plan.Notes = append(plan.Notes, "left out of user settings (Claude Code honours them from managed settings only): "+strings.Join(left, ", "))
	}
	if r.Guidance != "" {
		plan.Notes = append(plan.Notes, "the managed CLAUDE.md is not installed for a user; ~/.claude/CLAUDE.md is the user's own")
	}
	merged := mergeJSON(user, ours).(map[string]any)
	if sb, ok := merged["sandbox"].(map[string]any); ok {
		if nw, ok := sb["network"].(map[string]any); ok {
			delete(nw, "allowManagedDomainsOnly")
		}
	}
	data, err := Marshal(merged)
	if err != nil {
		return nil, err
	}
	st := step{rel: UserSettingsFile, old: cur, new: data, existed: exists, mode: 0o600,
		manifest: &ManifestFile{Path: UserSettingsFile, SHA256: sum(data), Backup: backup}}
	switch {
	case exists && bytes.Equal(cur, data) && owned:
		st.op = "keep"
	case exists:
		st.op = "replace"
		if e == nil || e.Backup == "" {
			st.backup = backup
		}
	default:
		st.op = "create"
	}
	if fi, err := os.Stat(dst); err == nil {
		st.mode = fi.Mode().Perm()
	}
	steps := []step{st}
	// The compiled policy the hooks read goes beside settings.json; one
	// installed before and no longer wanted is removed.
	if r.CompiledPolicy != nil {
		ps, err := planFile(dir, m, File{Path: policy.CompiledFileName, Data: r.CompiledPolicy, Mode: 0o644}, opts.Force)
		if err != nil {
			return nil, err
		}
		steps = append(steps, ps)
	} else if e := m.entry(policy.CompiledFileName); e != nil {
		rs, err := removeStep(dir, *e, opts.Force)
		if err != nil {
			return nil, err
		}
		steps = append(steps, rs)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	nm := &Manifest{Version: 1, Tool: "warden", Policy: r.Policy, Revision: r.Revision, Tier: r.Tier, User: true,
		InstalledAt: now().UTC().Format(time.RFC3339)}
	for _, st := range steps {
		if st.manifest != nil {
			nm.Files = append(nm.Files, *st.manifest)
		}
	}
	sort.Slice(nm.Files, func(i, j int) bool { return nm.Files[i].Path < nm.Files[j].Path })
	unchanged := m != nil && sameFiles(m.Files, nm.Files)
	return plan, apply(dir, plan, hooksLast(steps), nm, !unchanged, opts.DryRun)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mergeJSON merges b into a: objects key by key, lists joined without
// duplicates (a's first), anything else b's.
func mergeJSON(a, b any) any {
	switch bv := b.(type) {
	case map[string]any:
		av, ok := a.(map[string]any)
		if !ok {
			av = map[string]any{}
		}
		out := map[string]any{}
		for k, v := range av {
			out[k] = v
		}
		for k, v := range bv {
			out[k] = mergeJSON(av[k], v)
		}
		return out
	case []any:
		av, _ := a.([]any)
		out := append([]any{}, av...)
		for _, x := range bv {
			dup := false
			for _, y := range out {
				if reflect.DeepEqual(normalize(x), normalize(y)) {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, x)
			}
		}
		return out
	}
	return b
}

// normalize makes Go and decoded-JSON values comparable (numbers as
// float64).
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}
