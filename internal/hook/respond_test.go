package hook

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/record"
)

// TestRun_SameAsRemote feeds every captured hook input to Run and to
// hookproto.Respond as a central service calls it (no repository, home
// from the transcript path, failures denied) with the same engine and
// policy: the service must answer exactly as the local hook does, record
// the same audit events and ask the engine about the same actions, when
// the client's cwd is not a repository here. Run adds only the process
// around Respond.
func TestRun_SameAsRemote(t *testing.T) {
	for _, file := range fixtureFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			input, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			meta := testMeta
			meta.BlockConfigChange = true

			local := &fakeDecider{verdict: goldenVerdicts[name]}
			h := newHarness(t, local, meta)
			res := h.run(string(input))

			in, err := hookproto.Decode(bytes.NewReader(input))
			if err != nil {
				t.Fatal(err)
			}
			remote := &fakeDecider{verdict: goldenVerdicts[name]}
			resp := hookproto.Respond(in, hookproto.Policy{Decider: remote, Meta: meta}, hookproto.Env{
				Start: testNow, Now: func() time.Time { return testNow }, User: "dev", Host: "devbox",
				Home: hookproto.HomeFromTranscript(in.TranscriptPath), Fail: hookproto.FailDeny,
			})
			answer, events := resp.Answer, resp.Events
			if got, want := string(answer), res.stdout; got != want {
				t.Errorf("answer\n got %q\nwant %q", got, want)
			}
			if got, want := remote.seen(), local.seen(); !reflect.DeepEqual(got, want) {
				t.Errorf("actions\n got %+v\nwant %+v", got, want)
			}
			if len(events) != len(res.audit) {
				t.Fatalf("%d audit events, Run wrote %d", len(events), len(res.audit))
			}
			for i, line := range res.audit {
				var want record.AuditEventV1
				if err := json.Unmarshal([]byte(line), &want); err != nil {
					t.Fatal(err)
				}
				got := events[i]
				if len(got.EventID) != 32 {
					t.Errorf("event %d: event_id %q", i, got.EventID)
				}
				got.EventID, want.EventID = "", ""
				// Run read no git metadata either (the captured cwd does not
				// exist here), so only the duration may differ.
				got.DurationUS, want.DurationUS = 0, 0
				if !reflect.DeepEqual(got, want) {
					g, _ := json.Marshal(got)
					t.Errorf("event %d\n got %s\nwant %s", i, g, line)
				}
			}
		})
	}
}
