package engine

// Words of names: path rules' word matches (<auth>) and MCP tool verbs
// split names the same way.

// Character classes of eachWord.
const (
	sepChar = iota
	lowerChar
	upperChar
	digitChar
)

func charClass(c byte) int {
	switch {
	case c >= 'a' && c <= 'z' || c >= 0x80:
		return lowerChar // bytes beyond ASCII belong to words, as lower case
	case c >= 'A' && c <= 'Z':
		return upperChar
	case c >= '0' && c <= '9':
		return digitChar
	}
	return sepChar
}

// eachWord calls f with each word of s in order, as written, until f
// returns true, and reports whether it did. Words are runs of letters and
// digits, split between a lower-case and an upper-case letter (authService:
// auth, Service), before the last capital of a run that a lower-case letter
// follows (OAuthClient: O, Auth, Client; HTTPServer: HTTP, Server), and
// between letters and digits (oauth2: oauth, 2). So snake_case, kebab-case,
// camelCase, PascalCase and dotted names split alike.
func eachWord(s string, f func(word string) bool) bool {
	start := -1
	for i := 0; i < len(s); i++ {
		c := charClass(s[i])
		if c == sepChar {
			if start >= 0 && f(s[start:i]) {
				return true
			}
			start = -1
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		p := charClass(s[i-1])
		switch {
		case (c == digitChar) != (p == digitChar), c == upperChar && p == lowerChar:
			if f(s[start:i]) {
				return true
			}
			start = i
		case c == lowerChar && p == upperChar && i-1 > start:
			if f(s[start : i-1]) {
				return true
			}
			start = i - 1
		}
	}
	return start >= 0 && f(s[start:])
}

// words returns the words of s, case-folded.
func words(s string) []string {
	var out []string
	eachWord(s, func(w string) bool {
		out = append(out, foldCase(w))
		return false
	})
	return out
}
