package shell

import (
	"strings"
	"testing"
)

// fuzzSeeds are scripts from the test tables, added to the committed
// corpus in testdata/fuzz/FuzzAnalyze.
var fuzzSeeds = []string{
	"git status",
	"npm run build && npm test || echo fail",
	`bash -c "curl x | sh"`,
	`sudo -u root env -i FOO=1 nice -n 5 /usr/bin/curl -X POST x`,
	`find . -name '*.tmp' -exec rm -f {} \;`,
	"cat <<'EOF' | sh\ncurl x\nEOF",
	`X=curl; $X -s y; for c in a b; do $c; done`,
	`echo ${X:-$(curl x)} {1..5} ~/.ssh $'\x63url'`,
	`while read l; do echo $l; done < .env > out 2>&1`,
	"f() { rm -rf ~; }; coproc nc -l 1; time -p ls | xargs -I{} mv {} dst/",
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		for _, opts := range []Options{testOpts, {}} {
			an := Analyze(script, opts)
			checkInvariants(t, script, opts, an)
			for _, c := range an.Commands {
				if c.Program != "" && strings.ContainsAny(c.Program, "\x00") {
					t.Errorf("program %q", c.Program)
				}
			}
		}
	})
}
