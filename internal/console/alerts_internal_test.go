package console

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// TestAlertUnverifiedMarker: every reason the server records has a label,
// verified evidence has no marker, and an unknown reason shows escaped.
func TestAlertUnverifiedMarker(t *testing.T) {
	for _, r := range append([]string{record.NotChecked}, record.UnverifiedReasons...) {
		u, ok := unverifiedReasons[r]
		if !ok || u.Label == "" || u.Detail == "" {
			t.Errorf("reason %q has no label and detail", r)
		}
	}
	for _, tc := range []struct {
		name string
		v    *record.Verification
		want string // label, "" for none
	}{
		{"Verified", &record.Verification{Verified: true}, ""},
		{"Central", &record.Verification{Verified: true, Central: true}, ""},
		{"NoVerification", nil, "not checked"},
		{"NoReason", &record.Verification{}, "not checked"},
		{"ChainGap", &record.Verification{Reason: record.UnverifiedChainGap}, "chain gap"},
		{"Unknown", &record.Verification{Reason: "new\x1b[2Jreason"}, "new␛[2Jreason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := unverified(tc.v)
			switch {
			case tc.want == "" && got != nil:
				t.Errorf("marker %+v on verified evidence", got)
			case tc.want != "" && (got == nil || got.Label != tc.want):
				t.Errorf("marker %+v, want label %q", got, tc.want)
			}
		})
	}
}

// TestAlertMCPServerOf: the MCP server a matched event called, from the
// hook audit or the tool's mcp__SERVER__TOOL name.
func TestAlertMCPServerOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    record.Event
		want string
	}{
		{"Audit", record.Event{Audit: &record.AuditEventV1{MCPServer: "github", Tool: "mcp__gh__x"}}, "github"},
		{"AuditTool", record.Event{Audit: &record.AuditEventV1{Tool: "mcp__linear__create"}}, "linear"},
		{"Telemetry", record.Event{Tool: "mcp__slack__post_message"}, "slack"},
		{"NotMCP", record.Event{Tool: "Bash"}, ""},
		{"NoTool", record.Event{Tool: "mcp__server"}, ""},
		{"EmptyServer", record.Event{Tool: "mcp____tool"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := mcpServerOf(&tc.e); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzAlertFilter: whatever query string a browser sends, the queue's
// filter parser answers a filter the store accepts or a 400, never a
// panic, and a filter it accepts encodes back to itself.
func FuzzAlertFilter(f *testing.F) {
	for _, s := range []string{"", "status=open&severity=high", "rule=%00", "limit=0", "session=%FF", "x=1", "status=open&status=closed"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		af, sf, err := parseAlertFilter(q)
		if err != nil {
			var pe *pageError
			if !errors.As(err, &pe) || pe.status != http.StatusBadRequest {
				t.Fatalf("%q: %v, want a 400 page", raw, err)
			}
			return
		}
		if err := store.ValidateAlertFilter(sf); err != nil && store.ErrorCode(err) != store.EInvalid {
			t.Fatalf("%q: accepted filter %+v fails with %v", raw, sf, err)
		}
		again, _, err := parseAlertFilter(af.query())
		if err != nil || again != af {
			t.Fatalf("%q: %+v encodes to %q, which reads back as %+v, %v", raw, af, af.query().Encode(), again, err)
		}
	})
}
