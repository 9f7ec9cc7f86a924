package engine

import (
	"path"
	"strings"

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

// normProgram folds versioned and platform names: python3.12 → python,
// pip3 → pip, gradlew → gradle, mkfs.ext4 → mkfs.
func normProgram(p string) string {
	// Case-insensitive file systems (macOS) run RM as rm.
	if strings.IndexFunc(p, func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0 && p != "Rscript" {
		p = strings.ToLower(p)
	}
	p = strings.TrimSuffix(p, ".exe")
	switch {
	case strings.HasPrefix(p, "python"):
		return "python"
	case strings.HasPrefix(p, "pip") && strings.Trim(p[3:], "0123456789.") == "":
		return "pip"
	case p == "gradlew":
		return "gradle"
	case p == "mvnw":
		return "mvn"
	case strings.HasPrefix(p, "mkfs"):
		return "mkfs"
	case p == "nodejs":
		return "node"
	case strings.HasPrefix(p, "ruby") && strings.Trim(p[4:], "0123456789.") == "":
		return "ruby"
	case strings.HasPrefix(p, "perl") && strings.Trim(p[4:], "0123456789.") == "":
		return "perl"
	case strings.HasPrefix(p, "php") && strings.Trim(p[3:], "0123456789.") == "":
		return "php"
	}
	return p
}

// Program families, by effect.
var (
	egressPrograms = set("curl", "wget", "nc", "ncat", "netcat", "socat", "telnet", "ftp", "sftp", "scp",
		"ssh", "tftp", "lftp", "aria2c", "http", "https", "xh", "httpie", "curlie", "websocat",
		"sendmail", "mail", "mailx", "mutt", "dig", "nslookup", "host", "smbclient", "rcp", "rsh",
		"sshpass", "ssh-copy-id", "wscat", "grpcurl", "ngrok", "cloudflared")
	infraPrograms = set("docker", "docker-compose", "podman", "buildah", "nerdctl", "kubectl", "kubectx",
		"kubens", "k9s", "helm", "helmfile", "terraform", "tofu", "terragrunt", "pulumi", "cdk", "cdktf",
		"ansible", "ansible-playbook", "serverless", "sls", "aws", "gcloud", "az", "doctl", "flyctl",
		"fly", "vercel", "netlify", "heroku", "minikube", "kind", "eksctl", "skaffold", "tilt", "vagrant",
		"packer", "nomad", "consul", "vault", "oc", "crictl", "ctr", "kustomize", "argocd", "gsutil")
	databasePrograms = set("psql", "pg_dump", "pg_dumpall", "pg_restore", "mysql", "mariadb", "mysqldump",
		"mysqladmin", "mongosh", "mongo", "mongodump", "mongorestore", "mongoimport", "redis-cli", "cqlsh",
		"sqlcmd", "clickhouse-client", "influx", "migrate", "flyway", "liquibase", "dbmate", "goose",
		"sqitch", "cockroach", "dropdb", "createdb", "dropuser", "createuser", "vacuumdb", "reindexdb",
		"mongoexport", "etcdctl", "kafka-topics", "kafka-consumer-groups", "kafka-configs", "kafka-acls",
		"kafka-console-producer", "kafka-delete-records", "rabbitmqctl", "rabbitmqadmin", "nats")
	privilegedPrograms = set("sudo", "doas", "su", "pkexec", "runuser")
	shellPrograms      = set("bash", "sh", "zsh", "dash", "ksh", "ash", "mksh", "fish", "csh", "tcsh")
	nodePMs            = set("npm", "pnpm", "yarn", "bun", "cnpm")
	systemPMs          = set("apt", "apt-get", "yum", "dnf", "apk", "brew", "port", "pacman", "zypper", "snap", "choco", "winget")
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// classify returns the command classes of one simple command.
func (e *Engine) classify(c *shell.Command, env *pathEnv, branch string) []classHit {
	var hits []classHit
	add := func(class, why string) { hits = append(hits, classHit{class, why}) }
	for _, v := range c.Via {
		if privilegedPrograms[strings.Fields(v)[0]] {
			add(policy.ClassPrivileged, "runs through "+v)
			break
		}
	}
	prog := normProgram(c.Program)
	args := argv(c)
	if prog == "python" && len(args) >= 2 && args[0] == "-m" && args[1] != "pip" {
		// python -m twine upload runs the twine module: classify it as twine.
		prog, args = normProgram(args[1]), args[2:]
	}
	sub, rest := subcommand(args)
	switch {
	case privilegedPrograms[prog]:
		add(policy.ClassPrivileged, prog+" runs commands as another user")
	case egressPrograms[prog]:
		add(policy.ClassEgress, prog+" moves data to or from another machine")
	case prog == "rsync":
		for _, a := range positionals(args) {
			if isRemoteSpec(a) {
				add(policy.ClassEgress, "rsync to or from remote "+a)
				break
			}
		}
	case prog == "openssl" && (sub == "s_client" || sub == "s_server"):
		add(policy.ClassEgress, "openssl "+sub+" opens a network connection")
	case prog == "rclone":
		add(policy.ClassEgress, "rclone moves or changes data on a remote")
	}
	switch prog {
	case "git":
		hits = append(hits, classifyGit(args, branch)...)
	case "rsync":
		if hasFlag(args, 0, "--delete", "--delete-before", "--delete-during", "--delete-after", "--delete-excluded", "--remove-source-files") {
			if pos := positionals(args); len(pos) > 1 {
				dst := pos[len(pos)-1]
				if p := env.resolve(dst, firstCwd(c, env)); !isRemoteSpec(dst) && outsideWorkspace(p, env) {
					add(policy.ClassDeleteOutside, "rsync --delete removes files under "+p+", outside the repository")
				}
			}
		}
	case "rm":
		if why := rmDestructive(c, args, env); why != "" {
			add(policy.ClassDestructive, why)
		} else if why := rmOutside(c, args, env); why != "" {
			add(policy.ClassDeleteOutside, why)
		}
	case "gh":
		if why := ghRemoteWrite(sub, rest); why != "" {
			add(policy.ClassVCSWrite, why)
		}
	case "dd":
		for _, a := range args {
			if of, ok := strings.CutPrefix(a, "of="); ok && isDevice(of) {
				add(policy.ClassDestructive, "dd writes to device "+of)
			}
		}
	case "mkfs", "mke2fs", "mkswap", "wipefs", "fdisk", "sfdisk", "parted", "sgdisk", "shred", "blkdiscard":
		for _, a := range args {
			if isDevice(a) {
				add(policy.ClassDestructive, c.Program+" on device "+a)
				break
			}
		}
	case "chmod", "chown", "chgrp":
		if hasFlag(args, 'R', "--recursive") {
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
	case "terraform", "tofu", "terragrunt":
		s, _ := subcommand(args, "-chdir")
		if s == "apply" || s == "destroy" {
			add(policy.ClassInfraApply, c.Program+" "+s+" changes real infrastructure")
		}
	case "kubectl", "oc":
		s, _ := subcommand(args, "-n", "--namespace", "--context", "--kubeconfig", "-l", "--selector")
		if s == "delete" {
			add(policy.ClassInfraApply, c.Program+" delete removes cluster resources")
		}
	case "pulumi":
		if sub == "destroy" {
			add(policy.ClassInfraApply, "pulumi destroy removes real infrastructure")
		}
	case "aws":
		s1, r1 := subcommand(args, "--profile", "--region", "--output", "--endpoint-url")
		s2, _ := subcommand(r1)
		if s1 == "s3" && (s2 == "cp" || s2 == "sync" || s2 == "mv") {
			add(policy.ClassEgress, "aws s3 "+s2+" copies data to or from a bucket")
		}
	case "gsutil":
		if sub == "cp" || sub == "rsync" || sub == "mv" {
			add(policy.ClassEgress, "gsutil "+sub+" copies data to or from a bucket")
		}
	case "gcloud":
		if sub == "storage" {
			if s2, _ := subcommand(rest); s2 == "cp" || s2 == "rsync" || s2 == "mv" {
				add(policy.ClassEgress, "gcloud storage "+s2+" copies data to or from a bucket")
			}
		}
	case "az":
		if sub == "storage" {
			add(policy.ClassEgress, "az storage moves data to or from cloud storage")
		}
	}
	if infraPrograms[prog] {
		add(policy.ClassInfrastructure, c.Program+" controls containers, clusters or cloud infrastructure")
	}
	if databasePrograms[prog] {
		add(policy.ClassDatabase, c.Program+" reaches a database or changes its schema")
	}
	if why := migrationCommand(prog, args, sub, rest); why != "" {
		add(policy.ClassDatabase, why)
	}
	if why := installCommand(prog, args, sub, rest); why != "" {
		add(policy.ClassPackageInstall, why)
	}
	if why := publishCommand(prog, args, sub, rest); why != "" {
		add(policy.ClassPublish, why)
	}
	for _, m := range e.rs.Members {
		if memberMatches(m.Command, c.Program, args) {
			add(m.Class, "the policy puts "+m.Command+" in class "+m.Class)
		}
	}
	return hits
}

func memberMatches(command, program string, args []string) bool {
	words := strings.Fields(command)
	if len(words) == 0 || words[0] != program && normProgram(words[0]) != normProgram(program) {
		return false
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

// systemDirs are top-level directories whose recursive removal breaks the machine.
var systemDirs = set("/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/opt", "/proc",
	"/root", "/sbin", "/srv", "/sys", "/usr", "/var", "/Users", "/System", "/Library", "/Applications", "/private")

// isCritical reports a path whose recursive removal destroys the machine,
// the home directory or the repository: /, a system directory, home, the
// repository root, or an ancestor of home or of the repository.
func isCritical(p string, env *pathEnv) bool {
	if p == "/" || systemDirs[p] {
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

// rmDestructive explains why an rm is destructive, or returns "".
func rmDestructive(c *shell.Command, args []string, env *pathEnv) string {
	if !hasFlag(args, 'r', "--recursive") && !hasFlag(args, 'R') {
		return ""
	}
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
func rmDynamicTarget(c *shell.Command, args []string) string {
	if normProgram(c.Program) != "rm" || (!hasFlag(args, 'r', "--recursive") && !hasFlag(args, 'R')) {
		return ""
	}
	for _, w := range c.Args {
		if w.Dynamic && !strings.HasPrefix(w.Raw, "-") {
			return "rm -r of a target that cannot be known before it runs: " + w.Raw
		}
	}
	return ""
}

// findArgs are find's primaries that take arguments, with how many.
var findArgs = map[string]int{
	"-name": 1, "-iname": 1, "-path": 1, "-ipath": 1, "-wholename": 1, "-iwholename": 1, "-regex": 1,
	"-iregex": 1, "-lname": 1, "-ilname": 1, "-newer": 1, "-anewer": 1, "-cnewer": 1, "-samefile": 1,
	"-inum": 1, "-gid": 1, "-uid": 1, "-group": 1, "-user": 1, "-perm": 1, "-type": 1, "-xtype": 1,
	"-size": 1, "-mtime": 1, "-mmin": 1, "-atime": 1, "-amin": 1, "-ctime": 1, "-cmin": 1, "-links": 1,
	"-maxdepth": 1, "-mindepth": 1, "-fstype": 1, "-used": 1, "-context": 1, "-regextype": 1,
	"-fprint": 1, "-fprint0": 1, "-fls": 1, "-printf": 1, "-fprintf": 2, "-newerXY": 1,
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
		if n, ok := findArgs[a]; ok {
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

// classifyGit handles git push; other git subcommands change only the local
// repository.
func classifyGit(args []string, branch string) []classHit {
	sub, rest := subcommand(args, "-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path")
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

// installCommand explains a package install, or returns "".
func installCommand(prog string, args []string, sub string, rest []string) string {
	switch {
	case nodePMs[prog]:
		switch sub {
		case "install", "i", "in", "ins", "isntall", "add", "ci", "update", "up", "upgrade", "exec", "x", "dlx", "create", "init":
			if sub == "init" && prog != "yarn" && prog != "pnpm" {
				return ""
			}
			if sub == "exec" && (prog == "pnpm" || prog == "yarn") {
				return "" // runs a binary already installed in the project
			}
			return prog + " " + sub + " installs packages and runs their lifecycle scripts"
		case "":
			if prog == "yarn" || prog == "bun" {
				if len(args) == 0 {
					return prog + " with no command installs the project's packages"
				}
			}
		}
	case prog == "npx" || prog == "pnpx" || prog == "bunx" || prog == "uvx":
		return prog + " downloads and runs a package"
	case prog == "pip" || prog == "pipx":
		if sub == "install" || sub == "download" || sub == "run" || sub == "inject" {
			return prog + " " + sub + " installs packages"
		}
	case prog == "python":
		if len(args) >= 3 && args[0] == "-m" && (args[1] == "pip" || args[1] == "ensurepip") && (args[2] == "install" || args[2] == "download") {
			return "python -m pip install installs packages"
		}
	case prog == "uv":
		if sub == "add" || sub == "sync" || sub == "run" && hasFlag(rest, 0, "--with") {
			return "uv " + sub + " installs packages"
		}
		if sub == "pip" || sub == "tool" {
			if s2, _ := subcommand(rest); s2 == "install" || s2 == "sync" || s2 == "run" {
				return "uv " + sub + " " + s2 + " installs packages"
			}
		}
	case prog == "poetry":
		if sub == "add" || sub == "install" || sub == "update" {
			return "poetry " + sub + " installs packages"
		}
	case prog == "conda" || prog == "mamba" || prog == "micromamba":
		if sub == "install" || sub == "create" || sub == "update" {
			return prog + " " + sub + " installs packages"
		}
	case prog == "go":
		if sub == "get" {
			return "go get adds or updates a module dependency"
		}
		if sub == "install" {
			for _, a := range positionals(rest) {
				if strings.Contains(a, "@") {
					return "go install " + a + " downloads and builds a remote module"
				}
			}
		}
	case prog == "cargo":
		if sub == "add" || sub == "install" {
			return "cargo " + sub + " installs crates"
		}
	case prog == "gem":
		if sub == "install" {
			return "gem install installs packages"
		}
	case prog == "bundle":
		if sub == "install" || sub == "add" || sub == "update" {
			return "bundle " + sub + " installs gems"
		}
	case prog == "composer":
		if sub == "require" || sub == "install" || sub == "update" {
			return "composer " + sub + " installs packages"
		}
	case prog == "dotnet":
		if sub == "add" {
			if s2, _ := subcommand(rest); s2 == "package" {
				return "dotnet add package installs a package"
			}
		}
	case systemPMs[prog]:
		switch sub {
		case "install", "add", "reinstall", "upgrade", "-S", "-Syu":
			return prog + " " + sub + " installs system packages"
		}
		if prog == "pacman" && hasFlag(args, 'S') {
			return "pacman -S installs system packages"
		}
	}
	return ""
}

// publishCommand explains a release or publish action, or returns "".
func publishCommand(prog string, args []string, sub string, rest []string) string {
	switch {
	case nodePMs[prog] && (sub == "publish" || sub == "unpublish" || sub == "dist-tag" || sub == "deprecate"):
		return prog + " " + sub + " changes a published package"
	case prog == "yarn" && sub == "npm":
		if s2, _ := subcommand(rest); s2 == "publish" || s2 == "tag" {
			return "yarn npm " + s2 + " changes a published package"
		}
	case prog == "cargo" && (sub == "publish" || sub == "yank" || sub == "owner"):
		return "cargo " + sub + " changes a published crate"
	case prog == "twine" && sub == "upload":
		return "twine upload publishes a Python package"
	case (prog == "poetry" || prog == "flit" || prog == "hatch" || prog == "uv") && sub == "publish":
		return prog + " publish publishes a Python package"
	case prog == "gem" && (sub == "push" || sub == "yank"):
		return "gem " + sub + " changes a published gem"
	case prog == "gh" && sub == "release":
		return "gh release manages a GitHub release"
	case (prog == "docker" || prog == "podman" || prog == "buildah") && sub == "push":
		return prog + " push publishes an image"
	case prog == "mvn":
		for _, a := range args {
			if a == "deploy" || strings.HasPrefix(a, "deploy:") || a == "release:perform" {
				return "mvn " + a + " publishes artifacts"
			}
		}
	case prog == "gradle":
		for _, a := range args {
			if strings.HasPrefix(a, "publish") || a == "uploadArchives" {
				return "gradle " + a + " publishes artifacts"
			}
		}
	case prog == "dotnet" && sub == "nuget":
		if s2, _ := subcommand(rest); s2 == "push" {
			return "dotnet nuget push publishes a package"
		}
	case prog == "goreleaser" && (sub == "" || sub == "release"):
		return "goreleaser publishes a release"
	case (prog == "vsce" || prog == "ovsx") && sub == "publish":
		return prog + " publish publishes an extension"
	case prog == "helm" && sub == "push":
		return "helm push publishes a chart"
	}
	return ""
}

// migrationCommand explains a database migration run through a framework, or "".
func migrationCommand(prog string, args []string, sub string, rest []string) string {
	joined := " " + strings.Join(args, " ") + " "
	switch {
	case prog == "alembic":
		if s, _ := subcommand(args, "-x", "-c", "--config", "-n", "--name"); s == "upgrade" || s == "downgrade" || s == "stamp" {
			return "alembic " + s + " migrates a database"
		}
	case prog == "prisma" && (sub == "migrate" || sub == "db"):
		return "prisma " + sub + " changes a database"
	case nodePMs[prog] || prog == "npx" || prog == "pnpx" || prog == "bunx":
		if strings.Contains(joined, " prisma migrate") || strings.Contains(joined, " prisma db ") ||
			strings.Contains(joined, " knex migrate") || strings.Contains(joined, " sequelize db:") ||
			strings.Contains(joined, " typeorm migration:run") || strings.Contains(joined, " drizzle-kit push") || strings.Contains(joined, " drizzle-kit migrate") {
			return prog + strings.TrimRight(joined, " ") + " migrates a database"
		}
	case prog == "knex" && strings.HasPrefix(sub, "migrate"):
		return "knex " + sub + " migrates a database"
	case prog == "sequelize" && strings.HasPrefix(sub, "db:"):
		return "sequelize " + sub + " changes a database"
	case prog == "rails" || prog == "rake" || prog == "bin/rails":
		if strings.HasPrefix(sub, "db:") {
			return prog + " " + sub + " changes a database"
		}
	case prog == "python":
		if len(args) >= 2 && strings.HasSuffix(args[0], "manage.py") {
			switch args[1] {
			case "migrate", "flush", "dbshell", "sqlflush", "loaddata":
				return "manage.py " + args[1] + " changes a database"
			}
		}
	case prog == "manage.py":
		switch sub {
		case "migrate", "flush", "dbshell", "loaddata":
			return "manage.py " + sub + " changes a database"
		}
	case prog == "diesel" && (sub == "migration" || sub == "database"):
		return "diesel " + sub + " changes a database"
	case prog == "sqlx" && (sub == "migrate" || sub == "database"):
		return "sqlx " + sub + " changes a database"
	case prog == "atlas" && (sub == "migrate" || sub == "schema"):
		return "atlas " + sub + " changes a database"
	}
	return ""
}

// ghRemoteWrite explains a GitHub CLI command that changes the remote
// repository's state (secrets, workflows, caches, the repository itself,
// merges, raw API writes), or returns "".
func ghRemoteWrite(sub string, rest []string) string {
	s2, after := subcommand(rest)
	switch sub {
	case "secret", "variable":
		if s2 == "set" || s2 == "delete" || s2 == "remove" {
			return "gh " + sub + " " + s2 + " changes the repository's " + sub + "s"
		}
	case "workflow":
		if s2 == "disable" || s2 == "enable" || s2 == "run" {
			return "gh workflow " + s2 + " changes CI on the remote"
		}
	case "cache", "run":
		if s2 == "delete" || s2 == "cancel" || s2 == "rerun" {
			return "gh " + sub + " " + s2 + " changes CI state on the remote"
		}
	case "repo":
		switch s2 {
		case "delete", "archive", "edit", "rename", "transfer", "create", "fork", "sync":
			return "gh repo " + s2 + " changes a remote repository"
		}
	case "pr":
		switch s2 {
		case "merge", "close", "create", "edit", "ready", "review", "comment":
			return "gh pr " + s2 + " changes a pull request"
		}
	case "issue":
		switch s2 {
		case "create", "close", "delete", "edit", "comment", "transfer":
			return "gh issue " + s2 + " changes an issue"
		}
	case "api":
		for i, a := range rest {
			m := ""
			switch {
			case (a == "-X" || a == "--method") && i+1 < len(rest):
				m = rest[i+1]
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
	}
	_ = after
	return ""
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

// rmOutside explains an rm -r outside the workspace, or returns "".
func rmOutside(c *shell.Command, args []string, env *pathEnv) string {
	if !hasFlag(args, 'r', "--recursive") && !hasFlag(args, 'R') {
		return ""
	}
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
