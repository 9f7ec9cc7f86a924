// Package console is the web console `warden serve` serves beside its JSON
// API: server-rendered HTML pages (html/template, assets embedded with
// go:embed, no JavaScript at all) for analysts and platform teams: the
// overview of a period (adoption, tool mix, Warden's decisions, blocks per
// team and repository, model mix and cost, API errors), the session list
// and a session's run record and timeline, the alert queue and an alert's
// page, the served policy; and the admin actions quarantine, release, a
// reviewer's decision, an alert's status and the responses to an alert.
//
// Boundaries: console reads and writes through store.Store and the few
// callbacks of Options (token checks, quarantine, policy overlays,
// flushing pending decisions), which the server provides; it knows
// nothing of the server's handlers, and the server mounts its routes with
// Register. Everything it
// shows that an agent could have written is hostile data: html/template
// escapes it by context, and Visible first makes terminal escapes, other
// control characters and bidirectional overrides visible. Pages send a
// strict Content-Security-Policy (no script at all, styles only from
// /assets/); sign-in keeps a server-side session whose cookie is HttpOnly,
// SameSite=Strict and Secure under TLS; every state-changing request
// passes http.CrossOriginProtection and a per-session form token.
//
// The alert queue and an alert's page (issue 13's detection alerts) show
// the matched chain on its session's timeline and let admins move the
// alert along its lifecycle and respond (quarantine, revoke an MCP
// server, move a repository's tier) after a confirmation page. The
// devices page shows the enrolled fleet: each device's signed evidence,
// hook health, the policy revision it uses and the posture of its latest
// scans (warden scan --report), with revoke for admins. Nav is the one
// list of pages a new one joins.
package console

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// CSP is the Content-Security-Policy of every console response: nothing
// runs, styles and images come from the console's own assets only, forms
// post only to the console, and no other site may frame it.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// DefaultSessionTTL is how long a sign-in lasts.
const DefaultSessionTTL = 8 * time.Hour

// Options are a Console's dependencies.
type Options struct {
	Store store.Store
	// Authenticate checks a token's secret as the API checks a bearer
	// token (addr is the client's address, for failure limits) and
	// returns the live token, or an error to show as "sign-in failed".
	// It is asked again on every request, so a revoked token ends its
	// console sessions.
	Authenticate func(ctx context.Context, addr, secret string) (*record.Token, error)
	// Quarantine and Release change a session's quarantine the way the
	// API does (so that central decisions see it at once).
	Quarantine func(ctx context.Context, sessionID, reason, by string) (*record.Quarantine, error)
	Release    func(ctx context.Context, sessionID, by string) error
	// AddOverlay lays an overlay over the served policy the way the API
	// does (revoke an MCP server, move repositories to a tier), for the
	// responses to an alert; nil leaves those responses out.
	AddOverlay func(ctx context.Context, o record.PolicyOverlay) (*record.PolicyOverlay, error)
	// RevokeDevice revokes an enrolled device the way the API does (its
	// credential stops working at once); nil revokes in the store only,
	// which takes effect when the server's token cache expires.
	RevokeDevice func(ctx context.Context, id, by string) (*record.Device, error)
	// Sync waits until decisions accepted so far are in the store (nil:
	// nothing pending).
	Sync func(ctx context.Context) error
	// Policy and PolicyYAML are the policy the server serves; Version is
	// its stored bundle version ("" before the server started).
	Policy     *policy.Policy
	PolicyYAML []byte
	// PolicyDiff compares two stored revisions on the policy page.
	PolicyDiff PolicyDiff
	// Secure marks the cookie Secure (the server listens with TLS).
	Secure bool
	// SessionTTL bounds a sign-in (DefaultSessionTTL when 0).
	SessionTTL time.Duration
	Now        func() time.Time
	Rand       io.Reader
	Logger     *slog.Logger
}

// Console serves the web console.
type Console struct {
	opts     Options
	pages    *pages
	sessions *sessionStore
	assets   http.Handler
	xorigin  *http.CrossOriginProtection
}

// New builds a console; it parses its templates, so an error is a bug.
func New(opts Options) (*Console, error) {
	if opts.Store == nil || opts.Authenticate == nil || opts.Quarantine == nil || opts.Release == nil {
		return nil, errors.New("console: store, authenticate, quarantine and release are required")
	}
	if opts.Policy == nil {
		return nil, errors.New("console: no policy")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.Sync == nil {
		opts.Sync = func(context.Context) error { return nil }
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		return nil, fmt.Errorf("console assets: %w", err)
	}
	c := &Console{opts: opts, pages: p, sessions: newSessionStore(opts.Now, opts.Rand, opts.SessionTTL),
		xorigin: http.NewCrossOriginProtection()}
	c.assets = http.StripPrefix("/assets/", http.FileServerFS(sub))
	c.xorigin.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, http.StatusForbidden, "Cross-origin request refused", "This console accepts changes only from its own pages. Reload the page and try again.")
	}))
	return c, nil
}

// Route is one console route, for the server to mount (and instrument
// under Name).
type Route struct {
	Pattern string
	Name    string
	Handler http.Handler
}

// Routes lists the console's routes. Every one sends the console's
// security headers; all but the sign-in page and the assets need a
// sign-in, and every POST passes the cross-origin and form-token checks.
func (c *Console) Routes() []Route {
	page := func(h func(http.ResponseWriter, *http.Request, *session) error) http.Handler {
		return c.headers(c.signedIn(h))
	}
	action := func(h func(http.ResponseWriter, *http.Request, *session) error) http.Handler {
		return c.headers(c.xorigin.Handler(c.signedIn(c.formToken(h))))
	}
	return []Route{
		{"GET /{$}", "console_overview", page(c.serveOverview)},
		{"GET /login", "console_login", c.headers(http.HandlerFunc(c.serveLoginForm))},
		{"POST /login", "console_login_post", c.headers(c.xorigin.Handler(http.HandlerFunc(c.serveLogin)))},
		{"POST /logout", "console_logout", action(c.serveLogout)},
		{"GET /sessions", "console_sessions", page(c.serveSessions)},
		{"GET /sessions/{id}", "console_session", page(c.serveSession)},
		{"GET /sessions/{id}/record.json", "console_record_json", page(c.serveRecordFile("json"))},
		{"GET /sessions/{id}/record.md", "console_record_md", page(c.serveRecordFile("md"))},
		{"POST /sessions/{id}/quarantine", "console_quarantine", action(c.serveQuarantine)},
		{"POST /sessions/{id}/release", "console_release", action(c.serveRelease)},
		{"POST /sessions/{id}/review", "console_review", action(c.serveReview)},
		{"GET /alerts", "console_alerts", page(c.serveAlerts)},
		{"GET /alerts/{id}", "console_alert", page(c.serveAlert)},
		{"POST /alerts/{id}/status", "console_alert_status", action(c.serveAlertStatus)},
		{"POST /alerts/{id}/respond", "console_alert_respond", action(c.serveAlertRespond)},
		{"GET /policy", "console_policy", page(c.servePolicy)},
		{"GET /devices", "console_devices", page(c.serveDevices)},
		{"GET /devices/{id}", "console_device", page(c.serveDevice)},
		{"GET /devices/{id}/revoke", "console_device_revoke_confirm", page(c.serveRevokeConfirm)},
		{"POST /devices/{id}/revoke", "console_device_revoke", action(c.serveRevoke)},
		{"GET /assets/", "console_assets", c.headers(c.assets)},
	}
}

// headers sets the security headers of every console response.
func (c *Console) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if c.opts.Secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(r.URL.Path, "/assets/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}
