package settings

import (
	"fmt"
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/wardenhq/warden/internal/policy"
)

// paths compiles path rules into Read(...) and Edit(...) rules. Claude
// Code applies Read rules to its file-reading tools and Edit rules to every
// tool that edits files (Edit, Write, NotebookEdit); Bash commands that
// touch the same paths are the hook's alone.
func (c *compiler) paths() {
	for _, pr := range c.rs.Paths {
		id := "paths." + pr.ID
		if pr.Decision == policy.None || c.exempt(id) {
			continue
		}
		var tools []string
		switch pr.Access {
		case policy.AccessRead:
			tools = []string{"Read"}
		case policy.AccessWrite:
			tools = []string{"Edit"}
		default:
			tools = []string{"Read", "Edit"}
		}
		compiled := 0
		for _, pat := range pr.Patterns {
			spec, why := nativePath(pat)
			if why == "" {
				var strict string
				spec, why, strict = exceptOverlap(pat, spec, pr.Except, pr.Decision)
				if strict != "" {
					c.report.add(id, KindStricter, strict)
				}
			}
			if why != "" {
				c.report.add(id, KindHookOnly, pat+": "+why)
				continue
			}
			for _, tool := range tools {
				c.add(pr.Decision, tool+"("+spec+")")
			}
			compiled++
		}
		if compiled > 0 {
			verb := map[policy.Access]string{policy.AccessRead: "read", policy.AccessWrite: "write"}[pr.Access]
			if verb == "" {
				verb = "read or write"
			}
			c.report.add(id, KindPartial, fmt.Sprintf("%d of %d patterns as %s rules (%s); Bash commands that %s these paths (cat, cp, redirections, tee, sed -i) are checked by the hook only",
				compiled, len(pr.Patterns), strings.Join(tools, "/"), pr.Decision, verb))
		}
	}
}

// nativePath turns a policy path pattern into a Read/Edit specifier with
// the same meaning, or says why it cannot.
//
// Policy patterns (docs/policy.md): "~/p" from home, "//p" from the
// file-system root, "/p" from the repository root, anything else at any
// depth anywhere. Claude Code's specifiers, as observed on 2.1.330 in
// managed settings (internal/e2e/settings_e2e_test.go): "~/p" from home;
// "//p" from the file-system root with gitignore globs, so "//**/p" is p at
// any depth anywhere, which is the policy's meaning; "p" and "**/p" only
// below the working directory; "/p" from the working directory (from the
// settings file's directory in a --settings file), never the repository
// root, so repository-anchored patterns have no native form.
func nativePath(pat string) (string, string) {
	for seg := range strings.SplitSeq(pat, "/") {
		if _, ok := policy.WordSegment(seg); ok {
			return "", "a word match <...> splits names into words, which Claude Code's patterns cannot"
		}
	}
	if strings.ContainsAny(pat, "{}") {
		return "", "brace alternatives {a,b} are not part of Claude Code's gitignore-style patterns"
	}
	switch {
	case strings.HasPrefix(pat, "~/"), strings.HasPrefix(pat, "//"):
		return pat, ""
	case strings.HasPrefix(pat, "/"):
		return "", "anchored at the repository root; Claude Code reads a leading / from the working directory (or a settings file's directory), not the repository root"
	}
	rest := strings.TrimPrefix(pat, "./")
	for strings.HasPrefix(rest, "**/") {
		rest = strings.TrimPrefix(rest, "**/")
	}
	if rest == "" || rest == "**" {
		return "", "matches every path"
	}
	return "//**/" + rest, ""
}

// exceptOverlap checks a pattern against its rule's except list. A native
// rule cannot leave holes, so:
//   - when an except names files the pattern itself names (".env.*" and
//     ".env.example"), the pattern is the hook's alone;
//   - when the pattern is a directory subtree ("~/.ssh/**") and an except
//     is a bare file name (".env.example") that could only be inside it by
//     accident, a deny or ask rule is compiled anyway, stricter than the
//     policy, and that is reported; an allow rule never is;
//   - an except with a directory part inside a subtree pattern is a
//     deliberate hole: hook only.
func exceptOverlap(pat, spec string, excepts []string, v policy.Verdict) (string, string, string) {
	_, p := policy.StripPathPrefix(pat)
	pLast := path.Base(p)
	var stricter []string
	for _, e := range excepts {
		_, er := policy.StripPathPrefix(e)
		eLast := path.Base(er)
		if pLast == "**" {
			if strings.Contains(strings.TrimPrefix(strings.TrimPrefix(e, "./"), "**/"), "/") || v == policy.Allow {
				return "", fmt.Sprintf("the policy excepts %s inside it; native rules have no exceptions", e), ""
			}
			stricter = append(stricter, e)
			continue
		}
		if baseOverlap(pLast, eLast) {
			return "", fmt.Sprintf("the policy excepts %s, which it also matches; native rules have no exceptions", e), ""
		}
	}
	if len(stricter) > 0 {
		return spec, "", fmt.Sprintf("%s is compiled as %s, which also covers files named %s that the policy excepts",
			pat, spec, strings.Join(stricter, ", "))
	}
	return spec, "", ""
}

// baseOverlap reports whether two base-name patterns can match the same
// name; two globs are assumed to.
func baseOverlap(a, b string) bool {
	aMeta, bMeta := hasMeta(a), hasMeta(b)
	switch {
	case !aMeta && !bMeta:
		return a == b
	case !bMeta:
		ok, err := doublestar.Match(a, b)
		return ok || err != nil
	case !aMeta:
		ok, err := doublestar.Match(b, a)
		return ok || err != nil
	}
	return true
}

func hasMeta(s string) bool { return strings.ContainsAny(s, "*?[") }
