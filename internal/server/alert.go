package server

import (
	"net/http"
	"strconv"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// AlertList is the answer to GET /api/v1/alerts.
type AlertList struct {
	Alerts     []record.Alert `json:"alerts"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// serveAlerts is GET /api/v1/alerts: alerts newest first, filtered by
// ?status=, ?severity=, ?rule=, ?session=, ?user=, ?since= (RFC 3339:
// last seen at or after), paged with ?limit= and ?cursor=.
func (s *Server) serveAlerts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for key := range q {
		switch key {
		case "status", "severity", "rule", "session", "user", "since", "limit", "cursor":
		default:
			return Errorf(EInvalid, "unknown parameter %q (status, severity, rule, session, user, since, limit, cursor)", truncate(key, 64))
		}
	}
	f := store.AlertFilter{Status: q.Get("status"), Severity: q.Get("severity"), Rule: q.Get("rule"),
		SessionID: q.Get("session"), UserID: q.Get("user"), Cursor: q.Get("cursor")}
	var err error
	if f.Since, err = timeParam(q.Get("since"), "since"); err != nil {
		return err
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxLimit {
			return Errorf(EInvalid, "limit %q: want 1 to %d", truncate(v, 32), store.MaxLimit)
		}
		f.Limit = n
	}
	page, err := s.store.ListAlerts(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, AlertList{Alerts: page.Alerts, NextCursor: page.Next})
}

// serveAlert is GET /api/v1/alerts/{id}: one alert with its history and
// the IDs of the events it matched.
func (s *Server) serveAlert(w http.ResponseWriter, r *http.Request) error {
	a, err := s.store.Alert(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// AlertStatusRequest is the body of POST /api/v1/alerts/{id}/status.
type AlertStatusRequest struct {
	Status  string `json:"status"`
	Comment string `json:"comment"`
}

// serveAlertStatus is POST /api/v1/alerts/{id}/status (scope admin): move
// the alert along its lifecycle (acknowledged, resolved, false_positive),
// recorded with the token's name as who and the comment as why.
func (s *Server) serveAlertStatus(w http.ResponseWriter, r *http.Request) error {
	var req AlertStatusRequest
	if err := s.decodeJSON(r, &req); err != nil {
		return err
	}
	by := "token:unknown"
	if t := tokenFrom(r.Context()); t != nil {
		by = "token:" + t.Name
		if t.Name == "" {
			by = "token:" + t.ID
		}
	}
	a, err := s.store.SetAlertStatus(r.Context(), r.PathValue("id"), req.Status, by, req.Comment)
	if err != nil {
		return err
	}
	s.log.Info("alert status changed", "alert", a.ID, "status", a.Status, "by", by)
	return writeJSON(w, http.StatusOK, a)
}

// RulesInfo is the answer to GET /api/v1/rules and POST
// /api/v1/rules/reload.
type RulesInfo struct {
	Rules []RuleInfo `json:"rules"`
}

// RuleInfo describes one loaded rule.
type RuleInfo struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Kind     string `json:"kind"`
	GroupBy  string `json:"group_by"`
}

func (s *Server) rulesInfo() RulesInfo {
	out := RulesInfo{Rules: []RuleInfo{}}
	if set := s.Rules(); set != nil {
		for _, r := range set.Rules {
			out.Rules = append(out.Rules, RuleInfo{ID: r.ID, Title: r.Title, Severity: r.Severity, Kind: r.Kind, GroupBy: r.GroupBy})
		}
	}
	return out
}

// serveRules is GET /api/v1/rules: the detection rules in force.
func (s *Server) serveRules(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, s.rulesInfo())
}

// serveRulesReload is POST /api/v1/rules/reload (scope admin): load the
// rules again, validate them, and swap them in; on error the rules in
// force stay and the answer (400) lists the problems.
func (s *Server) serveRulesReload(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.ReloadRules(); err != nil {
		return &Error{Code: EInvalid, Message: "rules not reloaded, the rules in force stay: " + truncate(err.Error(), 4096), Cause: err}
	}
	return writeJSON(w, http.StatusOK, s.rulesInfo())
}
