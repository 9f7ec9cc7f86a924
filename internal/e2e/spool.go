package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/wardenhq/warden/internal/record"
)

// SpoolEvent is one line of a hook's audit spool (JSON lines, one per hook
// call): the fields the harness matches on, and the line itself.
type SpoolEvent struct {
	ToolUseID string `json:"tool_use_id"`
	HookEvent string `json:"hook_event"`
	Decision  string `json:"decision"`
	RuleID    string `json:"rule_id"`
	Reason    string `json:"reason"`
	// Failure is set when Warden could not decide normally
	// (policy_load_error, ...).
	Failure string `json:"failure"`
	// ObservedOnly marks a PostToolBatch record: what Warden would have
	// decided, not what it enforced.
	ObservedOnly bool `json:"observed_only"`
	// Raw is the whole line, for fields the harness does not name; for a
	// signed line, the audit event inside the envelope.
	Raw json.RawMessage `json:"-"`
	// Device and Seq are set when the line is a signed envelope of an
	// enrolled device (record.SignedAuditV1).
	Device string `json:"-"`
	Seq    uint64 `json:"-"`
}

// ReadSpool reads the spool file at path. A missing file is an error that
// wraps fs.ErrNotExist.
func ReadSpool(path string) ([]SpoolEvent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read spool: %w", err)
	}
	defer f.Close()
	evs, err := ParseSpool(f)
	if err != nil {
		return evs, fmt.Errorf("read spool %s: %w", path, err)
	}
	return evs, nil
}

// ParseSpool parses spool lines; blank lines are skipped, and a line that is
// not a JSON object fails with its line number.
func ParseSpool(r io.Reader) ([]SpoolEvent, error) {
	var out []SpoolEvent
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var ev SpoolEvent
		var device string
		var seq uint64
		if record.IsSignedAudit(line) {
			env, _, err := record.DecodeSignedAudit(line)
			if err != nil {
				return out, fmt.Errorf("line %d: %w", n, err)
			}
			line, device, seq = env.Event, env.DeviceID, env.Seq
		}
		if err := json.Unmarshal(line, &ev); err != nil {
			return out, fmt.Errorf("line %d: %w", n, err)
		}
		ev.Raw = append(json.RawMessage(nil), line...)
		ev.Device, ev.Seq = device, seq
		out = append(out, ev)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("line %d: %w", n+1, err)
	}
	return out, nil
}

// SpoolFor returns the events of one tool call, in order.
func SpoolFor(evs []SpoolEvent, toolUseID string) []SpoolEvent {
	var out []SpoolEvent
	for _, ev := range evs {
		if ev.ToolUseID == toolUseID {
			out = append(out, ev)
		}
	}
	return out
}
