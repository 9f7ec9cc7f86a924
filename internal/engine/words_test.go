package engine

import (
	"slices"
	"testing"
)

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"create_issue", []string{"create", "issue"}},
		{"create-issue", []string{"create", "issue"}},
		{"createIssue", []string{"create", "issue"}},
		{"CreateIssue", []string{"create", "issue"}},
		{"mergePullRequest", []string{"merge", "pull", "request"}},
		{"OAuth2Client.ts", []string{"o", "auth", "2", "client", "ts"}},
		{"HTTPServer", []string{"http", "server"}},
		{"getURL", []string{"get", "url"}},
		{"AUTHORS", []string{"authors"}},
		{"AuthN", []string{"auth", "n"}},
		{"user_auth.py", []string{"user", "auth", "py"}},
		{"s3_upload", []string{"s", "3", "upload"}},
		{"__x__", []string{"x"}},
		{"", nil},
		{"über_fetch", []string{"über", "fetch"}},
	}
	for _, tt := range tests {
		if got := words(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("words(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
