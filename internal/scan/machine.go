package scan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/wardenhq/warden/internal/settings"
)

// managedState is what the machine's managed settings hold.
type managedState struct {
	dir   string   // as Claude Code sees it (without the probe root)
	files []string // the files read, as Claude Code sees them
	doc   map[string]any
	main  *Node // managed-settings.json, for positions
	// drift is the difference from the compiled settings; nil when equal
	// or not checked.
	drift   []settings.SettingChange
	checked bool // drift was checked
}

func (c *scanCtx) managedDir() string {
	if c.opts.ManagedDir != "" {
		return c.opts.ManagedDir
	}
	return settings.DefaultDir()
}

// installedTier is the tier Warden's manifest says it installed, or "".
func (c *scanCtx) installedTier() string {
	b, err := os.ReadFile(c.machinePath(path.Join(filepath.ToSlash(c.managedDir()), settings.ManifestName)))
	if err != nil {
		return ""
	}
	var m settings.Manifest
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	return m.Tier
}

// readManaged reads managed-settings.json and managed-settings.d/*.json,
// merged as Claude Code merges them. It returns nil when none exist.
func (c *scanCtx) readManaged() (*managedState, error) {
	dir := filepath.ToSlash(c.managedDir())
	st := &managedState{dir: dir, doc: map[string]any{}}
	names := []string{path.Join(dir, settings.SettingsFile)}
	frag := c.machinePath(path.Join(dir, settings.FragmentsDir))
	if ents, err := os.ReadDir(frag); err == nil {
		var fr []string
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
				fr = append(fr, path.Join(dir, settings.FragmentsDir, e.Name()))
			}
		}
		sort.Strings(fr)
		names = append(names, fr...)
	}
	for i, name := range names {
		b, err := os.ReadFile(c.machinePath(name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		n, err := ParseJSON(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w (Claude Code refuses to start with unparseable managed settings)", name, err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s: not a JSON object: %w", name, err)
		}
		if i == 0 {
			st.main = n
		}
		mergeSettings(st.doc, doc)
		st.files = append(st.files, name)
	}
	if len(st.files) == 0 {
		return nil, nil
	}
	return st, nil
}

// mergeSettings merges src into dst: objects key by key, lists appended,
// other values replaced.
func mergeSettings(dst, src map[string]any) {
	for k, v := range src {
		if dm, ok := dst[k].(map[string]any); ok {
			if sm, ok := v.(map[string]any); ok {
				mergeSettings(dm, sm)
				continue
			}
		}
		if dl, ok := dst[k].([]any); ok {
			if sl, ok := v.([]any); ok {
				dst[k] = append(dl, sl...)
				continue
			}
		}
		dst[k] = v
	}
}

// managedPos locates a key path in managed-settings.json (its first file).
func (st *managedState) pos(keys ...string) (string, int, int) {
	file := st.files[0]
	n := st.main
	if n == nil {
		return file, 0, 0
	}
	p := n.Pos
	for _, k := range keys {
		m, ok := n.Member(k)
		if !ok {
			break
		}
		p, n = m.KeyPos, m.Value
	}
	return file, p.Line, p.Col
}

func getPath(doc map[string]any, keys ...string) any {
	var v any = doc
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// checkManaged checks that managed settings are installed and current, that
// they lock bypass mode where the tier says so, and that they turn on
// telemetry.
func checkManaged(c *scanCtx) {
	st, err := c.readManaged()
	if err != nil {
		c.add(IDManagedDrift, Finding{Severity: SeverityHigh, File: path.Join(filepath.ToSlash(c.managedDir()), settings.SettingsFile),
			Message: "managed settings cannot be read: " + err.Error()})
		return
	}
	if st == nil {
		c.add(IDManagedMissing, Finding{Severity: SeverityHigh,
			Message:  fmt.Sprintf("no managed settings in %s: no organisation policy, hook or lockdown applies to Claude Code here (install with: warden install --tier %s)", c.managedDir(), c.tier),
			Evidence: "missing: " + path.Join(filepath.ToSlash(c.managedDir()), settings.SettingsFile)})
		return
	}
	c.managed = st
	if c.opts.Expected != nil {
		want, err := c.opts.Expected(c.tier, st.doc)
		if err != nil {
			c.errorf("compile tier %s to compare with the managed settings: %v", c.tier, err)
		} else {
			st.checked = true
			// Compare as JSON values.
			var norm map[string]any
			if b, err := json.Marshal(want); err == nil && json.Unmarshal(b, &norm) == nil {
				st.drift = settings.DiffSettings(norm, st.doc)
			}
			if len(st.drift) > 0 {
				lines := make([]string, 0, 21)
				for i, ch := range st.drift {
					if i == 20 {
						lines = append(lines, fmt.Sprintf("... and %d more", len(st.drift)-20))
						break
					}
					lines = append(lines, ch.String())
				}
				file, line, col := st.pos()
				c.add(IDManagedDrift, Finding{Severity: SeverityHigh, File: file, Line: line, Col: col,
					Message:  fmt.Sprintf("the managed settings differ from what warden compile produces for tier %s in %d places (- compiled, + installed)", c.tier, len(st.drift)),
					Evidence: strings.Join(lines, "\n")})
			}
		}
	}
	if c.tierBool("disable_bypass_permissions", true) {
		if v, _ := getPath(st.doc, "permissions", "disableBypassPermissionsMode").(string); v != "disable" {
			file, line, col := st.pos("permissions", "disableBypassPermissionsMode")
			c.add(IDBypassEnabled, Finding{Severity: SeverityHigh, File: file, Line: line, Col: col,
				Message:  fmt.Sprintf("tier %s disables bypass mode, but the managed settings do not set permissions.disableBypassPermissionsMode to \"disable\"", c.tier),
				Evidence: fmt.Sprintf("permissions.disableBypassPermissionsMode = %q", v)})
		}
	}
	env, _ := getPath(st.doc, "env").(map[string]any)
	tel, _ := env[settings.EnvEnableTelemetry].(string)
	ep, _ := env[settings.EnvOTLPEndpoint].(string)
	if ep == "" {
		ep, _ = env["OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"].(string)
	}
	if tel != "1" || ep == "" {
		file, line, col := st.pos("env")
		c.add(IDTelemetryOff, Finding{Severity: SeverityMedium, File: file, Line: line, Col: col,
			Message:  "the managed settings do not turn on telemetry to a collector: the server sees no events from this machine",
			Evidence: fmt.Sprintf("env.%s = %q, env.%s = %q", settings.EnvEnableTelemetry, tel, settings.EnvOTLPEndpoint, ep)})
	}
}

// isClaudeProcess reports a process that is Claude Code: the native binary
// or node running the npm package.
func isClaudeProcess(p Process) bool {
	if p.Name == "claude" {
		return true
	}
	if len(p.Args) > 0 && path.Base(p.Args[0]) == "claude" {
		return true
	}
	for _, a := range p.Args {
		if strings.Contains(a, "@anthropic-ai/claude-code/") {
			return true
		}
	}
	return false
}

// checkRoot reports Claude Code processes running as root, and a scan run
// as root (Claude Code started by this user would run as root too).
func checkRoot(c *scanCtx) {
	procs, err := c.probe.Processes()
	if err != nil {
		c.errorf("list processes: %v", err)
	}
	found := false
	for _, p := range procs {
		if p.UID == 0 && isClaudeProcess(p) {
			found = true
			c.add(IDRunsAsRoot, Finding{Severity: SeverityHigh,
				Message:  fmt.Sprintf("Claude Code process %d runs as root", p.PID),
				Evidence: fmt.Sprintf("pid %d uid 0: %s", p.PID, strings.Join(p.Args, " "))})
		}
	}
	if !found && c.probe.UID() == 0 {
		sev := SeverityMedium
		msg := "this scan runs as root: Claude Code started by this user runs as root"
		if c.isContainer() {
			sev = SeverityHigh
			msg = "the container runs as root: Claude Code started in it runs as root"
		}
		c.add(IDRunsAsRoot, Finding{Severity: sev, Message: msg, Evidence: "uid 0"})
	}
}

// containerMarkers are files container runtimes create.
var containerMarkers = []string{"/.dockerenv", "/run/.containerenv"}

func (c *scanCtx) isContainer() bool {
	if c.opts.Container {
		c.containerWhy = "--container"
		return true
	}
	for _, m := range containerMarkers {
		if _, err := os.Lstat(c.machinePath(m)); err == nil {
			c.containerWhy = m + " exists"
			return true
		}
	}
	return false
}

// credentialPaths are credential files and directories under the home
// directory, with what they hold.
var credentialPaths = []struct{ rel, what string }{
	{".aws", "AWS credentials and profiles"},
	{".ssh", "SSH keys"},
	{".config/gcloud", "Google Cloud credentials"},
	{".azure", "Azure CLI credentials"},
	{".kube", "Kubernetes cluster credentials"},
	{".docker/config.json", "container registry credentials"},
	{".npmrc", "npm registry tokens"},
	{".yarnrc.yml", "yarn registry tokens"},
	{".pypirc", "PyPI upload credentials"},
	{".netrc", "machine passwords (netrc)"},
	{".git-credentials", "git credentials"},
	{".config/gh/hosts.yml", "GitHub CLI token"},
	{".terraform.d/credentials.tfrc.json", "Terraform Cloud token"},
	{".vault-token", "HashiCorp Vault token"},
	{".gnupg", "GnuPG private keys"},
}

// checkContainerCreds reports credential files in a container meant to be
// isolated.
func checkContainerCreds(c *scanCtx) {
	c.container = c.isContainer()
	if !c.container || c.home == "" {
		return
	}
	for _, cp := range credentialPaths {
		p := path.Join(filepath.ToSlash(c.home), cp.rel)
		st, err := os.Lstat(c.machinePath(p))
		if err != nil {
			continue
		}
		if st.IsDir() {
			ents, err := os.ReadDir(c.machinePath(p))
			if err == nil && len(ents) == 0 {
				continue // an empty directory holds nothing
			}
		}
		c.add(IDContainerCreds, Finding{Severity: SeverityHigh, File: p,
			Message:  fmt.Sprintf("%s (%s) is present in a container meant to be isolated (%s)", p, cp.what, c.containerWhy),
			Evidence: p})
	}
}

// checkClientVersion compares claude --version with the minimum.
func checkClientVersion(c *scanCtx) {
	out, err := c.probe.Run(c.ctx, "", "claude", "--version")
	if err != nil {
		c.add(IDClientVersionUnknown, Finding{Severity: SeverityInfo, Message: "claude --version failed: " + err.Error()})
		return
	}
	first := strings.Fields(string(out))
	if len(first) == 0 {
		c.add(IDClientVersionUnknown, Finding{Severity: SeverityInfo, Message: "claude --version printed nothing"})
		return
	}
	have, err := parseVersion(first[0])
	if err != nil {
		c.add(IDClientVersionUnknown, Finding{Severity: SeverityInfo, Message: fmt.Sprintf("claude --version printed %s", quoteEvidence(strings.TrimSpace(string(out))))})
		return
	}
	c.clientVer = first[0]
	want, _ := parseVersion(c.opts.MinVersion)
	if compareVersions(have, want) < 0 {
		c.add(IDClientOutdated, Finding{Severity: SeverityMedium,
			Message:  fmt.Sprintf("Claude Code %s is older than the minimum %s", first[0], c.opts.MinVersion),
			Evidence: "claude --version: " + strings.TrimSpace(string(out))})
	}
}

// parseVersion reads MAJOR.MINOR.PATCH (a leading v and a -suffix allowed).
func parseVersion(s string) ([3]int, error) {
	var v [3]int
	s = strings.TrimPrefix(s, "v")
	s, _, _ = strings.Cut(s, "-")
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, fmt.Errorf("%q is not a MAJOR.MINOR.PATCH version", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, fmt.Errorf("%q is not a MAJOR.MINOR.PATCH version", s)
		}
		v[i] = n
	}
	return v, nil
}

func compareVersions(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// InstalledBinding reads, from installed managed settings, what warden
// compile was given beyond the policy: the hook executable (the first word
// of the first hook command) and the server (the OTLP endpoint). Either is
// "" when the settings do not say.
func InstalledBinding(doc map[string]any) (hookCommand, server string) {
	server, _ = getPath(doc, "env", settings.EnvOTLPEndpoint).(string)
	hooks, _ := doc["hooks"].(map[string]any)
	for _, ev := range settings.HookEvents {
		groups, _ := hooks[ev].([]any)
		for _, g := range groups {
			hs, _ := getPath(map[string]any{"g": g}, "g", "hooks").([]any)
			for _, h := range hs {
				cmd, _ := getPath(map[string]any{"h": h}, "h", "command").(string)
				if f := strings.Fields(cmd); len(f) > 0 {
					return strings.Trim(f[0], `'"`), server
				}
			}
		}
	}
	return "", server
}
