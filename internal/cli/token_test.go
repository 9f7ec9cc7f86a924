package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/sqlite"
)

// run runs the warden command line in-process.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

var reToken = regexp.MustCompile(`^wdn_[A-Za-z0-9_-]{43}$`)

func TestTokenCmd(t *testing.T) {
	t.Setenv("WARDEN_CONFIG", "")
	t.Setenv("WARDEN_DATABASE_URL", "")
	dir := t.TempDir()

	code, out, errs := run(t, "token", "create", "--scope", "ingest", "--scope", "read", "--name", "laptops", "--data-dir", dir)
	if code != ExitOK {
		t.Fatalf("create: exit %d\n%s%s", code, out, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	secret := lines[len(lines)-1]
	if !reToken.MatchString(secret) {
		t.Fatalf("last line %q is not a token:\n%s", secret, out)
	}
	if strings.Count(out, secret) != 1 {
		t.Error("the token is printed more than once")
	}

	st, err := sqlite.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(secret))
	tok, err := st.TokenByHash(context.Background(), hex.EncodeToString(sum[:]))
	if err != nil || tok.Name != "laptops" || !tok.HasScope(record.ScopeIngest) || !tok.HasScope(record.ScopeRead) || tok.HasScope(record.ScopeAdmin) {
		t.Errorf("stored token %+v, %v", tok, err)
	}
	st.Close()
	db, _ := os.ReadFile(filepath.Join(dir, sqlite.FileName))
	wal, _ := os.ReadFile(filepath.Join(dir, sqlite.FileName+"-wal"))
	if bytes.Contains(db, []byte(secret)) || bytes.Contains(wal, []byte(secret)) {
		t.Error("the database holds the secret itself")
	}

	code, out, _ = run(t, "token", "list", "--data-dir", dir)
	if code != ExitOK || !strings.Contains(out, tok.ID) || !strings.Contains(out, "laptops") || !strings.Contains(out, "ingest,read") || strings.Contains(out, secret) {
		t.Errorf("list: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "token", "list", "--json", "--data-dir", dir)
	var listed []record.Token
	if code != ExitOK || json.Unmarshal([]byte(out), &listed) != nil || len(listed) != 1 || listed[0].ID != tok.ID {
		t.Errorf("list --json: exit %d\n%s", code, out)
	}

	if code, out, errs := run(t, "token", "revoke", tok.ID, "--data-dir", dir); code != ExitOK || !strings.Contains(out, "Revoked") {
		t.Errorf("revoke: exit %d\n%s%s", code, out, errs)
	}
	if _, out, _ := run(t, "token", "list", "--data-dir", dir); strings.Contains(out, "  -\n") {
		t.Errorf("revoked token listed as live:\n%s", out)
	}
	if code, _, errs := run(t, "token", "revoke", "tok_nope", "--data-dir", dir); code != ExitFailure || !strings.Contains(errs, "no token") {
		t.Errorf("revoke unknown: exit %d %s", code, errs)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"token", "create", "--data-dir", dir}, "at least one --scope"},
		{[]string{"token", "create", "--scope", "root", "--data-dir", dir}, `unknown scope "root"`},
		{[]string{"token", "create", "--scope", "read", "--data-dir", "relative"}, "data_dir"},
		{[]string{"token", "revoke", "--data-dir", dir}, "accepts 1 arg"},
	} {
		code, _, errs := run(t, tc.args...)
		if code != ExitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d %q, want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}
