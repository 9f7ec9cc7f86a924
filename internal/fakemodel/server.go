package fakemodel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Kind classifies a recorded request.
type Kind string

// Request kinds.
const (
	KindMain        Kind = "main"         // agent loop request (has tools): answered from a script
	KindSide        Kind = "side"         // Messages request without tools (titles, summaries, checks)
	KindWebSearch   Kind = "web_search"   // WebSearch's nested request (server web_search tool only)
	KindCountTokens Kind = "count_tokens" // POST /v1/messages/count_tokens
	KindOther       Kind = "other"        // any other path: answered 404
)

// Default texts of the canned answers; override them on the Server before Start.
const (
	DefaultFinalText     = "done"
	DefaultSideText      = "OK"
	DefaultWebSearchText = "No results found."
)

// maxBody bounds a request body; the client's requests are far smaller.
const maxBody = 64 << 20

// Request is one request the server received, as recorded.
type Request struct {
	Seq    int // 0-based arrival order
	Time   time.Time
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte

	Kind  Kind
	Model string
	// Script is the key of the script that answered a main request.
	Script string
	// Step is the index of the script step answered; len(script) for the
	// closing text; -1 for requests that are not main-loop requests.
	Step int
	// ToolUseID is the id of the tool_use block answered ("" otherwise).
	ToolUseID string
	// Status is the HTTP status answered.
	Status int
	// Err is why the request was refused ("" when it was answered).
	Err string

	msgs []wireMessage
}

// ToolResults returns the tool_result blocks of the request's conversation.
func (r Request) ToolResults() []ToolResult { return toolResults(r.msgs) }

// Server is the scripted Messages API server. Set the exported fields before
// Start; they must not change afterwards.
type Server struct {
	// Addr is the address to listen on; it must be a loopback address.
	// Default "127.0.0.1:0" (a free port chosen by the kernel).
	Addr string
	// FinalText ends the turn once a script is exhausted.
	FinalText string
	// SideText answers side requests; WebSearchText answers WebSearch's own
	// request.
	SideText      string
	WebSearchText string
	// Now is the clock used for recording; default time.Now.
	Now func() time.Time

	mu       sync.Mutex
	scripts  map[string]*script
	errs     []error
	requests []Request
	msgSeq   atomic.Int64

	ln      net.Listener
	srv     *http.Server
	done    chan struct{}
	baseURL string
}

// New returns a server whose default script, used by conversations that
// carry no Marker, is steps.
func New(steps ...Step) *Server {
	s := &Server{scripts: make(map[string]*script)}
	s.add("", steps)
	return s
}

// Script registers steps under key, for conversations whose first user
// message contains Marker(key). It may be called while the server runs.
func (s *Server) Script(key string, steps ...Step) error {
	if key == "" {
		return errors.New("script key is empty: the default script is given to New")
	}
	sc, err := newScript(key, steps)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.scripts[key]; dup {
		return fmt.Errorf("script %q already registered", key)
	}
	s.scripts[key] = sc
	return nil
}

func (s *Server) add(key string, steps []Step) {
	sc, err := newScript(key, steps)
	if err != nil {
		s.errs = append(s.errs, err)
		return
	}
	s.scripts[key] = sc
}

// Start validates the default script, listens on Addr and serves in the
// background. It returns the base URL to give the client as
// ANTHROPIC_BASE_URL, such as "http://127.0.0.1:43817".
func (s *Server) Start() (string, error) {
	if err := errors.Join(s.errs...); err != nil {
		return "", err
	}
	if s.srv != nil {
		return "", errors.New("fakemodel: server already started")
	}
	addr := s.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := checkLoopback(addr); err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("fakemodel: listen on %s: %w (choose another port, or leave Addr empty for a free one)", addr, err)
	}
	s.ln = ln
	s.done = make(chan struct{})
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	s.baseURL = "http://" + ln.Addr().String()
	go func() {
		defer close(s.done)
		// Serve returns ErrServerClosed after Close; nothing else is expected.
		_ = s.srv.Serve(ln)
	}()
	return s.baseURL, nil
}

// URL returns the base URL once started ("" before).
func (s *Server) URL() string { return s.baseURL }

// Close stops the server and waits for it; safe to call more than once and
// before Start.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	err := s.srv.Close()
	<-s.done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Requests returns a copy of every request recorded so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// RequestsFor returns the recorded main-loop requests of the script under key.
func (s *Server) RequestsFor(key string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Kind == KindMain && r.Script == key {
			out = append(out, r)
		}
	}
	return out
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("fakemodel: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("fakemodel: address %q is not a loopback address", addr)
	}
	return nil
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// httpError is an answer the handler refuses with.
type httpError struct {
	status int
	typ    string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{
		Time:   s.now(),
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.RawQuery,
		Header: r.Header.Clone(),
		Step:   -1,
		Status: http.StatusOK,
	}
	err := s.handle(w, r, &rec)
	var he *httpError
	var we *writeError
	switch {
	case err == nil:
	case errors.As(err, &we):
		// The answer was under way and its status sent: only record.
		rec.Err = we.Error()
	default:
		if !errors.As(err, &he) {
			he = &httpError{status: http.StatusInternalServerError, typ: "api_error", msg: err.Error()}
		}
		rec.Status = he.status
		rec.Err = he.msg
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(he.status)
		_ = json.NewEncoder(w).Encode(apiError{Type: "error", Error: apiErrorBody{Type: he.typ, Message: he.msg}})
	}
	s.mu.Lock()
	rec.Seq = len(s.requests)
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
}

// writeError is a failure while writing an answer whose status was sent.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// handle answers one request and fills rec; an error is answered by serveHTTP.
func (s *Server) handle(w http.ResponseWriter, r *http.Request, rec *Request) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return &httpError{http.StatusBadRequest, "invalid_request_error", "read body: " + err.Error()}
	}
	if len(body) > maxBody {
		return &httpError{http.StatusRequestEntityTooLarge, "request_too_large", "request body too large"}
	}
	rec.Body = body
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case r.Method == http.MethodPost && path == "/v1/messages/count_tokens":
		rec.Kind = KindCountTokens
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(map[string]int{"input_tokens": 10}); err != nil {
			return &writeError{err}
		}
		return nil
	case r.Method == http.MethodPost && path == "/v1/messages":
	default:
		rec.Kind = KindOther
		return &httpError{http.StatusNotFound, "not_found_error", fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path)}
	}

	var req messagesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		rec.Kind = KindOther
		return &httpError{http.StatusBadRequest, "invalid_request_error", "decode request body: " + err.Error()}
	}
	rec.Model = req.Model
	rec.msgs = req.Messages
	model := orDefault(req.Model, "claude-fake")
	msgID := fmt.Sprintf("msg_fake_%06d", s.nextSeq())

	switch {
	case len(req.Tools) == 0:
		rec.Kind = KindSide
		return answer(w, req.Stream, msgID, model, []responseBlock{textBlock(orDefault(s.SideText, DefaultSideText))}, "end_turn")
	case isWebSearch(req.Tools):
		rec.Kind = KindWebSearch
		return answer(w, req.Stream, msgID, model, []responseBlock{textBlock(orDefault(s.WebSearchText, DefaultWebSearchText))}, "end_turn")
	}

	rec.Kind = KindMain
	key, _ := markerKey(firstUserText(req.Messages))
	s.mu.Lock()
	sc, ok := s.scripts[key]
	s.mu.Unlock()
	if !ok {
		return &httpError{http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("fakemodel: no script registered under key %q", key)}
	}
	rec.Script = key
	i := sc.next(answeredToolUses(req.Messages))
	rec.Step = i
	if i == len(sc.steps) {
		return answer(w, req.Stream, msgID, model, []responseBlock{textBlock(orDefault(s.FinalText, DefaultFinalText))}, "end_turn")
	}
	st := sc.steps[i]
	rec.ToolUseID = st.id
	var content []responseBlock
	if st.text != "" {
		content = append(content, textBlock(st.text))
	}
	content = append(content, responseBlock{Type: "tool_use", ID: st.id, Name: st.name, Input: st.input})
	return answer(w, req.Stream, msgID, model, content, "tool_use")
}

// nextSeq returns a number unique to this answer, for its message id.
func (s *Server) nextSeq() int64 { return s.msgSeq.Add(1) }

// answer writes content as one assistant message, streamed or whole.
func answer(w http.ResponseWriter, stream bool, id, model string, content []responseBlock, stop string) error {
	w.Header().Set("Request-Id", "req_"+strings.TrimPrefix(id, "msg_"))
	if !stream {
		w.Header().Set("Content-Type", "application/json")
		err := json.NewEncoder(w).Encode(message{
			ID: id, Type: "message", Role: "assistant", Model: model,
			Content: content, StopReason: &stop, Usage: usage{InputTokens: 10, OutputTokens: 10},
		})
		if err != nil {
			return &writeError{err}
		}
		return nil
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	sw := &sseWriter{w: w}
	sw.event("message_start", map[string]any{
		"type": "message_start",
		"message": message{
			ID: id, Type: "message", Role: "assistant", Model: model,
			Content: []responseBlock{}, Usage: usage{InputTokens: 10, OutputTokens: 1},
		},
	})
	for i, b := range content {
		switch b.Type {
		case "text":
			sw.event("content_block_start", map[string]any{"type": "content_block_start", "index": i, "content_block": textBlock("")})
			sw.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": i,
				"delta": map[string]string{"type": "text_delta", "text": *b.Text}})
		case "tool_use":
			sw.event("content_block_start", map[string]any{"type": "content_block_start", "index": i,
				"content_block": map[string]any{"type": "tool_use", "id": b.ID, "name": b.Name, "input": map[string]any{}}})
			for _, part := range chunks(string(b.Input), 48) {
				sw.event("content_block_delta", map[string]any{"type": "content_block_delta", "index": i,
					"delta": map[string]string{"type": "input_json_delta", "partial_json": part}})
			}
		}
		sw.event("content_block_stop", map[string]any{"type": "content_block_stop", "index": i})
	}
	sw.event("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": map[string]int{"output_tokens": 10}})
	sw.event("message_stop", map[string]any{"type": "message_stop"})
	if sw.err != nil {
		return &writeError{sw.err}
	}
	return nil
}

// chunks splits s into pieces of at most n bytes, as the API streams
// partial JSON; the first piece is empty, as the API sends it.
func chunks(s string, n int) []string {
	out := []string{""}
	for len(s) > n {
		cut := n
		for cut > 1 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// sseWriter writes server-sent events and flushes each one.
type sseWriter struct {
	w   http.ResponseWriter
	err error
}

func (sw *sseWriter) event(name string, data any) {
	if sw.err != nil {
		return
	}
	var buf bytes.Buffer
	buf.WriteString("event: ")
	buf.WriteString(name)
	buf.WriteString("\ndata: ")
	b, err := json.Marshal(data)
	if err != nil {
		sw.err = fmt.Errorf("encode %s event: %w", name, err)
		return
	}
	buf.Write(b)
	buf.WriteString("\n\n")
	if _, err := sw.w.Write(buf.Bytes()); err != nil {
		sw.err = fmt.Errorf("write %s event: %w", name, err)
		return
	}
	if f, ok := sw.w.(http.Flusher); ok {
		f.Flush()
	}
}
