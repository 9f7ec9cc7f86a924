package scan

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestDocs_ChecksTable keeps docs/scan.md's table of checks equal to the
// check table.
func TestDocs_ChecksTable(t *testing.T) {
	b, err := os.ReadFile("../../docs/scan.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	rows := 0
	for _, ln := range strings.Split(doc, "\n") {
		if strings.HasPrefix(ln, "| WS") {
			rows++
		}
	}
	if rows != len(Checks()) {
		t.Errorf("docs/scan.md has %d check rows, the table %d", rows, len(Checks()))
	}
	for _, c := range Checks() {
		row := fmt.Sprintf("| %s | %s | %s | %s | %s |", c.ID, c.Title, c.Severity, c.Category, c.Scope)
		if !strings.Contains(doc, row) {
			t.Errorf("docs/scan.md lacks the row\n%s", row)
		}
	}
}
