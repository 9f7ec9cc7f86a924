package settings

import (
	"fmt"
	"strings"
	"sync"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/policy"
)

// classNative is what Claude Code's native Bash rules can say about one
// command class: command patterns every one of whose matches the engine puts
// in the class, and what only the hook sees.
//
// Patterns use Claude Code's Bash rule syntax as observed on 2.1.330: "*"
// matches any run of characters, a trailing " *" also matches the bare
// command ("curl *" matches "curl" and "curl -s x", not "curlie"), anything
// else is matched exactly. The client applies them to each subcommand of a
// compound command (a && b, a | b).
//
// A pattern must never match a command outside its class: compiled rules
// are enforced by the client even when the hook would allow, so an
// over-broad one would deny or ask where the policy does not. The
// TestClasses_Subset test checks every pattern against the engine.
type classNative struct {
	Patterns []string
	// HookOnly says what the hook recognises beyond the patterns.
	HookOnly string
}

// commonHookOnly is what the hook sees for every class and native rules
// cannot: the same commands behind wrappers, full paths, variables, nested
// shells and interpreters.
const commonHookOnly = "the same commands run through sudo, env, xargs, full paths, variables, bash -c, eval or scripts"

// classTable maps every command class of policy.Classes to its native
// form. The patterns come from the program catalogue (internal/catalog),
// the rows the engine classifies by, plus the few patterns for judgements
// the engine makes on values (force pushes, rm -rf /). It is built on
// first use: this package is linked into the hook, which must not pay for
// it at init on every call.
var classTable = sync.OnceValue(func() map[string]classNative {
	t := map[string]classNative{
		policy.ClassEgress: {
			HookOnly: "rsync to or from a remote host, /dev/tcp and /dev/udp redirections, network calls from python, node, perl or ruby one-liners",
		},
		policy.ClassDestructive: {
			Patterns: []string{"rm -rf /", "rm -fr /", "rm -rf ~", "rm -fr ~", "rm -rf ~/", "rm -fr ~/"},
			HookOnly: "recursive removal of the repository root, the home directory or system directories by any spelling, dd, mkfs, shred and wipefs on devices, chmod/chown -R of critical directories, find -delete",
		},
		policy.ClassPrivileged: {},
		policy.ClassPackageInstall: {
			HookOnly: "go install of a remote module (pkg@version), uv run --with, npx and npm exec of packages the project has not installed, installs started by package scripts",
		},
		policy.ClassPublish: {
			HookOnly: "publish goals placed after other arguments (mvn clean deploy, ./gradlew build publish), docker build --push",
		},
		policy.ClassInfrastructure: {},
		policy.ClassInfraApply: {
			HookOnly: "the same subcommands after global options (terraform -chdir=infra apply, kubectl -n prod delete)",
		},
		policy.ClassDatabase: {
			HookOnly: "migrations run through package scripts or other wrappers (npm run migrate, make migrate), rake and manage.py tasks after other tasks",
		},
		policy.ClassVCSWrite: {
			Patterns: []string{"git push *"},
			HookOnly: "pushes through git -C DIR or -c options, git aliases, gh api writes",
		},
		policy.ClassVCSForcePush: {
			Patterns: concat(
				cross("git push %s%s", []string{"--force", "-f", "--force-with-lease", "--mirror", "--delete", "-d"}, []string{" *"}),
				cross("git push * %s%s", []string{"--force", "-f", "--force-with-lease"}, []string{"", " *"}),
				[]string{"git push * --force-with-lease=*"},
			),
			HookOnly: "+refspecs and :refspecs (git push origin +main, git push origin :branch), combined short flags (-fu), --force-if-includes, --prune",
		},
		policy.ClassVCSPushProtected: {
			Patterns: concat(
				cross("git push origin %s%s", protectedBranches, []string{"", " *"}),
				cross("git push upstream %s%s", protectedBranches, []string{"", " *"}),
				cross("git push origin *:%s%s", protectedBranches, []string{"", " *"}),
				cross("git push upstream *:%s%s", protectedBranches, []string{"", " *"}),
			),
			HookOnly: "a bare git push (or push of HEAD) while a protected branch is checked out, remotes other than origin and upstream, options before the remote, +main, release/*, release-* and hotfix/* branches",
		},
		policy.ClassDeleteOutside: {
			HookOnly: "whether a recursive delete leaves the repository depends on the resolved paths, which native rules cannot see",
		},
		policy.ClassPersistence: {
			HookOnly: "git config core.hooksPath, scheduling options (systemd-run --on-calendar), writes to start-up files by any tool (a path rule)",
		},
		policy.ClassEnvSecrets: {
			HookOnly: "env, printenv, set and export with no arguments, credential tools' options (gh auth status --show-token, kubectl config view --raw)",
		},
		policy.ClassSecretVariable: {
			HookOnly: "which variable a command prints (printenv AWS_SECRET_ACCESS_KEY, echo $GITHUB_TOKEN) depends on its arguments",
		},
		policy.ClassWardenTamper: {
			HookOnly: "commands that name Warden's processes or binaries, WARDEN_* and OTEL_* variables set or unset for a command, nested agents started with permissions bypassed, network calls to the Warden server's overlay and pause API",
		},
		policy.ClassLocalDiscard: {
			HookOnly: "git reset --hard, git clean -f, git checkout -- PATH, git branch -D and the other discarding options, wherever they stand",
		},
	}
	for _, row := range catalog.Builtin().Rows() {
		rowPatterns(t, row, nil)
	}
	for class, e := range t {
		e.Patterns = dedupe(e.Patterns)
		t[class] = e
	}
	return t
})

// rowPatterns adds the native patterns of a catalogue row and its
// subcommands: "NAME *" for a row whose class holds for every call, with
// every spelling of the program and of the subcommands on the way. A class
// that depends on options, operands or the file system (git clean -f, npx
// of an installed package) is the hook's alone.
func rowPatterns(t map[string]classNative, row *catalog.Program, prefixes []string) {
	names := spellings(row, prefixes)
	if len(names) == 0 {
		return
	}
	if row.Class != "" && row.Requires == 0 && row.Unless == 0 && !row.NeedsOperand && !row.RunsPackage {
		e := t[row.Class]
		for _, n := range names {
			e.Patterns = append(e.Patterns, n+" *")
		}
		t[row.Class] = e
	}
	for _, subs := range [][]catalog.Program{row.Subs, row.Also} {
		for i := range subs {
			rowPatterns(t, &subs[i], names)
		}
	}
}

// memberPatterns returns, by class, the native patterns of the classes
// the policy's members give their catalogue rows (Ruleset.Catalog): they
// hold for every call (catalog.Program.Extra), so "NAME *" with every
// spelling of the row and of the subcommands on the way. A class an
// option gives is the hook's alone.
func memberPatterns(cat *catalog.Catalog) map[string][]string {
	out := map[string][]string{}
	var walk func(row *catalog.Program, prefixes []string)
	walk = func(row *catalog.Program, prefixes []string) {
		names := spellings(row, prefixes)
		if len(names) == 0 {
			return
		}
		for _, h := range row.Extra {
			for _, n := range names {
				out[h.Class] = append(out[h.Class], n+" *")
			}
		}
		for _, subs := range [][]catalog.Program{row.Subs, row.Also} {
			for i := range subs {
				walk(&subs[i], names)
			}
		}
	}
	for _, row := range cat.Rows() {
		if row.From != "" {
			walk(row, nil)
		}
	}
	return out
}

// spellings are the command prefixes of a row: each of its names Claude
// Code's rules can spell, after each prefix (the parents' spellings).
func spellings(row *catalog.Program, prefixes []string) []string {
	var names []string
	catalog.Each(row.Names, func(n string) {
		if !nativeWord(n) {
			return
		}
		if prefixes == nil {
			names = append(names, n)
			return
		}
		for _, p := range prefixes {
			names = append(names, p+" "+n)
		}
	})
	return names
}

// nativeWord reports a name Claude Code's Bash rules can spell: no
// pattern characters, no path.
func nativeWord(n string) bool {
	return n != "" && !strings.ContainsAny(n, "*?[]:()/\\ ") && !strings.HasPrefix(n, "-")
}

func dedupe(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := list[:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// protectedBranches are the branch names the engine treats as protected
// by name (release/*, release-* and hotfix/* are left to the hook: a "*"
// there would match across words). The remote is spelled out: "git push *
// main" would also match "git push -o main origin feature", where main is
// the value of an option.
var protectedBranches = []string{"main", "master", "trunk", "production", "prod", "release", "stable"}

// cross formats format for every pair of a and b, a outermost.
func cross(format string, a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			out = append(out, fmt.Sprintf(format, x, y))
		}
	}
	return out
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
