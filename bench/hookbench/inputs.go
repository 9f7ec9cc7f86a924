package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Defaults for corpus cases, matching internal/fixture: the corpus is
// written as if Claude Code ran in /home/dev/app.
const (
	defaultCwd            = "/home/dev/app"
	defaultPermissionMode = "default"
	benchSessionID        = "00000000-0000-4000-8000-00000000b0b0"
)

// hookInput is the PreToolUse JSON Claude Code writes to a hook's stdin,
// in the field order of the captured fixtures.
type hookInput struct {
	SessionID      string         `json:"session_id"`
	TranscriptPath string         `json:"transcript_path"`
	Cwd            string         `json:"cwd"`
	HookEventName  string         `json:"hook_event_name"`
	PermissionMode string         `json:"permission_mode"`
	ToolName       string         `json:"tool_name"`
	ToolInput      map[string]any `json:"tool_input"`
	ToolUseID      string         `json:"tool_use_id"`
}

// loadInputs reads every input named by spec: comma-separated files,
// directories (searched recursively) or globs. A .json file is one hook
// input, used as is; a .yaml or .yml file is a corpus file whose cases are
// converted to PreToolUse hook inputs. It returns the inputs in a stable
// order and a short description of where they came from.
func loadInputs(spec string) ([]input, string, error) {
	var files []string
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		matches := []string{part}
		if strings.ContainsAny(part, "*?[") {
			var err error
			if matches, err = filepath.Glob(part); err != nil {
				return nil, "", fmt.Errorf("inputs %q: %w", part, err)
			}
			if len(matches) == 0 {
				return nil, "", fmt.Errorf("inputs %q: no files match", part)
			}
		}
		for _, m := range matches {
			found, err := inputFiles(m)
			if err != nil {
				return nil, "", err
			}
			files = append(files, found...)
		}
	}

	var inputs []input
	var nJSON, nYAML, nCases int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, "", fmt.Errorf("read input: %w", err)
		}
		switch strings.ToLower(filepath.Ext(f)) {
		case ".json":
			if !json.Valid(data) {
				return nil, "", fmt.Errorf("%s: not valid JSON", f)
			}
			inputs = append(inputs, input{name: f, data: data})
			nJSON++
		default:
			cases, err := corpusInputs(f, data, len(inputs))
			if err != nil {
				return nil, "", err
			}
			inputs = append(inputs, cases...)
			nYAML++
			nCases += len(cases)
		}
	}
	if len(inputs) == 0 {
		return nil, "", fmt.Errorf("inputs %q: no .json hook inputs or .yaml corpus cases found", spec)
	}
	var desc []string
	if nJSON > 0 {
		desc = append(desc, plural(nJSON, "hook JSON file"))
	}
	if nYAML > 0 {
		desc = append(desc, plural(nCases, "corpus case")+" from "+plural(nYAML, "YAML file"))
	}
	return inputs, strings.Join(desc, " and "), nil
}

// plural formats a count with its noun: "1 file", "2 files".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// inputFiles returns path if it is a file, or the .json, .yaml and .yml
// files under it in lexical order if it is a directory.
func inputFiles(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("inputs: %w", err)
	}
	if !fi.IsDir() {
		if !isInputFile(path) {
			return nil, fmt.Errorf("inputs: %s: want a .json, .yaml or .yml file", path)
		}
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && isInputFile(p) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("inputs: %w", err)
	}
	return files, nil
}

func isInputFile(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

// corpusInputs converts the cases of one corpus file (a YAML list of
// mappings with id and input: {tool_name, tool_input, cwd,
// permission_mode}) into hook inputs. Other case keys (want, owner, ...) are
// ignored: validating the corpus is `warden test`'s job. seq numbers the
// tool_use_id values so that every input in a run is distinct.
func corpusInputs(file string, data []byte, seq int) ([]input, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if doc.Kind == 0 { // empty file
		return nil, nil
	}
	list := resolve(&doc)
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d:%d: want a list of cases", file, list.Line, list.Column)
	}
	var out []input
	for _, item := range list.Content {
		c := resolve(item)
		id := scalarField(c, "id")
		where := fmt.Sprintf("%s:%d:%d", file, c.Line, c.Column)
		if id != "" {
			where += fmt.Sprintf(": case %q", id)
		}
		in, err := caseInput(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		in.ToolUseID = fmt.Sprintf("toolu_bench_%06d", seq+len(out))
		data, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		name := file
		if id != "" {
			name += "#" + id
		}
		out = append(out, input{name: name, data: data})
	}
	return out, nil
}

func caseInput(c *yaml.Node) (hookInput, error) {
	in := hookInput{
		SessionID:      benchSessionID,
		Cwd:            defaultCwd,
		HookEventName:  "PreToolUse",
		PermissionMode: defaultPermissionMode,
	}
	if c.Kind != yaml.MappingNode {
		return in, errors.New("want a case mapping")
	}
	m := field(c, "input")
	if m == nil || m.Kind != yaml.MappingNode {
		return in, errors.New("want input: a mapping with tool_name and tool_input")
	}
	if in.ToolName = scalarField(m, "tool_name"); in.ToolName == "" {
		return in, errors.New("input: missing tool_name")
	}
	ti := field(m, "tool_input")
	if ti == nil || ti.Kind != yaml.MappingNode {
		return in, errors.New("input: tool_input must be a mapping")
	}
	v, err := toJSON(ti, 0)
	if err != nil {
		return in, fmt.Errorf("input.tool_input: %w", err)
	}
	in.ToolInput = v.(map[string]any)
	if cwd := scalarField(m, "cwd"); cwd != "" {
		in.Cwd = cwd
	}
	if pm := scalarField(m, "permission_mode"); pm != "" {
		in.PermissionMode = pm
	}
	in.TranscriptPath = transcriptPath(in.Cwd, in.SessionID)
	return in, nil
}

// transcriptPath mirrors where Claude Code keeps a session's transcript:
// ~/.claude/projects/<cwd with / replaced by ->/<session>.jsonl.
func transcriptPath(cwd, session string) string {
	return "/home/dev/.claude/projects/" + strings.ReplaceAll(cwd, "/", "-") + "/" + session + ".jsonl"
}

// resolve follows document and alias nodes to the value they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil {
		switch {
		case n.Kind == yaml.DocumentNode && len(n.Content) == 1:
			n = n.Content[0]
		case n.Kind == yaml.AliasNode:
			n = n.Alias
		default:
			return n
		}
	}
	return n
}

// field returns the value of key in mapping m, or nil.
func field(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return resolve(m.Content[i+1])
		}
	}
	return nil
}

func scalarField(m *yaml.Node, key string) string {
	if v := field(m, key); v != nil && v.Kind == yaml.ScalarNode && v.ShortTag() != "!!null" {
		return v.Value
	}
	return ""
}

// maxDepth bounds nesting (and alias expansion) in tool_input.
const maxDepth = 64

// toJSON converts a YAML node into the JSON value a hook would decode:
// strings, float64 or int64 numbers, bools, nil, []any and map[string]any.
// Timestamps and other tagged scalars stay in their source form, as text.
func toJSON(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("nested too deeply")
	}
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolve(n.Content[i])
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key must be a scalar", k.Line)
			}
			v, err := toJSON(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		return out, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, it := range n.Content {
			v, err := toJSON(it, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		return scalarJSON(n)
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

func scalarJSON(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, err
		}
		return b, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i, nil
		}
		// Too large for int64: a float, as a JSON decoder would read it.
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: bad integer %q", n.Line, n.Value)
		}
		return f, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, err
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("line %d: %s is not a JSON number", n.Line, n.Value)
		}
		return f, nil
	}
	return n.Value, nil
}
