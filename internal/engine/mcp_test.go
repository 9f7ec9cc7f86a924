package engine

import (
	"slices"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
)

// TestMCPVerbs_Sorted: the vocabulary is searched by halves.
func TestMCPVerbs_Sorted(t *testing.T) {
	for i := 1; i < len(mcpVerbs); i++ {
		if mcpVerbs[i-1].word >= mcpVerbs[i].word {
			t.Errorf("mcpVerbs: %q before %q: keep the table sorted and unique", mcpVerbs[i-1].word, mcpVerbs[i].word)
		}
	}
	for _, v := range mcpVerbs {
		if v.word != foldCase(v.word) || len(words(v.word)) != 1 {
			t.Errorf("mcpVerbs: %q is not one lower-case word", v.word)
		}
	}
	// The verbs docs/policy.md promises.
	for _, w := range []string{"add", "assign", "approve", "archive", "cancel", "close", "comment", "create",
		"delete", "dispatch", "edit", "fork", "merge", "move", "post", "publish", "push", "remove", "rename",
		"reopen", "request", "rerun", "run", "send", "set", "submit", "transfer", "trigger", "update",
		"upload", "write", "download"} {
		if verbOf(w) != writeVerb {
			t.Errorf("%q is not a write verb", w)
		}
	}
	for _, w := range []string{"get", "list", "search", "read", "fetch", "query", "describe", "view", "show",
		"find", "lookup", "count", "check", "status", "diff", "inspect", "explain"} {
		if verbOf(w) != readVerb {
			t.Errorf("%q is not a read verb", w)
		}
	}
}

// TestMCPWriteTool classifies tool names by their words, in every casing.
func TestMCPWriteTool(t *testing.T) {
	srv := &policy.MCPServer{Name: "x"}
	var writes, reads []string
	for _, verb := range []string{"add", "assign", "approve", "archive", "cancel", "close", "comment", "create",
		"delete", "dispatch", "edit", "fork", "merge", "move", "post", "publish", "push", "remove", "rename",
		"reopen", "request", "rerun", "run", "send", "set", "submit", "transfer", "trigger", "update",
		"upload", "write", "download"} {
		title := strings.ToUpper(verb[:1]) + verb[1:]
		writes = append(writes, verb+"_item", verb+"-item", verb+"Item", title+"Item", "item_"+verb)
	}
	for _, verb := range []string{"get", "list", "search", "read", "fetch", "query", "describe", "view", "show",
		"find", "lookup", "count", "check", "inspect", "explain"} {
		title := strings.ToUpper(verb[:1]) + verb[1:]
		reads = append(reads, verb+"_item", verb+"-item", verb+"Item", title+"Item")
	}
	writes = append(writes,
		"createIssue", "mergePullRequest", "create_or_update_file", "get_and_delete_item", "search_replace",
		"mark_all_notifications_read", "issue_create", "github_create_issue", "browser_navigate",
		"merge_merge_request", "cancel_workflow_run", "rerun_failed_jobs", "git_commit", "frobnicate",
		"directory", "star_repository", "AddressBookUpdate")
	reads = append(reads,
		"address_lookup", "get_settings", "settings_get", "get_pull_request", "get_pull_request_status",
		"list_merge_requests", "get_merge_request", "get_workflow_run", "list_workflow_runs", "directory_tree",
		"get_file_info", "list_allowed_directories", "read_multiple_files", "git_status", "git_diff",
		"search_code", "get_me", "getURL", "fetch-page", "GetCheckRun")
	for _, tool := range writes {
		if w, why := mcpWriteTool(srv, tool); !w {
			t.Errorf("%s: read (%s), want write", tool, why)
		}
	}
	for _, tool := range reads {
		if w, why := mcpWriteTool(srv, tool); w {
			t.Errorf("%s: write (%s), want read", tool, why)
		}
	}
}

// TestMCPWriteTool_Policy: the policy's tools and write_words keep working
// on top of the vocabulary.
func TestMCPWriteTool_Policy(t *testing.T) {
	srv := &policy.MCPServer{Name: "jira", WriteWords: []string{"transition", "bulkChange"},
		Tools: map[string]string{"get_and_lock": "read", "list_things": "write"}}
	tests := []struct {
		tool string
		want bool
	}{
		{"get_and_lock", false},        // tools wins over the verb
		{"list_things", true},          // and over a read verb
		{"get_transition", true},       // a write word of the policy
		{"get_transitions", false},     // compared by word
		{"get_bulk_change_job", true},  // a run of words
		{"bulk_get_change_job", false}, // not consecutive
		{"create_issue", true},         // the vocabulary still applies
	}
	for _, tt := range tests {
		if got, why := mcpWriteTool(srv, tt.tool); got != tt.want {
			t.Errorf("%s: write = %v (%s), want %v", tt.tool, got, why, tt.want)
		}
	}
}

// TestEngine_MCP decides MCP calls under the baseline: write verbs ask in
// any casing, read verbs are allowed, a name with neither asks, and a read
// tool's secret path is denied like a Read.
func TestEngine_MCP(t *testing.T) {
	e := mustBaseline(t, NoFS{})
	mcp := func(tool string, input map[string]any) Action {
		return Action{Tool: "mcp__" + tool, Input: input}
	}
	tests := []pathCase{
		{"SnakeWrite", mcp("github__add_issue_comment", nil), policy.Ask},
		{"CamelWrite", mcp("github__createIssue", nil), policy.Ask},
		{"KebabWrite", mcp("github__merge-pull-request", nil), policy.Ask},
		{"PascalWrite", mcp("github__RerunWorkflow", nil), policy.Ask},
		{"WriteWinsOverRead", mcp("github__get_and_delete_item", nil), policy.Ask},
		{"EditFile", mcp("filesystem__edit_file", map[string]any{"path": "src/a.go"}), policy.Ask},
		{"MoveFile", mcp("filesystem__move_file", map[string]any{"source": "a", "destination": "b"}), policy.Ask},
		{"Download", mcp("github__download_workflow_run_artifact", nil), policy.Ask},
		{"NeitherVerb", mcp("github__star_repository", nil), policy.Ask},
		{"NeitherVerbCamel", mcp("filesystem__frobnicate", nil), policy.Ask},
		{"ReadSnake", mcp("github__get_pull_request", nil), policy.Allow},
		{"ReadCamel", mcp("github__listIssues", nil), policy.Allow},
		{"ReadKebab", mcp("github__search-code", nil), policy.Allow},
		{"ReadNotAdd", mcp("github__address_lookup", nil), policy.Allow},
		{"ReadNotSet", mcp("github__get_settings", nil), policy.Allow},
		{"DirectoryTree", mcp("filesystem__directory_tree", map[string]any{"path": "."}), policy.Allow},
		{"ReadToolSecret", mcp("filesystem__read_text_file", map[string]any{"path": ".env"}), policy.Deny},
		{"ReadToolSecretCase", mcp("filesystem__read_file", map[string]any{"path": ".ENV.local"}), policy.Deny},
		{"ReadToolSecretList", mcp("filesystem__read_multiple_files", map[string]any{"paths": []any{"README.md", "~/.ssh/id_rsa"}}), policy.Deny},
		{"ReadToolSecretURI", mcp("filesystem__get_file_info", map[string]any{"uri": "file:///home/dev/.aws/credentials"}), policy.Deny},
		{"ReadToolSecretProc", mcp("filesystem__read_text_file", map[string]any{"path": "/proc/self/root/home/dev/.netrc"}), policy.Deny},
		{"ReadToolOrdinary", mcp("filesystem__read_text_file", map[string]any{"path": "README.md"}), policy.Allow},
		{"WriteToolControlPlane", mcp("filesystem__write_file", map[string]any{"path": ".github/workflows/ci.yml"}), policy.Ask},
		{"UnknownServer", mcp("slack__list_channels", nil), policy.Deny},
	}
	runPathCases(t, e, tests)

	t.Run("ReasonNamesTheVerb", func(t *testing.T) {
		d := e.Decide(Action{Tool: "mcp__github__createIssue", Cwd: "/home/dev/app", Home: "/home/dev"})
		if !strings.Contains(d.Reason, `"create"`) {
			t.Errorf("reason %q does not name the verb", d.Reason)
		}
		d = e.Decide(Action{Tool: "mcp__filesystem__read_text_file", Input: map[string]any{"path": ".env"}, Cwd: "/home/dev/app", Home: "/home/dev"})
		if d.RuleID != "paths.secrets" {
			t.Errorf("rule %s (%s), want paths.secrets", d.RuleID, d.Reason)
		}
	})
	if !slices.IsSortedFunc(mcpNouns, func(a, b [2]string) int { return strings.Compare(a[0]+" "+a[1], b[0]+" "+b[1]) }) {
		t.Error("mcpNouns is not sorted")
	}
}
