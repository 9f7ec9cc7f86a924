package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// SessionPageSize is how many sessions the list shows per page.
const SessionPageSize = 50

// sessionFilterKeys are the list's query parameters.
var sessionFilterKeys = []string{"user", "repository", "tier", "device", "team", "denials", "alerts", "conflicts", "since", "until", "cursor", "limit"}

// listFilter is the session list's filter as the form shows it.
type listFilter struct {
	User, Repository, Tier, Device, Team string
	Denials, Alerts, Conflicts           bool
	Since, Until                         string // YYYY-MM-DD
	Limit                                int
}

// query encodes f (without a cursor).
func (f listFilter) query() url.Values {
	q := url.Values{}
	for _, kv := range [][2]string{{"user", f.User}, {"repository", f.Repository}, {"tier", f.Tier},
		{"device", f.Device}, {"team", f.Team}, {"since", f.Since}, {"until", f.Until}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	for _, b := range []struct {
		key string
		on  bool
	}{{"denials", f.Denials}, {"alerts", f.Alerts}, {"conflicts", f.Conflicts}} {
		if b.on {
			q.Set(b.key, "1")
		}
	}
	if f.Limit != 0 && f.Limit != SessionPageSize {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

const dateLayout = "2006-01-02"

// parseListFilter reads the list's query into a store filter.
func parseListFilter(q url.Values) (listFilter, store.SessionFilter, error) {
	if err := checkFilterKeys(q, sessionFilterKeys); err != nil {
		return listFilter{}, store.SessionFilter{}, err
	}
	lf := listFilter{User: q.Get("user"), Repository: q.Get("repository"), Tier: q.Get("tier"),
		Device: q.Get("device"), Team: q.Get("team"), Since: q.Get("since"), Until: q.Get("until"), Limit: SessionPageSize}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"denials", &lf.Denials}, {"alerts", &lf.Alerts}, {"conflicts", &lf.Conflicts}} {
		switch q.Get(b.key) {
		case "", "0":
		case "1", "on", "true":
			*b.dst = true
		default:
			return lf, store.SessionFilter{}, badFilter(b.key + " is 1 or empty.")
		}
	}
	f := store.SessionFilter{UserID: lf.User, Repository: lf.Repository, Tier: lf.Tier, Host: lf.Device, Team: lf.Team,
		HasDenials: lf.Denials, HasAlerts: lf.Alerts, HasConflicts: lf.Conflicts, Cursor: q.Get("cursor"), Limit: lf.Limit}
	n, err := parseLimit(q, lf.Limit)
	if err != nil {
		return lf, f, err
	}
	lf.Limit, f.Limit = n, n
	if lf.Since != "" {
		if f.Since, err = time.Parse(dateLayout, lf.Since); err != nil {
			return lf, f, badFilter("since is a date, YYYY-MM-DD.")
		}
	}
	if lf.Until != "" {
		var u time.Time
		if u, err = time.Parse(dateLayout, lf.Until); err != nil {
			return lf, f, badFilter("until is a date, YYYY-MM-DD.")
		}
		f.Until = u.Add(store.Day) // through the whole day
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return lf, f, badFilter("until must not be before since.")
	}
	return lf, f, nil
}

type sessionsPage struct {
	Filter   listFilter
	Sessions []sessionRow
	Next     string // URL of the next page, "" on the last
	First    string // URL of the first page, "" on it
}

type sessionRow struct {
	ID, User, Repository, Branch, Host, Tier, Team short
	URL                                            string
	First, Last                                    time.Time
	Events, Denials, Asks, Rejections, Conflicts   int64
	CostUSD                                        float64
	Quarantined                                    bool
}

func (c *Console) serveSessions(w http.ResponseWriter, r *http.Request, s *session) error {
	lf, f, err := parseListFilter(r.URL.Query())
	if err != nil {
		return err
	}
	if err := c.opts.Sync(r.Context()); err != nil {
		return err
	}
	page, err := c.opts.Store.ListSessions(r.Context(), f)
	if err != nil {
		return err
	}
	p := sessionsPage{Filter: lf}
	for _, x := range page.Sessions {
		p.Sessions = append(p.Sessions, sessionRow{
			ID: shorten(x.SessionID), URL: "/sessions/" + url.PathEscape(x.SessionID), User: shorten(x.UserID),
			Repository: shorten(x.Repository), Branch: shorten(x.Branch), Host: shorten(x.Host), Tier: shorten(x.Tier),
			Team: shorten(x.Team), First: x.FirstTime, Last: x.LastTime, Events: x.Counts.Events,
			Denials: x.Counts.Denials, Asks: x.Counts.Asks, Rejections: x.Counts.Rejections, Conflicts: x.Counts.Conflicts,
			CostUSD: x.Rollup.CostUSD, Quarantined: x.Quarantined,
		})
	}
	p.Next, p.First = pageLinks("/sessions", lf.query(), page.Next, f.Cursor)
	c.render(w, r, http.StatusOK, "sessions", s, p)
	return nil
}

// truncate cuts s to n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// anchor makes an HTML id fragment of s: letters, digits, - _ . kept,
// anything else as -.
func anchor(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '-'
	}, s)
}

func urlValues(kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q.Encode()
}

// sessionPage is one session: summary, actions, run record, timeline.
type sessionPage struct {
	ID                                                         short
	Summary                                                    *record.SessionSummary
	Record                                                     record.RunRecord
	Quarantine                                                 *record.Quarantine
	Review                                                     *record.Review
	Decisions                                                  []string
	Timeline                                                   []timelineRow
	Fields                                                     []field
	Conflicts                                                  int
	Denials                                                    int
	Quarantined                                                bool
	QuarantineURL, ReleaseURL, ReviewURL, JSONURL, MarkdownURL string
	AlertsURL                                                  string
	Notice                                                     string
}

// field is one run record field, flattened for the "every field" table.
type field struct {
	Path  string
	Value short
}

// timelineRow is one event on the session's timeline.
type timelineRow struct {
	Time         time.Time
	Source       string
	Kind         short
	Tool         short
	Target       short
	Claude       short // Claude Code's decision (tool_decision) and its source
	Warden       short // Warden's decision
	Rule         short
	Reason       short
	Result       short
	Prompt       short
	Denied       bool
	Conflict     bool
	ObservedOnly bool
	// Matched marks an event a detection alert matched (the alert page).
	Matched bool
	// Unverified says why a hook audit event is not verified evidence
	// (its Verification.Reason), nil when it is or when the event is
	// telemetry.
	Unverified *unverifiedReason
	EventID    string
}

func (c *Console) loadSession(r *http.Request) (string, *record.SessionSummary, []record.Event, error) {
	id := r.PathValue("id")
	if err := store.ValidateSessionID(id); err != nil {
		return "", nil, nil, err
	}
	if err := c.opts.Sync(r.Context()); err != nil {
		return "", nil, nil, err
	}
	sum, err := c.opts.Store.Session(r.Context(), id)
	if err != nil {
		return "", nil, nil, err
	}
	events, err := c.opts.Store.SessionEvents(r.Context(), id)
	if err != nil {
		return "", nil, nil, err
	}
	return id, sum, events, nil
}

func (c *Console) serveSession(w http.ResponseWriter, r *http.Request, s *session) error {
	id, sum, events, err := c.loadSession(r)
	if err != nil {
		return err
	}
	rr := record.BuildRunRecord(*sum, events)
	p := sessionPage{ID: shorten(id), Summary: sum, Decisions: record.ReviewDecisions}
	if rv, err := c.opts.Store.Review(r.Context(), id); err == nil {
		rr.Review, p.Review = rv, rv
	} else if store.ErrorCode(err) != store.ENotFound {
		return err
	}
	if q, err := c.opts.Store.Quarantine(r.Context(), id); err == nil {
		p.Quarantine = q
		rr.Quarantined = true
	} else if store.ErrorCode(err) != store.ENotFound {
		return err
	}
	p.Record = rr
	p.Quarantined = p.Quarantine != nil
	esc := url.PathEscape(id)
	p.QuarantineURL, p.ReleaseURL, p.ReviewURL = "/sessions/"+esc+"/quarantine", "/sessions/"+esc+"/release", "/sessions/"+esc+"/review"
	p.JSONURL, p.MarkdownURL = "/sessions/"+esc+"/record.json", "/sessions/"+esc+"/record.md"
	p.AlertsURL = "/alerts?" + urlValues("session", id)
	p.Fields = flatten(rr)
	p.Conflicts, p.Denials = len(rr.Conflicts), len(rr.Denials)
	p.Timeline = timeline(events, rr)
	switch r.URL.Query().Get("done") {
	case "quarantined":
		p.Notice = "Session quarantined: its further central decisions are deny."
	case "released":
		p.Notice = "Quarantine released."
	case "reviewed":
		p.Notice = "Reviewer decision saved."
	}
	c.render(w, r, http.StatusOK, "session", s, p)
	return nil
}

// serveRecordFile is GET /sessions/{id}/record.json and record.md: the
// run record with its reviewer decision and quarantine, as a download
// (never rendered by the browser as a page of its own).
func (c *Console) serveRecordFile(format string) func(http.ResponseWriter, *http.Request, *session) error {
	return func(w http.ResponseWriter, r *http.Request, s *session) error {
		id, sum, events, err := c.loadSession(r)
		if err != nil {
			return err
		}
		rr := record.BuildRunRecord(*sum, events)
		if rv, err := c.opts.Store.Review(r.Context(), id); err == nil {
			rr.Review = rv
		} else if store.ErrorCode(err) != store.ENotFound {
			return err
		}
		var body []byte
		h := w.Header()
		if format == "md" {
			body = []byte(rr.Markdown())
			h.Set("Content-Type", "text/markdown; charset=utf-8")
		} else {
			if body, err = json.MarshalIndent(rr, "", "  "); err != nil {
				return err
			}
			body = append(body, '\n')
			h.Set("Content-Type", "application/json")
		}
		h.Set("Content-Disposition", `attachment; filename="run-record.`+format+`"`)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(body)
		}
		return nil
	}
}

// requireAdmin refuses an action to a read-only sign-in.
func requireAdmin(s *session) error {
	if !s.admin() {
		return &pageError{status: http.StatusForbidden, title: "Admin scope required",
			detail: "You signed in with a read token. Sign in with an admin token to act on sessions."}
	}
	return nil
}

func (c *Console) serveQuarantine(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireAdmin(s); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := store.ValidateSessionID(id); err != nil {
		return err
	}
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if reason == "" {
		return &pageError{status: http.StatusBadRequest, title: "Reason required", detail: "Say why the session is quarantined; go back and fill in the reason."}
	}
	if err := store.ValidateQuarantine(id, reason, s.who()); err != nil {
		return err
	}
	if _, err := c.opts.Quarantine(r.Context(), id, reason, s.who()); err != nil {
		return err
	}
	http.Redirect(w, r, "/sessions/"+url.PathEscape(id)+"?done=quarantined", http.StatusSeeOther)
	return nil
}

func (c *Console) serveRelease(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireAdmin(s); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := store.ValidateSessionID(id); err != nil {
		return err
	}
	if err := c.opts.Release(r.Context(), id, s.who()); err != nil {
		if store.ErrorCode(err) == store.ENotFound {
			return &pageError{status: http.StatusConflict, title: "Not quarantined", detail: "This session is not quarantined."}
		}
		return err
	}
	http.Redirect(w, r, "/sessions/"+url.PathEscape(id)+"?done=released", http.StatusSeeOther)
	return nil
}

func (c *Console) serveReview(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireAdmin(s); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := store.ValidateSessionID(id); err != nil {
		return err
	}
	rv := record.Review{SessionID: id, Decision: r.PostForm.Get("decision"),
		Comment: strings.TrimSpace(r.PostForm.Get("comment")), Reviewer: s.who()}
	if err := store.ValidateReview(&rv); err != nil {
		return &pageError{status: http.StatusBadRequest, title: "Invalid review", detail: Visible(err.Error())}
	}
	if _, err := c.opts.Store.SetReview(r.Context(), rv); err != nil {
		return err
	}
	c.opts.Logger.Info("session reviewed", "session_id", id, "decision", rv.Decision, "by", rv.Reviewer)
	http.Redirect(w, r, "/sessions/"+url.PathEscape(id)+"?done=reviewed", http.StatusSeeOther)
	return nil
}
