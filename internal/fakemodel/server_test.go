package fakemodel_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"go.uber.org/goleak"

	"github.com/wardenhq/warden/internal/fakemodel"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sseEvent is one server-sent event as a client reads it.
type sseEvent struct {
	Name string
	Data map[string]any
}

// readSSE parses a text/event-stream body the way the API SDKs do.
func readSSE(tb testing.TB, r io.Reader) []sseEvent {
	tb.Helper()
	var out []sseEvent
	var name string
	var data strings.Builder
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data.Len() > 0 {
				var d map[string]any
				if err := json.Unmarshal([]byte(data.String()), &d); err != nil {
					tb.Fatalf("event %q: data is not JSON: %v: %s", name, err, data.String())
				}
				if d["type"] != name {
					tb.Fatalf("event name %q but data type %v", name, d["type"])
				}
				out = append(out, sseEvent{Name: name, Data: d})
			}
			name = ""
			data.Reset()
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data.WriteString(strings.TrimPrefix(line, "data: "))
		default:
			tb.Fatalf("unexpected SSE line %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if data.Len() > 0 {
		tb.Fatalf("stream ended inside an event: %q", data.String())
	}
	return out
}

// assembled is an assistant message rebuilt from its events.
type assembled struct {
	StopReason string
	Blocks     []map[string]any // text blocks with "text", tool_use with "id", "name", "input"
	Events     []string
}

// assemble rebuilds the message the way a streaming client does, failing on
// any protocol violation.
func assemble(tb testing.TB, evs []sseEvent) assembled {
	tb.Helper()
	var a assembled
	partial := map[int]*strings.Builder{}
	for _, ev := range evs {
		a.Events = append(a.Events, ev.Name)
		switch ev.Name {
		case "message_start":
			msg := ev.Data["message"].(map[string]any)
			if msg["role"] != "assistant" || msg["type"] != "message" {
				tb.Fatalf("message_start: bad message %v", msg)
			}
		case "content_block_start":
			i := int(ev.Data["index"].(float64))
			if i != len(a.Blocks) {
				tb.Fatalf("content_block_start index %d, want %d", i, len(a.Blocks))
			}
			cb := ev.Data["content_block"].(map[string]any)
			a.Blocks = append(a.Blocks, cb)
			partial[i] = &strings.Builder{}
		case "content_block_delta":
			i := int(ev.Data["index"].(float64))
			d := ev.Data["delta"].(map[string]any)
			switch d["type"] {
			case "text_delta":
				a.Blocks[i]["text"] = a.Blocks[i]["text"].(string) + d["text"].(string)
			case "input_json_delta":
				partial[i].WriteString(d["partial_json"].(string))
			default:
				tb.Fatalf("unknown delta %v", d)
			}
		case "content_block_stop":
			i := int(ev.Data["index"].(float64))
			if a.Blocks[i]["type"] == "tool_use" {
				var in map[string]any
				if err := json.Unmarshal([]byte(partial[i].String()), &in); err != nil {
					tb.Fatalf("tool_use input %q: %v", partial[i].String(), err)
				}
				a.Blocks[i]["input"] = in
			}
		case "message_delta":
			a.StopReason = ev.Data["delta"].(map[string]any)["stop_reason"].(string)
		case "message_stop":
		default:
			tb.Fatalf("unknown event %q", ev.Name)
		}
	}
	return a
}

// client speaks the Messages API to the fake server.
type client struct {
	tb   testing.TB
	base string
}

func (c client) post(path string, body any) *http.Response {
	c.tb.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		c.tb.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.base+path, bytes.NewReader(b))
	if err != nil {
		c.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", "dummy")
	req.Header.Set("Anthropic-Version", "2023-06-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.tb.Fatal(err)
	}
	c.tb.Cleanup(func() { resp.Body.Close() })
	return resp
}

// turn sends one streaming request and returns the assembled answer.
func (c client) turn(body map[string]any) assembled {
	c.tb.Helper()
	resp := c.post("/v1/messages?beta=true", body)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		c.tb.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		c.tb.Fatalf("Content-Type = %q, want text/event-stream", ct)
	}
	return assemble(c.tb, readSSE(c.tb, resp.Body))
}

var agentTools = []map[string]any{
	{"name": "Bash", "input_schema": map[string]any{"type": "object"}},
	{"name": "Read", "input_schema": map[string]any{"type": "object"}},
}

func request(msgs []map[string]any) map[string]any {
	return map[string]any{"model": "claude-test-1", "max_tokens": 1024, "stream": true, "messages": msgs, "tools": agentTools}
}

func mustStart(tb testing.TB, s *fakemodel.Server) client {
	tb.Helper()
	base, err := s.Start()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return client{tb: tb, base: base}
}

// runLoop drives an agent loop over the fake model, answering every
// tool_use with a tool_result, and returns the assembled answers.
func runLoop(c client, prompt string, max int) ([]assembled, []map[string]any) {
	c.tb.Helper()
	msgs := []map[string]any{{"role": "user", "content": prompt}}
	var answers []assembled
	for range max {
		a := c.turn(request(msgs))
		answers = append(answers, a)
		if a.StopReason != "tool_use" {
			return answers, msgs
		}
		msgs = append(msgs, map[string]any{"role": "assistant", "content": a.Blocks})
		var results []map[string]any
		for _, b := range a.Blocks {
			if b["type"] == "tool_use" {
				results = append(results, map[string]any{"type": "tool_result", "tool_use_id": b["id"], "content": "ran " + b["id"].(string)})
			}
		}
		msgs = append(msgs, map[string]any{"role": "user", "content": results})
	}
	c.tb.Fatalf("loop did not end within %d turns", max)
	return nil, nil
}

func TestServer_Script(t *testing.T) {
	s := fakemodel.New(
		fakemodel.Bash("echo hello"),
		fakemodel.Read(".env"),
		fakemodel.Step{Name: "Write", Input: map[string]any{"file_path": "x.txt", "content": strings.Repeat("é…", 40)}, Text: "writing"},
	)
	c := mustStart(t, s)
	answers, _ := runLoop(c, "go", 10)
	if got, want := len(answers), 4; got != want {
		t.Fatalf("got %d answers, want %d", got, want)
	}
	wantEvents := []string{"message_start", "content_block_start"}
	if got := answers[0].Events[:2]; !reflect.DeepEqual(got, wantEvents) {
		t.Errorf("events start %v, want %v", got, wantEvents)
	}
	if got := answers[0].Events[len(answers[0].Events)-3:]; !reflect.DeepEqual(got, []string{"content_block_stop", "message_delta", "message_stop"}) {
		t.Errorf("events end %v", got)
	}
	want := []struct {
		id, name string
		input    map[string]any
	}{
		{"toolu_0000", "Bash", map[string]any{"command": "echo hello", "description": "scripted step"}},
		{"toolu_0001", "Read", map[string]any{"file_path": ".env"}},
		{"toolu_0002", "Write", map[string]any{"file_path": "x.txt", "content": strings.Repeat("é…", 40)}},
	}
	for i, w := range want {
		a := answers[i]
		if a.StopReason != "tool_use" {
			t.Errorf("answer %d: stop_reason %q, want tool_use", i, a.StopReason)
		}
		tu := a.Blocks[len(a.Blocks)-1]
		if tu["type"] != "tool_use" || tu["id"] != w.id || tu["name"] != w.name || !reflect.DeepEqual(tu["input"], w.input) {
			t.Errorf("answer %d: got %v, want %s %s %v", i, tu, w.id, w.name, w.input)
		}
	}
	if got := answers[2].Blocks[0]; got["type"] != "text" || got["text"] != "writing" {
		t.Errorf("answer 2 text block = %v", got)
	}
	last := answers[3]
	if last.StopReason != "end_turn" || len(last.Blocks) != 1 || last.Blocks[0]["text"] != fakemodel.DefaultFinalText {
		t.Errorf("closing answer = %+v", last)
	}

	reqs := s.Requests()
	if len(reqs) != 4 {
		t.Fatalf("recorded %d requests, want 4", len(reqs))
	}
	for i, r := range reqs {
		if r.Kind != fakemodel.KindMain || r.Step != i || r.Seq != i || r.Model != "claude-test-1" || r.Path != "/v1/messages" || r.Query != "beta=true" {
			t.Errorf("request %d recorded as %+v", i, r)
		}
		if r.Header.Get("X-Api-Key") != "dummy" {
			t.Errorf("request %d: header not recorded", i)
		}
	}
	if reqs[3].ToolUseID != "" || reqs[1].ToolUseID != "toolu_0001" {
		t.Errorf("tool use ids recorded: %q %q", reqs[1].ToolUseID, reqs[3].ToolUseID)
	}
	trs := reqs[3].ToolResults()
	if len(trs) != 3 || trs[1].ToolUseID != "toolu_0001" || trs[1].Text != "ran toolu_0001" || trs[1].IsError {
		t.Errorf("tool results of last request = %+v", trs)
	}
}

func TestServer_RetryGetsSameStep(t *testing.T) {
	s := fakemodel.New(fakemodel.Bash("true"), fakemodel.Bash("false"))
	c := mustStart(t, s)
	msgs := []map[string]any{{"role": "user", "content": "go"}}
	a1 := c.turn(request(msgs))
	a2 := c.turn(request(msgs))
	if a1.Blocks[0]["id"] != "toolu_0000" || a2.Blocks[0]["id"] != "toolu_0000" {
		t.Errorf("retry answered %v then %v, want toolu_0000 twice", a1.Blocks[0]["id"], a2.Blocks[0]["id"])
	}
}

func TestServer_SideRequests(t *testing.T) {
	s := fakemodel.New(fakemodel.Bash("true"))
	s.SideText = "side answer"
	c := mustStart(t, s)

	t.Run("NoTools", func(t *testing.T) {
		body := map[string]any{"model": "claude-haiku", "stream": true, "messages": []map[string]any{{"role": "user", "content": "title?"}}}
		a := assemble(t, readSSE(t, c.post("/v1/messages", body).Body))
		if a.StopReason != "end_turn" || a.Blocks[0]["text"] != "side answer" {
			t.Errorf("side answer = %+v", a)
		}
	})
	t.Run("NotStreaming", func(t *testing.T) {
		body := map[string]any{"model": "claude-haiku", "messages": []map[string]any{{"role": "user", "content": "quota"}}}
		resp := c.post("/v1/messages", body)
		var m struct {
			Type       string `json:"type"`
			StopReason string `json:"stop_reason"`
			Content    []struct {
				Type, Text string
			} `json:"content"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		if m.Type != "message" || m.StopReason != "end_turn" || len(m.Content) != 1 || m.Content[0].Text != "side answer" {
			t.Errorf("non-streaming answer = %+v", m)
		}
	})
	t.Run("WebSearch", func(t *testing.T) {
		body := map[string]any{"model": "claude-x", "stream": true,
			"messages": []map[string]any{{"role": "user", "content": "search"}},
			"tools":    []map[string]any{{"type": "web_search_20250305", "name": "web_search"}}}
		a := assemble(t, readSSE(t, c.post("/v1/messages", body).Body))
		if a.Blocks[0]["text"] != fakemodel.DefaultWebSearchText {
			t.Errorf("web search answer = %+v", a)
		}
	})
	t.Run("CountTokens", func(t *testing.T) {
		resp := c.post("/v1/messages/count_tokens", map[string]any{"model": "m", "messages": []any{}})
		var got map[string]int
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		if got["input_tokens"] <= 0 {
			t.Errorf("count_tokens = %v", got)
		}
	})
	t.Run("UnknownPath", func(t *testing.T) {
		resp := c.post("/v1/files", map[string]any{})
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("status %d, want 404", resp.StatusCode)
		}
	})
	t.Run("ScriptNotAdvanced", func(t *testing.T) {
		a := c.turn(request([]map[string]any{{"role": "user", "content": "go"}}))
		if a.Blocks[0]["id"] != "toolu_0000" {
			t.Errorf("main loop answered %v after side requests, want the first step", a.Blocks[0])
		}
	})

	kinds := map[fakemodel.Kind]int{}
	for _, r := range s.Requests() {
		kinds[r.Kind]++
	}
	want := map[fakemodel.Kind]int{fakemodel.KindSide: 2, fakemodel.KindWebSearch: 1, fakemodel.KindCountTokens: 1, fakemodel.KindOther: 1, fakemodel.KindMain: 1}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("kinds recorded %v, want %v", kinds, want)
	}
}

func TestServer_Scripts(t *testing.T) {
	s := fakemodel.New()
	c := mustStart(t, s)
	const n = 4
	for k := range n {
		key := fmt.Sprintf("k%d", k)
		steps := make([]fakemodel.Step, k+1)
		for i := range steps {
			steps[i] = fakemodel.Bash(fmt.Sprintf("echo %s-%d", key, i))
		}
		if err := s.Script(key, steps...); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	got := make([][]assembled, n)
	for k := range n {
		wg.Go(func() {
			got[k], _ = runLoop(c, "run "+fakemodel.Marker(fmt.Sprintf("k%d", k))+" please", 10)
		})
	}
	wg.Wait()
	for k := range n {
		if len(got[k]) != k+2 {
			t.Errorf("script k%d: %d answers, want %d", k, len(got[k]), k+2)
			continue
		}
		for i := range k + 1 {
			b := got[k][i].Blocks[0]
			if wantID := fakemodel.DefaultID(fmt.Sprintf("k%d", k), i); b["id"] != wantID {
				t.Errorf("script k%d answer %d: id %v, want %s", k, i, b["id"], wantID)
			}
			if cmd := b["input"].(map[string]any)["command"]; cmd != fmt.Sprintf("echo k%d-%d", k, i) {
				t.Errorf("script k%d answer %d: command %v", k, i, cmd)
			}
		}
		if reqs := s.RequestsFor(fmt.Sprintf("k%d", k)); len(reqs) != k+2 {
			t.Errorf("RequestsFor(k%d) = %d requests, want %d", k, len(reqs), k+2)
		}
	}
	if err := s.Script("k1", fakemodel.Bash("x")); err == nil {
		t.Error("registering a key twice succeeded")
	}

	t.Run("ErrUnknownKey", func(t *testing.T) {
		resp := c.post("/v1/messages", request([]map[string]any{{"role": "user", "content": fakemodel.Marker("nope")}}))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
		reqs := s.Requests()
		if last := reqs[len(reqs)-1]; !strings.Contains(last.Err, `"nope"`) {
			t.Errorf("recorded error %q", last.Err)
		}
	})
}

func TestServer_StartErrors(t *testing.T) {
	t.Run("DuplicateID", func(t *testing.T) {
		s := fakemodel.New(fakemodel.Step{ID: "a", Name: "Bash"}, fakemodel.Step{ID: "a", Name: "Bash"})
		if _, err := s.Start(); err == nil || !strings.Contains(err.Error(), "already used") {
			t.Errorf("Start() error = %v", err)
		}
	})
	t.Run("EmptyName", func(t *testing.T) {
		s := fakemodel.New(fakemodel.Step{})
		if _, err := s.Start(); err == nil {
			t.Error("Start() succeeded with an unnamed tool")
		}
	})
	t.Run("InputNotObject", func(t *testing.T) {
		s := fakemodel.New(fakemodel.ToolUse("Bash", []int{1}))
		if _, err := s.Start(); err == nil {
			t.Error("Start() succeeded with an array input")
		}
	})
	t.Run("NotLoopback", func(t *testing.T) {
		s := fakemodel.New()
		s.Addr = "0.0.0.0:0"
		if _, err := s.Start(); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("Start() error = %v", err)
		}
	})
	t.Run("PortTaken", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		s := fakemodel.New()
		s.Addr = ln.Addr().String()
		if _, err := s.Start(); err == nil || !strings.Contains(err.Error(), "choose another port") {
			t.Errorf("Start() error = %v", err)
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
}

func TestServer_LargeInputStreamsValidUTF8(t *testing.T) {
	content := strings.Repeat("ünïcödé ✓ ", 200)
	s := fakemodel.New(fakemodel.ToolUse("Write", map[string]any{"file_path": "f", "content": content}))
	c := mustStart(t, s)
	resp := c.post("/v1/messages", request([]map[string]any{{"role": "user", "content": "go"}}))
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(raw) || bytes.Contains(raw, []byte(`\ufffd`)) {
		t.Fatal("stream is not valid UTF-8 or carries replacement characters")
	}
	a := assemble(t, readSSE(t, bytes.NewReader(raw)))
	if got := a.Blocks[0]["input"].(map[string]any)["content"]; got != content {
		t.Errorf("reassembled content differs: %d bytes", len(got.(string)))
	}
	if deltas := strings.Count(strings.Join(a.Events, " "), "content_block_delta"); deltas < 10 {
		t.Errorf("input streamed in %d deltas, want it split", deltas)
	}
}

func TestMarker(t *testing.T) {
	s := fakemodel.New(fakemodel.Bash("default"))
	if err := s.Script("web-1", fakemodel.Bash("keyed")); err != nil {
		t.Fatal(err)
	}
	c := mustStart(t, s)
	// The client wraps the prompt in content blocks with reminders around it.
	msgs := []map[string]any{{"role": "user", "content": []map[string]any{
		{"type": "text", "text": "<system-reminder>x</system-reminder>"},
		{"type": "text", "text": "do it " + fakemodel.Marker("web-1")},
	}}}
	a := c.turn(request(msgs))
	if cmd := a.Blocks[0]["input"].(map[string]any)["command"]; cmd != "keyed" {
		t.Errorf("marker in a block list picked %v, want keyed", cmd)
	}
}
