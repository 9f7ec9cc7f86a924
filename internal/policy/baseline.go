package policy

import (
	_ "embed"
	"sync"
)

// BaselineFile is the File of the embedded baseline policy.
const BaselineFile = "builtin:baseline"

//go:embed baseline.yaml
var baselineYAML []byte

var baseline struct {
	once sync.Once
	p    *Policy
}

// Baseline returns Warden's built-in policy (baseline.yaml), built on first
// use and shared: treat it as read-only.
//
// It does not parse YAML: baseline_gen.go holds the same Policy as Go
// values, generated from baseline.yaml by TestBaseline_Generated, which
// also proves the file valid and the two identical. That keeps the baseline
// off the YAML parser in the hook's hot path (see BenchmarkBaseline). The
// generated Policy carries no source positions; parse BaselineYAML for
// messages that point into the file.
func Baseline() *Policy {
	baseline.once.Do(func() { baseline.p = baselinePolicy() })
	return baseline.p
}

// BaselineYAML returns the baseline policy file as written, comments
// included: the starting point `warden policy show baseline` prints.
func BaselineYAML() []byte { return append([]byte(nil), baselineYAML...) }
