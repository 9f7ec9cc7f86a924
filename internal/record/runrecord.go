package record

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SchemaRunRecordV1 is the schema tag of every RunRecord.
const SchemaRunRecordV1 = "warden.run_record.v1"

// RunRecord is the evidence of one Claude Code session, joined from Claude
// Code's telemetry (OTLP events and metrics) and Warden's hook audit
// events: enough for a reviewer to reconstruct what was asked, who asked,
// what the agent touched and ran, what was refused or approved, which
// tests ran and what it cost ("Demand a run record, not a cheerful
// summary"). Lists keep the order things happened in.
//
// It carries what the events carry and nothing more: prompt text only when
// Claude Code logged it (OTEL_LOG_USER_PROMPTS and a server keeping
// content), commands as the hook recorded them (redacted) or as telemetry
// sent them. Gaps says what the evidence cannot show.
type RunRecord struct {
	Schema    string    `json:"schema"`
	SessionID string    `json:"session_id"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	// DurationSeconds is End - Start.
	DurationSeconds float64 `json:"duration_seconds"`

	Task      Task      `json:"task"`
	User      RunUser   `json:"user"`
	Agent     Agent     `json:"agent"`
	Workspace Workspace `json:"workspace"`
	// PermissionModes lists the permission modes the session ran in, in
	// the order first seen.
	PermissionModes []string    `json:"permission_modes"`
	Policies        []PolicyRef `json:"policies"`

	FilesInspected []string     `json:"files_inspected"`
	FilesChanged   []string     `json:"files_changed"`
	Tools          []ToolUse    `json:"tools"`
	MCPServers     []MCPUse     `json:"mcp_servers"`
	Commands       []CommandRun `json:"commands"`
	Denials        []Denial     `json:"denials"`
	Approvals      []Approval   `json:"approvals"`
	Tests          []TestRun    `json:"tests"`
	// Failures lists the calls Warden could not decide normally (bad
	// input, a policy that did not load, a panic, a timeout).
	Failures []Failure `json:"failures"`
	// Conflicts are the disagreements in the evidence: a later event that
	// contradicts an earlier one about the same call, a call Warden denied
	// that telemetry says ran, a late SessionStart claiming another start
	// or user. The record keeps the first event; the other is kept beside
	// it and named here.
	Conflicts []Conflict `json:"conflicts"`
	// FieldNotes say which of the record's fields are unverified, partial
	// or missing, and why: where a field rests on telemetry alone, or on
	// nothing. A field not named is backed by Warden's own audit.
	FieldNotes []FieldNote `json:"field_notes"`

	Cost        Cost          `json:"cost"`
	Counts      SessionCounts `json:"counts"`
	Quarantined bool          `json:"quarantined"`
	// Review is a reviewer's decision on this record, when one was made
	// (set by the server from its store, not derived from events).
	Review   *Review  `json:"review,omitempty"`
	Evidence Evidence `json:"evidence"`
	// Gaps are what this record cannot show, in words.
	Gaps []string `json:"gaps"`
}

// Field note statuses.
const (
	// NoteMissing: the evidence has nothing for the field, or for part
	// of it (calls whose command was never recorded).
	NoteMissing = "missing"
	// NoteUnverified: the field, or part of it, rests on Claude Code's
	// telemetry alone, which Warden's audit does not corroborate.
	NoteUnverified = "unverified"
	// NotePartial: the field is backed by the evidence but incomplete or
	// guessed in part (programs Warden does not model, outcomes unknown).
	NotePartial = "partial"
)

// FieldNote says why one field of a RunRecord is not fully backed by
// Warden's audit.
type FieldNote struct {
	// Field is the record's JSON field: files_inspected, files_changed,
	// commands, tests, denials, task...
	Field  string `json:"field"`
	Status string `json:"status"` // a Note* status
	Why    string `json:"why"`
}

// Task is the session's original request.
type Task struct {
	// Prompt is the first prompt's text, only when Claude Code logged it.
	Prompt string `json:"prompt,omitempty"`
	// PromptLength is the first prompt's length in characters.
	PromptLength int       `json:"prompt_length,omitempty"`
	Time         time.Time `json:"time,omitzero"`
	// Prompts counts the prompts of the session.
	Prompts int `json:"prompts"`
}

// RunUser is the delegating user as the evidence names them.
type RunUser struct {
	// Account is the local account the hook ran as ($USER).
	Account string `json:"account,omitempty"`
	// ID is Claude Code's user.id (a hash), or the store's user of the
	// session when no event carried one.
	ID             string `json:"id,omitempty"`
	Email          string `json:"email,omitempty"`
	AccountUUID    string `json:"account_uuid,omitempty"`
	OrganizationID string `json:"organization_id,omitempty"`
}

// Agent identifies the client and the models it used.
type Agent struct {
	Client        string   `json:"client,omitempty"` // service.name: claude-code
	ClientVersion string   `json:"client_version,omitempty"`
	Models        []string `json:"models"`
	Terminal      string   `json:"terminal,omitempty"`
	OS            string   `json:"os,omitempty"`
	Arch          string   `json:"arch,omitempty"`
}

// Workspace is where the session ran.
type Workspace struct {
	Host       string `json:"host,omitempty"`
	Repository string `json:"repository,omitempty"`
	Branch     string `json:"branch,omitempty"`
	Cwd        string `json:"cwd,omitempty"`
	// Root is the repository's root directory as the hook found it: the
	// record's paths under it are shown relative to it.
	Root string `json:"root,omitempty"`
}

// PolicyRef is a policy, version and tier Warden decided under.
type PolicyRef struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	Tier    string `json:"tier,omitempty"`
}

// ToolUse counts the calls of one tool.
type ToolUse struct {
	Name    string `json:"name"`
	Calls   int    `json:"calls"`
	Refused int    `json:"refused"`
}

// MCPUse is one MCP server the session connected to or called.
type MCPUse struct {
	Name      string   `json:"name"`
	Tools     []string `json:"tools"`
	Calls     int      `json:"calls"`
	Connected bool     `json:"connected"`
}

// Outcomes of a tool call, as far as the evidence tells.
const (
	OutcomeSucceeded = "succeeded" // the tool ran and reported success
	OutcomeFailed    = "failed"    // the tool ran and failed
	OutcomeRefused   = "refused"   // denied by Warden, a rule, a hook or the user
	// OutcomeRan: evidence says the call ran (Claude Code accepted it),
	// but no result was recorded. A call Warden denied that ran anyway is
	// shown so, or with its result, and marked denied-but-ran.
	OutcomeRan     = "ran"
	OutcomeUnknown = "unknown" // no result recorded
)

// Outcomes of a test run.
const (
	TestPassed  = "passed"
	TestFailed  = "failed"
	TestUnknown = "unknown" // it ran, or may have, and no result says how
)

// CommandRun is one Bash command the agent asked to run.
type CommandRun struct {
	Time      time.Time `json:"time"`
	Command   string    `json:"command"`
	ToolUseID string    `json:"tool_use_id,omitempty"`
	// Decision is Warden's (deny, ask, allow, none), empty without hook audit.
	Decision string `json:"decision,omitempty"`
	RuleID   string `json:"rule_id,omitempty"`
	// DecisionVerified is whether the hook event Decision comes from was
	// verified by the server (signed by an enrolled device, chain intact,
	// or a central decision the server made itself).
	DecisionVerified bool   `json:"decision_verified"`
	Outcome          string `json:"outcome"`
	// Reads and Writes are the paths the command reads and writes by
	// Warden's analysis of it (engine.Touches): the hook's, else the
	// server's of the command as recorded.
	Reads  []string `json:"reads,omitempty"`
	Writes []string `json:"writes,omitempty"`
	// Unmodelled are its programs Warden does not model: their paths are
	// guessed.
	Unmodelled []string `json:"unmodelled,omitempty"`
	// Source says where the command is known from: "hook" (Warden's
	// audit) or "telemetry" (Claude Code's alone: unverified).
	Source string `json:"source"`
	// Conflicts marks the call's entries in RunRecord.Conflicts, as
	// "kind:field" (contradiction:decision, denied-but-ran:outcome).
	Conflicts []string `json:"conflicts,omitempty"`
}

// Denial is a sensitive action that was refused.
type Denial struct {
	Time   time.Time `json:"time"`
	Tool   string    `json:"tool"`
	Target string    `json:"target,omitempty"` // command, path, URL or MCP tool
	// By is who refused: "warden" (its policy), "claude-code" (Claude
	// Code's own permission rules) or "hook" (another hook).
	By     string `json:"by"`
	RuleID string `json:"rule_id,omitempty"`
	Reason string `json:"reason,omitempty"`
	Policy string `json:"policy,omitempty"` // name@version
	// ObservedOnly marks a call Warden saw only after the fact
	// (PostToolBatch): what it would have decided.
	ObservedOnly bool `json:"observed_only,omitempty"`
	// Ran marks a denied call that ran anyway (a denied-but-ran
	// conflict): the denial did not hold.
	Ran bool `json:"ran,omitempty"`
	// Conflicts marks the call's entries in RunRecord.Conflicts.
	Conflicts []string `json:"conflicts,omitempty"`
}

// Approval outcomes.
const (
	ApprovalGranted = "granted"
	ApprovalRefused = "refused"
	ApprovalUnknown = "unknown"
)

// Approval is a call that needed a person's approval.
type Approval struct {
	Time   time.Time `json:"time"`
	Tool   string    `json:"tool"`
	Target string    `json:"target,omitempty"`
	// RequestedBy is "warden" (its policy answered ask) or "claude-code"
	// (its permission flow asked: PermissionRequest, or a user decision in
	// telemetry).
	RequestedBy string `json:"requested_by"`
	RuleID      string `json:"rule_id,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Outcome     string `json:"outcome"`
	// Answer is Claude Code's decision source when telemetry has it
	// (user_temporary, user_permanent, user_reject, user_abort, config,
	// hook).
	Answer string `json:"answer,omitempty"`
}

// TestRun is a Bash command that ran, or may have, and runs a test suite
// by Warden's analysis of it (the catalogue's test runners, also when
// wrapped: cd x && go test ./...). A refused one is no test run.
type TestRun struct {
	Time    time.Time `json:"time"`
	Command string    `json:"command"`
	Outcome string    `json:"outcome"` // TestPassed, TestFailed or TestUnknown
	// ExitCode is the command's exit status when the evidence states one
	// (an "Exit code N" error).
	ExitCode *int `json:"exit_code,omitempty"`
	// Evidence names what the outcome rests on: "PostToolUse",
	// "PostToolUseFailure" (Warden's audit), "tool_result" (Claude Code's
	// telemetry), or "" when nothing says.
	Evidence string `json:"evidence,omitempty"`
}

// Failure is a call Warden could not decide normally.
type Failure struct {
	Time    time.Time `json:"time"`
	Event   string    `json:"event"`
	Tool    string    `json:"tool,omitempty"`
	Failure string    `json:"failure"`
	Reason  string    `json:"reason,omitempty"`
}

// Cost is what the session cost. USD is the metric total when Claude Code
// exported metrics, else the sum of its api_request events; both are kept.
type Cost struct {
	USD           float64 `json:"usd"`
	EventsUSD     float64 `json:"events_usd"`
	MetricsUSD    float64 `json:"metrics_usd"`
	APIRequests   int     `json:"api_requests"`
	APIErrors     int     `json:"api_errors"`
	Tokens        Tokens  `json:"tokens"`
	ActiveSeconds float64 `json:"active_seconds"`
	LinesAdded    float64 `json:"lines_added"`
	LinesRemoved  float64 `json:"lines_removed"`
	Commits       float64 `json:"commits"`
	PullRequests  float64 `json:"pull_requests"`
}

// Evidence says what the record was built from.
type Evidence struct {
	OTLPEvents int `json:"otlp_events"`
	HookEvents int `json:"hook_events"`
	// PromptLogging is whether some prompt arrived with its text.
	PromptLogging bool `json:"prompt_logging"`
	// ToolDetails is whether telemetry carried tool parameters
	// (OTEL_LOG_TOOL_DETAILS).
	ToolDetails bool `json:"tool_details"`
	// Decisions counts Warden's hook decision events (PreToolUse,
	// PermissionRequest, PostToolBatch) by verification.
	Decisions DecisionEvidence `json:"decisions"`
}

// DecisionEvidence counts Warden's decision events by whether the server
// verified them (Event.Verification).
type DecisionEvidence struct {
	Verified   int `json:"verified"`
	Unverified int `json:"unverified"`
	// Reasons counts the unverified ones by reason (a
	// Verification.Reason, or "not_checked" for events stored without a
	// verification, by a server from before device enrollment).
	Reasons map[string]int `json:"reasons,omitempty"`
}

// NotChecked is DecisionEvidence's reason for an event stored without a
// verification.
const NotChecked = "not_checked"

// verified reports whether e was verified by the server.
func verified(e *Event) bool { return e != nil && e.Verification != nil && e.Verification.Verified }

// countDecision counts a decision event's verification.
func (d *DecisionEvidence) count(e *Event) {
	if verified(e) {
		d.Verified++
		return
	}
	d.Unverified++
	reason := NotChecked
	if e.Verification != nil && e.Verification.Reason != "" {
		reason = e.Verification.Reason
	}
	if d.Reasons == nil {
		d.Reasons = map[string]int{}
	}
	d.Reasons[reason]++
}

// call is everything known about one tool call, joined by tool_use_id.
type call struct {
	id        string
	time      time.Time
	tool      string
	command   string
	path      string
	url       string
	mcpServer string
	mcpTool   string

	hooked       bool // a hook audit event decided or observed it
	audited      bool // some hook audit event names it
	observedOnly bool
	warden       string
	rule, reason string
	policy       string

	claude       string // tool_decision: accept / reject
	claudeSource string

	permissionRequested bool
	permissionTime      time.Time
	permissionDenied    bool // Warden denied the PermissionRequest
	permissionRule      string
	permissionReason    string

	result       string // OutcomeSucceeded / OutcomeFailed, "" unknown
	resultFrom   string // the kind of the event that gave result
	exitCode     *int
	cwd          string // the call's working directory (hook audit)
	reads        []string
	writes       []string
	unmodelled   []string
	tests        bool
	touchedBy    string // "hook", "server" or "" (not analysed)
	touchedKnown bool   // the kept audit event carried the analysis

	decisions []hookDecision // hook events deciding or observing the call
	decision  *Event         // the one kept
	timeFrom  *Event         // the decision event that dated the call, if one did
	ran       []ranEvidence  // events saying the call ran
	conflicts []string       // "kind:field" of the call's conflicts
}

// refused reports a call that was refused and did not run: a call some
// event says ran is not refused, whatever was decided (a deny that did
// not hold is a denied-but-ran conflict).
func (c *call) refused() bool {
	if len(c.ran) > 0 {
		return false
	}
	return c.warden == DecisionDeny && !c.observedOnly || c.claude == "reject" || c.permissionDenied
}

func (c *call) outcome() string {
	switch {
	case c.refused():
		return OutcomeRefused
	case c.result != "":
		return c.result
	case len(c.ran) > 0:
		return OutcomeRan
	}
	return OutcomeUnknown
}

// target is what the call acts on, for one-line summaries.
func (c *call) target() string {
	switch {
	case c.command != "":
		return c.command
	case c.path != "":
		return c.path
	case c.url != "":
		return c.url
	case c.mcpServer != "":
		return c.mcpServer + "/" + c.mcpTool
	}
	return ""
}

// builder accumulates a RunRecord from events.
type builder struct {
	rr       RunRecord
	calls    []*call
	byID     map[string]*call
	prompts  []*promptInfo
	promptBy map[string]*promptInfo
	modes    []string
	policies []PolicyRef
	models   []string
	mcp      map[string]*MCPUse
	mcpOrder []string
	tokens   Tokens

	// pending are permission requests not tied to a call yet: telemetry
	// reports the PermissionRequest hook before the call's tool_decision.
	pending []pendingPermission
	// hookPermissions: the hook audit has PermissionRequest events, so
	// telemetry's PermissionRequest hook executions would count them twice.
	hookPermissions bool

	// rank is each event's arrival rank (by index into the events).
	rank []int64
	// late marks SessionStart events that arrived after the session's
	// first event: they move neither its start nor its user.
	late []bool
	// accountEvent is the event that named the session's account.
	accountEvent *Event

	opts BuildOptions
}

// CommandAnalysis is what a Bash command reads, writes and runs:
// engine.Touched, which converts to it, so that this package needs no
// engine.
type CommandAnalysis struct {
	Reads, Writes []string
	// Unknown are the programs not modelled ("(dynamic)" for a computed
	// one).
	Unknown []string
	// Tests are the simple commands that run a test suite.
	Tests []string
}

// BuildOptions are BuildRunRecordWith's dependencies.
type BuildOptions struct {
	// Analyze analyses a Bash command run in cwd ("" when unknown) with
	// Warden's engine (engine.Touches); a server passes it so that calls
	// known from telemetry alone, or audited by a hook that did not
	// analyse them, get the same analysis. Nil leaves them unanalysed,
	// and the record says so.
	Analyze func(command, cwd string) CommandAnalysis
}

// pendingPermission is a permission request waiting for its call; audit is
// nil when it comes from telemetry.
type pendingPermission struct {
	tool  string
	time  time.Time
	audit *AuditEventV1
}

// BuildRunRecord joins a session's summary and its events (as
// store.SessionEvents returns them: ordered by time) into its run record.
// It is pure: the same input gives the same record.
func BuildRunRecord(summary SessionSummary, events []Event) RunRecord {
	return BuildRunRecordWith(summary, events, BuildOptions{})
}

// BuildRunRecordWith is BuildRunRecord with Bash commands the hook's audit
// did not analyse analysed by opts.Analyze.
func BuildRunRecordWith(summary SessionSummary, events []Event, opts BuildOptions) RunRecord {
	b := &builder{
		byID:     map[string]*call{},
		promptBy: map[string]*promptInfo{},
		mcp:      map[string]*MCPUse{},
		opts:     opts,
	}
	b.rr = RunRecord{
		Schema:      SchemaRunRecordV1,
		SessionID:   summary.SessionID,
		Start:       summary.FirstTime,
		End:         summary.LastTime,
		Counts:      summary.Counts,
		Quarantined: summary.Quarantined,
		Workspace:   Workspace{Host: summary.Host, Repository: summary.Repository, Branch: summary.Branch},
	}
	b.arrival(events)
	for i := range events {
		if a := events[i].Audit; events[i].Source == SourceHook && a != nil && a.HookEvent == "PermissionRequest" {
			b.hookPermissions = true
		}
	}
	for i := range events {
		e := &events[i]
		if b.rr.SessionID == "" {
			b.rr.SessionID = e.SessionID
		}
		if !e.Time.IsZero() && !b.late[i] {
			if b.rr.Start.IsZero() || e.Time.Before(b.rr.Start) {
				b.rr.Start = e.Time
			}
			if e.Time.After(b.rr.End) {
				b.rr.End = e.Time
			}
		}
		switch {
		case e.Source == SourceHook && e.Audit != nil:
			b.rr.Evidence.HookEvents++
			switch e.Audit.HookEvent {
			case "PreToolUse", "PermissionRequest", "PostToolBatch":
				b.rr.Evidence.Decisions.count(e)
			}
			b.hookEvent(e, e.Audit, b.rank[i])
		case e.Source == SourceOTLP:
			b.rr.Evidence.OTLPEvents++
			b.otlpEvent(e)
		}
	}
	b.lateStarts(events)
	if b.rr.User.ID == "" && summary.UserID != b.rr.User.Account {
		b.rr.User.ID = summary.UserID
	}
	b.finish(summary)
	return b.rr
}

// callFor returns the call with this tool_use_id, creating it.
func (b *builder) callFor(id string, at time.Time) *call {
	if id != "" {
		if c, ok := b.byID[id]; ok {
			return c
		}
	}
	c := &call{id: id, time: at}
	if id != "" {
		b.byID[id] = c
	}
	b.calls = append(b.calls, c)
	return c
}

func (b *builder) hookEvent(e *Event, a *AuditEventV1, rank int64) {
	b.mode(a.PermissionMode)
	if a.Policy != "" {
		ref := PolicyRef{Name: a.Policy, Version: a.PolicyVersion, Tier: a.Tier}
		if !slices.Contains(b.policies, ref) {
			b.policies = append(b.policies, ref)
		}
	}
	at := a.Time
	if at.IsZero() {
		at = e.Time
	}
	if a.Failure != "" {
		b.rr.Failures = append(b.rr.Failures, Failure{Time: at, Event: a.HookEvent, Tool: a.Tool, Failure: a.Failure, Reason: a.Reason})
	}
	label := policyRefLabel(a.Policy, a.PolicyVersion)

	switch a.HookEvent {
	case "PreToolUse", "PostToolBatch":
		created := a.ToolUseID == "" || b.byID[a.ToolUseID] == nil
		c := b.callFor(a.ToolUseID, at)
		if created {
			c.timeFrom = e
		}
		b.hookTarget(c, a)
		// finish keeps one of them (resolveDecision) and marks the
		// others that contradict it.
		c.decisions = append(c.decisions, hookDecision{e: e, a: a, rank: rank})
		b.attachPending(c)
	case "PermissionRequest":
		b.requestPermission(pendingPermission{tool: a.Tool, time: at, audit: a})
	case "PostToolUse":
		c := b.callFor(a.ToolUseID, at)
		b.hookTarget(c, a)
		c.setResult(OutcomeSucceeded, a.HookEvent, "", nil)
		c.ran = append(c.ran, ranEvidence{e, OutcomeSucceeded})
	case "PostToolUseFailure":
		c := b.callFor(a.ToolUseID, at)
		b.hookTarget(c, a)
		c.setResult(OutcomeFailed, a.HookEvent, a.Error, nil)
		c.ran = append(c.ran, ranEvidence{e, OutcomeFailed})
	case "UserPromptSubmit":
		b.prompt(a.PromptID, at, "", a.PromptLength)
	case "ConfigChange":
		if a.Decision == DecisionDeny {
			b.rr.Denials = append(b.rr.Denials, Denial{Time: at, Tool: "ConfigChange", Target: firstNonEmpty(a.FilePath, a.Source),
				By: "warden", RuleID: a.RuleID, Reason: a.Reason, Policy: label})
		}
	}
}

// requestPermission ties a permission request to its call. A request
// carries no tool_use_id: its call is the latest of the same tool that has
// no result, decision or request yet; when there is none (telemetry sends
// the request first) it waits for the next call of that tool.
func (b *builder) requestPermission(p pendingPermission) {
	for i := len(b.calls) - 1; i >= 0; i-- {
		c := b.calls[i]
		if c.tool == p.tool && c.result == "" && !c.permissionRequested && c.claude == "" {
			b.applyPermission(c, p)
			return
		}
	}
	b.pending = append(b.pending, p)
}

// attachPending gives c the first waiting request for its tool.
func (b *builder) attachPending(c *call) {
	if c.permissionRequested || c.tool == "" {
		return
	}
	for i, p := range b.pending {
		if p.tool == c.tool {
			b.applyPermission(c, p)
			b.pending = slices.Delete(b.pending, i, i+1)
			return
		}
	}
}

func (b *builder) applyPermission(c *call, p pendingPermission) {
	c.permissionRequested, c.permissionTime = true, p.time
	if c.tool == "" {
		c.tool = p.tool
	}
	if a := p.audit; a != nil {
		b.hookTarget(c, a)
		if a.Decision == DecisionDeny {
			c.permissionDenied, c.permissionRule, c.permissionReason = true, a.RuleID, a.Reason
			c.policy = policyRefLabel(a.Policy, a.PolicyVersion)
		}
	}
}

func (b *builder) hookTarget(c *call, a *AuditEventV1) {
	if a.Tool != "" && (c.tool == "" || c.tool == "mcp_tool") {
		c.tool = a.Tool
	}
	setFirst(&c.command, a.Command)
	setFirst(&c.path, a.Path)
	setFirst(&c.url, a.URL)
	setFirst(&c.mcpServer, a.MCPServer)
	setFirst(&c.mcpTool, a.MCPTool)
	c.audited = true
	setFirst(&c.cwd, a.Cwd)
	if !c.touchedKnown && touchedIn(a) {
		c.setTouched(a)
	}
}

// touchedIn reports an audit event that carries the hook's analysis of
// its command.
func touchedIn(a *AuditEventV1) bool {
	return len(a.Reads) > 0 || len(a.Writes) > 0 || len(a.Unmodelled) > 0 || a.Tests
}

func (c *call) setTouched(a *AuditEventV1) {
	c.reads, c.writes, c.unmodelled, c.tests = a.Reads, a.Writes, a.Unmodelled, a.Tests
	c.touchedBy, c.touchedKnown = "hook", true
}

// setResult records what a call's result event says, with the exit status
// given or stated in errText; a later result event does not replace an
// earlier one's outcome, but may add the exit status it lacked.
func (c *call) setResult(outcome, from, errText string, exit *int) {
	if exit == nil {
		exit = exitCodeIn(errText)
	}
	if c.result == "" {
		c.result, c.resultFrom = outcome, from
	}
	if c.exitCode == nil && exit != nil && (c.resultFrom == from || outcome == c.result) {
		c.exitCode = exit
	}
}

// exitCodeIn reads the exit status of an error that states one, as
// Claude Code's Bash tool words a failed command ("Exit code 2", and
// "exit status 2" as Go and others print it).
func exitCodeIn(s string) *int {
	for _, prefix := range []string{"exit code ", "exit status "} {
		i := strings.Index(strings.ToLower(s), prefix)
		if i < 0 {
			continue
		}
		rest := s[i+len(prefix):]
		j := 0
		for j < len(rest) && j < 4 && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j == 0 {
			continue
		}
		n, err := strconv.Atoi(rest[:j])
		if err == nil {
			return &n
		}
	}
	return nil
}

func (b *builder) otlpEvent(e *Event) {
	attrs := e.Attrs
	if v := str(e.Resource, "service.version"); v != "" {
		setFirst(&b.rr.Agent.ClientVersion, v)
	}
	setFirst(&b.rr.Agent.Client, str(e.Resource, "service.name"))
	setFirst(&b.rr.Agent.OS, str(e.Resource, "os.type"))
	setFirst(&b.rr.Agent.Arch, str(e.Resource, "host.arch"))
	setFirst(&b.rr.Agent.Terminal, str(attrs, "terminal.type"))
	setFirst(&b.rr.User.ID, e.UserID)
	setFirst(&b.rr.User.Email, str(attrs, "user.email"))
	setFirst(&b.rr.User.AccountUUID, str(attrs, "user.account_uuid"))
	setFirst(&b.rr.User.OrganizationID, str(attrs, "organization.id"))
	if _, ok := attrs["tool_parameters"]; ok {
		b.rr.Evidence.ToolDetails = true
	}
	if _, ok := attrs["full_command"]; ok {
		b.rr.Evidence.ToolDetails = true
	}

	switch e.Kind {
	case "user_prompt":
		text := firstNonEmpty(str(attrs, "prompt"), str(attrs, "prompt_text"))
		if text == "<REDACTED>" {
			text = ""
		}
		var length *int
		if n, ok := num(attrs["prompt_length"]); ok {
			l := int(n)
			length = &l
		}
		b.prompt(e.PromptID, e.Time, text, length)
	case "api_request":
		b.rr.Cost.APIRequests++
		if m := str(attrs, "model"); m != "" && !slices.Contains(b.models, m) {
			b.models = append(b.models, m)
		}
		if v, ok := num(attrs["cost_usd"]); ok {
			b.rr.Cost.EventsUSD = AddFinite(b.rr.Cost.EventsUSD, v)
		}
		for key, dst := range map[string]*float64{
			"input_tokens": &b.tokens.Input, "output_tokens": &b.tokens.Output,
			"cache_read_tokens": &b.tokens.CacheRead, "cache_creation_tokens": &b.tokens.CacheCreation,
		} {
			if v, ok := num(attrs[key]); ok {
				*dst = AddFinite(*dst, v)
			}
		}
	case "api_error":
		b.rr.Cost.APIErrors++
	case "tool_decision", "tool_result":
		c := b.callFor(str(attrs, "tool_use_id"), e.Time)
		if e.Tool != "" && c.tool == "" {
			c.tool = e.Tool
		}
		if server := str(attrs, "mcp_server_name"); server != "" {
			setFirst(&c.mcpServer, server)
			setFirst(&c.mcpTool, str(attrs, "mcp_tool_name"))
			if c.tool == "" || c.tool == "mcp_tool" {
				c.tool = "mcp__" + server + "__" + c.mcpTool
			}
		}
		setFirst(&c.command, str(attrs, "full_command"))
		b.toolInput(c, str(attrs, "tool_input"))
		b.attachPending(c)
		if e.Kind == "tool_decision" {
			b.mode(str(attrs, "permission_mode"))
			c.claude = e.Decision
			c.claudeSource = firstNonEmpty(str(attrs, "decision_source"), str(attrs, "source"))
			if e.Decision == "accept" {
				c.ran = append(c.ran, ranEvidence{e, "accept"})
			}
		} else {
			ran := "ran"
			var exit *int
			for _, k := range []string{"exit_code", "exit_status"} {
				if n, ok := num(attrs[k]); ok && n == float64(int(n)) {
					v := int(n)
					exit = &v
					break
				}
			}
			errText := str(attrs, "error")
			ok, known := boolean(attrs["success"])
			switch {
			case known && ok && (exit == nil || *exit == 0):
				c.setResult(OutcomeSucceeded, e.Kind, "", exit)
				ran = OutcomeSucceeded
			case known || errText != "" || exit != nil && *exit != 0:
				c.setResult(OutcomeFailed, e.Kind, errText, exit)
				ran = OutcomeFailed
			}
			c.ran = append(c.ran, ranEvidence{e, ran})
		}
	case "hook_execution_start":
		if !b.hookPermissions && str(attrs, "hook_event") == "PermissionRequest" {
			_, tool, _ := strings.Cut(str(attrs, "hook_name"), ":")
			b.requestPermission(pendingPermission{tool: tool, time: e.Time})
		}
	case "mcp_server_connection":
		if name := str(attrs, "server_name"); name != "" {
			m := b.mcpServer(name)
			if str(attrs, "status") == "connected" {
				m.Connected = true
			}
		}
	case "permission_mode_change":
		for _, k := range []string{"permission_mode", "new_mode", "to", "mode"} {
			if m := str(attrs, k); m != "" {
				b.mode(m)
				break
			}
		}
	}
}

// toolInput reads the paths and command of a tool_input JSON string
// (telemetry with OTEL_LOG_TOOL_DETAILS and content kept).
func (b *builder) toolInput(c *call, s string) {
	if s == "" {
		return
	}
	var in map[string]any
	if json.Unmarshal([]byte(s), &in) != nil {
		return
	}
	setFirst(&c.path, firstNonEmpty(str(in, "file_path"), str(in, "notebook_path")))
	setFirst(&c.command, str(in, "command"))
	setFirst(&c.url, str(in, "url"))
	if c.path == "" && (c.tool == "Grep" || c.tool == "Glob") {
		c.path = str(in, "path")
	}
}

// promptInfo is one prompt, joined by prompt id from the hook's
// UserPromptSubmit and telemetry's user_prompt.
type promptInfo struct {
	time   time.Time
	text   string
	length int
}

func (b *builder) prompt(id string, at time.Time, text string, length *int) {
	p := b.promptBy[id]
	if p == nil || id == "" {
		p = &promptInfo{time: at}
		b.prompts = append(b.prompts, p)
		if id != "" {
			b.promptBy[id] = p
		}
	}
	if at.Before(p.time) {
		p.time = at
	}
	if text != "" {
		p.text = text
		b.rr.Evidence.PromptLogging = true
	}
	if length != nil && *length > 0 {
		p.length = *length
	} else if p.length == 0 && text != "" {
		p.length = len([]rune(text))
	}
}

func (b *builder) mode(m string) {
	if m != "" && !slices.Contains(b.modes, m) {
		b.modes = append(b.modes, m)
	}
}

func (b *builder) mcpServer(name string) *MCPUse {
	m, ok := b.mcp[name]
	if !ok {
		m = &MCPUse{Name: name, Tools: []string{}}
		b.mcp[name] = m
		b.mcpOrder = append(b.mcpOrder, name)
	}
	return m
}

func (b *builder) finish(summary SessionSummary) {
	rr := &b.rr
	for _, c := range b.calls {
		b.resolveDecision(c)
		b.crossCheck(c)
	}
	for _, p := range b.pending {
		b.applyPermission(b.callFor("", p.time), p)
	}
	if !rr.Start.IsZero() && rr.End.After(rr.Start) {
		rr.DurationSeconds = rr.End.Sub(rr.Start).Seconds()
	}
	rr.Task.Prompts = len(b.prompts)
	if len(b.prompts) > 0 {
		p := slices.MinFunc(b.prompts, func(x, y *promptInfo) int { return x.time.Compare(y.time) })
		rr.Task.Prompt, rr.Task.PromptLength, rr.Task.Time = p.text, p.length, p.time
	}
	rr.PermissionModes = orEmpty(b.modes)
	rr.Policies = orEmpty(b.policies)
	rr.Agent.Models = orEmpty(b.models)

	r := summary.Rollup
	rr.Cost.MetricsUSD = r.CostUSD
	rr.Cost.USD = rr.Cost.EventsUSD
	if r.CostUSD > 0 {
		rr.Cost.USD = r.CostUSD
	}
	rr.Cost.Tokens = b.tokens
	if r.Tokens != (Tokens{}) {
		rr.Cost.Tokens = r.Tokens
	}
	rr.Cost.ActiveSeconds = r.ActiveSeconds
	rr.Cost.LinesAdded, rr.Cost.LinesRemoved = r.LinesAdded, r.LinesRemoved
	rr.Cost.Commits, rr.Cost.PullRequests = r.Commits, r.PullRequests

	tools := map[string]*ToolUse{}
	var toolOrder []string
	inspected, changed := newOrderedSet(), newOrderedSet()
	observed := 0
	var ev evidenceTally
	for _, c := range b.calls {
		if c.tool == "" {
			continue
		}
		ev.calls++
		if !c.hooked {
			ev.unaudited++
		}
		if c.observedOnly && c.claude == "" && c.result == "" {
			observed++
		}
		t, ok := tools[c.tool]
		if !ok {
			t = &ToolUse{Name: c.tool}
			tools[c.tool] = t
			toolOrder = append(toolOrder, c.tool)
		}
		t.Calls++
		if c.refused() {
			t.Refused++
		}
		if c.mcpServer != "" {
			m := b.mcpServer(c.mcpServer)
			m.Calls++
			if c.mcpTool != "" && !slices.Contains(m.Tools, c.mcpTool) {
				m.Tools = append(m.Tools, c.mcpTool)
			}
		}
		// A file counts when the call ran, or may have: not refused, and
		// decided before it ran (a call seen only after the fact with no
		// result never reached its tool). A file tool that failed changed
		// nothing; a Bash command that failed may have written before it
		// did.
		mayHaveRun := !c.refused() && (len(c.ran) > 0 || !c.observedOnly)
		ran := mayHaveRun && (c.result == OutcomeSucceeded || c.result == "")
		if ran {
			switch c.tool {
			case "Read", "NotebookRead", "Grep", "Glob", "LS":
				b.fileTool(c, inspected, &ev.inspectedTelemetry, &ev.inspectedNoPath)
			case "Write", "Edit", "MultiEdit", "NotebookEdit":
				b.fileTool(c, changed, &ev.changedTelemetry, &ev.changedNoPath)
			}
		}
		if c.tool == "Bash" {
			b.bashCall(c, mayHaveRun, inspected, changed, &ev)
		}
		b.denials(c)
		b.approvals(c)
	}
	for _, name := range toolOrder {
		rr.Tools = append(rr.Tools, *tools[name])
	}
	for _, name := range b.mcpOrder {
		rr.MCPServers = append(rr.MCPServers, *b.mcp[name])
	}
	rr.FilesInspected, rr.FilesChanged = inspected.list, changed.list
	slices.SortStableFunc(rr.Denials, func(a, b Denial) int { return a.Time.Compare(b.Time) })

	rr.Tools = orEmpty(rr.Tools)
	rr.MCPServers = orEmpty(rr.MCPServers)
	rr.Commands = orEmpty(rr.Commands)
	rr.Denials = orEmpty(rr.Denials)
	rr.Approvals = orEmpty(rr.Approvals)
	rr.Tests = orEmpty(rr.Tests)
	rr.Failures = orEmpty(rr.Failures)
	slices.SortStableFunc(rr.Conflicts, func(a, b Conflict) int { return a.Second.Time.Compare(b.Second.Time) })
	rr.Conflicts = orEmpty(rr.Conflicts)
	rr.Gaps = b.gaps(observed)
	rr.FieldNotes = b.fieldNotes(ev)
}

// fileTool adds the path of a file tool's call to set, counting in
// telemetry a path known from telemetry alone and in noPath a call whose
// path is not known.
func (b *builder) fileTool(c *call, set *orderedSet, telemetry, noPath *int) {
	if c.path == "" {
		*noPath++
		return
	}
	set.add(b.shown(c.path))
	if !c.audited {
		*telemetry++
	}
}

func (b *builder) denials(c *call) {
	add := func(d Denial) {
		d.Tool, d.Target, d.Conflicts = c.tool, c.target(), c.conflicts
		b.rr.Denials = append(b.rr.Denials, d)
	}
	ran := len(c.ran) > 0
	switch {
	case c.warden == DecisionDeny:
		add(Denial{Time: c.time, By: "warden", RuleID: c.rule, Reason: c.reason, Policy: c.policy, ObservedOnly: c.observedOnly,
			Ran: ran && !c.observedOnly})
	case c.permissionDenied:
		add(Denial{Time: c.permissionTime, By: "warden", RuleID: c.permissionRule, Reason: c.permissionReason, Policy: c.policy, Ran: ran})
	case c.claude == "reject" && c.claudeSource == "config":
		add(Denial{Time: c.time, By: "claude-code", Reason: "refused by Claude Code's permission settings"})
	case c.claude == "reject" && c.claudeSource == "hook":
		add(Denial{Time: c.time, By: "hook", Reason: "refused by a hook"})
	}
}

func (b *builder) approvals(c *call) {
	userAnswer := strings.HasPrefix(c.claudeSource, "user")
	outcome := ApprovalUnknown
	switch {
	case c.claude == "reject" || c.permissionDenied:
		outcome = ApprovalRefused
	case c.claude == "accept" || c.result != "":
		outcome = ApprovalGranted
	}
	answer := ""
	if c.claude != "" {
		answer = c.claudeSource
	}
	switch {
	case c.warden == DecisionAsk && !c.observedOnly:
		b.rr.Approvals = append(b.rr.Approvals, Approval{Time: c.time, Tool: c.tool, Target: c.target(),
			RequestedBy: "warden", RuleID: c.rule, Reason: c.reason, Outcome: outcome, Answer: answer})
	case c.permissionRequested:
		a := Approval{Time: c.permissionTime, Tool: c.tool, Target: c.target(), RequestedBy: "claude-code",
			Outcome: outcome, Answer: answer}
		if c.permissionDenied {
			a.RuleID, a.Reason = c.permissionRule, c.permissionReason
		}
		b.rr.Approvals = append(b.rr.Approvals, a)
	case userAnswer:
		b.rr.Approvals = append(b.rr.Approvals, Approval{Time: c.time, Tool: c.tool, Target: c.target(),
			RequestedBy: "claude-code", Outcome: outcome, Answer: answer})
	}
}

// reasonList shows reason counts as "reason n, reason n", sorted.
func reasonList(m map[string]int) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + strconv.Itoa(m[k])
	}
	return strings.Join(parts, ", ")
}

func (b *builder) gaps(observed int) []string {
	rr := &b.rr
	var gaps []string
	if rr.Evidence.OTLPEvents == 0 {
		gaps = append(gaps, "no telemetry from Claude Code: models, cost, and its own permission decisions are not recorded")
	}
	if rr.Evidence.HookEvents == 0 {
		gaps = append(gaps, "no Warden hook audit: Warden's decisions are not recorded, and commands and paths only where telemetry carries tool details")
	}
	if rr.Task.Prompts == 0 {
		gaps = append(gaps, "no prompt recorded")
	} else if rr.Task.Prompt == "" {
		gaps = append(gaps, "prompt text not logged (only its length); enable OTEL_LOG_USER_PROMPTS where policy allows")
	}
	if observed > 0 {
		gaps = append(gaps, strconv.Itoa(observed)+" tool call(s) were seen only after the fact (PostToolBatch), never decided before they ran")
	}
	failed := 0
	for _, t := range rr.Tests {
		if t.Outcome == OutcomeFailed {
			failed++
		}
	}
	switch {
	case len(rr.FilesChanged) > 0 && len(rr.Tests) == 0:
		gaps = append(gaps, "files changed but no test run recorded")
	case failed > 0:
		gaps = append(gaps, strconv.Itoa(failed)+" test run(s) failed")
	}
	if len(rr.Conflicts) > 0 {
		gaps = append(gaps, strconv.Itoa(len(rr.Conflicts))+" conflict(s) in the evidence: events that contradict earlier ones, or the two streams disagree; the first event is kept")
	}
	if len(rr.Failures) > 0 {
		gaps = append(gaps, strconv.Itoa(len(rr.Failures))+" hook call(s) where Warden could not decide normally")
	}
	if d := rr.Evidence.Decisions; d.Unverified > 0 {
		gaps = append(gaps, strconv.Itoa(d.Unverified)+" of "+strconv.Itoa(d.Verified+d.Unverified)+
			" Warden decision event(s) unverified ("+reasonList(d.Reasons)+"): not signed by an enrolled device, or its signature or chain did not check")
	}
	unknown := 0
	for _, a := range rr.Approvals {
		if a.Outcome == ApprovalUnknown {
			unknown++
		}
	}
	if unknown > 0 {
		gaps = append(gaps, strconv.Itoa(unknown)+" approval request(s) without a recorded answer")
	}
	return orEmpty(gaps)
}

type orderedSet struct {
	seen map[string]bool
	list []string
}

func newOrderedSet() *orderedSet { return &orderedSet{seen: map[string]bool{}, list: []string{}} }

func (s *orderedSet) add(v string) {
	if !s.seen[v] {
		s.seen[v] = true
		s.list = append(s.list, v)
	}
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func setFirst(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func policyRefLabel(name, version string) string {
	if name == "" || version == "" {
		return name
	}
	return name + "@" + version
}

// str reads a string attribute.
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// num reads a numeric attribute whatever its decoded type: numbers from
// the decoder (int64, float64), from stored JSON (float64), or strings.
func num(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

// boolean reads a boolean attribute, also when sent as a string.
func boolean(v any) (value, known bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		b, err := strconv.ParseBool(v)
		return b, err == nil
	}
	return false, false
}
