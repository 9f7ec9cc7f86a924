package engine

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/wardenhq/warden/internal/policy"
)

// urlHost returns the lower-cased host of a URL, without port or trailing
// dot; "" when the URL does not parse or has no host.
func urlHost(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}

// hostMatches: "go.dev" matches exactly go.dev; "*.python.org" matches any
// subdomain of python.org but not python.org itself.
func hostMatches(entry, host string) bool {
	entry = strings.ToLower(entry)
	if host == "" {
		return false
	}
	if suffix, ok := strings.CutPrefix(entry, "*"); ok {
		return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
	}
	return host == entry
}

func (e *Engine) decideWebFetch(d *decision) {
	u := d.newUnit()
	a := d.a
	w := &e.rs.Web
	parsed, err := url.Parse(strings.TrimSpace(a.URL))
	switch {
	case err != nil || a.URL == "":
		d.match(u, policy.Max(w.Default, policy.Ask), "web.default", fmt.Sprintf("WebFetch URL %q does not parse", a.URL))
	case parsed.Scheme == "file":
		// A file: URL is a read of a local file.
		e.checkFile(d, u, fileAccess{raw: parsed.Path, access: policy.AccessRead, cwds: []string{a.Cwd}, via: "WebFetch file URL"})
		d.match(u, policy.Max(w.Default, policy.Ask), "web.default", "WebFetch of a local file URL "+a.URL)
	default:
		host := urlHost(a.URL)
		d.note("host", "%s", host)
		switch {
		case listHas(w.Deny, host):
			d.match(u, policy.Deny, "web.deny", "WebFetch to denied domain "+host)
		case listHas(w.Ask, host):
			d.match(u, policy.Ask, "web.ask", "WebFetch to "+host+" needs approval")
		case listHas(w.Allow, host):
			d.match(u, policy.Allow, "web.allow", "WebFetch to approved documentation domain "+host)
		case w.Default != policy.None:
			d.match(u, w.Default, "web.default", "WebFetch to "+hostOrURL(host, a.URL)+", a domain the policy does not list")
		}
	}
	e.nativeTool(d, u)
	e.conditions(d, u, nil)
}

func hostOrURL(host, raw string) string {
	if host == "" {
		return raw
	}
	return host
}

func listHas(entries []string, host string) bool {
	for _, en := range entries {
		if hostMatches(en, host) {
			return true
		}
	}
	return false
}
