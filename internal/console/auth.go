package console

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// Cookie names: under TLS the __Host- prefix pins the cookie to this host,
// path / and Secure.
const (
	cookieName       = "warden_console"
	secureCookieName = "__Host-warden_console"
)

// ErrTooManyAttempts is what Options.Authenticate wraps when the client's
// address has failed too often to be asked again yet.
var ErrTooManyAttempts = errors.New("too many failed attempts")

// maxSessions bounds the sign-ins kept; past it the expired ones go, then
// the oldest.
const maxSessions = 10_000

// session is one sign-in, kept on the server: the cookie carries only its
// random ID.
type session struct {
	id      string
	secret  string // the token's secret, checked again on every request
	token   *record.Token
	csrf    string // the form token of this sign-in
	expires time.Time
}

// admin reports whether the signed-in token may act (scope admin).
func (s *session) admin() bool { return s.token.HasScope(record.ScopeAdmin) }

// who names the signed-in token for records of its actions.
func (s *session) who() string {
	by := "token:" + s.token.ID
	if s.token.Name != "" {
		by += " (" + s.token.Name + ")"
	}
	return by
}

type sessionStore struct {
	now  func() time.Time
	rand io.Reader
	ttl  time.Duration

	mu sync.Mutex
	m  map[string]*session
}

func newSessionStore(now func() time.Time, rnd io.Reader, ttl time.Duration) *sessionStore {
	return &sessionStore{now: now, rand: rnd, ttl: ttl, m: map[string]*session{}}
}

func (st *sessionStore) random() (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(st.rand, b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// create starts a sign-in for token.
func (st *sessionStore) create(secret string, t *record.Token) (*session, error) {
	id, err := st.random()
	if err != nil {
		return nil, err
	}
	csrf, err := st.random()
	if err != nil {
		return nil, err
	}
	s := &session{id: id, secret: secret, token: t, csrf: csrf, expires: st.now().Add(st.ttl)}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.m) >= maxSessions {
		now := st.now()
		var oldest *session
		for k, x := range st.m {
			if !now.Before(x.expires) {
				delete(st.m, k)
			} else if oldest == nil || x.expires.Before(oldest.expires) {
				oldest = x
			}
		}
		if len(st.m) >= maxSessions && oldest != nil {
			delete(st.m, oldest.id)
		}
	}
	st.m[id] = s
	return s, nil
}

// get returns the live sign-in with this ID, or nil.
func (st *sessionStore) get(id string) *session {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.m[id]
	if s == nil {
		return nil
	}
	if !st.now().Before(s.expires) {
		delete(st.m, id)
		return nil
	}
	return s
}

func (st *sessionStore) delete(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.m, id)
}

func (c *Console) cookieName() string {
	if c.opts.Secure {
		return secureCookieName
	}
	return cookieName
}

// current returns the request's live sign-in, or nil. The token is
// checked again, so a revoked token signs its sessions out.
func (c *Console) current(r *http.Request) *session {
	ck, err := r.Cookie(c.cookieName())
	if err != nil || ck.Value == "" {
		return nil
	}
	s := c.sessions.get(ck.Value)
	if s == nil {
		return nil
	}
	t, err := c.opts.Authenticate(r.Context(), r.RemoteAddr, s.secret)
	if err != nil {
		c.sessions.delete(s.id)
		return nil
	}
	s.token = t
	return s
}

type ctxKey struct{}

// signedIn runs h for a signed-in request; others are sent to /login
// (GET) or refused (any other method).
func (c *Console) signedIn(h func(http.ResponseWriter, *http.Request, *session) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := c.current(r)
		if s == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				next := r.URL.RequestURI()
				http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
				return
			}
			c.fail(w, r, http.StatusUnauthorized, "Signed out", "Sign in again, then repeat what you were doing.")
			return
		}
		if err := h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)), s); err != nil {
			c.failErr(w, r, err)
		}
	})
}

// formToken checks the form token of a state-changing request: the sign-in
// 's own, in the form field csrf. CrossOriginProtection already refuses
// what browsers mark as cross-origin; this also covers browsers that send
// neither Sec-Fetch-Site nor Origin.
func (c *Console) formToken(h func(http.ResponseWriter, *http.Request, *session) error) func(http.ResponseWriter, *http.Request, *session) error {
	return func(w http.ResponseWriter, r *http.Request, s *session) error {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			return &pageError{status: http.StatusBadRequest, title: "Bad form", detail: "The form could not be read; reload the page and try again."}
		}
		got := r.PostForm.Get("csrf")
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) != 1 {
			return &pageError{status: http.StatusForbidden, title: "Form expired", detail: "This form does not belong to your sign-in. Reload the page and try again."}
		}
		return h(w, r, s)
	}
}

// maxFormBytes bounds a form post.
const maxFormBytes = 64 << 10

type loginPage struct {
	Next  string
	Error string
}

func (c *Console) serveLoginForm(w http.ResponseWriter, r *http.Request) {
	if c.current(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "login", nil, loginPage{Next: safeNext(r.URL.Query().Get("next"))})
}

func (c *Console) serveLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, http.StatusBadRequest, "Bad form", "The form could not be read; reload the page and try again.")
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	secret := strings.TrimSpace(r.PostForm.Get("token"))
	if secret == "" {
		c.render(w, r, http.StatusBadRequest, "login", nil, loginPage{Next: next, Error: "Enter a token (wdn_...) with read or admin scope."})
		return
	}
	t, err := c.opts.Authenticate(r.Context(), r.RemoteAddr, secret)
	if err != nil {
		status := http.StatusUnauthorized
		msg := "Sign-in failed: the token is unknown, revoked or lacks read or admin scope. Create one with `warden token create --scope read`."
		if errors.Is(err, ErrTooManyAttempts) {
			status, msg = http.StatusTooManyRequests, "Too many failed sign-ins from this address; wait a minute and try again."
		}
		c.opts.Logger.Info("console sign-in refused", "addr", r.RemoteAddr, "error", err)
		c.render(w, r, status, "login", nil, loginPage{Next: next, Error: msg})
		return
	}
	s, err := c.sessions.create(secret, t)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: c.cookieName(), Value: s.id, Path: "/", HttpOnly: true, Secure: c.opts.Secure,
		SameSite: http.SameSiteStrictMode, Expires: s.expires, MaxAge: int(c.opts.SessionTTL / time.Second),
	})
	c.opts.Logger.Info("console sign-in", "token", t.ID, "addr", r.RemoteAddr)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) serveLogout(w http.ResponseWriter, r *http.Request, s *session) error {
	c.sessions.delete(s.id)
	http.SetCookie(w, &http.Cookie{Name: c.cookieName(), Value: "", Path: "/", HttpOnly: true, Secure: c.opts.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// safeNext keeps a post-sign-in target on this site: a path starting
// with one slash, else /.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\t\\") || len(next) > 2048 {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}
