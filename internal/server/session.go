package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// SessionList is the answer to GET /api/v1/sessions.
type SessionList struct {
	Sessions []record.SessionSummary `json:"sessions"`
	// NextCursor fetches the next page (?cursor=); empty on the last.
	NextCursor string `json:"next_cursor,omitempty"`
}

// serveSessions is GET /api/v1/sessions: session summaries, newest first,
// filtered by ?since= and ?until= (RFC 3339: sessions active in
// [since, until)), ?user=, ?repository=, ?tier=, ?device= (the host),
// ?team=, ?denials=1 (a Warden deny or a Claude Code reject), ?alerts=1
// (a detection alert names the session) and ?conflicts=1 (its evidence
// has conflicts), paged by ?limit= (at most store.MaxLimit) and ?cursor=.
func (s *Server) serveSessions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for key := range q {
		switch key {
		case "since", "until", "user", "repository", "tier", "device", "team", "denials", "alerts", "conflicts", "limit", "cursor":
		default:
			return Errorf(EInvalid, "unknown parameter %q (since, until, user, repository, tier, device, team, denials, alerts, conflicts, limit, cursor)", truncate(key, 64))
		}
	}
	var f store.SessionFilter
	var err error
	if f.Since, err = timeParam(q.Get("since"), "since"); err != nil {
		return err
	}
	if f.Until, err = timeParam(q.Get("until"), "until"); err != nil {
		return err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return Errorf(EInvalid, "until must be after since")
	}
	f.UserID, f.Repository, f.Tier, f.Host, f.Team = q.Get("user"), q.Get("repository"), q.Get("tier"), q.Get("device"), q.Get("team")
	for _, b := range []struct {
		key string
		dst *bool
	}{{"denials", &f.HasDenials}, {"alerts", &f.HasAlerts}, {"conflicts", &f.HasConflicts}} {
		switch v := q.Get(b.key); v {
		case "", "0", "false":
		case "1", "true":
			*b.dst = true
		default:
			return Errorf(EInvalid, "%s %q: want 1 or 0", b.key, truncate(v, 32))
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxLimit {
			return Errorf(EInvalid, "limit %q: want 1 to %d", truncate(v, 32), store.MaxLimit)
		}
		f.Limit = n
	}
	f.Cursor = q.Get("cursor")
	if err := s.writer.sync(r.Context()); err != nil {
		return err
	}
	page, err := s.store.ListSessions(r.Context(), f)
	if err != nil {
		return err
	}
	if page.Sessions == nil {
		page.Sessions = []record.SessionSummary{}
	}
	return writeJSON(w, http.StatusOK, SessionList{Sessions: page.Sessions, NextCursor: page.Next})
}

func timeParam(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, Errorf(EInvalid, "%s %q is not an RFC 3339 time (2026-01-02T15:04:05Z)", name, truncate(v, 64))
	}
	return t, nil
}

// sessionID reads and checks the {id} path segment.
func sessionID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if err := store.ValidateSessionID(id); err != nil {
		return "", err
	}
	return id, nil
}

// serveSession is GET /api/v1/sessions/{id}: the session's summary.
func (s *Server) serveSession(w http.ResponseWriter, r *http.Request) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	if err := s.writer.sync(r.Context()); err != nil {
		return err
	}
	sum, err := s.store.Session(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sum)
}

// serveRecord is GET /api/v1/sessions/{id}/record: the session's run
// record (record.BuildRunRecord) as JSON, or as Markdown with
// ?format=md.
func (s *Server) serveRecord(w http.ResponseWriter, r *http.Request) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	switch format {
	case "", "json", "md", "markdown":
	default:
		return Errorf(EInvalid, "format %q: want json or md", truncate(format, 32))
	}
	if err := s.writer.sync(r.Context()); err != nil {
		return err
	}
	sum, err := s.store.Session(r.Context(), id)
	if err != nil {
		return err
	}
	events, err := s.store.SessionEvents(r.Context(), id)
	if err != nil {
		return err
	}
	rr := record.BuildRunRecordWith(*sum, events, RunRecordOptions)
	switch rv, err := s.store.Review(r.Context(), id); {
	case err == nil:
		rr.Review = rv
	case store.ErrorCode(err) != store.ENotFound:
		return err
	}
	if format == "md" || format == "markdown" {
		md := rr.Markdown()
		h := w.Header()
		h.Set("Content-Type", "text/markdown; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(md)))
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, md)
		return nil
	}
	return writeJSON(w, http.StatusOK, rr)
}

// ContentTypeJSONL is the content type of a session's events as a fixture.
const ContentTypeJSONL = "application/jsonl"

// serveEvents is GET /api/v1/sessions/{id}/events: the session's stored
// events, one JSON object per line in SessionEvents' order: a session
// fixture for a detection rule's tests (warden record SESSION --fixture).
// Events are what agents and senders wrote: a consumer must treat their
// strings as hostile data.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	if err := s.writer.sync(r.Context()); err != nil {
		return err
	}
	events, err := s.store.SessionEvents(r.Context(), id)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range events {
		if err := enc.Encode(&events[i]); err != nil {
			return fmt.Errorf("encode event %s: %w", events[i].ID, err)
		}
	}
	h := w.Header()
	h.Set("Content-Type", ContentTypeJSONL)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	return err
}

// QuarantineRequest is the body of POST /api/v1/sessions/{id}/quarantine.
type QuarantineRequest struct {
	Reason string `json:"reason"`
}

// serveQuarantineSet is POST /api/v1/sessions/{id}/quarantine (scope
// admin): every later central decision of the session is deny with the
// reason, at once on this server and within quarantineTTL on other
// replicas of the same store. The first quarantine stands; posting again
// returns it.
func (s *Server) serveQuarantineSet(w http.ResponseWriter, r *http.Request) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	var req QuarantineRequest
	if err := s.decodeJSON(r, &req); err != nil {
		return err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason == "" {
		return Errorf(EInvalid, "reason is required")
	}
	t := tokenFrom(r.Context())
	by := "token:" + t.ID
	if t.Name != "" {
		by += " (" + t.Name + ")"
	}
	if err := store.ValidateQuarantine(id, req.Reason, by); err != nil {
		return err
	}
	q, err := s.setQuarantine(r.Context(), id, req.Reason, by)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, q)
}

// serveQuarantineGet is GET /api/v1/sessions/{id}/quarantine: the
// quarantine in force, or 404.
func (s *Server) serveQuarantineGet(w http.ResponseWriter, r *http.Request) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	q, err := s.store.Quarantine(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, q)
}

// serveQuarantineRelease is DELETE /api/v1/sessions/{id}/quarantine
// (scope admin): 204, or 404 when the session is not quarantined.
func (s *Server) serveQuarantineRelease(w http.ResponseWriter, r *http.Request) error {
	id, err := sessionID(r)
	if err != nil {
		return err
	}
	if err := s.release(r.Context(), id, tokenFrom(r.Context()).ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setQuarantine quarantines a session for the API and the console: at once
// for this server's central decisions, within quarantineTTL on other
// replicas.
func (s *Server) setQuarantine(ctx context.Context, id, reason, by string) (*record.Quarantine, error) {
	q, err := s.store.QuarantineSession(ctx, id, reason, by)
	s.qcache.forget(id)
	if err != nil {
		return nil, err
	}
	s.log.Info("session quarantined", "session_id", id, "by", q.By, LogKeyRequestID, requestID(ctx))
	return q, nil
}

// release lifts a session's quarantine for the API and the console.
func (s *Server) release(ctx context.Context, id, by string) error {
	err := s.store.ReleaseSession(ctx, id)
	s.qcache.forget(id)
	if err != nil {
		return err
	}
	s.log.Info("session released", "session_id", id, "by", by, LogKeyRequestID, requestID(ctx))
	return nil
}

// decodeJSON decodes a small JSON body strictly: application/json, at
// most MaxJSONBodyBytes, one object, no unknown fields.
func (s *Server) decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return Errorf(EUnsupportedMedia, "content type must be application/json")
	}
	res := s.budget.Reserve()
	defer res.Release()
	body, err := readBody(r, MaxJSONBodyBytes, MaxJSONBodyBytes, res)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Errorf(EInvalid, "malformed JSON body: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(EInvalid, "malformed JSON body: data after the object")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the body.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s: want %s", te.Field, te.Type)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "empty or truncated"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "invalid JSON"
}

// RunRecordOptions is how the server builds run records: Bash commands
// that no hook audit analysed (known from telemetry alone, or audited by
// an older hook) are analysed by the engine's per-command analysis, the
// one the hook records (engine.Touches), against the call's working
// directory when an audit event gave one.
var RunRecordOptions = record.BuildOptions{Analyze: func(command, cwd string) record.CommandAnalysis {
	return record.CommandAnalysis(engine.Touches(command, cwd, ""))
}}
