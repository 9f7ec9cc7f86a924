package engine

import (
	"path"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/shell"
)

// classHit is one command class assigned to a simple command, with why.
type classHit struct {
	class string
	why   string
}

// argv returns the first value of each argument ("" for a dynamic word with
// no known value).
func argv(c *shell.Command) []string {
	out := make([]string, len(c.Args))
	for i, w := range c.Args {
		out[i] = firstValue(w)
	}
	return out
}

// rawArgv is argv with a word whose value cannot be known given as
// written, quotes removed: "+$(git branch --show-current)" keeps its +.
func rawArgv(c *shell.Command) []string {
	out := argv(c)
	for i, w := range c.Args {
		if w.Dynamic && len(w.Values) == 0 {
			out[i] = strings.Trim(w.Raw, `"'`)
		}
	}
	return out
}

func firstValue(w shell.Word) string {
	if len(w.Values) > 0 {
		return w.Values[0]
	}
	if w.Dynamic {
		return ""
	}
	return w.Raw
}

// positionals returns the arguments that are not options (up to and after
// "--"); options with a separate value are not recognised here, so callers
// skip known ones themselves when it matters.
func positionals(args []string) []string {
	var out []string
	dashdash := false
	for _, a := range args {
		if !dashdash && a == "--" {
			dashdash = true
			continue
		}
		if !dashdash && strings.HasPrefix(a, "-") && a != "-" {
			continue
		}
		out = append(out, a)
	}
	return out
}

// hasFlag reports whether args hold the short flag (alone or combined, as
// in -rf) or one of the long forms (exact, or with =value).
func hasFlag(args []string, short byte, long ...string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if strings.HasPrefix(a, "--") {
			for _, l := range long {
				if a == l || strings.HasPrefix(a, l+"=") {
					return true
				}
			}
			continue
		}
		if short != 0 && len(a) > 1 && a[0] == '-' && strings.IndexByte(a[1:], short) >= 0 {
			return true
		}
	}
	return false
}

// subcommand returns the first positional argument, skipping options; for
// tools whose global options take values, callers pass skip, the options
// whose next argument is a value.
func subcommand(args []string, skip ...string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			for _, s := range skip {
				if a == s {
					i++
					break
				}
			}
			continue
		}
		return a, args[i+1:]
	}
	return "", nil
}

// Egress, data movement and the rest of the program knowledge live in the
// catalogue (internal/catalog); classify adds the judgements that depend on
// resolved values: paths, devices, branches, methods, versions.

// classify returns the command classes of one simple command.
func (e *Engine) classify(d *decision, u *unit, c *shell.Command, call *catalog.Call, env *pathEnv, branch string) []classHit {
	var hits []classHit
	add := func(class, why string) { hits = append(hits, classHit{class, why}) }
	for _, v := range c.Via {
		if p := e.catalog().Lookup(strings.Fields(v)[0]); p != nil && p.Class == policy.ClassPrivileged {
			add(policy.ClassPrivileged, "runs through "+v)
			break
		}
	}
	local := false // a package runner whose package the project has installed
	if call.Row != nil && call.Row.RunsPackage && call.Exec >= 0 {
		local = e.localBin(c, env, firstValue(c.Args[call.Exec]))
	}
	for _, h := range call.Classes {
		if local && h.Class == policy.ClassPackageInstall {
			continue
		}
		add(h.Class, hitReason(call, h))
		if h.Class == policy.ClassEgress {
			if p := wardenAdminURL(c); p != "" {
				add(policy.ClassWardenTamper, c.Program+" calls the Warden server's "+p+" API, which pauses Warden or changes its policy: an administrator's to use")
			}
		}
	}
	args := argv(c)
	prog := ""
	if call.Prog != nil {
		prog = call.Prog.Name()
	}
	for _, a := range call.Args {
		switch a.Kind {
		case catalog.Device:
			if isDevice(a.Value) {
				add(policy.ClassDestructive, c.Program+" on device "+a.Value)
			}
		case catalog.Write:
			// cp /dev/zero /dev/vda, tee /dev/sdb: a disk written as a file.
			if isDevice(env.resolve(a.Value, firstCwd(c, env))) {
				add(policy.ClassDestructive, c.Program+" writes to the device "+a.Value)
			}
		case catalog.ReadWrite:
			// mv ~ /tmp/trash moves the home directory away.
			if prog == "mv" && a.Value != "" && isCritical(env.resolve(a.Value, firstCwd(c, env)), env) {
				p := env.resolve(a.Value, firstCwd(c, env))
				add(policy.ClassDestructive, "mv moves "+p+criticalName(p, env)+" away")
			}
		case catalog.Package:
			if isRemotePackage(a.Value) {
				add(policy.ClassPackageInstall, call.Path+" "+a.Value+" downloads and runs code")
			}
		case catalog.EnvName:
			if prog == "unset" {
				if tamperVar(a.Value) {
					add(policy.ClassWardenTamper, "unset "+a.Value+" removes Warden's or telemetry's settings")
				}
			} else if secretName(a.Value) {
				add(policy.ClassSecretVariable, c.Program+" prints the secret variable "+a.Value)
			}
		case catalog.Assign:
			name, _, _ := strings.Cut(a.Value, "=")
			switch {
			case !strings.Contains(a.Value, "=") && call.Has(catalog.ListOnly) && secretName(a.Value):
				// declare -p GITHUB_TOKEN prints it.
				add(policy.ClassSecretVariable, c.Program+" prints the secret variable "+a.Value)
			case call.Has(catalog.Remove) && tamperVar(name):
				// export -n WARDEN_TOKEN: later commands no longer get it.
				add(policy.ClassWardenTamper, c.Program+" -n "+name+" removes a setting of Warden or its telemetry from the environment")
			}
		case catalog.SecretName:
			if secretName(a.Value) {
				add(policy.ClassEnvSecrets, call.Path+" "+a.Value+" prints a stored secret")
			}
		}
	}
	if call.Prog != nil && call.Prog.Tamper {
		if w := namesWarden(c); w != "" {
			add(policy.ClassWardenTamper, c.Program+" acts on Warden itself ("+w+")")
		}
	}
	if why := printsSecretVar(c); why != "" && !d.secretFeeds[c] {
		add(policy.ClassSecretVariable, why)
	}
	if rowName(call) == "jq" {
		// jq's filter reads the environment: env, $ENV, env.NAME.
		for _, a := range call.Args {
			if a.Opt != nil || a.Kind != catalog.Data {
				continue
			}
			if name, whole := jqEnv(a.Value); name != "" {
				add(policy.ClassSecretVariable, "jq's filter reads the secret variable "+name)
			} else if whole {
				add(policy.ClassEnvSecrets, "jq's filter prints the whole environment ("+a.Value+")")
			}
			break
		}
	}
	switch call.Path {
	case "claude":
		for _, a := range call.Args {
			if a.Opt != nil && strings.Contains(a.Opt.Names, "--permission-mode") && strings.EqualFold(a.Value, "bypassPermissions") {
				add(policy.ClassWardenTamper, "starts a nested agent with permissions bypassed (--permission-mode bypassPermissions)")
			}
			// --settings '{"disableAllHooks":true}': inline settings that
			// turn hooks off or replace them remove Warden from the agent.
			if a.Opt != nil && strings.Contains(a.Opt.Names, "--settings") {
				for _, k := range []string{"disableAllHooks", `"hooks"`, "bypassPermissions", "allowManagedHooksOnly"} {
					if strings.Contains(a.Value, k) {
						add(policy.ClassWardenTamper, "starts a nested agent with settings that change its hooks or permissions ("+k+")")
						break
					}
				}
			}
		}
	case "git checkout":
		if why := checkoutDiscards(call, args); why != "" {
			add(policy.ClassLocalDiscard, why)
		}
	case "ps":
		// ps e, ps auxeww: BSD options (no dash) with e print each
		// process's environment; -e means every process.
		for i, a := range args {
			if i > 0 && slices.Contains([]string{"-o", "-O", "-p", "-q", "-u", "-U", "-g", "-G", "-t", "-C", "--sort", "--format", "--pid", "--user"}, args[i-1]) {
				continue // the value of an option: ps -o user
			}
			if a != "" && a[0] != '-' && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" && strings.ContainsRune(a, 'e') {
				add(policy.ClassEnvSecrets, "ps "+a+" prints every process's environment, secrets included")
				break
			}
		}
	}
	switch prog {
	case "rsync":
		for _, a := range positionals(args) {
			if isRemoteSpec(a) {
				add(policy.ClassEgress, "rsync to or from remote "+a)
				break
			}
		}
		if call.Has(catalog.DeleteExtra) {
			if pos := positionals(args); len(pos) > 1 {
				dst := pos[len(pos)-1]
				p := env.resolve(dst, firstCwd(c, env))
				switch {
				case isRemoteSpec(dst):
				case isCritical(p, env):
					// rsync --delete from an empty directory empties the target.
					add(policy.ClassDestructive, "rsync --delete can remove everything under "+p+criticalName(p, env))
				case outsideWorkspace(p, env):
					add(policy.ClassDeleteOutside, "rsync --delete removes files under "+p+", outside the repository")
				}
			}
		}
	case "git":
		hits = append(hits, classifyGit(rawArgv(c), branch)...)
		if why := gitConfigPersists(call); why != "" {
			add(policy.ClassPersistence, why)
		}
	case "rm":
		if !call.Has(catalog.Recursive) {
			break // rm --rec is --recursive: the parser knows the grammar
		}
		if why := rmDestructive(c, args, env); why != "" {
			add(policy.ClassDestructive, why)
		} else if why := rmOutside(c, args, env); why != "" {
			add(policy.ClassDeleteOutside, why)
		}
		for _, a := range call.Args {
			if a.Opt == nil && path.Base(strings.TrimRight(a.Value, "/")) == ".git" {
				add(policy.ClassLocalDiscard, "rm -r of "+a.Value+" deletes the repository's history and uncommitted state")
				break
			}
		}
	case "gh":
		if call.Path == "gh api" {
			if why := ghAPIWrite(args); why != "" {
				add(policy.ClassVCSWrite, why)
			}
		}
	case "dd":
		for _, a := range args {
			if of, ok := strings.CutPrefix(a, "of="); ok && isDevice(of) {
				add(policy.ClassDestructive, "dd writes to device "+of)
			}
		}
	case "chmod":
		if call.Has(catalog.Recursive) {
			for _, a := range positionals(args) {
				if p := env.resolve(a, firstCwd(c, env)); isCritical(p, env) {
					add(policy.ClassDestructive, c.Program+" -R on "+p)
					break
				}
			}
		}
	case "find":
		if why, class := findDelete(args, c, env); why != "" {
			add(class, why)
		}
		if slices.Contains(args, "-delete") {
			// What find deletes is written: path rules on the roots apply
			// (find ~/.local/state/warden -delete).
			for _, root := range positionalsBefore(args) {
				e.checkFile(d, u, fileAccess{raw: root, access: policy.AccessWrite, cwds: c.Cwds, via: "`" + c.Text + "` deletes under it"})
			}
		}
	}
	for _, m := range e.rs.Members {
		// A member with grammar is a catalogue row: its class came with
		// call.Classes.
		if !m.HasGrammar() && memberMatches(m.Command, c.Program, call, args) {
			add(m.Class, "the policy puts "+m.Command+" in class "+m.Class)
		}
	}
	return hits
}

// hitReason words a catalogue class hit: the row's reason, led by the
// command path unless the reason already names the program.
func hitReason(call *catalog.Call, h catalog.Hit) string {
	first, _, _ := strings.Cut(call.Path, " ")
	if strings.HasPrefix(h.Why, first) || strings.HasPrefix(strings.ToLower(h.Why), strings.ToLower(first)) {
		return h.Why
	}
	return call.Path + " " + h.Why
}

// isRemotePackage reports a package operand that is fetched: a version
// (pkg@1.2, example.com/x@latest), a URL or a git source.
func isRemotePackage(v string) bool {
	if strings.Contains(v, "://") || strings.HasPrefix(v, "git+") || strings.HasPrefix(v, "github:") {
		return true
	}
	if i := strings.LastIndexByte(v, '@'); i > 0 {
		return true // @scope/pkg alone has its @ at 0
	}
	// npm create vite, npm init react-app: a bare name is a package.
	return v != "" && !strings.HasPrefix(v, ".") && !strings.HasPrefix(v, "/") && !strings.Contains(v, "/") && !strings.HasSuffix(v, ".go") && !strings.HasSuffix(v, ".ts") && !strings.HasSuffix(v, ".js")
}

// localBin reports whether a package runner's program is installed in the
// project: node_modules/.bin/NAME in the cwd or an ancestor up to the
// repository root (npx eslint runs the project's eslint).
func (e *Engine) localBin(c *shell.Command, env *pathEnv, name string) bool {
	if name == "" || strings.ContainsAny(name, "/@") {
		return false
	}
	root := env.root()
	for _, dir := range cwdsOf(c, env) {
		for {
			if _, err := e.fs.Lstat(dir + "/node_modules/.bin/" + name); err == nil {
				return true
			}
			if dir == root || dir == "/" || dir == "" {
				break
			}
			if _, below := cutDir(dir, root); !below {
				break
			}
			dir = path.Dir(dir)
		}
	}
	return false
}

// secretName reports an environment variable or key whose name says it
// holds a secret.
func secretName(n string) bool {
	u := strings.ToUpper(strings.TrimLeft(n, "$"))
	for _, w := range []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "API_KEY", "APIKEY", "ACCESS_KEY",
		"PRIVATE_KEY", "CREDENTIAL", "DATABASE_URL", "_DSN", "COOKIE", "SESSION_KEY", "CLIENT_KEY", "SIGNING_KEY", "ENCRYPTION_KEY", "MASTER_KEY"} {
		if strings.Contains(u, w) {
			return true
		}
	}
	return strings.HasSuffix(u, "_KEY") && !strings.HasSuffix(u, "PUBLIC_KEY") || strings.HasSuffix(u, "_AUTH") || strings.HasPrefix(u, "AUTH_")
}

// printsSecretVar: echo/printf of $NAME where NAME holds a secret.
func printsSecretVar(c *shell.Command) string {
	p := strings.ToLower(c.Program)
	if slices.Contains(argPrinters, p) {
		for _, w := range c.Args {
			if ref := secretRef(w); ref != "" {
				return c.Program + " prints the secret variable $" + ref
			}
		}
	}
	if slices.Contains(stdinPrinters, p) {
		// cat <<< "$AWS_SESSION_TOKEN", tee /dev/stderr <<< $HF_TOKEN.
		for _, r := range c.Redirects {
			if r.Op == "<<<" || strings.HasPrefix(r.Op, "<<") {
				if ref := secretRef(r.Target); ref != "" {
					return c.Program + " prints the secret variable $" + ref + " given on standard input"
				}
			}
		}
	}
	if p == "git" {
		// git commit -m "$NPM_TOKEN": the secret enters history, which is pushed.
		sub, _ := subcommand(argv(c), gitGlobalValueOpts...)
		if slices.Contains([]string{"commit", "tag", "notes", "stash"}, sub) {
			for _, w := range c.Args {
				if ref := secretRef(w); ref != "" {
					return "git " + sub + " writes the secret variable $" + ref + " into the repository's history"
				}
			}
		}
	}
	return ""
}

// argPrinters print their arguments; stdinPrinters copy standard input
// to their output (a file or the terminal, which the agent reads).
var (
	argPrinters   = []string{"echo", "printf", "print", "say"}
	stdinPrinters = []string{"cat", "tac", "tee", "head", "tail", "base64", "basenc", "base32", "xxd", "od", "hexdump", "rev", "nl",
		"fold", "less", "more", "strings", "sed", "awk", "gawk", "cut", "tr", "column", "paste", "sort", "uniq", "jq", "yq"}
)

// secretRef returns the first secret variable w expands ($NAME, ${NAME},
// ${!NAME}'s target is unknown), or "".
func secretRef(w shell.Word) string {
	for _, ref := range w.Refs {
		if secretName(ref) {
			return ref // ${!v} or a nameref naming a secret
		}
	}
	if !w.Dynamic {
		return ""
	}
	for _, ref := range varRefs(w.Raw) {
		if secretName(ref) {
			return ref
		}
	}
	return ""
}

// jqEnv inspects a jq filter: the secret variable it reads (env.NAME,
// $ENV.NAME, env["NAME"]) or whether it yields the whole environment.
func jqEnv(filter string) (secret string, whole bool) {
	f := filter
	for _, acc := range []string{"$ENV.", "env.", `$ENV["`, `env["`, `$ENV[`, `env[`} {
		for off := 0; ; {
			i := strings.Index(f[off:], acc)
			if i < 0 {
				break
			}
			j := off + i + len(acc)
			k := j
			for k < len(f) && isIdentByte(f[k]) {
				k++
			}
			if secretName(f[j:k]) && (off+i == 0 || !isIdentByte(f[off+i-1])) {
				return f[j:k], false
			}
			off = j
		}
	}
	for _, tok := range []string{"$ENV", "env"} {
		for off := 0; ; {
			i := strings.Index(f[off:], tok)
			if i < 0 {
				break
			}
			i += off
			end := i + len(tok)
			off = end
			if i > 0 && (isIdentByte(f[i-1]) || f[i-1] == '.' || f[i-1] == '$') {
				continue // .env is a field; $env a variable
			}
			if end < len(f) && (isIdentByte(f[end]) || f[end] == '.' || f[end] == '[') {
				continue // env.HOME reads one variable
			}
			return "", true
		}
	}
	return "", false
}

// varRefs returns the names of the $NAME and ${NAME...} references in raw.
func varRefs(raw string) []string {
	var out []string
	for i := 0; i < len(raw); i++ {
		if raw[i] != '$' || i+1 >= len(raw) {
			continue
		}
		j := i + 1
		if raw[j] == '{' {
			j++
		}
		k := j
		for k < len(raw) && isIdentByte(raw[k]) {
			k++
		}
		if k > j {
			out = append(out, raw[j:k])
		}
		i = k - 1
	}
	return out
}

// tamperVar reports Warden's own and the telemetry exporters' variables.
func tamperVar(name string) bool {
	u := strings.ToUpper(name)
	return strings.HasPrefix(u, "WARDEN_") || strings.HasPrefix(u, "OTEL_") || u == "CLAUDE_CODE_ENABLE_TELEMETRY"
}

// namesWarden returns the argument of a process or file command that names
// Warden's binaries or processes, or "".
// wardenAdminPaths are the Warden server API paths that pause Warden or
// change the policy it serves: a network program reaching one is
// warden-tamper, whoever's token it would send.
var wardenAdminPaths = []string{"/api/v1/overlays", "/api/v1/pauses"}

// wardenAdminURL returns the Warden admin API path an argument of c
// names, or "".
func wardenAdminURL(c *shell.Command) string {
	for _, w := range c.Args {
		raw := strings.ToLower(w.Raw)
		for _, p := range wardenAdminPaths {
			if strings.Contains(raw, p) {
				return p
			}
		}
	}
	return ""
}

func namesWarden(c *shell.Command) string {
	for _, w := range c.Args {
		raw := strings.ToLower(w.Raw)
		if strings.Contains(raw, "warden") && (strings.Contains(raw, "$(") || strings.Contains(raw, "`")) {
			// kill $(pgrep warden), rm "$(which warden-hook)"
			return w.Raw
		}
		for _, v := range wordValues(w) {
			base := strings.ToLower(path.Base(v))
			if base == "warden" || base == "warden-hook" || base == "warden.service" || strings.HasPrefix(base, "warden ") || strings.HasPrefix(base, "warden-hook ") {
				return w.Raw
			}
		}
	}
	return ""
}

// checkoutDiscards: git checkout with paths after --, of ".", overwrites
// uncommitted changes in those paths.
func checkoutDiscards(call *catalog.Call, args []string) string {
	operands := 0
	for _, a := range call.Args {
		if a.Opt == nil {
			operands++
		}
	}
	if operands >= 2 {
		// git checkout REV PATH...: the paths are overwritten from REV.
		return "git checkout of paths from a revision discards their uncommitted changes: git checkout " + strings.Join(args[1:], " ")
	}
	for _, a := range call.Args {
		if a.Opt != nil {
			continue
		}
		if call.DashDash >= 0 && a.Index > call.DashDash || a.Value == "." || a.Value == ":/" || a.Value == "*" {
			return "git checkout of paths discards their uncommitted changes: git checkout " + strings.Join(args[1:], " ")
		}
	}
	return ""
}

// ghAPIWrite explains a gh api call that writes (a method other than GET,
// or fields, which make gh POST), or returns "".
func ghAPIWrite(args []string) string {
	for i, a := range args {
		m := ""
		switch {
		case (a == "-X" || a == "--method") && i+1 < len(args):
			m = args[i+1]
		case strings.HasPrefix(a, "--method="):
			m = strings.TrimPrefix(a, "--method=")
		case strings.HasPrefix(a, "-X") && len(a) > 2:
			m = a[2:]
		case a == "-f" || a == "-F" || a == "--field" || a == "--raw-field" || a == "--input":
			m = "POST"
		}
		if m = strings.ToUpper(m); m != "" && m != "GET" && m != "HEAD" {
			return "gh api " + m + " writes to the GitHub API"
		}
	}
	return ""
}

// memberMatches reports a policy member (a program and subcommand words)
// naming this command: by the parsed subcommand path and the operands
// after it, which skips options (kubectl -n prod apply, where the
// catalogue does not know apply), or by the leading arguments.
func memberMatches(command, program string, call *catalog.Call, args []string) bool {
	words := strings.Fields(command)
	if len(words) == 0 || !strings.EqualFold(words[0], program) && (call.Prog == nil || !catalogHas(call.Prog, words[0])) {
		return false
	}
	if parsedMatch(words[1:], call) {
		return true
	}
	if len(words)-1 > len(args) {
		return false
	}
	for i, w := range words[1:] {
		if args[i] != w {
			return false
		}
	}
	return true
}

// parsedMatch reports whether words are the call's subcommand path
// (after the program) or a prefix of it, or the path followed by the
// call's first operands.
func parsedMatch(words []string, call *catalog.Call) bool {
	path := strings.Fields(call.Path)
	if len(path) == 0 {
		return false
	}
	path = path[1:]
	var ops []string
	if len(words) > len(path) {
		for _, a := range call.Args {
			if a.Opt == nil {
				ops = append(ops, a.Value)
			}
		}
	}
	for i, w := range words {
		switch {
		case i < len(path):
			if path[i] != w {
				return false
			}
		case i-len(path) < len(ops):
			if ops[i-len(path)] != w {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// isRemoteSpec reports an rsync/scp operand naming another machine:
// host:path, user@host:path, rsync://host/...
func isRemoteSpec(a string) bool {
	if strings.Contains(a, "://") {
		return true
	}
	i := strings.IndexByte(a, ':')
	if i <= 0 {
		return false
	}
	// A colon after a slash is part of a local path (./a:b).
	return !strings.Contains(a[:i], "/")
}

func isDevice(p string) bool {
	if !strings.HasPrefix(p, "/dev/") {
		return false
	}
	switch p {
	case "/dev/null", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/tty":
		return false
	}
	return !strings.HasPrefix(p, "/dev/fd/") && !strings.HasPrefix(p, "/dev/shm/") && !strings.HasPrefix(p, "/dev/pts/")
}

// catalogHas reports whether the row p answers to name.
func catalogHas(p *catalog.Program, name string) bool {
	found := false
	catalog.Each(p.Names, func(n string) { found = found || strings.EqualFold(n, name) })
	return found
}

// systemDirs are top-level directories whose recursive removal breaks the machine.
const systemDirs nameList = "/bin /boot /dev /etc /home /lib /lib32 /lib64 /opt /proc /root /sbin /srv /sys /usr /var /Users /System /Library /Applications /private"

// isCritical reports a path whose recursive removal destroys the machine,
// the home directory or the repository: /, a system directory, home, the
// repository root, or an ancestor of home or of the repository.
func isCritical(p string, env *pathEnv) bool {
	if p == "/" || systemDirs.has(p) {
		return true
	}
	for _, dir := range []string{env.home, env.root()} {
		if dir == "" {
			continue
		}
		if p == dir {
			return true
		}
		if _, below := cutDir(dir, p); below {
			return true // p is an ancestor of dir
		}
	}
	return false
}

func firstCwd(c *shell.Command, env *pathEnv) string {
	if len(c.Cwds) > 0 {
		return c.Cwds[0]
	}
	return env.cwd
}

// rmDestructive explains why a recursive rm is destructive, or returns "".
func rmDestructive(c *shell.Command, args []string, env *pathEnv) string {
	dashdash := false
	for i, w := range c.Args {
		a := args[i]
		if !dashdash && a == "--" {
			dashdash = true
			continue
		}
		if !dashdash && strings.HasPrefix(a, "-") && !w.Dynamic {
			continue
		}
		if w.Dynamic && len(w.Values) == 0 {
			continue // decided as unknown by the caller
		}
		cwds := c.Cwds
		if len(cwds) == 0 {
			cwds = []string{env.cwd}
		}
		for _, v := range w.Values {
			for _, cwd := range cwds {
				p := env.resolve(v, cwd)
				if w.Glob {
					dir, base := path.Split(p)
					dir = path.Clean(dir)
					if strings.HasPrefix(base, "*") || strings.HasPrefix(base, ".*") || base == "?" {
						if isCritical(dir, env) {
							return "rm -r of everything in " + dir + " (" + w.Raw + ")"
						}
					}
					continue
				}
				if isCritical(p, env) {
					return "rm -r of " + p + criticalName(p, env) + " (" + w.Raw + ")"
				}
			}
		}
	}
	return ""
}

func criticalName(p string, env *pathEnv) string {
	switch {
	case p == "/":
		return ", the file-system root"
	case p == env.home:
		return ", the home directory"
	case p == env.root():
		return ", the repository root"
	}
	return ""
}

// rmDynamicTarget reports an rm -r whose target cannot be known statically
// (rm -rf "$DIR"/ removes / when DIR is empty).
func rmDynamicTarget(c *shell.Command, call *catalog.Call, args []string, all []shell.Command, env *pathEnv) string {
	if call.Prog == nil || call.Prog.Name() != "rm" || !call.Has(catalog.Recursive) {
		return ""
	}
	for _, w := range c.Args {
		if w.Raw == "{}" && findRootsInside(c, all, env) {
			continue // files find found under the repository
		}
		if w.Dynamic && !strings.HasPrefix(w.Raw, "-") {
			return "rm -r of a target that cannot be known before it runs: " + w.Raw
		}
	}
	return ""
}

// findRootsInside reports a command run by find -exec (or -execdir, -ok)
// whose find searches only inside the repository: its {} is one of them.
func findRootsInside(c *shell.Command, all []shell.Command, env *pathEnv) bool {
	byFind := false
	for _, v := range c.Via {
		byFind = byFind || strings.HasPrefix(v, "find -")
	}
	if !byFind {
		return false
	}
	for i := range all {
		f := &all[i]
		if f.Program != "find" || f.Written != c.Written {
			continue
		}
		for _, root := range positionalsBefore(argv(f)) {
			if _, in := cutDir(env.resolve(root, firstCwd(f, env)), env.root()); !in {
				return false
			}
		}
		return true
	}
	return false
}

// findArgs are find's primaries that take one argument; -fprintf takes two.
const findArgs nameList = "-name -iname -path -ipath -wholename -iwholename -regex -iregex -lname -ilname -newer -anewer -cnewer -samefile -inum -gid -uid -group -user -perm -type -xtype -size -mtime -mmin -atime -amin -ctime -cmin -links -maxdepth -mindepth -fstype -used -context -regextype -fprint -fprint0 -fls -printf -newerXY"

// findArgCount is how many arguments the find primary a takes, and
// whether it takes any.
func findArgCount(a string) (int, bool) {
	if a == "-fprintf" {
		return 2, true
	}
	return 1, findArgs.has(a)
}

// findDelete: find -delete from a critical directory with no name filter is
// destructive; from outside the workspace it deletes outside it.
func findDelete(args []string, c *shell.Command, env *pathEnv) (string, string) {
	del, filtered := false, false
	var roots []string
	predicates := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-exec" || a == "-execdir" || a == "-ok" || a == "-okdir" {
			// The command's own words (find . -exec echo -delete \;) are
			// not find's: skip to the terminator.
			for i++; i < len(args) && args[i] != ";" && args[i] != "+"; i++ {
			}
			predicates = true
			continue
		}
		if n, ok := findArgCount(a); ok {
			switch a {
			case "-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-regex", "-iregex",
				"-newer", "-mtime", "-mmin", "-size", "-user", "-samefile", "-inum":
				filtered = true
			}
			i += n
			predicates = true
			continue
		}
		switch {
		case a == "-delete":
			del = true
		case strings.HasPrefix(a, "-") || a == "(" || a == "!" || a == ")" || a == ",":
			predicates = true
		case !predicates:
			roots = append(roots, a)
		}
	}
	if !del {
		return "", ""
	}
	if len(roots) == 0 {
		roots = []string{"."}
	}
	for _, r := range roots {
		p := env.resolve(r, firstCwd(c, env))
		if !filtered && isCritical(p, env) {
			return "find -delete of everything under " + p, policy.ClassDestructive
		}
		if outsideWorkspace(p, env) {
			return "find -delete under " + p + ", outside the repository", policy.ClassDeleteOutside
		}
	}
	return "", ""
}

// gitGlobalValueOpts are git's options before the subcommand that take
// the next word as their value.
var gitGlobalValueOpts = []string{"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path"}

// classifyGit handles git push; other git subcommands change only the local
// repository.
func classifyGit(args []string, branch string) []classHit {
	sub, rest := subcommand(args, gitGlobalValueOpts...)
	if def, ok := gitAliases(args)[sub]; ok && !strings.HasPrefix(def, "!") {
		// git -c alias.force=push force origin +main is a push.
		words := strings.Fields(def)
		if len(words) > 0 {
			sub, rest = words[0], append(words[1:], rest...)
		}
	}
	if sub != "push" {
		return nil
	}
	hits := []classHit{{policy.ClassVCSWrite, "git push publishes commits to a remote"}}
	force := hasFlag(rest, 'f', "--force", "--force-with-lease", "--force-if-includes", "--mirror", "--delete", "--prune") ||
		hasFlag(rest, 'd')
	for i, a := range args {
		// git -c remote.origin.push=+refs/heads/*:refs/heads/* push: a
		// configured force refspec.
		if i > 0 && args[i-1] == "-c" {
			if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(strings.ToLower(k), "remote.") && strings.HasSuffix(strings.ToLower(k), ".push") && strings.HasPrefix(strings.Trim(v, `"'`), "+") {
				force = true
			}
		}
	}
	pos := positionals(rest)
	refs := pos
	if len(pos) > 0 {
		refs = pos[1:] // the first positional is the remote
	}
	for _, r := range refs {
		if strings.HasPrefix(r, "+") || strings.HasPrefix(r, ":") {
			force = true
		}
	}
	if force {
		hits = append(hits, classHit{policy.ClassVCSForcePush, "git push that can rewrite or delete remote history: git push " + strings.Join(rest, " ")})
	}
	protected := hasFlag(rest, 0, "--all", "--mirror")
	if len(refs) == 0 && isProtectedBranch(branch) {
		protected = true
	}
	for _, r := range refs {
		dst := strings.TrimPrefix(r, "+")
		if i := strings.IndexByte(dst, ':'); i >= 0 {
			dst = dst[i+1:]
		}
		if dst == "HEAD" {
			dst = branch
		}
		if isProtectedBranch(strings.TrimPrefix(dst, "refs/heads/")) {
			protected = true
		}
	}
	if protected {
		hits = append(hits, classHit{policy.ClassVCSPushProtected, "git push to a protected branch"})
	}
	return hits
}

func isProtectedBranch(b string) bool {
	switch b {
	case "main", "master", "trunk", "production", "prod", "release", "stable":
		return true
	}
	return strings.HasPrefix(b, "release/") || strings.HasPrefix(b, "release-") || strings.HasPrefix(b, "hotfix/")
}

// gitAliases returns the aliases defined on the command line with
// -c alias.NAME=VALUE (or -calias.NAME=VALUE).
func gitAliases(args []string) map[string]string {
	var out map[string]string
	for i := 0; i < len(args); i++ {
		kv := ""
		switch {
		case args[i] == "-c" && i+1 < len(args):
			kv = args[i+1]
			i++
		case strings.HasPrefix(args[i], "-c") && len(args[i]) > 2:
			kv = args[i][2:]
		case !strings.HasPrefix(args[i], "-"):
			return out
		}
		k, v, ok := strings.Cut(kv, "=")
		if name, isAlias := strings.CutPrefix(strings.ToLower(k), "alias."); ok && isAlias {
			if out == nil {
				out = map[string]string{}
			}
			out[name] = v
		}
	}
	return out
}

// tempDirs are where deleting is routine.
var tempDirs = []string{"/tmp", "/var/tmp", "/private/tmp", "/private/var/folders", "/dev/shm"}

// outsideWorkspace reports a path outside the repository (or cwd) and the
// temporary directories.
func outsideWorkspace(p string, env *pathEnv) bool {
	if _, in := cutDir(p, env.root()); in {
		return false
	}
	for _, t := range tempDirs {
		if _, in := cutDir(p, t); in {
			return false
		}
	}
	return true
}

// rmOutside explains a recursive rm outside the workspace, or returns "".
func rmOutside(c *shell.Command, args []string, env *pathEnv) string {
	for _, w := range c.Args {
		for _, v := range w.Values {
			if strings.HasPrefix(v, "-") {
				continue
			}
			for _, cwd := range cwdsOf(c, env) {
				if p := env.resolve(v, cwd); outsideWorkspace(p, env) {
					return "rm -r of " + p + ", outside the repository"
				}
			}
		}
	}
	return ""
}
