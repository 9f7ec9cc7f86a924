package record

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Markdown renders the run record for a reviewer, in the order of the
// minimum run record a security review asks for: task, delegating user,
// agent identity and permissions, files inspected and changed, tools and
// MCP servers, commands, denials, approvals, tests, time and cost, and
// the gaps in the evidence. Text from events is escaped, never
// interpreted as Markdown.
func (rr RunRecord) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# Run record: session %s\n\n", code(rr.SessionID))
	p("- Time: %s to %s (%s)\n", mdTime(rr.Start), mdTime(rr.End), mdDuration(rr.DurationSeconds))
	if rr.Quarantined {
		p("- **Quarantined**: further tool calls of this session are denied\n")
	}
	if r := rr.Review; r != nil {
		p("\n## Reviewer decision\n\n")
		list(&b, [][2]string{
			{"Decision", r.Decision}, {"Reviewer", r.Reviewer}, {"Time", mdTime(r.Time)},
		}, "")
		if r.Comment != "" {
			p("\n%s\n", quote(r.Comment))
		}
	}
	p("\n## Original task\n\n")
	switch {
	case rr.Task.Prompts == 0:
		p("No prompt recorded.\n")
	case rr.Task.Prompt != "":
		p("%s\n", quote(rr.Task.Prompt))
	default:
		p("Prompt text not logged; the first prompt had %d characters.\n", rr.Task.PromptLength)
	}
	if rr.Task.Prompts > 1 {
		p("\n%d prompts in the session.\n", rr.Task.Prompts)
	}

	p("\n## Delegating user\n\n")
	u := rr.User
	list(&b, [][2]string{
		{"Account", u.Account}, {"User ID", u.ID}, {"Email", u.Email},
		{"Account UUID", u.AccountUUID}, {"Organization", u.OrganizationID},
		{"Host", rr.Workspace.Host}, {"Repository", rr.Workspace.Repository},
		{"Branch", rr.Workspace.Branch}, {"Working directory", rr.Workspace.Cwd},
	}, "Not recorded.")

	p("\n## Agent identity and permissions\n\n")
	client := rr.Agent.Client
	if rr.Agent.ClientVersion != "" {
		client = strings.TrimSpace(client + " " + rr.Agent.ClientVersion)
	}
	var policies []string
	for _, ref := range rr.Policies {
		s := policyRefLabel(ref.Name, ref.Version)
		if ref.Tier != "" {
			s += " (tier " + ref.Tier + ")"
		}
		policies = append(policies, s)
	}
	list(&b, [][2]string{
		{"Client", client}, {"Models", strings.Join(rr.Agent.Models, ", ")},
		{"Terminal", rr.Agent.Terminal}, {"OS", strings.TrimSpace(rr.Agent.OS + " " + rr.Agent.Arch)},
		{"Permission modes", strings.Join(rr.PermissionModes, ", ")},
		{"Warden policy", strings.Join(policies, "; ")},
	}, "Not recorded.")

	p("\n## Files inspected\n\n")
	paths(&b, rr.FilesInspected)
	fieldNotesFor(&b, rr.FieldNotes, "files_inspected")
	p("\n## Files changed\n\n")
	paths(&b, rr.FilesChanged)
	fieldNotesFor(&b, rr.FieldNotes, "files_changed")

	p("\n## Tools and MCP servers used\n\n")
	var rows [][]string
	for _, t := range rr.Tools {
		rows = append(rows, []string{code(t.Name), strconv.Itoa(t.Calls), strconv.Itoa(t.Refused)})
	}
	table(&b, "| Tool | Calls | Refused |\n| --- | ---: | ---: |", rows, "None recorded.")
	if len(rr.MCPServers) > 0 {
		rows = rows[:0]
		for _, m := range rr.MCPServers {
			tools := make([]string, len(m.Tools))
			for i, t := range m.Tools {
				tools[i] = code(t)
			}
			rows = append(rows, []string{code(m.Name), yesNo(m.Connected), strconv.Itoa(m.Calls), strings.Join(tools, ", ")})
		}
		table(&b, "\n| MCP server | Connected | Calls | Tools |\n| --- | --- | ---: | --- |", rows, "")
	}

	p("\n## Commands run\n\n")
	rows = rows[:0]
	for _, c := range rr.Commands {
		rows = append(rows, []string{mdClock(c.Time), code(c.Command), cell(withRule(c.Decision, c.RuleID)),
			c.Outcome + conflictMark(c.Conflicts), codes(c.Reads), codes(c.Writes), cell(c.Source)})
	}
	table(&b, "| Time | Command | Warden | Outcome | Reads | Writes | Source |\n| --- | --- | --- | --- | --- | --- | --- |", rows, "None recorded.")
	fieldNotesFor(&b, rr.FieldNotes, "commands")

	p("\n## Sensitive actions denied\n\n")
	rows = rows[:0]
	for _, d := range rr.Denials {
		by := d.By
		if d.ObservedOnly {
			by += " (observed only)"
		}
		if d.Policy != "" {
			by += ", " + d.Policy
		}
		if d.Ran {
			by += "; ran anyway"
		}
		rows = append(rows, []string{mdClock(d.Time), code(d.Tool), code(d.Target), cell(by) + conflictMark(d.Conflicts), code(d.RuleID), cell(d.Reason)})
	}
	table(&b, "| Time | Tool | Target | By | Rule | Reason |\n| --- | --- | --- | --- | --- | --- |", rows, "None.")
	fieldNotesFor(&b, rr.FieldNotes, "denials")

	p("\n## Approvals requested and granted\n\n")
	rows = rows[:0]
	for _, a := range rr.Approvals {
		rows = append(rows, []string{mdClock(a.Time), code(a.Tool), code(a.Target),
			cell(withRule(a.RequestedBy, a.RuleID)), a.Outcome, cell(a.Answer), cell(a.Reason)})
	}
	table(&b, "| Time | Tool | Target | Requested by | Outcome | Answer | Reason |\n| --- | --- | --- | --- | --- | --- | --- |", rows, "None.")

	p("\n## Tests run\n\n")
	rows = rows[:0]
	for _, t := range rr.Tests {
		exit := ""
		if t.ExitCode != nil {
			exit = strconv.Itoa(*t.ExitCode)
		}
		rows = append(rows, []string{mdClock(t.Time), code(t.Command), t.Outcome, exit, cell(t.Evidence)})
	}
	table(&b, "| Time | Command | Outcome | Exit | From |\n| --- | --- | --- | --- | --- |", rows, "None recorded.")
	fieldNotesFor(&b, rr.FieldNotes, "tests")

	if len(rr.Failures) > 0 {
		rows = rows[:0]
		for _, f := range rr.Failures {
			rows = append(rows, []string{mdClock(f.Time), cell(f.Event), code(f.Tool), cell(f.Failure), cell(f.Reason)})
		}
		table(&b, "\n## Warden failures\n\n| Time | Event | Tool | Failure | Reason |\n| --- | --- | --- | --- | --- |", rows, "")
	}

	if len(rr.Conflicts) > 0 {
		rows = rows[:0]
		for _, k := range rr.Conflicts {
			call := code(k.ToolUseID)
			if k.Tool != "" {
				call = strings.TrimSpace(code(k.Tool) + " " + call)
			}
			rows = append(rows, []string{mdClock(k.Second.Time), cell(k.Kind), call, cell(k.Field),
				evidenceCell(k.First), evidenceCell(k.Second)})
		}
		table(&b, "\n## Conflicts in the evidence\n\nEvents that disagree with earlier ones, or telemetry that disagrees with Warden's audit. "+
			"The record keeps the first; both stay stored.\n\n"+
			"| Time | Kind | Call | Field | Kept | Disagreeing |\n| --- | --- | --- | --- | --- | --- |", rows, "")
	}

	p("\n## Time and cost\n\n")
	c := rr.Cost
	p("- Duration: %s\n", mdDuration(rr.DurationSeconds))
	p("- Cost: $%s (%d API requests, %d errors)\n", strconv.FormatFloat(c.USD, 'f', 4, 64), c.APIRequests, c.APIErrors)
	p("- Tokens: %s input, %s output, %s cache read, %s cache creation\n",
		count(c.Tokens.Input), count(c.Tokens.Output), count(c.Tokens.CacheRead), count(c.Tokens.CacheCreation))
	if c.ActiveSeconds > 0 || c.LinesAdded > 0 || c.LinesRemoved > 0 || c.Commits > 0 || c.PullRequests > 0 {
		p("- Active time %s; lines +%s/-%s; %s commits; %s pull requests\n", mdDuration(c.ActiveSeconds),
			count(c.LinesAdded), count(c.LinesRemoved), count(c.Commits), count(c.PullRequests))
	}

	p("\n## Evidence and gaps\n\n")
	p("- Built from %d telemetry events and %d Warden hook events", rr.Evidence.OTLPEvents, rr.Evidence.HookEvents)
	var notes []string
	if rr.Evidence.PromptLogging {
		notes = append(notes, "prompt logging on")
	}
	if rr.Evidence.ToolDetails {
		notes = append(notes, "tool details on")
	}
	if len(notes) > 0 {
		p(" (%s)", strings.Join(notes, ", "))
	}
	p(".\n")
	if d := rr.Evidence.Decisions; d.Verified+d.Unverified > 0 {
		p("- Warden decisions verified: %d of %d", d.Verified, d.Verified+d.Unverified)
		if d.Unverified > 0 {
			p(" (unverified: %s)", cell(reasonList(d.Reasons)))
		}
		p(".\n")
	}
	for _, g := range rr.Gaps {
		p("- %s\n", cell(g))
	}
	if len(rr.FieldNotes) > 0 {
		rows = rows[:0]
		for _, n := range rr.FieldNotes {
			rows = append(rows, []string{code(n.Field), cell(n.Status), cell(n.Why)})
		}
		table(&b, "\n### Unverified or missing fields\n\n| Field | Status | Why |\n| --- | --- | --- |", rows, "")
	}
	return b.String()
}

// fieldNotesFor writes the notes about field under its section.
func fieldNotesFor(b *strings.Builder, notes []FieldNote, field string) {
	first := true
	for _, n := range notes {
		if n.Field != field {
			continue
		}
		if first {
			b.WriteString("\n")
			first = false
		}
		fmt.Fprintf(b, "- *%s*: %s\n", n.Status, cell(n.Why))
	}
}

// codes renders paths as code spans, comma-separated.
func codes(ps []string) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = code(p)
	}
	return strings.Join(out, ", ")
}

// conflictMark flags a row whose call has conflicts.
func conflictMark(conflicts []string) string {
	if len(conflicts) == 0 {
		return ""
	}
	return " **(conflict: " + cell(strings.Join(conflicts, ", ")) + ")**"
}

// evidenceCell shows what one event of a conflict says, and which event it
// is.
func evidenceCell(r EvidenceRef) string {
	return code(r.Value) + " (" + cell(r.Source+" "+r.Kind) + " " + code(r.EventID) + " at " + mdTime(r.Time) + ")"
}

// list writes "- Key: value" lines for the non-empty values, or none.
func list(b *strings.Builder, kv [][2]string, none string) {
	n := 0
	for _, e := range kv {
		if e[1] == "" {
			continue
		}
		fmt.Fprintf(b, "- %s: %s\n", e[0], cell(e[1]))
		n++
	}
	if n == 0 {
		b.WriteString(none + "\n")
	}
}

// table writes a Markdown table, header (with its separator line) then one
// line per row of already escaped cells, or none when there are no rows.
func table(b *strings.Builder, header string, rows [][]string, none string) {
	if len(rows) == 0 {
		if none != "" {
			b.WriteString(none + "\n")
		}
		return
	}
	b.WriteString(header + "\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
}

func paths(b *strings.Builder, ps []string) {
	if len(ps) == 0 {
		b.WriteString("None recorded.\n")
		return
	}
	for _, p := range ps {
		fmt.Fprintf(b, "- %s\n", code(p))
	}
}

func withRule(s, rule string) string {
	if rule == "" {
		return s
	}
	return s + " (" + rule + ")"
}

// code renders s as an inline code span that shows it verbatim: the fence
// is longer than any run of backticks in s, and line breaks and table
// pipes are neutralised.
func code(s string) string {
	if s == "" {
		return ""
	}
	s = strings.NewReplacer("\r\n", " ⏎ ", "\n", " ⏎ ", "\r", " ⏎ ", "|", "\\|").Replace(s)
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// cell escapes text for a table cell or list item: Markdown punctuation
// and HTML are shown literally, line breaks become spaces.
func cell(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\n', '\r':
			b.WriteByte(' ')
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '#', '!', '~', '&':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// quote renders text as a block quote, every line escaped.
func quote(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = "> " + cell(l)
	}
	return strings.Join(lines, "\n")
}

func mdTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(time.RFC3339)
}

func mdClock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("15:04:05")
}

func mdDuration(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}

func count(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
