package detect

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/wardenhq/warden/internal/policy"
)

const goodRule = `rules:
  - id: test.rule
    title: T
    severity: low
    match: event.kind == "PreToolUse"
`

// TestParse_Bad pins the error, located at file:line:col, for each kind of
// bad rule file.
func TestParse_Bad(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"Empty", ``, "r.yaml: empty rule file"},
		{"NotYAML", "rules: [\n", "r.yaml:1: invalid YAML"},
		{"UnknownTop", "rule: []\n", `r.yaml:1:1: rule: unknown field "rule" (did you mean "rules"?)`},
		{"MissingFields", "rules:\n  - id: x\n    match: event.kind == \"a\"\n", `r.yaml:2:5: rules[0]: missing required field "title"`},
		{"BadSeverity", strings.Replace(goodRule, "low", "urgent", 1), `r.yaml:4:15: rules[0].severity: unknown severity "urgent"`},
		{"BadID", strings.Replace(goodRule, "test.rule", "Test Rule", 1), `r.yaml:2:9: rules[0].id: invalid rule id "Test Rule"`},
		{"NoKind", "rules:\n  - id: x\n    title: T\n    severity: low\n", "r.yaml:2:5: rules[0]: a rule needs one of match, sequence, threshold, absence or baseline"},
		{"TwoKinds", goodRule + "    threshold: {if: 'true', window: 1m, count: 2}\n", "not match and threshold"},
		{"CELUnknownField", strings.Replace(goodRule, "event.kind", "event.knd", 1), `r.yaml:5:17: rules[0].match: undefined field 'knd'`},
		{"CELNotBool", strings.Replace(goodRule, `event.kind == "PreToolUse"`, `event.kind`, 1), "r.yaml:5:12: rules[0].match: expression must be of type bool, got string"},
		{"CELSyntax", strings.Replace(goodRule, `== "PreToolUse"`, `== `, 1), "r.yaml:5"},
		{"Typo", strings.Replace(goodRule, "title", "titel", 1), `r.yaml:3:5: rules[0].titel: unknown field "titel" (did you mean "title"?)`},
		{"DuplicateID", goodRule + strings.TrimPrefix(goodRule, "rules:\n"), `r.yaml:6:9: rules[1].id: duplicate rule id "test.rule" (first defined at r.yaml:2)`},
		{"UnboundVar", `rules:
  - id: s
    title: T
    severity: low
    sequence:
      within: 1m
      steps:
        - if: event.kind == "a"
        - if: event.path == vars.path
`, "r.yaml:9:15: rules[0].sequence.steps[1].if: vars.path is not bound by an earlier step"},
		{"OneStep", `rules:
  - id: s
    title: T
    severity: low
    sequence:
      within: 1m
      steps:
        - if: event.kind == "a"
`, "a sequence needs at least 2 steps"},
		{"BadDuration", `rules:
  - id: s
    title: T
    severity: low
    threshold: {if: "true", window: 10, count: 3}
`, `rules[0].threshold.window: invalid duration "10"`},
		{"CountOne", `rules:
  - id: s
    title: T
    severity: low
    threshold: {if: "true", window: 1m, count: 1}
`, "a count threshold needs count >= 2"},
		{"BadJoin", `rules:
  - id: s
    title: T
    severity: low
    absence: {trigger: "true", expect: "true", join: [attrs]}
`, `cannot join on "attrs"`},
		{"SuppressNoOwner", goodRule + `    suppress:
      - {when: "true", reason: r, expires: 2027-01-01}
`, `missing required field "owner"`},
		{"SuppressBadDate", goodRule + `    suppress:
      - {when: "true", owner: o, reason: r, expires: "next week"}
`, `invalid date "next week"`},
		{"TestNoWant", goodRule + `    tests:
      - name: t
        events: [{kind: PreToolUse}]
`, `missing required field "want"`},
		{"TestBadSource", goodRule + `    tests:
      - name: t
        events: [{kind: PreToolUse, source: syslog}]
        want: 0
`, `source "syslog": want hook or otlp`},
		{"OTLPWithRepository", goodRule + `    tests:
      - name: t
        events: [{kind: tool_result, source: otlp, repository: r}]
        want: 0
`, "an otlp event carries no repository"},
		{"MissingFixture", goodRule + `    tests:
      - name: t
        fixture: nope.jsonl
        want: 0
`, "read fixture nope.jsonl"},
		{"Alias", "rules: &a\n  - *a\n", "alias"},
		{"BaselineNotGroupedByRule", `rules:
  - id: b
    title: T
    severity: low
    baseline: {window: 24h, period: 168h, factor: 4, min_count: 20}
`, "a baseline rule counts decisions per rule, repository, team"},
		{"GroupByRuleWithoutBaseline", goodRule + "    group_by: rule\n", `group_by "rule" is for baseline rules only`},
		{"BaselinePeriodNotWhole", `rules:
  - id: b
    title: T
    severity: low
    group_by: rule
    baseline: {window: 24h, period: 100h, factor: 4, min_count: 20}
`, "not a multiple of 24h0m0s"},
		{"BaselineFactorOne", `rules:
  - id: b
    title: T
    severity: low
    group_by: rule
    baseline: {window: 24h, period: 168h, factor: 1, min_count: 20}
`, "a baseline factor must be above 1"},
		{"BaselineMinCountZero", `rules:
  - id: b
    title: T
    severity: low
    group_by: rule
    baseline: {window: 24h, period: 168h, factor: 4, min_count: 0}
`, "a baseline min_count must be at least 1"},
		{"BaselineUnknownDecision", `rules:
  - id: b
    title: T
    severity: low
    group_by: rule
    baseline: {decisions: [deny, block], window: 24h, period: 168h, factor: 4, min_count: 20}
`, `unknown decision "block"`},
		{"BaselineQuarantine", `rules:
  - id: b
    title: T
    severity: low
    group_by: rule
    baseline: {window: 24h, period: 168h, factor: 4, min_count: 20}
    response: {quarantine: true}
`, "it can notify, not quarantine or revoke"},
		{"BaselineTooManyWindows", `rules:
  - id: b
    title: T
    severity: low
    group_by: rule
    baseline: {window: 1m, period: 1000m, factor: 4, min_count: 20}
`, "a baseline period holds at most 366 windows"},
		{"BaselineMissingFactor", `rules:
  - id: b
    title: T
    severity: low
    group_by: rule
    baseline: {window: 24h, period: 168h, min_count: 20}
`, `missing required field "factor"`},
		{"TestRepeatTooMany", goodRule + `    tests:
      - name: t
        events: [{kind: PreToolUse, repeat: 5000}]
        want: 0
`, "repeat must be between 1 and 1000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(fstest.MapFS{}, "r.yaml", []byte(tc.in))
			if err == nil {
				t.Fatalf("Parse succeeded, want error containing %q", tc.want)
			}
			var errs *policy.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T %v, want *policy.Errors", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error:\n%s\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestParse_AllErrors checks that every problem of a file is reported, in
// file order, not only the first.
func TestParse_AllErrors(t *testing.T) {
	in := `rules:
  - id: a
    title: T
    severity: urgent
    match: event.nope == 1
  - id: b
    title: T
    severity: low
    colour: red
    match: "true"
`
	_, err := Parse(nil, "r.yaml", []byte(in))
	var errs *policy.Errors
	if !errors.As(err, &errs) || len(errs.List) != 3 {
		t.Fatalf("got %v, want 3 errors", err)
	}
	for i, line := range []int{4, 5, 9} {
		if errs.List[i].Line != line {
			t.Errorf("error %d at line %d, want %d: %v", i, errs.List[i].Line, line, errs.List[i])
		}
	}
	if !strings.Contains(errs.Pretty(), "^") {
		t.Errorf("Pretty has no caret:\n%s", errs.Pretty())
	}
}

// TestParse_Fixture loads a test's session fixture relative to the rule
// file.
func TestParse_Fixture(t *testing.T) {
	fsys := fstest.MapFS{
		"rules/r.yaml": {Data: []byte(goodRule + `    tests:
      - name: from a fixture
        fixture: fixtures/s.jsonl
        want: 1
`)},
		"rules/fixtures/s.jsonl": {Data: []byte(`{"id":"x1","source":"hook","kind":"PreToolUse","time":"2026-01-01T00:00:00Z","session_id":"s","audit":{"schema":"warden.audit.v1","event_id":"x1","time":"2026-01-01T00:00:00Z","hook_event":"PreToolUse","session_id":"s","decision":"allow","duration_us":0}}` + "\n")},
	}
	set, err := LoadFS(fsys, "rules", "rules")
	if err != nil {
		t.Fatal(err)
	}
	res := set.RunTests()
	if len(res) != 1 || !res[0].Pass {
		t.Fatalf("got %+v, want one passing test", res)
	}
}

func TestWarnExpired(t *testing.T) {
	set, err := Parse(nil, "r.yaml", []byte(goodRule+`    suppress:
      - {when: "true", owner: sec@example.com, reason: noisy, expires: 2026-01-31}
`))
	if err != nil {
		t.Fatal(err)
	}
	set.WarnExpired(testBase)
	if len(set.Warnings) != 0 {
		t.Fatalf("warnings before expiry: %v", set.Warnings)
	}
	set.WarnExpired(testBase.AddDate(0, 2, 0))
	if len(set.Warnings) != 1 || !strings.Contains(set.Warnings[0].String(), "expired on 2026-01-31") {
		t.Fatalf("got %v, want one expiry warning", set.Warnings)
	}
}
