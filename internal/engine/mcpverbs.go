package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/policy"
)

// verbKind says what a verb in an MCP tool's name does.
type verbKind uint8

const (
	noVerb verbKind = iota
	readVerb
	writeVerb
)

// mcpVerb is one word of the MCP tool vocabulary.
type mcpVerb struct {
	word string
	kind verbKind
}

// mcpVerbs is the vocabulary that classifies an MCP tool by the words of
// its name (docs/policy.md, "mcp"), sorted by word for binary search: data,
// not code, and nothing built at init. Write verbs change something
// somewhere (download writes to disk, navigate and evaluate drive a
// browser, mark changes state); read verbs only look. Words that are also
// the nouns of read tools (commit, release, label, tag) are left out: a tool
// with no known verb is a write tool anyway.
var mcpVerbs = []mcpVerb{
	{"add", writeVerb},
	{"analyze", readVerb},
	{"append", writeVerb},
	{"apply", writeVerb},
	{"approve", writeVerb},
	{"archive", writeVerb},
	{"assign", writeVerb},
	{"audit", readVerb},
	{"ban", writeVerb},
	{"block", writeVerb},
	{"browse", readVerb},
	{"cancel", writeVerb},
	{"check", readVerb},
	{"clear", writeVerb},
	{"close", writeVerb},
	{"comment", writeVerb},
	{"compare", readVerb},
	{"configure", writeVerb},
	{"count", readVerb},
	{"create", writeVerb},
	{"delete", writeVerb},
	{"deploy", writeVerb},
	{"describe", readVerb},
	{"destroy", writeVerb},
	{"diff", readVerb},
	{"disable", writeVerb},
	{"dismiss", writeVerb},
	{"dispatch", writeVerb},
	{"download", writeVerb},
	{"drop", writeVerb},
	{"duplicate", writeVerb},
	{"edit", writeVerb},
	{"enable", writeVerb},
	{"evaluate", writeVerb},
	{"exec", writeVerb},
	{"execute", writeVerb},
	{"exists", readVerb},
	{"explain", readVerb},
	{"export", writeVerb},
	{"fetch", readVerb},
	{"find", readVerb},
	{"fork", writeVerb},
	{"get", readVerb},
	{"grant", writeVerb},
	{"has", readVerb},
	{"import", writeVerb},
	{"info", readVerb},
	{"insert", writeVerb},
	{"inspect", readVerb},
	{"install", writeVerb},
	{"invite", writeVerb},
	{"invoke", writeVerb},
	{"is", readVerb},
	{"kill", writeVerb},
	{"list", readVerb},
	{"lock", writeVerb},
	{"look", readVerb},
	{"lookup", readVerb},
	{"manage", writeVerb},
	{"mark", writeVerb},
	{"merge", writeVerb},
	{"migrate", writeVerb},
	{"modify", writeVerb},
	{"move", writeVerb},
	{"navigate", writeVerb},
	{"patch", writeVerb},
	{"peek", readVerb},
	{"pin", writeVerb},
	{"post", writeVerb},
	{"preview", readVerb},
	{"publish", writeVerb},
	{"purge", writeVerb},
	{"push", writeVerb},
	{"put", writeVerb},
	{"query", readVerb},
	{"read", readVerb},
	{"rebase", writeVerb},
	{"reboot", writeVerb},
	{"register", writeVerb},
	{"reject", writeVerb},
	{"reload", writeVerb},
	{"remove", writeVerb},
	{"rename", writeVerb},
	{"reopen", writeVerb},
	{"replace", writeVerb},
	{"reply", writeVerb},
	{"request", writeVerb},
	{"rerun", writeVerb},
	{"reset", writeVerb},
	{"restart", writeVerb},
	{"restore", writeVerb},
	{"retrieve", readVerb},
	{"revert", writeVerb},
	{"revoke", writeVerb},
	{"rollback", writeVerb},
	{"run", writeVerb},
	{"save", writeVerb},
	{"scan", readVerb},
	{"schedule", writeVerb},
	{"search", readVerb},
	{"send", writeVerb},
	{"set", writeVerb},
	{"share", writeVerb},
	{"show", readVerb},
	{"shutdown", writeVerb},
	{"sign", writeVerb},
	{"start", writeVerb},
	{"stat", readVerb},
	{"stats", readVerb},
	{"status", readVerb},
	{"stop", writeVerb},
	{"store", writeVerb},
	{"submit", writeVerb},
	{"subscribe", writeVerb},
	{"summarize", readVerb},
	{"suspend", writeVerb},
	{"sync", writeVerb},
	{"terminate", writeVerb},
	{"transfer", writeVerb},
	{"tree", readVerb},
	{"trigger", writeVerb},
	{"truncate", writeVerb},
	{"unarchive", writeVerb},
	{"unassign", writeVerb},
	{"unblock", writeVerb},
	{"uninstall", writeVerb},
	{"unlock", writeVerb},
	{"unpin", writeVerb},
	{"unset", writeVerb},
	{"unsubscribe", writeVerb},
	{"update", writeVerb},
	{"upload", writeVerb},
	{"upsert", writeVerb},
	{"validate", readVerb},
	{"verify", readVerb},
	{"view", readVerb},
	{"whoami", readVerb},
	{"write", writeVerb},
}

// mcpNouns are word pairs that name a thing, not an action, though a word
// of them is a verb: a pull request is not a request, a workflow run does
// not run. Both words are skipped (get_pull_request reads; merge_pull_request
// still merges).
var mcpNouns = [][2]string{
	{"check", "run"},
	{"check", "runs"},
	{"merge", "request"},
	{"merge", "requests"},
	{"pull", "request"},
	{"pull", "requests"},
	{"workflow", "run"},
	{"workflow", "runs"},
}

func verbOf(w string) verbKind {
	if i, ok := slices.BinarySearchFunc(mcpVerbs, w, func(v mcpVerb, w string) int { return strings.Compare(v.word, w) }); ok {
		return mcpVerbs[i].kind
	}
	return noVerb
}

// mcpWriteTool reports whether a tool of srv can write, and why. The
// policy's tools classification wins; then a write word of the policy or a
// write verb anywhere in the name (get_and_delete_item writes); then a
// read verb; a name with neither is a write tool: nothing says it only
// reads. Names are compared by words (eachWord), so address_lookup has no
// "add" and get_settings no "set".
func mcpWriteTool(srv *policy.MCPServer, tool string) (bool, string) {
	if c, ok := srv.Tools[tool]; ok {
		return c == "write", "the policy classifies it as " + c
	}
	ws := words(tool)
	for _, w := range srv.WriteWords {
		if containsRun(ws, words(w)) {
			return true, fmt.Sprintf("its name has the policy's write word %q", w)
		}
	}
	var noun []bool
	for i := 0; i+1 < len(ws); i++ {
		if slices.Contains(mcpNouns, [2]string{ws[i], ws[i+1]}) {
			if noun == nil {
				noun = make([]bool, len(ws))
			}
			noun[i], noun[i+1] = true, true
		}
	}
	read := ""
	for i, w := range ws {
		if noun != nil && noun[i] {
			continue
		}
		switch verbOf(w) {
		case writeVerb:
			return true, fmt.Sprintf("its name has the write verb %q", w)
		case readVerb:
			if read == "" {
				read = w
			}
		}
	}
	if read != "" {
		return false, fmt.Sprintf("its name has the read verb %q and no write verb", read)
	}
	return true, "its name has no verb known to read only"
}

// containsRun reports whether sub occurs in ws as consecutive words.
func containsRun(ws, sub []string) bool {
	if len(sub) == 0 {
		return false
	}
	for i := 0; i+len(sub) <= len(ws); i++ {
		if slices.Equal(ws[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}
