package e2e

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/fakemodel"
	"github.com/wardenhq/warden/internal/fixture"
)

// PrepareProject returns a copy of base in which the file tools of cases
// get past the client's own input validation. That validation runs before
// PreToolUse, so a call it refuses never reaches Warden and proves nothing:
//
//   - an Edit's file must hold old_string exactly once (at least once with
//     replace_all); a missing old_string is appended to a text file;
//   - a NotebookEdit's notebook must hold the cell it names (a notebook
//     with cells c1 to c4 is made when there is none); the client also
//     wants it Read first (see PreSteps);
//   - a Read of a file that is not there gets a placeholder, so that
//     benign reads return content.
//
// With apply, each case's Edit or Write is applied, in order, to the
// project as the later cases see it: benign cases run, and a later edit
// must still find its old_string. Cases that cannot be prepared are
// returned with the reason; they must not be run.
func PrepareProject(base Tree, cases []fixture.Case, apply bool) (Tree, []Skip) {
	initial, cur := base.Clone(), base.Clone()
	var skips []Skip
	earlier := map[string][]string{} // file: old_strings of the edits before
	set := func(rel, content string) {
		initial[rel] = content
		cur[rel] = content
	}
	for _, c := range cases {
		in := c.Input.ToolInput
		rel, ok := projectRel(c)
		if !ok {
			continue
		}
		switch c.Input.ToolName {
		case "Edit":
			old, _ := in["old_string"].(string)
			repl, _ := in["new_string"].(string)
			all, _ := in["replace_all"].(bool)
			if old == "" {
				skips = append(skips, Skip{c.ID, SkipEditConflict + "empty old_string"})
				continue
			}
			n := strings.Count(cur[rel], old)
			if n == 0 {
				if structured(rel) {
					skips = append(skips, Skip{c.ID, SkipEditConflict + fmt.Sprintf("old_string %q is not in %s (add it to testdata/project)", old, rel)})
					continue
				}
				if i := slices.IndexFunc(earlier[rel], func(prev string) bool {
					return strings.Count(appendLine(initial[rel], old), prev) > strings.Count(initial[rel], prev)
				}); i >= 0 {
					skips = append(skips, Skip{c.ID, SkipEditOrder + fmt.Sprintf("%q in %s", earlier[rel][i], rel)})
					continue
				}
				initial[rel] = appendLine(initial[rel], old)
				cur[rel] = appendLine(cur[rel], old)
				n = 1
			}
			if n > 1 && !all {
				skips = append(skips, Skip{c.ID, SkipEditConflict + fmt.Sprintf("old_string %q occurs %d times in %s", old, n, rel)})
				continue
			}
			if !all {
				earlier[rel] = append(earlier[rel], old)
			}
			if apply {
				if all {
					cur[rel] = strings.ReplaceAll(cur[rel], old, repl)
				} else {
					cur[rel] = strings.Replace(cur[rel], old, repl, 1)
				}
			}
		case "Write":
			if apply {
				content, _ := in["content"].(string)
				cur[rel] = content
			}
		case "NotebookEdit":
			id, _ := in["cell_id"].(string)
			nb, exists := cur[rel]
			if !exists {
				set(rel, notebook("c1", "c2", "c3", "c4"))
				nb = cur[rel]
			}
			if id != "" && !notebookHasCell(nb, id) {
				skips = append(skips, Skip{c.ID, SkipEditConflict + fmt.Sprintf("notebook %s has no cell %q", rel, id)})
			}
		case "Read":
			if _, exists := cur[rel]; !exists && !isProjectSecret(rel) {
				set(rel, "placeholder for "+rel+"\n")
			}
		}
	}
	return initial, skips
}

// PreSteps returns the calls to make before c: a Read of the notebook of a
// NotebookEdit, which the client insists on.
func PreSteps(c fixture.Case) []fakemodel.Step {
	if c.Input.ToolName != "NotebookEdit" {
		return nil
	}
	p, _ := c.Input.ToolInput["notebook_path"].(string)
	return []fakemodel.Step{fakemodel.Read(p)}
}

// projectRel returns the slash path, relative to the project, of the file
// c's file tool names, when it is inside the project.
func projectRel(c fixture.Case) (string, bool) {
	in := c.Input.ToolInput
	var p string
	switch c.Input.ToolName {
	case "Read", "Edit", "Write":
		p, _ = in["file_path"].(string)
	case "NotebookEdit":
		p, _ = in["notebook_path"].(string)
	default:
		return "", false
	}
	if p == "" || strings.HasPrefix(p, "~") || strings.Contains(p, "$") {
		return "", false
	}
	if !path.IsAbs(p) {
		p = path.Join(c.Input.Cwd, p)
	}
	rel, ok := under(path.Clean(p), fixture.DefaultCwd)
	return rel, ok && rel != ""
}

func isProjectSecret(rel string) bool {
	return slices.ContainsFunc(projectSecrets, func(f secretFile) bool { return f.path == rel })
}

// structured reports whether appending a line would break the file.
func structured(rel string) bool {
	return strings.HasSuffix(rel, ".json") || strings.HasSuffix(rel, ".ipynb")
}

func appendLine(content, line string) string {
	if content != "" && !strings.HasSuffix(content, "\n") {
		content += "\n"
	}
	return content + line + "\n"
}

type nbCell struct {
	CellType       string         `json:"cell_type"`
	ID             string         `json:"id"`
	Metadata       map[string]any `json:"metadata"`
	ExecutionCount any            `json:"execution_count"`
	Outputs        []any          `json:"outputs"`
	Source         []string       `json:"source"`
}

// notebook returns an nbformat 4.5 notebook with one code cell per id.
func notebook(ids ...string) string {
	cells := make([]nbCell, len(ids))
	for i, id := range ids {
		cells[i] = nbCell{CellType: "code", ID: id, Metadata: map[string]any{}, Outputs: []any{}, Source: []string{fmt.Sprintf("print(%d)", i+1)}}
	}
	doc := map[string]any{
		"cells":          cells,
		"metadata":       map[string]any{"language_info": map[string]any{"name": "python"}},
		"nbformat":       4,
		"nbformat_minor": 5,
	}
	b, _ := json.MarshalIndent(doc, "", " ") // cannot fail: plain values
	return string(b) + "\n"
}

// nbCellID is the part of a notebook cell notebookHasCell reads.
type nbCellID struct {
	ID string `json:"id"`
}

func notebookHasCell(nb, id string) bool {
	var doc struct {
		Cells []nbCellID `json:"cells"`
	}
	if json.Unmarshal([]byte(nb), &doc) != nil {
		return false
	}
	return slices.ContainsFunc(doc.Cells, func(c nbCellID) bool { return c.ID == id })
}
