package console

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/wardenhq/warden/internal/record"
)

// timeline turns a session's events, in stored order, into rows: each
// tool call with Claude Code's decision, Warden's decision, rule and
// reason, and the result; prompts where kept. Rows of denials and of
// events named by a conflict are marked.
func timeline(events []record.Event, rr record.RunRecord) []timelineRow {
	conflicted := map[string]bool{}
	for _, cf := range rr.Conflicts {
		conflicted[cf.First.EventID] = true
		conflicted[cf.Second.EventID] = true
	}
	rows := make([]timelineRow, 0, len(events))
	for i := range events {
		e := &events[i]
		row := timelineRow{Time: e.Time, Source: e.Source, Kind: shorten(e.Kind), Tool: shorten(e.Tool),
			EventID: e.ID, Conflict: conflicted[e.ID]}
		if e.Source == record.SourceHook {
			row.Unverified = unverified(e.Verification)
		}
		if a := e.Audit; a != nil {
			row.Target = shorten(firstOf(a.Command, a.Path, a.URL, mcpName(a.MCPServer, a.MCPTool)))
			if a.Decision != "" && a.Decision != record.DecisionNone || a.RuleID != "" {
				row.Warden = shorten(a.Decision)
			}
			row.Rule, row.Reason = shorten(a.RuleID), shorten(a.Reason)
			row.ObservedOnly = a.ObservedOnly
			row.Denied = a.Decision == record.DecisionDeny
			switch {
			case a.Failure != "":
				row.Result = shorten("warden failure: " + a.Failure)
			case a.Error != "":
				row.Result = shorten("error: " + a.Error)
			case a.EndReason != "":
				row.Result = shorten("ended: " + a.EndReason)
			case a.HookEvent == "PostToolUse":
				row.Result = shorten(record.OutcomeSucceeded)
			}
			if a.PromptLength != nil {
				row.Prompt = shorten(strconv.Itoa(*a.PromptLength) + " characters (text not recorded by the hook)")
			}
		} else {
			attrs := e.Attrs
			switch e.Kind {
			case "tool_decision":
				src := firstOf(str(attrs, "decision_source"), str(attrs, "source"))
				d := e.Decision
				if src != "" {
					d += " (" + src + ")"
				}
				row.Claude = shorten(d)
				row.Denied = e.Decision == "reject"
			case "tool_result":
				if v, ok := attrs["success"].(bool); ok {
					if v {
						row.Result = shorten(record.OutcomeSucceeded)
					} else {
						row.Result = shorten(firstOf("failed: "+str(attrs, "error"), record.OutcomeFailed))
					}
				}
			case "user_prompt":
				if p := firstOf(str(attrs, "prompt"), str(attrs, "prompt_text")); p != "" {
					row.Prompt = shorten(p)
				} else if n, ok := attrs["prompt_length"].(float64); ok {
					row.Prompt = shorten(strconv.Itoa(int(n)) + " characters (text not logged)")
				}
			case "api_request":
				row.Result = shorten(firstOf(str(attrs, "model"), "request"))
			case "api_error":
				row.Result = shorten("error " + firstOf(str(attrs, "status_code"), "") + " " + str(attrs, "error"))
			}
			if row.Target.Text == "" {
				row.Target = shorten(firstOf(str(attrs, "full_command"), str(attrs, "mcp_tool_name")))
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// unverifiedReasons names, per Verification.Reason, why a hook audit
// event is not verified evidence: a short label for the timeline's
// marker and what it means.
var unverifiedReasons = map[string]unverifiedReason{
	record.UnverifiedUnsigned:       {"unsigned", "not signed by an enrolled device's hook: anyone holding an ingest token could have posted it"},
	record.UnverifiedBadSignature:   {"bad signature", "the signature is not the device key's"},
	record.UnverifiedUnknownDevice:  {"unknown device", "signed by a device the server does not know"},
	record.UnverifiedRevokedDevice:  {"revoked device", "signed by a device that was revoked"},
	record.UnverifiedDeviceMismatch: {"device mismatch", "posted with another device's credential"},
	record.UnverifiedChainGap:       {"chain gap", "the event before it in the device's chain never arrived"},
	record.UnverifiedChainFork:      {"chain fork", "another event of the device already holds its place in the chain"},
	record.NotChecked:               {"not checked", "stored before the server verified audit events"},
}

type unverifiedReason struct{ Label, Detail string }

// unverified returns why a hook audit event with verification v is not
// verified evidence, or nil when it is.
func unverified(v *record.Verification) *unverifiedReason {
	if v != nil && v.Verified {
		return nil
	}
	reason := record.NotChecked
	if v != nil && v.Reason != "" {
		reason = v.Reason
	}
	if u, ok := unverifiedReasons[reason]; ok {
		return &u
	}
	return &unverifiedReason{Label: Visible(truncate(reason, 64)), Detail: "a reason this console does not know"}
}

func mcpName(server, tool string) string {
	if server == "" {
		return ""
	}
	return server + "/" + tool
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func str(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// flatten lists every field of a run record as a path and a value, in
// the record's JSON order, so that the page shows each one (empty lists
// and objects too, as "none").
func flatten(rr record.RunRecord) []field {
	b, err := json.Marshal(rr)
	if err != nil {
		return []field{{Path: "error", Value: shorten(err.Error())}}
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var out []field
	if err := walk(dec, "", &out); err != nil {
		return []field{{Path: "error", Value: shorten(err.Error())}}
	}
	return out
}

// walk reads one JSON value from dec, keeping object key order.
func walk(dec *json.Decoder, path string, out *[]field) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := 0
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				p := key
				if path != "" {
					p = path + "." + key
				}
				if err := walk(dec, p, out); err != nil {
					return err
				}
				n++
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			if n == 0 {
				*out = append(*out, field{Path: path, Value: shorten("(none)")})
			}
		case '[':
			n := 0
			for dec.More() {
				if err := walk(dec, fmt.Sprintf("%s[%d]", path, n), out); err != nil {
					return err
				}
				n++
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
			if n == 0 {
				*out = append(*out, field{Path: path, Value: shorten("(none)")})
			}
		}
	case string:
		*out = append(*out, field{Path: path, Value: shorten(t)})
	case json.Number:
		*out = append(*out, field{Path: path, Value: shorten(t.String())})
	case bool:
		*out = append(*out, field{Path: path, Value: shorten(strconv.FormatBool(t))})
	case nil:
		*out = append(*out, field{Path: path, Value: shorten("null")})
	}
	return nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
