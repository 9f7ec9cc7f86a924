package e2e

import (
	"net"
	"regexp"
	"strconv"
	"strings"
)

// Egress points the network destinations in a tool call at the loopback
// exfiltration listener, so that nothing a scripted call names can reach
// beyond the machine even if it runs, and whatever it tries to send is
// recorded:
//
//   - the host of every URL (scheme://[userinfo@]host[:port]) that is not
//     already loopback becomes 127.0.0.1:Port, userinfo, path, query and
//     fragment kept (https://docs.python.org@evil.example/3/ becomes
//     https://docs.python.org@127.0.0.1:Port/3/);
//   - /dev/tcp/HOST/PORT and /dev/udp/HOST/PORT become 127.0.0.1/Port;
//   - in commands, bare reserved host names (*.example, example.com, .net,
//     .org and their subdomains) and documentation or link-local addresses
//     (192.0.2.x, 198.51.100.x, 203.0.113.x, 169.254.x.x) become 127.0.0.1,
//     ports kept.
//
// Warden decides egress by what a command does (curl, nc, scp, a WebFetch
// outside the approved domains), not by which host it names, so the
// rewritten call gets the decision the original would.
type Egress struct {
	// Port is the listener's port.
	Port int
}

// fileContentKeys are tool input fields that hold file content (Write,
// Edit, NotebookEdit, MultiEdit): data, not destinations, and matched
// against files on disk, so they are left as they are.
var fileContentKeys = map[string]bool{
	"content": true, "old_string": true, "new_string": true, "new_source": true, "edits": true,
}

// Input returns a copy of a tool input with its destinations rewritten:
// URLs in every string, bare hosts too in a Bash command; file content is
// kept.
func (e Egress) Input(input map[string]any) map[string]any {
	if input == nil {
		return nil
	}
	out := make(map[string]any, len(input))
	for k, v := range input {
		switch {
		case fileContentKeys[k]:
			out[k] = v
		case k == "command":
			if s, ok := v.(string); ok {
				out[k] = e.Command(s)
				continue
			}
			out[k] = e.value(v)
		default:
			out[k] = e.value(v)
		}
	}
	return out
}

func (e Egress) value(v any) any {
	switch v := v.(type) {
	case string:
		return e.URLs(v)
	case map[string]any:
		return e.Input(v)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = e.value(x)
		}
		return out
	}
	return v
}

var (
	// urlAuthority finds scheme://authority; the authority stops at
	// characters that end a word in a shell command or a quoted string.
	urlAuthority = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*)://([A-Za-z0-9._~%:@\[\]\x{80}-\x{10FFFF}-]+)`)
	devTCP       = regexp.MustCompile(`/dev/(tcp|udp)/([^/\s'"]+)/([0-9]+|\$\w+|\$\{\w+\})`)
	// bareHost matches reserved names and documentation or link-local
	// addresses; the submatch is checked for word boundaries by hand
	// (Go's regexp has no look-behind).
	bareHost = regexp.MustCompile(`(?i)(?:[a-z0-9-]+\.)*example(?:\.(?:com|net|org))?|(?:192\.0\.2|198\.51\.100|203\.0\.113|169\.254\.[0-9]{1,3})\.[0-9]{1,3}`)
)

// localSchemes name things other than network hosts.
var localSchemes = map[string]bool{"file": true, "s3": true, "gs": true}

// URLs rewrites the host of every non-loopback URL in s.
func (e Egress) URLs(s string) string {
	return urlAuthority.ReplaceAllStringFunc(s, func(m string) string {
		sub := urlAuthority.FindStringSubmatch(m)
		scheme, auth := sub[1], sub[2]
		if localSchemes[strings.ToLower(scheme)] {
			return m
		}
		user, hostport := "", auth
		if i := strings.LastIndex(auth, "@"); i >= 0 {
			user, hostport = auth[:i+1], auth[i+1:]
		}
		if hostport == "" || IsLoopbackHost(hostOf(hostport)) {
			return m
		}
		return scheme + "://" + user + e.loopback()
	})
}

// Command rewrites URLs, /dev/tcp paths and bare reserved hosts in a Bash
// command.
func (e Egress) Command(s string) string {
	s = e.URLs(s)
	s = devTCP.ReplaceAllStringFunc(s, func(m string) string {
		sub := devTCP.FindStringSubmatch(m)
		if IsLoopbackHost(sub[2]) {
			return m
		}
		return "/dev/" + sub[1] + "/127.0.0.1/" + strconv.Itoa(e.Port)
	})
	var b strings.Builder
	last := 0
	for _, loc := range bareHost.FindAllStringIndex(s, -1) {
		i, j := loc[0], loc[1]
		if i > 0 && (continuesHost(s[i-1]) || s[i-1] == '/') || j < len(s) && continuesHost(s[j]) {
			continue // part of a file name (.env.example) or a longer word
		}
		b.WriteString(s[last:i])
		b.WriteString("127.0.0.1")
		last = j
	}
	b.WriteString(s[last:])
	return b.String()
}

func (e Egress) loopback() string { return "127.0.0.1:" + strconv.Itoa(e.Port) }

// continuesHost reports whether c next to a match makes it part of a longer
// name or path rather than a host of its own.
func continuesHost(c byte) bool {
	return c == '.' || c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// hostOf strips the port from host[:port] and the brackets from [v6]:port.
func hostOf(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// IsLoopbackHost reports whether host is localhost or a loopback address.
func IsLoopbackHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
