package record

import (
	"path"
	"slices"
	"strconv"
	"strings"
)

// evidenceTally counts, while a record is built, what its field notes
// report: calls and paths that rest on telemetry alone or on nothing.
type evidenceTally struct {
	calls     int // tool calls
	unaudited int // tool calls no hook audit event decided or observed

	bash              int // Bash calls
	noCommand         int // Bash calls with no recorded command
	noCommandRan      int // of which ran, or may have
	telemetryCommands int // Bash commands known from telemetry alone
	unanalysed        int // Bash commands nobody analysed
	noCwd             int // analysed without a working directory
	unmodelled        int // Bash commands with programs Warden does not model
	programs          []string

	inspectedTelemetry, changedTelemetry int // calls whose paths rest on telemetry
	inspectedNoPath, changedNoPath       int // file tool calls whose path was never recorded

	testsUnknown, testsTelemetry int
}

// maxNotePrograms bounds the unmodelled programs a note names.
const maxNotePrograms = 5

// bashCall adds a Bash call to the record: its command, what it read and
// wrote (the hook's analysis, else the server's), and a test run when it
// runs tests and ran, or may have.
func (b *builder) bashCall(c *call, mayHaveRun bool, inspected, changed *orderedSet, ev *evidenceTally) {
	rr := &b.rr
	ev.bash++
	if c.command == "" {
		ev.noCommand++
		if mayHaveRun {
			ev.noCommandRan++
		}
		return
	}
	source := SourceHook
	if !c.audited {
		source = "telemetry"
		ev.telemetryCommands++
	}
	if !c.touchedKnown && b.opts.Analyze != nil {
		cwd := firstNonEmpty(c.cwd, rr.Workspace.Cwd)
		t := b.opts.Analyze(c.command, cwd)
		if cwd == "" && (slices.ContainsFunc(t.Reads, relative) || slices.ContainsFunc(t.Writes, relative)) {
			ev.noCwd++
		}
		// Bounded and redacted as the hook's are: the command is
		// agent-written, and kept raw when the server keeps content.
		c.reads, _ = BoundPaths(t.Reads)
		c.writes, _ = BoundPaths(t.Writes)
		c.unmodelled, _ = BoundPaths(t.Unknown)
		c.tests = c.tests || len(t.Tests) > 0
		c.touchedBy = "server"
	}
	if c.touchedBy == "" {
		ev.unanalysed++
	}
	if len(c.unmodelled) > 0 {
		ev.unmodelled++
		for _, p := range c.unmodelled {
			if !slices.Contains(ev.programs, p) {
				ev.programs = append(ev.programs, p)
			}
		}
	}
	reads, writes := b.shownAll(c.reads), b.shownAll(c.writes)
	rr.Commands = append(rr.Commands, CommandRun{Time: c.time, Command: c.command, ToolUseID: c.id,
		Decision: c.warden, RuleID: c.rule, DecisionVerified: verified(c.decision), Outcome: c.outcome(), Reads: reads, Writes: writes,
		Unmodelled: c.unmodelled, Source: source, Conflicts: c.conflicts})
	if !mayHaveRun {
		return
	}
	for _, p := range reads {
		inspected.add(p)
	}
	for _, p := range writes {
		changed.add(p)
	}
	if !c.audited {
		if len(reads) > 0 {
			ev.inspectedTelemetry++
		}
		if len(writes) > 0 {
			ev.changedTelemetry++
		}
	}
	if !c.tests {
		return
	}
	t := TestRun{Time: c.time, Command: c.command, Outcome: TestUnknown, ExitCode: c.exitCode, Evidence: c.resultFrom}
	switch c.result {
	case OutcomeSucceeded:
		t.Outcome = TestPassed
	case OutcomeFailed:
		t.Outcome = TestFailed
	}
	if t.Outcome == TestUnknown {
		ev.testsUnknown++
	}
	if !c.audited {
		ev.testsTelemetry++
	}
	rr.Tests = append(rr.Tests, t)
}

func relative(p string) bool { return !strings.HasPrefix(p, "/") }

// shown is how the record shows a path: relative to the repository root
// when it lies under it ("." for the root itself), else as recorded.
func (b *builder) shown(p string) string {
	root := b.rr.Workspace.Root
	if root == "" || !strings.HasPrefix(p, "/") {
		return p
	}
	root = path.Clean(root)
	if p == root {
		return "."
	}
	if rel, ok := strings.CutPrefix(p, strings.TrimSuffix(root, "/")+"/"); ok && rel != "" {
		return rel
	}
	return p
}

func (b *builder) shownAll(ps []string) []string {
	if len(ps) == 0 {
		return nil
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = b.shown(p)
	}
	return out
}

// fieldNotes says which fields of the record are unverified, partial or
// missing, and why, from what the build counted.
func (b *builder) fieldNotes(ev evidenceTally) []FieldNote {
	rr := &b.rr
	var notes []FieldNote
	note := func(field, status, why string) {
		notes = append(notes, FieldNote{Field: field, Status: status, Why: why})
	}
	n := strconv.Itoa
	noHook := rr.Evidence.HookEvents == 0
	noOTLP := rr.Evidence.OTLPEvents == 0

	if rr.Task.Prompts == 0 {
		note("task", NoteMissing, "no prompt recorded")
	} else if rr.Task.Prompt == "" {
		note("task", NotePartial, "prompt text not logged, only its length (OTEL_LOG_USER_PROMPTS off or content not kept)")
	}
	if noHook && rr.User.ID != "" {
		note("user", NoteUnverified, "the delegating user is Claude Code's user.id from telemetry only: no Warden audit names the local account")
	}
	if noOTLP {
		note("agent", NoteMissing, "no telemetry from Claude Code: client version and models are not recorded")
		note("cost", NoteMissing, "no telemetry from Claude Code: cost and tokens are not recorded")
	}

	for _, field := range []string{"files_inspected", "files_changed"} {
		tele, noPath := ev.inspectedTelemetry, ev.inspectedNoPath
		if field == "files_changed" {
			tele, noPath = ev.changedTelemetry, ev.changedNoPath
		}
		if tele > 0 {
			note(field, NoteUnverified, "from telemetry only for "+n(tele)+" call(s), no Warden audit: paths analysed from the command or input Claude Code reported")
		}
		if ev.noCommandRan > 0 {
			note(field, NoteMissing, n(ev.noCommandRan)+" Bash call(s) that ran without a recorded command: what they read or wrote is unknown (no hook audit, and telemetry without OTEL_LOG_TOOL_DETAILS)")
		}
		if noPath > 0 {
			note(field, NoteMissing, n(noPath)+" file tool call(s) without a recorded path (no hook audit, and telemetry without OTEL_LOG_TOOL_DETAILS)")
		}
		if ev.unanalysed > 0 {
			note(field, NoteMissing, n(ev.unanalysed)+" Bash command(s) not analysed: their paths are not counted")
		}
		if ev.unmodelled > 0 {
			progs := ev.programs
			more := ""
			if len(progs) > maxNotePrograms {
				more = ", …"
				progs = progs[:maxNotePrograms]
			}
			note(field, NotePartial, n(ev.unmodelled)+" Bash command(s) run programs Warden does not model ("+strings.Join(progs, ", ")+more+
				"): their paths are guessed from arguments that look like paths")
		}
		if ev.noCwd > 0 {
			note(field, NotePartial, n(ev.noCwd)+" command(s) analysed without a known working directory: their relative paths are shown as written")
		}
	}

	if ev.telemetryCommands > 0 {
		note("commands", NoteUnverified, n(ev.telemetryCommands)+" command(s) from telemetry only, no Warden audit")
	}
	if ev.noCommand > 0 {
		note("commands", NoteMissing, n(ev.noCommand)+" Bash call(s) without a recorded command")
	}

	if ev.testsUnknown > 0 {
		note("tests", NotePartial, "outcome unknown for "+n(ev.testsUnknown)+" test run(s): no tool_result status and no hook result recorded")
	}
	if ev.testsTelemetry > 0 {
		note("tests", NoteUnverified, n(ev.testsTelemetry)+" test run(s) from telemetry only, no Warden audit")
	}
	if ev.noCommandRan > 0 {
		note("tests", NoteMissing, n(ev.noCommandRan)+" Bash call(s) that ran without a recorded command: any test runs among them are not counted")
	}
	if ev.unanalysed > 0 {
		note("tests", NoteMissing, n(ev.unanalysed)+" Bash command(s) not analysed: test runs among them are not counted")
	}

	switch {
	case noHook:
		note("denials", NoteMissing, "no Warden hook audit: Warden's decisions are not recorded, only Claude Code's own refusals from its telemetry")
	case ev.unaudited > 0:
		note("denials", NotePartial, "no hook audit for "+n(ev.unaudited)+" of "+n(ev.calls)+" tool call(s): Warden's decision on them is not recorded")
	}
	return orEmpty(notes)
}
