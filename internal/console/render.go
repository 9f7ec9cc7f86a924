package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/store"
)

// NavItem is one entry of the console's navigation.
type NavItem struct {
	Path, Label string
}

// Nav is the console's navigation, in order. A new page (Devices after
// the enrollment issue) adds its entry here and its route in Routes.
var Nav = []NavItem{
	{"/", "Overview"},
	{"/sessions", "Sessions"},
	{"/alerts", "Alerts"},
	{"/policy", "Policy"},
	{"/devices", "Devices"},
}

// ShortLimit is the length, in characters, past which a value is cut in
// lists and tables; the full value stays available in a disclosure.
const ShortLimit = 160

// pages holds the parsed templates: each page is layout.html plus its own
// file, with the shared partials (timeline.html: a session's timeline).
type pages struct {
	m map[string]*template.Template
}

var pageNames = []string{"login", "overview", "sessions", "session", "policy", "error",
	"alerts", "alert", "confirm", "devices", "device", "revoke"}

func parsePages() (*pages, error) {
	p := &pages{m: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/timeline.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", name, err)
		}
		p.m[name] = t
	}
	return p, nil
}

// view is what layout.html renders around a page.
type view struct {
	Title   string
	Page    string
	Nav     []NavItem
	Session *sessionView
	Data    any
}

type sessionView struct {
	TokenID, TokenName string
	Admin              bool
	CSRF               string
}

// render writes page name with data; s is the sign-in (nil on the
// sign-in page).
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, s *session, data any) {
	t := c.pages.m[name]
	v := view{Title: strings.ToUpper(name[:1]) + name[1:], Page: name, Nav: Nav, Data: data}
	if s != nil {
		v.Session = &sessionView{TokenID: s.token.ID, TokenName: s.token.Name, Admin: s.admin(), CSRF: s.csrf}
	}
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		c.opts.Logger.Error("console render", "page", name, "error", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(b.Bytes())
	}
}

// pageError is an error with the page to show for it.
type pageError struct {
	status        int
	title, detail string
}

func (e *pageError) Error() string { return e.title + ": " + e.detail }

type errorPage struct{ Title, Detail string }

func (c *Console) fail(w http.ResponseWriter, r *http.Request, status int, title, detail string) {
	s, _ := r.Context().Value(ctxKey{}).(*session)
	c.render(w, r, status, "error", s, errorPage{Title: title, Detail: detail})
}

// failErr shows err: a pageError as it says, a store error by its code,
// anything else as an internal error whose cause only the log sees.
func (c *Console) failErr(w http.ResponseWriter, r *http.Request, err error) {
	var pe *pageError
	switch {
	case errors.As(err, &pe):
		c.fail(w, r, pe.status, pe.title, pe.detail)
	case store.ErrorCode(err) == store.ENotFound:
		c.fail(w, r, http.StatusNotFound, "Not found", "No such session is stored. Check the ID, or widen the time range on the session list.")
	case store.ErrorCode(err) == store.EInvalid:
		c.fail(w, r, http.StatusBadRequest, "Invalid request", Visible(err.Error()))
	default:
		c.opts.Logger.Error("console request failed", "path", r.URL.Path, "error", err)
		c.fail(w, r, http.StatusInternalServerError, "Something went wrong", "The server could not answer; try again, and check its log if it persists.")
	}
}

// Visible returns s with everything that a terminal or a browser would
// interpret rather than show made visible: C0 and C1 control characters
// (ESC of ANSI sequences included) become Unicode control pictures or
// \u escapes, and bidirectional overrides and isolates (U+202A-U+202E,
// U+2066-U+2069) and other invisible format characters become \u
// escapes. Invalid UTF-8 shows as U+FFFD. Tab and newline stay.
func Visible(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune('\uFFFD')
		case r == '\t' || r == '\n':
			b.WriteRune(r)
		case r < 0x20:
			b.WriteRune(0x2400 + r) // ␀ … ␟; ESC is ␛
		case r == 0x7f:
			b.WriteRune('␡')
		case r >= 0x80 && r <= 0x9f, invisible(r):
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII, tab and newline only.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x7f || (c < 0x20 && c != '\t' && c != '\n') {
			return false
		}
	}
	return true
}

// invisible reports the format characters that change how text around
// them reads without showing themselves: bidirectional embeddings,
// overrides and isolates, marks, zero-width characters, the BOM and the
// line and paragraph separators.
func invisible(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200B, r == 0x200C, r == 0x200D, r == 0x200E, r == 0x200F, r == 0x061C,
		r == 0x2028, r == 0x2029, r == 0x2060, r == 0xFEFF, r == 0x00AD:
		return true
	}
	return false
}

// FullLimit bounds, in bytes, the full value a page carries in a
// disclosure; past it the disclosure holds this much and says so, and
// the whole value is in the run record's JSON and Markdown downloads.
// (A page that carried several 100 KB values took a browser tens of
// seconds to lay out.)
const FullLimit = 8 << 10

// short is a value cut for a table, with the full value kept.
type short struct {
	Text string // Visible, cut to ShortLimit characters
	Full string // Visible, whole up to FullLimit; "" when Text is whole
	Len  int    // the original length in bytes
	// Cut reports that Full stops at FullLimit.
	Cut bool
}

func shorten(s string) short {
	src := s
	if len(src) > 4*FullLimit {
		src = src[:utf8Boundary(src, 4*FullLimit)]
	}
	v := Visible(src)
	if utf8.RuneCountInString(v) <= ShortLimit && len(src) == len(s) {
		return short{Text: v, Len: len(s)}
	}
	out := short{Text: v, Len: len(s)}
	cut := 0
	for i := range v {
		if cut == ShortLimit {
			out.Text = v[:i]
			break
		}
		cut++
	}
	out.Full = v
	if len(out.Full) > FullLimit {
		out.Full, out.Cut = out.Full[:utf8Boundary(out.Full, FullLimit)], true
	} else if len(src) < len(s) {
		out.Cut = true
	}
	return out
}

// utf8Boundary returns the largest n <= limit that does not split a rune.
func utf8Boundary(s string, limit int) int {
	if limit >= len(s) {
		return len(s)
	}
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	return limit
}

var funcs = template.FuncMap{
	"vis":   Visible,
	"short": shorten,
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"day": func(t time.Time) string { return t.UTC().Format("Jan 2") },
	"usd": func(v float64) string { return "$" + strconv.FormatFloat(v, 'f', 2, 64) },
	"num": func(v float64) string {
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'f', 2, 64)
	},
	"sessionURL": func(id string) string { return "/sessions/" + url.PathEscape(id) },
	"actionURL":  func(id, action string) string { return "/sessions/" + url.PathEscape(id) + "/" + action },
	"json": func(v any) (string, error) {
		b, err := json.MarshalIndent(v, "", "  ")
		return Visible(string(b)), err
	},
	"add": func(a, b int) int { return a + b },
}
