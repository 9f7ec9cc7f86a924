package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary documents to Parse. Seeds are the baseline and
// the good and bad fixtures (committed under testdata/fuzz/FuzzParse too).
// Properties: Parse never panics; it returns a Policy or an *Errors with at
// most MaxErrors located errors; a Policy it returns resolves in every tier
// and has warnings computable.
func FuzzParse(f *testing.F) {
	f.Add(baselineYAML)
	for _, dir := range []string{"testdata/good", "testdata/bad"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err != nil {
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want *Errors: %v", err, err)
			}
			if len(errs.List) == 0 || len(errs.List) > MaxErrors {
				t.Fatalf("%d errors listed", len(errs.List))
			}
			for _, e := range errs.List {
				if !strings.HasPrefix(e.Error(), "fuzz.yaml") {
					t.Fatalf("error without file: %q", e.Error())
				}
			}
			_ = errs.Pretty()
			if p != nil {
				t.Fatal("Policy returned with errors")
			}
			return
		}
		for _, tier := range p.TierNames() {
			rs, err := p.Ruleset(tier)
			if err != nil {
				t.Fatalf("valid policy, tier %s does not resolve: %v", tier, err)
			}
			_ = rs.Rules()
		}
		_ = p.Warnings(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		_ = p.TierFor("/home/dev/app", "git@github.com:acme/app.git")
	})
}
