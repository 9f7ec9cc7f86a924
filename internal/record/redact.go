package record

import (
	"regexp"
	"strings"
	"sync"
)

// Redacted replaces every secret Redact finds.
const Redacted = "[REDACTED]"

// Redact masks secrets in a command line, URL or message so it can be kept in
// an audit record: URL passwords, Authorization, Proxy-Authorization and
// Cookie header values, password and token flags (--password x,
// --token=x, curl -u user:pass, mysql -pX, sshpass -p X, docker login -p X),
// KEY=value and "key": "value" pairs whose key names a secret (TOKEN,
// SECRET, PASSWORD, API_KEY, AUTH, SESSION, COOKIE, ...), private key blocks,
// and well-known token shapes (GitHub, OpenAI/Anthropic sk-, Slack, AWS
// access key IDs, JWTs, Bearer tokens, GitLab, npm, Google, Stripe).
//
// It errs towards masking: a false positive costs readability, a false
// negative leaks a secret into a shared log. Ordinary commands pass through
// unchanged. Redact is idempotent and cheap: each rule runs only when a
// literal trigger occurs in s, and its regular expression is compiled on
// first use, never at init.
func Redact(s string) string {
	if plainShort(s) {
		return s
	}
	return redact(s)
}

// redact is Redact without the plainShort shortcut.
func redact(s string) string {
	lower := strings.ToLower(s)
	for i := range redactRules {
		r := &redactRules[i]
		if !r.triggered(lower) {
			continue
		}
		s = r.apply(s)
		lower = strings.ToLower(s)
	}
	return s
}

// plainShort reports whether s is too short and plain for any rule: under
// 15 bytes (the shortest token shape, xoxb- and ten characters) of letters,
// digits, '.', '_' and '-' only, which every other rule needs more than
// (a space, '=', ':', a quote). Most attribute values are such words.
func plainShort(s string) bool {
	if len(s) >= 15 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// RedactValue returns v with secrets masked in every string it holds: v
// itself, or the elements and values of nested []any and map[string]any
// (attribute values as the OTLP decoder makes them), changed in place.
// Values of a map key that names a secret (SecretAttr) are masked whole.
// Other types are returned as they are.
func RedactValue(v any) any {
	switch x := v.(type) {
	case string:
		return Redact(x)
	case []any:
		for i := range x {
			x[i] = RedactValue(x[i])
		}
	case map[string]any:
		RedactAttrs(x, nil)
	}
	return v
}

// RedactAttrs masks secrets in attribute values in place (RedactValue),
// and replaces a string value whose key names a secret (SecretAttr) with
// Redacted; keys for which keep returns true are left as they are.
func RedactAttrs(attrs map[string]any, keep func(key string) bool) {
	for k, v := range attrs {
		if keep != nil && keep(k) {
			continue
		}
		if s, ok := v.(string); ok && s != "" && s != Redacted && SecretAttr(k) && !isReference(s) {
			attrs[k] = Redacted
			continue
		}
		attrs[k] = RedactValue(v)
	}
}

// RedactStrings is RedactAttrs for string attributes (metric points').
func RedactStrings(attrs map[string]string) {
	for k, v := range attrs {
		switch {
		case v != "" && v != Redacted && SecretAttr(k) && !isReference(v):
			attrs[k] = Redacted
		default:
			attrs[k] = Redact(v)
		}
	}
}

// SecretAttr reports whether an attribute named key holds a secret as a
// whole: SecretKey(key) (api_key, auth.token, db.password), except when
// its last word (after '.', '_' or '-') says it holds an identifier, a
// count or a kind of one (session.id, input_tokens, api_key_source,
// token_type), which Claude Code's own attributes do.
func SecretAttr(key string) bool {
	if !SecretKey(key) {
		return false
	}
	last := key
	if i := strings.LastIndexAny(key, "._-"); i >= 0 {
		last = key[i+1:]
	}
	switch strings.ToLower(last) {
	case "id", "ids", "uuid", "count", "tokens", "length", "type", "source", "name", "mode", "kind", "scope", "status":
		return false
	}
	return true
}

// RedactAudit masks secrets in the free-text fields of an audit event as
// a server receives it (the hook redacts what it writes; a server cannot
// assume every client does): command, path, URL, reason, error and the
// rest, but not its IDs, times and enumerations.
func RedactAudit(ev *AuditEventV1) {
	for _, f := range []*string{
		&ev.User, &ev.Host, &ev.Repository, &ev.Branch, &ev.Cwd, &ev.Root, &ev.Command, &ev.Path, &ev.URL,
		&ev.MCPServer, &ev.MCPTool, &ev.Reason, &ev.Exception, &ev.Source, &ev.EndReason, &ev.FilePath, &ev.Error,
	} {
		*f = Redact(*f)
	}
	// The paths a Bash call touches: redacted and bounded in count and
	// length (BoundTouched), as the hook writes them.
	BoundTouched(ev)
}

// redactRule is one pattern with its replacement. The expression is compiled
// lazily so that linking this package costs nothing at process start.
type redactRule struct {
	name     string
	triggers []string // lower-case substrings; the rule runs if any occurs
	pattern  string
	// replace builds the replacement from the submatches (m[0] is the whole
	// match); nil means the whole match becomes Redacted.
	replace func(m []string) string

	once sync.Once
	re   *regexp.Regexp
}

func (r *redactRule) triggered(lower string) bool {
	for _, t := range r.triggers {
		if strings.Contains(lower, t) {
			return true
		}
	}
	return false
}

func (r *redactRule) apply(s string) string {
	r.once.Do(func() { r.re = regexp.MustCompile(r.pattern) })
	idx := r.re.FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	m := make([]string, r.re.NumSubexp()+1)
	for _, loc := range idx {
		for i := range m {
			m[i] = ""
			if loc[2*i] >= 0 {
				m[i] = s[loc[2*i]:loc[2*i+1]]
			}
		}
		b.WriteString(s[last:loc[0]])
		if r.replace == nil {
			b.WriteString(Redacted)
		} else {
			b.WriteString(r.replace(m))
		}
		last = loc[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// secretValue matches a flag or assignment value: quoted, or a bare word.
// A quote left open (the text was cut) runs to the end.
const secretValue = `('[^']*'?|"[^"]*"?|[^\s'"]+)`

// redactRules run in order; earlier rules mask whole blocks or structured
// forms, later ones catch bare token shapes.
var redactRules = [...]redactRule{
	{
		name:     "private-key",
		triggers: []string{"private key-----"},
		pattern:  `-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`,
		replace:  func([]string) string { return "[REDACTED PRIVATE KEY]" },
	},
	{
		// https://user:pass@host → https://user:[REDACTED]@host
		name:     "url-password",
		triggers: []string{"://"},
		pattern:  `([A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#@:'"]*):([^\s/?#@'"]+)@`,
		replace:  func(m []string) string { return m[1] + ":" + Redacted + "@" },
	},
	{
		// -H 'Authorization: Bearer x' → -H 'Authorization: Bearer [REDACTED]'
		name:     "authorization-header",
		triggers: []string{"authorization"},
		pattern:  `(?i)((?:proxy-)?authorization['"]?\s*[:=]\s*)((?:basic|bearer|token|digest|negotiate|aws4-hmac-sha256)\s+)?[^'"\r\n]+`,
		replace: func(m []string) string {
			if v := strings.TrimSpace(m[0][len(m[1])+len(m[2]):]); isReference(v) || redactedOnly(v) {
				return m[0]
			}
			return m[1] + m[2] + Redacted
		},
	},
	{
		name:     "cookie-header",
		triggers: []string{"cookie"},
		pattern:  `(?i)(\b(?:set-)?cookie['"]?\s*:\s*)[^'"\r\n]+`,
		replace:  func(m []string) string { return m[1] + Redacted },
	},
	{
		// --password x, --password=x, --api-key x, --github-token=x, --cookie x
		name:     "secret-flag",
		triggers: []string{"--"},
		pattern:  `(?i)(--(?:[a-z0-9]+-)*(?:password|passwd|pass|token|secret|api-?key|access-?key|private-?key|cookie|credentials?))(=|\s+)` + secretValue,
		replace: func(m []string) string {
			flag, sep, val := m[1], m[2], m[3]
			if strings.HasPrefix(strings.ToLower(flag), "--no-") ||
				(sep != "=" && strings.ContainsAny(val[:1], "-<>|&;")) {
				return m[0] // a boolean flag followed by an option or operator
			}
			if isReference(val) {
				return m[0]
			}
			return flag + sep + Redacted
		},
	},
	{
		// curl -u user:pass, --user=user:pass (uid:gid pairs are left alone)
		name:     "user-password-flag",
		triggers: []string{"-u", "--user"},
		pattern:  `((?:^|\s)(?:-u\s*|--user(?:=|\s+))['"]?)([^\s:'"@/]+):([^\s'"@]+)`,
		replace: func(m []string) string {
			if allDigits(m[2]) && allDigits(m[3]) {
				return m[0]
			}
			return m[1] + m[2] + ":" + Redacted
		},
	},
	{
		// mysql -pSECRET (only the attached form: "mysql -p db" prompts)
		name:     "mysql-password",
		triggers: []string{"mysql", "mariadb"},
		pattern:  `\b((?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlpump|mariadb|mariadb-dump)\b[^|;&\n]*?\s-p)` + secretValue,
		replace:  func(m []string) string { return m[1] + Redacted },
	},
	{
		// sshpass -p SECRET, docker login -p SECRET
		name:     "login-password",
		triggers: []string{"sshpass", "login"},
		pattern:  `\b((?:sshpass|(?:docker|podman|nerdctl|buildah|skopeo|oras|helm\s+registry)\s+login)\b[^|;&\n]*?\s-p)(\s*)` + secretValue,
		replace:  func(m []string) string { return m[1] + m[2] + Redacted },
	},
	{
		// {"password": "x"} in a request body or script
		name:     "json-secret-key",
		triggers: []string{`":`, `':`, `" :`, `' :`},
		pattern:  `(["']([A-Za-z_][A-Za-z0-9_.\-]*)["']\s*:\s*)("[^"]*"|'[^']*')`,
		replace: func(m []string) string {
			if !SecretKey(m[2]) || isReference(m[3]) {
				return m[0]
			}
			q := m[3][:1]
			return m[1] + q + Redacted + q
		},
	},
	{
		// GITHUB_TOKEN=x, export AWS_SECRET_ACCESS_KEY='x', ?access_token=x&
		name:     "secret-assignment",
		triggers: []string{"="},
		pattern:  `\b([A-Za-z_][A-Za-z0-9_.\-]*)=('[^']*'|"[^"]*"|[^\s'"&;|<>()]+)`,
		replace: func(m []string) string {
			if !SecretKey(m[1]) || isReference(m[2]) || authScheme(m[2]) {
				return m[0]
			}
			return m[1] + "=" + Redacted
		},
	},
	{
		name: "token-shape",
		triggers: []string{
			"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "sk-", "xox",
			"akia", "asia", "eyj", "glpat-", "npm_", "aiza",
			"sk_live_", "sk_test_", "rk_live_", "rk_test_",
		},
		pattern: `\b(?:gh[pousr]_[A-Za-z0-9]{20,}` +
			`|github_pat_[A-Za-z0-9_]{20,}` +
			`|sk-[A-Za-z0-9_\-]{20,}` +
			`|xox[abprs]-[A-Za-z0-9\-]{10,}` +
			`|(?:AKIA|ASIA)[0-9A-Z]{16}` +
			`|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*` +
			`|glpat-[A-Za-z0-9_\-]{20,}` +
			`|npm_[A-Za-z0-9]{36}` +
			`|AIza[0-9A-Za-z_\-]{35}` +
			`|[rs]k_(?:live|test)_[A-Za-z0-9]{16,})`,
	},
	{
		name:     "bearer",
		triggers: []string{"bearer"},
		pattern:  `(?i)\b(bearer\s+)[A-Za-z0-9._~+/=\-]{8,}`,
		replace:  func(m []string) string { return m[1] + Redacted },
	},
}

// secretKeyWords are the name fragments that mark a key as holding a secret.
var secretKeyWords = [...]string{
	"TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASS", "API_KEY", "APIKEY",
	"ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL", "AUTH", "SESSION", "COOKIE",
}

// SecretKey reports whether a variable, flag or field name looks like it
// holds a secret: it contains TOKEN, SECRET, PASSWORD, PASSWD, PASS, API_KEY,
// APIKEY, ACCESS_KEY, PRIVATE_KEY, CREDENTIAL, AUTH, SESSION or COOKIE, in any
// case, with - and . read as _. AUTHOR (GIT_AUTHOR_NAME) is not AUTH.
func SecretKey(name string) bool {
	k := []byte(strings.ToUpper(name))
	for i, c := range k {
		if c == '-' || c == '.' {
			k[i] = '_'
		}
	}
	return secretKeyUpper(string(k))
}

func secretKeyUpper(k string) bool {
	for _, w := range secretKeyWords {
		if w == "AUTH" {
			if hasAuth(k) {
				return true
			}
			continue
		}
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// hasAuth finds AUTH that is not the start of AUTHOR (but is of AUTHORIZATION).
func hasAuth(k string) bool {
	for i := 0; ; {
		j := strings.Index(k[i:], "AUTH")
		if j < 0 {
			return false
		}
		rest := k[i+j+4:]
		if !strings.HasPrefix(rest, "OR") || strings.HasPrefix(rest, "ORIZ") {
			return true
		}
		i += j + 4
	}
}

// isReference reports whether a value refers to a secret instead of being
// one: $VAR, ${VAR}, $(cmd), possibly quoted, or nothing at all.
func isReference(v string) bool {
	v = strings.Trim(v, `"'`)
	return v == "" || strings.HasPrefix(v, "$")
}

// redactedOnly reports whether v is nothing but Redacted markers, masked
// by an earlier rule: masking it again would only merge them.
func redactedOnly(v string) bool {
	fields := strings.Fields(v)
	for _, f := range fields {
		if f != Redacted {
			return false
		}
	}
	return len(fields) > 0
}

// authScheme reports whether v is an HTTP auth scheme word, as in
// "Authorization=Bearer [REDACTED]" once the header rule has run.
func authScheme(v string) bool {
	switch strings.ToLower(v) {
	case "basic", "bearer", "token", "digest", "negotiate":
		return true
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
