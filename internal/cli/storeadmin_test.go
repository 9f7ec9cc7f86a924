package cli

import (
	"strings"
	"testing"
)

// TestStoreAdminEmpty pins what the store-administering list and revoke
// subcommands print on an empty store, through the helpers they share.
func TestStoreAdminEmpty(t *testing.T) {
	tests := []struct {
		kind, header, unknownID string
	}{
		{"token", "ID  NAME  SCOPES  CREATED  REVOKED\n", "tok_nope"},
		{"device", "ID  NAME  KEY  ENROLLED  REVOKED\n", "dev_0b"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			env := map[string]string{"WARDEN_DATA_DIR": t.TempDir()}
			if code, stdout, stderr := runCLI(t, env, "", tt.kind, "list"); code != ExitOK || stdout != tt.header {
				t.Errorf("list: exit %d %q, want the header alone %q; stderr %s", code, stdout, tt.header, stderr)
			}
			if code, stdout, stderr := runCLI(t, env, "", tt.kind, "list", "--json"); code != ExitOK || stdout != "[]\n" {
				t.Errorf("list --json: exit %d %q, want an empty array; stderr %s", code, stdout, stderr)
			}
			code, stdout, stderr := runCLI(t, env, "", tt.kind, "revoke", tt.unknownID)
			want := "no " + tt.kind + ` "` + tt.unknownID + `"; see 'warden ` + tt.kind + ` list'`
			if code != ExitFailure || stdout != "" || !strings.Contains(stderr, want) {
				t.Errorf("revoke unknown: exit %d stdout %q stderr %q, want %q", code, stdout, stderr, want)
			}
		})
	}
}
