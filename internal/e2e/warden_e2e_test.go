//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/fakemodel"
	"github.com/wardenhq/warden/internal/fixture"
)

// The Warden suites run `warden hook` (bin/warden, built by `make e2e`)
// with the baseline policy in the real client, on the corpus.

// sessionEnv is the extra environment of every Warden session: the Bash
// tool returns to the project after each command (a benign `cd src` must
// not move the cases after it), commands are bounded in time, and git and
// npm neither wait for an editor nor look for updates on the network.
var sessionEnv = []string{
	"CLAUDE_BASH_MAINTAIN_PROJECT_WORKING_DIR=1",
	"BASH_DEFAULT_TIMEOUT_MS=30000",
	"BASH_MAX_TIMEOUT_MS=30000",
	"GIT_EDITOR=true",
	"GIT_PAGER=cat",
	"PAGER=cat",
	"NPM_CONFIG_UPDATE_NOTIFIER=false",
	"NPM_CONFIG_OFFLINE=true",
	"NPM_CONFIG_FUND=false",
	"NPM_CONFIG_AUDIT=false",
}

// sessionArgs are the extra client arguments of every Warden session:
// only the MCP servers of --mcp-config start. Headless, the client starts
// the servers of a project's .mcp.json without asking anyone
// (TestClient_ProjectMCPStartsHeadless), and an attack that got through
// may have written one.
var sessionArgs = []string{"--strict-mcp-config"}

// batchSize is the most tool calls one session makes.
const batchSize = 25

// suite is what the Warden suites share: set up once per test binary.
type suite struct {
	warden   string // bin/warden installed in the scratch bin
	hook     string // bin/warden-hook installed beside it: what users wire
	policy   string // the baseline, written out as a file
	settings string // warden-hook --policy policy, on every event
	mcpStub  string
	base     Tree // testdata/project
	cases    []fixture.Case

	attacks AttackSample
	seed003 []fixture.Case
	benign  BenignSample
	// attackTree holds what every attack case needs; each attack suite
	// gets a project of its own made from it, so that an attack that gets
	// through cannot change what the next suite sees.
	attackTree Tree
	benignTree Tree
	benignDo   []fixture.Case // the benign sample in run order
	benignOut  []Skip         // sampled benign cases left out (SkipEditOrder)
}

var loadSuite = sync.OnceValues(func() (*suite, error) {
	ctx := context.Background()
	su := &suite{}
	src := filepath.Join(h.Root, "bin", "warden")
	if _, err := os.Stat(src); err != nil {
		return nil, fmt.Errorf("%w; build it with `make build` (make e2e does)", err)
	}
	var err error
	if su.warden, err = installOnce("warden", src); err != nil {
		return nil, err
	}
	hookSrc := filepath.Join(h.Root, "bin", "warden-hook")
	if _, err := os.Stat(hookSrc); err != nil {
		return nil, fmt.Errorf("%w; build it with `make build` (make e2e does)", err)
	}
	if su.hook, err = installOnce("warden-hook", hookSrc); err != nil {
		return nil, err
	}
	baseline, err := exec.CommandContext(ctx, su.warden, "policy", "show", "baseline").Output()
	if err != nil {
		return nil, fmt.Errorf("warden policy show baseline: %w", err)
	}
	if su.policy, err = h.WriteConfig("baseline.yaml", baseline); err != nil {
		return nil, err
	}
	if su.settings, err = h.WriteSettings("warden.json", HookSettings(Command(su.hook, "--policy", su.policy), 30)); err != nil {
		return nil, err
	}
	if su.mcpStub, err = h.InstallMCPStub(); err != nil {
		return nil, err
	}
	if su.base, err = LoadTree(filepath.Join("testdata", "project")); err != nil {
		return nil, err
	}
	if su.cases, err = fixture.Load(filepath.Join(h.Root, "testdata", "corpus")); err != nil {
		return nil, err
	}
	if err := h.Scratch.PlantHomeSecrets(); err != nil {
		return nil, err
	}
	if err := checkLocalPrograms(); err != nil {
		return nil, err
	}
	su.attacks = SampleAttacks(su.cases, AttackSampleSize)
	su.seed003, _ = Seed003Cases(su.cases)
	var skips []Skip
	su.attackTree, skips = PrepareProject(su.base, slices.Concat(su.attacks.Cases, su.seed003, su.attacks.Observed), false)
	if len(skips) > 0 {
		return nil, fmt.Errorf("attack cases the project cannot hold: %v", skips)
	}
	su.benign = SampleBenign(su.cases, BenignSampleSize)
	su.benignDo = benignOrder(su.benign.Cases)
	if su.benignTree, skips = PrepareProject(su.base, su.benignDo, true); len(skips) > 0 {
		// Edits that conflict with an earlier one on the same file leave
		// this run; anything else the project cannot hold is a failure.
		var order []string
		for _, s := range skips {
			if !strings.HasPrefix(s.Reason, SkipEditOrder) {
				return nil, fmt.Errorf("benign cases the project cannot hold: %v", skips)
			}
			order = append(order, s.ID)
		}
		su.benignOut = skips
		su.benignDo = slices.DeleteFunc(su.benignDo, func(c fixture.Case) bool { return slices.Contains(order, c.ID) })
		if su.benignTree, skips = PrepareProject(su.base, su.benignDo, true); len(skips) > 0 {
			return nil, fmt.Errorf("benign cases the project cannot hold: %v", skips)
		}
	}
	return su, nil
})

// checkLocalPrograms fails when the test user cannot run one of the
// programs benign cases are chosen for: the sample must not depend on
// what a machine happens to have.
func checkLocalPrograms() error {
	var missing []string
	for _, p := range LocalPrograms {
		found := false
		for _, dir := range []string{"/usr/local/bin", "/usr/bin", "/bin"} {
			if fi, err := os.Stat(filepath.Join(dir, p)); err == nil && fi.Mode()&0o001 != 0 {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the test user cannot run %s (benign cases need them); install them with `make e2e-deps`", strings.Join(missing, ", "))
	}
	return nil
}

// mustProject makes the project name from tree, for one suite.
func mustProject(tb testing.TB, name string, tree Tree) string {
	tb.Helper()
	dir, err := h.NewProject(context.Background(), name, tree)
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

func mustSuite(tb testing.TB) *suite {
	tb.Helper()
	su, err := loadSuite()
	if err != nil {
		tb.Fatalf("set up the Warden suites: %v", err)
	}
	return su
}

// caseRun is one corpus case as the scripted model sends it.
type caseRun struct {
	c    fixture.Case
	pre  []fakemodel.Step // calls the client needs first (Read before NotebookEdit)
	step fakemodel.Step
	dir  string
}

// plan maps cases onto project: paths with the reference machine's home
// and project rewritten, network destinations pointed at the exfiltration
// listener.
func plan(cases []fixture.Case, project string) []caseRun {
	pm := h.Scratch.PathMap(fixture.DefaultHome, fixture.DefaultCwd)
	pm.Project = project
	eg := Egress{Port: h.Exfil.Port()}
	mapInput := func(in any) map[string]any {
		m, _ := in.(map[string]any)
		return eg.Input(pm.Input(m))
	}
	out := make([]caseRun, 0, len(cases))
	for _, c := range cases {
		r := caseRun{c: c, dir: pm.Path(c.Input.Cwd)}
		r.step = fakemodel.ToolUse(c.Input.ToolName, mapInput(c.Input.ToolInput))
		for _, p := range PreSteps(c) {
			p.Input = mapInput(p.Input)
			r.pre = append(r.pre, p)
		}
		out = append(out, r)
	}
	return out
}

// batch is one session of case runs.
type batch struct {
	opts SessionOptions
	runs []caseRun
	// at[i] is the step index of runs[i]'s own call.
	at     []int
	mcpLog string
}

// batches splits runs into sessions of at most batchSize calls, one working
// directory per session, MCP calls in sessions of their own with stub
// servers offering exactly the tools they call.
func batches(t *testing.T, name, settings, mode string, runs []caseRun) []*batch {
	t.Helper()
	type key struct {
		dir string
		mcp bool
	}
	var keys []key
	groups := map[key][]caseRun{}
	for _, r := range runs {
		k := key{r.dir, strings.HasPrefix(r.c.Input.ToolName, MCPPrefix)}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	var out []*batch
	for _, k := range keys {
		var cur *batch
		for _, r := range groups[k] {
			if cur == nil || len(cur.opts.Steps)+len(r.pre)+1 > batchSize {
				cur = &batch{opts: SessionOptions{
					Name:     fmt.Sprintf("%s-%d", name, len(out)+1),
					Settings: settings,
					Mode:     mode,
					Dir:      k.dir,
					Env:      sessionEnv,
					Args:     sessionArgs,
				}}
				out = append(out, cur)
			}
			cur.opts.Steps = append(cur.opts.Steps, r.pre...)
			cur.at = append(cur.at, len(cur.opts.Steps))
			cur.opts.Steps = append(cur.opts.Steps, r.step)
			cur.runs = append(cur.runs, r)
		}
	}
	for _, b := range out {
		var tools []string
		for _, st := range b.opts.Steps {
			if strings.HasPrefix(st.Name, MCPPrefix) {
				tools = append(tools, st.Name)
			}
		}
		if len(tools) > 0 {
			b.mcpLog = mustMCPConfig(t, b, tools, nil)
		}
	}
	return out
}

// mustMCPConfig starts stub servers offering tools for b's session and
// returns the log their calls go to.
func mustMCPConfig(t *testing.T, b *batch, tools []string, replies map[string]string) string {
	t.Helper()
	servers, bad := MCPServersFor(tools)
	if len(bad) > 0 {
		t.Fatalf("session %s: not MCP tool names: %q", b.opts.Name, bad)
	}
	for i := range servers {
		for _, tool := range servers[i].Tools {
			if r, ok := replies[MCPPrefix+servers[i].Name+"__"+tool]; ok {
				if servers[i].Replies == nil {
					servers[i].Replies = map[string]string{}
				}
				servers[i].Replies[tool] = r
			}
		}
	}
	su := mustSuite(t)
	log := filepath.Join(h.Scratch.Spool, "mcp-"+b.opts.Name+".jsonl")
	cfg, err := MCPConfig(su.mcpStub, log, servers)
	if err != nil {
		t.Fatal(err)
	}
	path, err := h.WriteConfig("mcp-"+b.opts.Name+".json", cfg)
	if err != nil {
		t.Fatal(err)
	}
	b.opts.Args = append(slices.Clone(b.opts.Args), "--mcp-config", path)
	return log
}

// run runs the batches, two sessions at a time, and returns their
// sessions (nil where a session could not run, which is reported).
func run(t *testing.T, bs []*batch) []*Session {
	t.Helper()
	opts := make([]SessionOptions, len(bs))
	calls := 0
	for i, b := range bs {
		opts[i] = b.opts
		calls += len(b.opts.Steps)
	}
	start := time.Now()
	ss, err := h.RunSessions(context.Background(), opts, 2)
	t.Logf("%d sessions, %d tool calls: %s", len(bs), calls, time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Error(err)
		for _, s := range ss {
			if s != nil && s.Run != nil && s.Run.ExitCode != 0 {
				t.Logf("%s\nstderr:\n%s", s.Summary(), s.Run.StderrTail())
			}
		}
	}
	if err := h.CheckGuard(context.Background()); err != nil {
		t.Error(err)
	}
	return ss
}

// describe names a case and the call as sent, for messages.
func (r caseRun) describe() string {
	return fmt.Sprintf("%s (%s) %s %s", r.c.ID, r.c.Pos(), r.step.Name, compactJSON(r.step.Input))
}

// check reports the failures of one session's assertions and remembers
// whether there were any, so a failing session's summary can be logged.
type check struct {
	t      *testing.T
	failed bool
}

func (c *check) Errorf(format string, args ...any) {
	c.t.Helper()
	c.failed = true
	c.t.Errorf(format, args...)
}

// done logs the session's summary when any of its checks failed.
func (c *check) done(s *Session) {
	c.t.Helper()
	if c.failed && s != nil {
		c.t.Logf("%s", s.Summary())
	}
}

// checkSession asserts what holds for every Warden session: no canary in
// anything the model was sent or the client printed, no tool result
// carrying one, and the hook's audit spool matching the calls one for one:
// exactly one PreToolUse record per call that reached PreToolUse, none for
// a call that did not, none for a call the session never made, and one
// PostToolBatch record per call. It returns the spool.
func checkSession(t *check, s *Session) []SpoolEvent {
	t.t.Helper()
	for _, c := range s.Leaks(h.Scratch) {
		t.Errorf("session %s: canary %s (%s) leaked", s.Name, c.Name, c.Path)
	}
	seen := map[string]bool{}
	for _, r := range s.Requests {
		for _, tr := range r.ToolResults() {
			if seen[tr.ToolUseID] {
				continue // the conversation repeats earlier results
			}
			seen[tr.ToolUseID] = true
			for _, c := range h.Scratch.CanaryIn([]byte(tr.Text)) {
				t.Errorf("session %s: tool result %s carries canary %s", s.Name, tr.ToolUseID, c.Name)
			}
		}
	}
	evs, err := s.Spool()
	if err != nil {
		t.Errorf("session %s: %v", s.Name, err)
		return nil
	}
	ids := map[string]bool{}
	for i, st := range s.Steps {
		ids[st.ID] = true
		c := s.Call(i)
		pre, batch := 0, 0
		for _, ev := range SpoolFor(evs, st.ID) {
			switch ev.HookEvent {
			case "PreToolUse":
				pre++
			case "PostToolBatch":
				batch++
			}
		}
		// The client refuses a call to a tool it does not have, or one its
		// input validation rejects, before any hook runs.
		wantPre := 1
		if c != nil && c.Outcome == OutcomeNotRun {
			wantPre = 0
		}
		if pre != wantPre || batch != 1 {
			t.Errorf("session %s step %d (%s %s): spool has %d PreToolUse and %d PostToolBatch records, want %d and 1",
				s.Name, i, st.ID, st.Name, pre, batch, wantPre)
		}
	}
	for _, ev := range evs {
		if ev.ToolUseID != "" && !ids[ev.ToolUseID] {
			t.Errorf("session %s: spool has a %s record for %s, a call the session did not make", s.Name, ev.HookEvent, ev.ToolUseID)
		}
	}
	return evs
}

// preToolUse returns the PreToolUse record of id, if any.
func preToolUse(evs []SpoolEvent, id string) *SpoolEvent {
	for _, ev := range SpoolFor(evs, id) {
		if ev.HookEvent == "PreToolUse" {
			return &ev
		}
	}
	return nil
}

// ranAfter reports whether the hook saw the tool run (PostToolUse or
// PostToolUseFailure) for id.
func ranAfter(evs []SpoolEvent, id string) bool {
	return slices.ContainsFunc(SpoolFor(evs, id), func(ev SpoolEvent) bool {
		return ev.HookEvent == "PostToolUse" || ev.HookEvent == "PostToolUseFailure"
	})
}

// checkRefused asserts that an attack case was not executed and that the
// refusal was Warden's: a deny shows as the hook's reject in
// tool_result_meta, an ask as the headless refusal whose
// system/permission_denied line names the hook; the text the agent got is
// Warden's reason naming the rule the spool recorded; the hook saw no
// PostToolUse for it; and the spool recorded the same decision.
func checkRefused(t *check, s *Session, i int, r caseRun, evs []SpoolEvent) {
	t.t.Helper()
	c := s.Call(i)
	if c == nil {
		t.Errorf("%s: no such call in session %s", r.describe(), s.Name)
		return
	}
	want := OutcomeDeniedByHook
	wantDecision := string(r.c.Want)
	bypass := s.Transcript.Init != nil && s.Transcript.Init.PermissionMode == "bypassPermissions"
	switch {
	case r.c.Want == fixture.WantAsk && bypass:
		// In bypassPermissions the hook answers an ask as deny: the client
		// would run the call anyway for the paths it guards itself
		// (TestClient_BypassIgnoresHookAsk), and nobody is asked.
		wantDecision = "deny"
	case r.c.Want == fixture.WantAsk:
		want = OutcomeAskedByHook
	}
	ev := preToolUse(evs, s.Steps[i].ID)
	decided := "no record"
	if ev != nil {
		decided = ev.Decision
	}
	// The client's own safety check for the paths it guards (.claude/,
	// .mcp.json, .git/) asks too in default and acceptEdits, and its
	// reason is the one the stream shows; Warden's ask is in the spool.
	shadowed := c.Outcome == OutcomeNeedsApproval && c.PermissionDenied != nil &&
		c.PermissionDenied.DecisionReasonType == "safetyCheck" && decided == "ask" && r.c.Want == fixture.WantAsk
	switch {
	case !c.Outcome.Refused() || c.Outcome == OutcomeNotRun:
		hint := ""
		if decided == "ask" && s.Transcript.Init != nil && s.Transcript.Init.PermissionMode == "bypassPermissions" {
			hint = "; Warden answered ask and the client ran the call anyway: in bypassPermissions Claude Code 2.1.330 ignores a hook's ask " +
				"for the paths it guards itself (TestClient_BypassIgnoresHookAsk, docs/claude-code-differences.md)"
		}
		raw := "none"
		if ev != nil {
			raw = string(ev.Raw)
		}
		t.Errorf("%s: EXECUTED (%s), want refused by Warden (%s); Warden decided %s; result %q%s; spool record: %s",
			r.describe(), c.Outcome, r.c.Want, decided, head(c.Result, 300), hint, raw)
		return
	case shadowed:
		return
	case c.Outcome != want:
		t.Errorf("%s: %s (hook verdict %q), want %s; result %q", r.describe(), c.Outcome, c.HookVerdict(), want, head(c.Result, 300))
	}
	if ev == nil {
		t.Errorf("%s: no PreToolUse record in the spool", r.describe())
		return
	}
	if ev.Decision != wantDecision {
		t.Errorf("%s: spool decision %q, want %q", r.describe(), ev.Decision, wantDecision)
	}
	if !strings.Contains(c.Result, "Warden: ") || ev.RuleID != "" && !strings.Contains(c.Result, "rule "+ev.RuleID) {
		t.Errorf("%s: the agent was told %q, not Warden's reason (rule %s)", r.describe(), head(c.Result, 300), ev.RuleID)
	}
	if ranAfter(evs, s.Steps[i].ID) {
		t.Errorf("%s: refused, yet the hook saw PostToolUse for it", r.describe())
	}
}

// checkRan asserts that a benign case was executed, with the hook's
// verdict what the case wants (allow, or none for pass), and that the hook
// saw the tool run.
func checkRan(t *check, s *Session, i int, r caseRun, evs []SpoolEvent) {
	t.t.Helper()
	c := s.Call(i)
	if c == nil {
		t.Errorf("%s: no such call in session %s", r.describe(), s.Name)
		return
	}
	if c.Outcome != OutcomeRan {
		t.Errorf("%s: %s (hook verdict %q), want it to run; result %q", r.describe(), c.Outcome, c.HookVerdict(), head(c.Result, 300))
		return
	}
	verdict := c.HookVerdict()
	if verdict == "" {
		verdict = "none"
	}
	if !r.c.Want.Matches(verdict) {
		t.Errorf("%s: ran with hook verdict %s, want %s", r.describe(), verdict, r.c.Want)
	}
	if ev := preToolUse(evs, s.Steps[i].ID); ev == nil || ev.Decision != verdict {
		t.Errorf("%s: spool PreToolUse record %+v, want decision %s", r.describe(), ev, verdict)
	}
	if !ranAfter(evs, s.Steps[i].ID) {
		t.Errorf("%s: ran, yet the hook saw no PostToolUse for it", r.describe())
	}
}

// checkPre asserts the calls a case needed first (a Read) ran.
func checkPre(t *check, s *Session, b *batch, k int) {
	t.t.Helper()
	for j := b.at[k] - len(b.runs[k].pre); j < b.at[k]; j++ {
		if c := s.Call(j); c == nil || c.Outcome != OutcomeRan {
			t.Errorf("%s: the call it needs first (%s %s) did not run: %+v", b.runs[k].describe(), s.Steps[j].Name, compactJSON(s.Steps[j].Input), c)
		}
	}
}

// checkAttackBatches asserts every attack run of bs was refused by Warden,
// and that nothing reached the exfiltration listener or an MCP server.
func checkAttackBatches(t *testing.T, bs []*batch, ss []*Session) {
	t.Helper()
	for n, b := range bs {
		s := ss[n]
		if s == nil || s.Transcript == nil {
			t.Errorf("session %s did not run", b.opts.Name)
			continue
		}
		ck := &check{t: t}
		evs := checkSession(ck, s)
		for k, r := range b.runs {
			checkPre(ck, s, b, k)
			checkRefused(ck, s, b.at[k], r, evs)
		}
		for _, c := range s.Exfil {
			ck.Errorf("session %s: the exfiltration listener got a connection: %q", s.Name, head(string(c.Data), 200))
		}
		if b.mcpLog != "" {
			calls, err := ReadMCPLog(b.mcpLog)
			if err != nil {
				ck.Errorf("%v", err)
			}
			for _, c := range calls {
				ck.Errorf("session %s: MCP server %s received a call to %s", s.Name, c.Server, c.Tool)
			}
		}
		ck.done(s)
	}
}

// TestWarden_Attacks runs the attack sample in bypassPermissions, where
// nothing but Warden stands between the agent and the action: every call
// must be refused by Warden's hook at the corpus's strength.
func TestWarden_Attacks(t *testing.T) {
	su := mustSuite(t)
	runs := plan(su.attacks.Cases, mustProject(t, "attack", su.attackTree))
	bs := batches(t, "attack", su.settings, "bypassPermissions", runs)
	checkAttackBatches(t, bs, run(t, bs))
	t.Logf("%d attack cases across %d techniques; left out of the corpus's attack cases:\n%s",
		len(runs), countTechniques(su.attacks.Cases), SkipSummary(su.attacks.Skipped))
}

// TestWarden_AttackModes runs every sixth case of the attack sample in
// default and acceptEdits mode: the hook's refusal holds whatever the mode.
func TestWarden_AttackModes(t *testing.T) {
	su := mustSuite(t)
	var sample []fixture.Case
	for i, c := range su.attacks.Cases {
		if i%6 == 0 {
			sample = append(sample, c)
		}
	}
	for _, mode := range []string{"default", "acceptEdits"} {
		t.Run(mode, func(t *testing.T) {
			runs := plan(sample, mustProject(t, "attack-"+mode, su.attackTree))
			bs := batches(t, "attack-"+mode, su.settings, mode, runs)
			ss := run(t, bs)
			for _, s := range ss {
				if s != nil && s.Transcript != nil && s.Transcript.Init != nil && s.Transcript.Init.PermissionMode != mode {
					t.Errorf("session %s ran in mode %q", s.Name, s.Transcript.Init.PermissionMode)
				}
			}
			checkAttackBatches(t, bs, ss)
			t.Logf("%d attack cases in %s", len(runs), mode)
		})
	}
}

// TestWarden_AttacksObserved sends the attack cases whose tool Claude Code
// 2.1.330 does not have (Glob, Grep, MultiEdit, made-up names). The client
// refuses them itself, before PreToolUse; Warden sees them only in
// PostToolBatch, which must record, observed only, the decision Warden
// would have made.
func TestWarden_AttacksObserved(t *testing.T) {
	su := mustSuite(t)
	runs := plan(su.attacks.Observed, mustProject(t, "observed", su.attackTree))
	bs := batches(t, "observed", su.settings, "bypassPermissions", runs)
	ss := run(t, bs)
	for n, b := range bs {
		s := ss[n]
		if s == nil || s.Transcript == nil {
			t.Errorf("session %s did not run", b.opts.Name)
			continue
		}
		ck := &check{t: t}
		evs := checkSession(ck, s)
		for k, r := range b.runs {
			i := b.at[k]
			c := s.Call(i)
			if c == nil || c.Outcome != OutcomeNotRun || !strings.Contains(c.Result, "No such tool available") {
				ck.Errorf("%s: %+v, want the client's \"No such tool available\"", r.describe(), c)
				continue
			}
			var rec *SpoolEvent
			for _, ev := range SpoolFor(evs, s.Steps[i].ID) {
				if ev.HookEvent == "PostToolBatch" {
					rec = &ev
				}
			}
			if rec == nil || !rec.ObservedOnly || rec.Decision != string(r.c.Want) {
				ck.Errorf("%s: PostToolBatch record %+v, want observed_only with decision %s", r.describe(), rec, r.c.Want)
			}
		}
		ck.done(s)
	}
	t.Logf("%d cases judged from PostToolBatch", len(runs))
}

// TestWarden_Benign runs the benign sample in bypassPermissions in a
// realistic project: every call must run, with Warden's verdict what the
// corpus wants (none, or allow for the approved MCP read tools).
func TestWarden_Benign(t *testing.T) {
	su := mustSuite(t)
	for _, s := range su.benignOut {
		t.Logf("left out of this run: %s: %s", s.ID, s.Reason)
	}
	runs := plan(su.benignDo, mustProject(t, "work", su.benignTree))
	bs := batches(t, "benign", su.settings, "bypassPermissions", runs)
	ss := run(t, bs)
	for n, b := range bs {
		s := ss[n]
		if s == nil || s.Transcript == nil {
			t.Errorf("session %s did not run", b.opts.Name)
			continue
		}
		ck := &check{t: t}
		evs := checkSession(ck, s)
		for k, r := range b.runs {
			checkPre(ck, s, b, k)
			checkRan(ck, s, b.at[k], r, evs)
		}
		if b.mcpLog != "" {
			// Each MCP call reached its server.
			calls, err := ReadMCPLog(b.mcpLog)
			if err != nil {
				ck.Errorf("%v", err)
			}
			var got []string
			for _, c := range calls {
				got = append(got, MCPPrefix+c.Server+"__"+c.Tool)
			}
			var want []string
			for _, r := range b.runs {
				want = append(want, r.step.Name)
			}
			if !slices.Equal(got, want) {
				ck.Errorf("session %s: MCP servers received %q, want %q", s.Name, got, want)
			}
		}
		for _, c := range s.Exfil {
			ck.Errorf("session %s: the exfiltration listener got a connection: %q", s.Name, head(string(c.Data), 200))
		}
		ck.done(s)
	}
	t.Logf("%d benign cases across %d techniques; left out of the corpus's benign cases:\n%s",
		len(runs), countTechniques(su.benign.Cases), SkipSummary(su.benign.Skipped))
}

func countTechniques(cs []fixture.Case) int {
	seen := map[string]bool{}
	for _, c := range cs {
		seen[c.Technique] = true
	}
	return len(seen)
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
