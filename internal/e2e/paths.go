package e2e

import (
	"path/filepath"
	"strings"
)

// MapPath maps a path written for "some user's machine" into a scratch
// layout: "~" and "~/x" go under home, a relative path goes under project,
// and an absolute path is kept (cleaned). Corpus fixtures use this to run
// their tool inputs against the scratch HOME and project.
func MapPath(home, project, p string) string {
	switch {
	case p == "~":
		return home
	case strings.HasPrefix(p, "~/"):
		return filepath.Join(home, p[2:])
	case filepath.IsAbs(p):
		return filepath.Clean(p)
	case p == "":
		return project
	}
	return filepath.Join(project, p)
}

// pathFields are the tool_input fields that hold one file path.
var pathFields = []string{"file_path", "notebook_path", "path"}

// MapInput returns a copy of a tool input with its path fields mapped by
// MapPath; other fields (a Bash command, contents, URLs) are kept: the
// client runs commands in the project with HOME set to the scratch home, so
// "~" and relative paths in them already resolve into the scratch layout.
func MapInput(home, project string, input map[string]any) map[string]any {
	out := make(map[string]any, len(input))
	for k, v := range input {
		out[k] = v
	}
	for _, f := range pathFields {
		if s, ok := out[f].(string); ok && s != "" {
			out[f] = MapPath(home, project, s)
		}
	}
	return out
}
