package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestParseQuickstart_Page checks the page the quickstart test runs: it
// parses, it has the steps the issue names (install, compile or install a
// tier, a denial seen in explain, in the audit and in the console, a team
// server on PostgreSQL with enrollment and per-repository tiers, delivery
// by file, MDM profile and registry, CI), and each marker the e2e test
// handles.
func TestParseQuickstart_Page(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "quickstart.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := ParseQuickstart(md)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	var markers []string
	kinds := map[string]int{}
	for _, b := range blocks {
		kinds[b.Kind]++
		all.WriteString(b.Script)
		if b.Kind == QSMarker {
			markers = append(markers, b.Marker)
			if !slices.Contains(quickstartMarkers, b.Marker) {
				t.Errorf("line %d: marker %q is not one the test handles (%v)", b.Line, b.Marker, quickstartMarkers)
			}
		}
		if b.Kind == QSEnv {
			for _, v := range b.Vars {
				if _, ok := quickstartEnv[v]; !ok {
					t.Errorf("line %d: the env block sets %s, which the test has no value for", b.Line, v)
				}
			}
		}
	}
	// The Go version the page asks for is the one go.mod requires.
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if m == nil || !strings.Contains(string(md), "You need Go "+string(m[1])+" or later") {
		t.Errorf("docs/quickstart.md does not ask for go.mod's Go version (%s)", m)
	}
	if !slices.Equal(markers, quickstartMarkers) {
		t.Errorf("markers %v, want %v in that order", markers, quickstartMarkers)
	}
	if kinds[QSRoot] < 2 || kinds[QSBackground] != 2 || kinds[QSEnv] != 1 {
		t.Errorf("block kinds %v: want root blocks (install, uninstall), two servers and one env block", kinds)
	}
	for _, want := range []string{
		"go install github.com/wardenhq/warden/cmd/warden@latest",
		"warden explain --bash", "warden install --tier", "warden enroll", "warden sessions list --denials",
		"warden uninstall", "warden serve --addr", "repositories:", "warden policy check",
		"--format macos", "--format windows", "--tier ci", "warden ci-env",
	} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("the page runs no %q", want)
		}
	}
}

func TestParseQuickstart_Bad(t *testing.T) {
	for name, md := range map[string]string{
		"mixed sudo":  "```sh\nsudo warden install\nwarden health\n```\n",
		"env command": "```sh env\nexport A=1\nwarden health\n```\n",
		"unknown":     "```sh later\nwarden health\n```\n",
		"unclosed":    "```sh\nwarden health\n",
		"empty":       "```sh\n# nothing\n```\n",
	} {
		if _, err := ParseQuickstart([]byte(md)); err == nil {
			t.Errorf("%s: parsed, want an error", name)
		}
	}
	blocks, err := ParseQuickstart([]byte("## S\n```yaml\nsudo: x\n```\n```sh\nsudo warden install --tier ci   # prints: created\n```\n<!-- quickstart: console -->\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 || blocks[0].Kind != QSRoot || blocks[0].Script != "warden install --tier ci   # prints: created\n" ||
		!slices.Equal(blocks[0].Prints, []string{"created"}) || blocks[0].Section != "S" || blocks[1].Marker != "console" {
		t.Errorf("blocks = %+v", blocks)
	}
}
