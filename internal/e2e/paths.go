package e2e

import (
	"path/filepath"
	"slices"
	"strings"
)

// PathMap maps paths written for a reference machine (the corpus is written
// as if Claude Code ran as a user with home /home/dev in the repository
// /home/dev/app) onto a scratch HOME and project.
type PathMap struct {
	// FromHome and FromProject are the reference machine's home and project
	// directories; either may be empty.
	FromHome, FromProject string
	// Home and Project are the scratch directories they map to.
	Home, Project string
}

// Path maps one path to where it lives in the scratch layout: "~" and "~/x"
// and FromHome go to Home, FromProject to Project, a relative path is taken
// relative to Project, and any other absolute path is kept (cleaned).
func (m PathMap) Path(p string) string {
	switch {
	case p == "":
		return m.Project
	case p == "~":
		return m.Home
	case strings.HasPrefix(p, "~/"):
		return filepath.Join(m.Home, p[2:])
	case !filepath.IsAbs(p):
		return filepath.Join(m.Project, p)
	}
	p = filepath.Clean(p)
	if rest, ok := under(p, m.FromProject); ok {
		return filepath.Join(m.Project, rest)
	}
	if rest, ok := under(p, m.FromHome); ok {
		return filepath.Join(m.Home, rest)
	}
	return p
}

// under reports whether p is dir or inside it, and the rest of p after dir.
func under(p, dir string) (string, bool) {
	if dir == "" {
		return "", false
	}
	dir = filepath.Clean(dir)
	if p == dir {
		return "", true
	}
	if strings.HasPrefix(p, dir+"/") {
		return p[len(dir)+1:], true
	}
	return "", false
}

// Text rewrites the reference directories where they appear in free text,
// such as a Bash command or a URL: FromProject (the longer one first) and
// FromHome, each only where it is a whole path prefix (followed by "/", the
// end, or a character that cannot continue a file name in a command).
func (m PathMap) Text(s string) string {
	type pair struct{ from, to string }
	var pairs []pair
	for _, p := range []pair{{m.FromProject, m.Project}, {m.FromHome, m.Home}} {
		if p.from != "" {
			pairs = append(pairs, pair{filepath.Clean(p.from), p.to})
		}
	}
	// The longer prefix first: the project is inside the home.
	slices.SortFunc(pairs, func(a, b pair) int { return len(b.from) - len(a.from) })
	// One pass, so that a replacement is never rewritten again (the
	// scratch home may itself contain the reference home's path).
	var b strings.Builder
	for i := 0; i < len(s); {
		matched := false
		for _, p := range pairs {
			end := i + len(p.from)
			if strings.HasPrefix(s[i:], p.from) && (end == len(s) || !continuesName(s[end])) {
				b.WriteString(p.to)
				i = end
				matched = true
				break
			}
		}
		if !matched {
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

// continuesName reports whether c, right after a directory path, makes it a
// longer name ("/home/dev" in "/home/devops").
func continuesName(c byte) bool {
	return c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// Input returns a copy of a tool input for the scratch layout. String
// values have the reference directories rewritten (Text); relative and "~"
// paths are left as the model would send them, since the client runs in
// Project with HOME set to Home and resolves them there itself.
func (m PathMap) Input(input map[string]any) map[string]any {
	if input == nil {
		return nil
	}
	out, _ := m.value(input).(map[string]any)
	return out
}

func (m PathMap) value(v any) any {
	switch v := v.(type) {
	case string:
		return m.Text(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = m.value(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = m.value(x)
		}
		return out
	}
	return v
}
