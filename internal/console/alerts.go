package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// The alert queue (/alerts) and an alert's page (/alerts/{id}): the
// detection alerts the server recorded (internal/detect, store.Alerts),
// their lifecycle (acknowledge, resolve, false positive, each with a
// comment) and the responses an analyst may take from one (quarantine
// the session, revoke an MCP server, move repositories to a tier), each
// behind a confirmation page.

// AlertPageSize is how many alerts the queue shows per page.
const AlertPageSize = 50

// alertContext is how many timeline rows the alert page shows before
// its first matched event and after its last; the session page has all.
const alertContext = 10

// alertFilterKeys are the queue's query parameters.
var alertFilterKeys = []string{"status", "severity", "rule", "session", "cursor", "limit"}

// alertFilter is the queue's filter as the form shows it.
type alertFilter struct {
	Status, Severity, Rule, Session string
	Limit                           int
}

func (f alertFilter) query() url.Values {
	q := url.Values{}
	for _, kv := range [][2]string{{"status", f.Status}, {"severity", f.Severity}, {"rule", f.Rule}, {"session", f.Session}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	if f.Limit != 0 && f.Limit != AlertPageSize {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// parseAlertFilter reads the queue's query into a store filter.
func parseAlertFilter(q url.Values) (alertFilter, store.AlertFilter, error) {
	if err := checkFilterKeys(q, alertFilterKeys); err != nil {
		return alertFilter{}, store.AlertFilter{}, err
	}
	af := alertFilter{Status: q.Get("status"), Severity: q.Get("severity"), Rule: q.Get("rule"), Session: q.Get("session"), Limit: AlertPageSize}
	if af.Status != "" && !slices.Contains(record.AlertStatuses, af.Status) {
		return af, store.AlertFilter{}, badFilter("status is one of " + strings.Join(record.AlertStatuses, ", ") + ", or empty.")
	}
	if af.Severity != "" && record.AlertSeverityRank(af.Severity) < 0 {
		return af, store.AlertFilter{}, badFilter("severity is one of " + strings.Join(record.AlertSeverities, ", ") + ", or empty.")
	}
	f := store.AlertFilter{Status: af.Status, Severity: af.Severity, Rule: af.Rule, SessionID: af.Session,
		Cursor: q.Get("cursor"), Limit: af.Limit}
	n, err := parseLimit(q, af.Limit)
	if err != nil {
		return af, f, err
	}
	af.Limit, f.Limit = n, n
	return af, f, nil
}

type alertsPage struct {
	Filter     alertFilter
	Statuses   []string
	Severities []string // highest first
	Summary    []severityRow
	Alerts     []alertRow
	Next       string
	First      string
}

// severityRow is one severity's line of the queue's summary: how many
// alerts have each status, with a link to them.
type severityRow struct {
	Severity string
	Cells    []summaryCell
}

type summaryCell struct {
	N   int64
	URL string
}

type alertRow struct {
	ID, URL                           string
	Rule, Title, Group                short
	Severity, Status                  string
	Session, User, Device, Repository short
	SessionURL                        string
	Count                             int64
	FirstSeen, LastSeen               time.Time
}

// severitiesDown lists the severities, highest first.
func severitiesDown() []string {
	s := slices.Clone(record.AlertSeverities)
	slices.Reverse(s)
	return s
}

func (c *Console) serveAlerts(w http.ResponseWriter, r *http.Request, s *session) error {
	af, f, err := parseAlertFilter(r.URL.Query())
	if err != nil {
		return err
	}
	counts, err := c.opts.Store.AlertCounts(r.Context())
	if err != nil {
		return err
	}
	page, err := c.opts.Store.ListAlerts(r.Context(), f)
	if err != nil {
		return err
	}
	p := alertsPage{Filter: af, Statuses: record.AlertStatuses, Severities: severitiesDown()}
	n := map[[2]string]int64{}
	for _, x := range counts {
		n[[2]string{x.Severity, x.Status}] = x.N
	}
	for _, sev := range p.Severities {
		row := severityRow{Severity: sev}
		for _, st := range p.Statuses {
			row.Cells = append(row.Cells, summaryCell{N: n[[2]string{sev, st}],
				URL: "/alerts?" + urlValues("severity", sev, "status", st)})
		}
		p.Summary = append(p.Summary, row)
	}
	for _, a := range page.Alerts {
		p.Alerts = append(p.Alerts, newAlertRow(&a))
	}
	p.Next, p.First = pageLinks("/alerts", af.query(), page.Next, f.Cursor)
	c.render(w, r, http.StatusOK, "alerts", s, p)
	return nil
}

func newAlertRow(a *record.Alert) alertRow {
	row := alertRow{ID: a.ID, URL: "/alerts/" + url.PathEscape(a.ID), Rule: shorten(a.Rule), Title: shorten(a.Title),
		Group: shorten(a.GroupBy + " " + a.Group), Severity: a.Severity, Status: a.Status,
		Session: shorten(a.SessionID), User: shorten(a.UserID), Device: shorten(a.Device), Repository: shorten(a.Repository),
		Count: a.Count, FirstSeen: a.FirstSeen, LastSeen: a.LastSeen}
	if a.SessionID != "" {
		row.SessionURL = "/sessions/" + url.PathEscape(a.SessionID)
	}
	return row
}

// alertPage is one alert: what fired, its history, the matched chain on
// its session's timeline, and for admins its actions.
type alertPage struct {
	Alert   alertRow
	History []historyRow
	// Timeline is the session's timeline around the matched events
	// (Matched rows), Before and After the rows left out on either side.
	Timeline      []timelineRow
	Before, After int
	Matched       int
	// Missing counts the matched events not on the timeline: in other
	// sessions (an alert grouped by user, device or repository) or
	// deleted by retention.
	Missing      int
	TimelineNote string
	Transitions  []transition
	StatusURL    string
	RespondURL   string
	Quarantine   *record.Quarantine
	// MCPServers are the MCP servers the matched events called, for the
	// revoke response; Tiers the policy's tiers, for the tier response.
	MCPServers []string
	Tiers      []string
	// RepositoryValue prefills the tier response's target: the alert's
	// repository when it shows as it is (else the admin types it).
	RepositoryValue string
	CanOverlay      bool
	Notice          string
}

type historyRow struct {
	Status      string
	By, Comment short
	Time        time.Time
}

// transition is a status change an admin may make now.
type transition struct {
	Status, Label string
}

// transitionLabels name the lifecycle's moves, in the order offered.
var transitionLabels = []transition{
	{record.AlertAcknowledged, "Acknowledge"},
	{record.AlertResolved, "Resolve"},
	{record.AlertFalsePositive, "Mark false positive"},
}

// alertID checks the {id} of an alert path.
func alertID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if id == "" || len(id) > 20 || strings.Trim(id, "0123456789") != "" {
		return "", &pageError{status: http.StatusNotFound, title: "Not found", detail: "No such alert: alert IDs are numbers. Pick one from the alert queue."}
	}
	return id, nil
}

// loadAlert reads an alert, a missing one as a page error.
func (c *Console) loadAlert(ctx context.Context, id string) (*record.Alert, error) {
	a, err := c.opts.Store.Alert(ctx, id)
	if store.ErrorCode(err) == store.ENotFound {
		return nil, &pageError{status: http.StatusNotFound, title: "Not found", detail: "No alert " + id + " is stored. Pick one from the alert queue."}
	}
	return a, err
}

func (c *Console) serveAlert(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := alertID(r)
	if err != nil {
		return err
	}
	if err := c.opts.Sync(r.Context()); err != nil {
		return err
	}
	a, err := c.loadAlert(r.Context(), id)
	if err != nil {
		return err
	}
	p := alertPage{Alert: newAlertRow(a), StatusURL: "/alerts/" + id + "/status", RespondURL: "/alerts/" + id + "/respond",
		CanOverlay: c.opts.AddOverlay != nil}
	for _, h := range a.History {
		p.History = append(p.History, historyRow{Status: h.Status, By: shorten(h.By), Comment: shorten(h.Comment), Time: h.Time})
	}
	for _, t := range transitionLabels {
		if record.AlertTransition(a.Status, t.Status) {
			p.Transitions = append(p.Transitions, t)
		}
	}
	if Visible(a.Repository) == a.Repository {
		p.RepositoryValue = a.Repository
	}
	for _, t := range c.opts.Policy.Tiers {
		p.Tiers = append(p.Tiers, t.Name)
	}
	if err := c.alertTimeline(r.Context(), a, &p); err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case record.AlertAcknowledged, record.AlertResolved, record.AlertFalsePositive:
		p.Notice = "Alert " + strings.ReplaceAll(a.Status, "_", " ") + "."
	case "quarantined":
		p.Notice = "Session quarantined: its further central decisions are deny."
	case policy.OverlayRevokeMCPServer:
		p.Notice = "MCP server revoked: the policy served now denies its tools."
	case policy.OverlayRepositoryTier:
		p.Notice = "Repository tier moved: the policy served now puts it in the chosen tier."
	}
	c.render(w, r, http.StatusOK, "alert", s, p)
	return nil
}

// alertTimeline fills the page's timeline: the alert's session's events
// around the ones it matched, those marked.
func (c *Console) alertTimeline(ctx context.Context, a *record.Alert, p *alertPage) error {
	matched := map[string]bool{}
	for _, id := range a.EventIDs {
		matched[id] = true
	}
	if a.SessionID == "" {
		p.Missing = len(matched)
		p.TimelineNote = "This alert groups several sessions (" + Visible(a.GroupBy) + "); open them from the session list."
		return nil
	}
	if q, err := c.opts.Store.Quarantine(ctx, a.SessionID); err == nil {
		p.Quarantine = q
	} else if store.ErrorCode(err) != store.ENotFound {
		return err
	}
	events, err := c.opts.Store.SessionEvents(ctx, a.SessionID)
	if store.ErrorCode(err) == store.ENotFound {
		p.Missing = len(matched)
		p.TimelineNote = "The session's events are no longer stored (retention deleted them)."
		return nil
	}
	if err != nil {
		return err
	}
	rows := timeline(events, record.BuildRunRecord(record.SessionSummary{SessionID: a.SessionID}, events))
	first, last := -1, -1
	for i := range rows {
		if matched[rows[i].EventID] {
			rows[i].Matched = true
			p.Matched++
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	p.Missing = len(matched) - p.Matched
	servers := map[string]bool{}
	for i := range events {
		if !matched[events[i].ID] {
			continue
		}
		// Only names that show as they are prefill a form: one with
		// control or bidirectional characters is typed by the admin.
		if s := mcpServerOf(&events[i]); s != "" && Visible(s) == s && len(s) <= 1024 {
			servers[s] = true
		}
	}
	p.MCPServers = sortedKeys(servers)
	if first < 0 {
		p.TimelineNote = "None of the matched events is in the session's stored events."
		return nil
	}
	lo, hi := max(first-alertContext, 0), min(last+alertContext+1, len(rows))
	p.Timeline, p.Before, p.After = rows[lo:hi], lo, len(rows)-hi
	return nil
}

// mcpServerOf names the MCP server an event called: the hook audit's,
// or the server part of a tool named mcp__SERVER__TOOL.
func mcpServerOf(e *record.Event) string {
	if e.Audit != nil && e.Audit.MCPServer != "" {
		return e.Audit.MCPServer
	}
	tool := e.Tool
	if e.Audit != nil && e.Audit.Tool != "" {
		tool = e.Audit.Tool
	}
	if rest, ok := strings.CutPrefix(tool, "mcp__"); ok {
		if server, _, ok := strings.Cut(rest, "__"); ok && server != "" {
			return server
		}
	}
	return ""
}

// serveAlertStatus is POST /alerts/{id}/status: acknowledge, resolve or
// mark a false positive, with a comment, recorded with the signed-in
// token as who.
func (c *Console) serveAlertStatus(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireAdmin(s); err != nil {
		return err
	}
	id, err := alertID(r)
	if err != nil {
		return err
	}
	status := r.PostForm.Get("status")
	if !slices.ContainsFunc(transitionLabels, func(t transition) bool { return t.Status == status }) {
		return &pageError{status: http.StatusBadRequest, title: "Invalid status", detail: "Choose acknowledge, resolve or false positive on the alert page."}
	}
	comment := strings.TrimSpace(r.PostForm.Get("comment"))
	if comment == "" {
		return &pageError{status: http.StatusBadRequest, title: "Comment required", detail: "Say why the alert changes status; go back and fill in the comment."}
	}
	if err := store.ValidateAlertStatus(id, status, s.who(), comment); err != nil {
		return &pageError{status: http.StatusBadRequest, title: "Invalid status change", detail: Visible(err.Error())}
	}
	a, err := c.opts.Store.SetAlertStatus(r.Context(), id, status, s.who(), comment)
	switch store.ErrorCode(err) {
	case "":
	case store.ENotFound:
		return &pageError{status: http.StatusNotFound, title: "Not found", detail: "No alert " + id + " is stored. Pick one from the alert queue."}
	case store.EConflict:
		return &pageError{status: http.StatusConflict, title: "Status not changed",
			detail: "The alert cannot move to " + status + " from where it is now (an ended alert stays ended). Reload the alert page."}
	default:
		return err
	}
	c.opts.Logger.Info("alert status changed", "alert", a.ID, "status", a.Status, "by", s.who())
	http.Redirect(w, r, "/alerts/"+id+"?done="+url.QueryEscape(status), http.StatusSeeOther)
	return nil
}

// responseAction is one response an admin may take from an alert.
type responseAction struct {
	Action, Label string
}

var responseActions = []responseAction{
	{"quarantine", "Quarantine the session"},
	{policy.OverlayRevokeMCPServer, "Revoke the MCP server"},
	{policy.OverlayRepositoryTier, "Move the repository to another tier"},
}

// confirmPage asks an admin to confirm a response before it is taken.
type confirmPage struct {
	Alert       alertRow
	Action      string
	Label       string
	Consequence string
	Target      short
	TargetValue string
	Tier        string
	Reason      string
	RespondURL  string
	CancelURL   string
}

// serveAlertRespond is POST /alerts/{id}/respond: a response to the
// alert. Without confirm=yes it changes nothing and shows what it would
// do, with a form that repeats the request confirmed.
func (c *Console) serveAlertRespond(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireAdmin(s); err != nil {
		return err
	}
	id, err := alertID(r)
	if err != nil {
		return err
	}
	a, err := c.loadAlert(r.Context(), id)
	if err != nil {
		return err
	}
	bad := func(title, detail string) error {
		return &pageError{status: http.StatusBadRequest, title: title, detail: detail}
	}
	action := r.PostForm.Get("action")
	i := slices.IndexFunc(responseActions, func(x responseAction) bool { return x.Action == action })
	if i < 0 {
		return bad("Unknown response", "Choose a response on the alert page.")
	}
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if reason == "" {
		return bad("Reason required", "Say why you respond; go back and fill in the reason.")
	}
	target := strings.TrimSpace(r.PostForm.Get("target"))
	tier := r.PostForm.Get("tier")
	cp := confirmPage{Alert: newAlertRow(a), Action: action, Label: responseActions[i].Label, Reason: reason, Tier: tier,
		RespondURL: "/alerts/" + id + "/respond", CancelURL: "/alerts/" + id}
	switch action {
	case "quarantine":
		if a.SessionID == "" {
			return bad("No session", "This alert names no single session to quarantine.")
		}
		target = a.SessionID
		cp.Consequence = "Every further central decision of this session is deny, until an admin releases it."
	case policy.OverlayRevokeMCPServer:
		if c.opts.AddOverlay == nil {
			return &pageError{status: http.StatusNotImplemented, title: "Not available", detail: "This server cannot change the policy it serves."}
		}
		if target == "" {
			return bad("MCP server required", "Name the MCP server to revoke; go back and fill it in.")
		}
		cp.Consequence = "The policy served to every hook denies every tool of this MCP server, fleet-wide, until the overlay is removed."
	case policy.OverlayRepositoryTier:
		if c.opts.AddOverlay == nil {
			return &pageError{status: http.StatusNotImplemented, title: "Not available", detail: "This server cannot change the policy it serves."}
		}
		if target == "" {
			return bad("Repository required", "Name the repository remote (a glob) to move; go back and fill it in.")
		}
		if !slices.ContainsFunc(c.opts.Policy.Tiers, func(t policy.Tier) bool { return t.Name == tier }) {
			return bad("Unknown tier", "Choose one of the policy's tiers.")
		}
		cp.Consequence = "Repositories whose git remote matches this glob are decided under tier " + Visible(tier) +
			", ahead of the policy's own mappings, until the overlay is removed."
	}
	if len(target) > 1024 || len(reason) > store.MaxReasonBytes {
		return bad("Too long", "The target or the reason is too long; shorten it.")
	}
	cp.Target, cp.TargetValue = shorten(target), target
	if r.PostForm.Get("confirm") != "yes" {
		c.render(w, r, http.StatusOK, "confirm", s, cp)
		return nil
	}
	why := "alert " + a.ID + " (" + a.Rule + "): " + reason
	why = record.Truncate(why, store.MaxReasonBytes)
	switch action {
	case "quarantine":
		if err := store.ValidateQuarantine(target, why, s.who()); err != nil {
			return err
		}
		if _, err := c.opts.Quarantine(r.Context(), target, why, s.who()); err != nil {
			return err
		}
		c.opts.Logger.Warn("session quarantined from an alert", "alert", a.ID, "session_id", target, "by", s.who())
		http.Redirect(w, r, "/alerts/"+id+"?done=quarantined", http.StatusSeeOther)
		return nil
	default:
		o := record.PolicyOverlay{Kind: action, Target: target, Reason: why, By: s.who()}
		if action == policy.OverlayRepositoryTier {
			o.Tier = tier
		}
		if err := store.ValidateOverlay(&o); err != nil {
			return &pageError{status: http.StatusBadRequest, title: "Invalid response", detail: Visible(err.Error())}
		}
		if _, err := c.opts.AddOverlay(r.Context(), o); err != nil {
			return err
		}
		c.opts.Logger.Warn("policy overlay added from an alert", "alert", a.ID, "kind", action, "target", target, "by", s.who())
		http.Redirect(w, r, "/alerts/"+id+"?done="+action, http.StatusSeeOther)
		return nil
	}
}
