package shell

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file evaluates the few formatting builtins the analyzer needs
// statically ($'...', echo -e, printf). It is a stand-in for
// mvdan.cc/sh/v3/expand, whose package initialisation would run on every
// hook call: warden-hook links this package.

// unescapeC expands the backslash escapes of $'...', echo -e and printf
// formats. It stops at \c when stopC is set (echo -e), reporting it.
func unescapeC(s string, stopC bool) (string, bool) {
	if strings.IndexByte(s, '\\') < 0 {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch c = s[i]; c {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'e', 'E':
			b.WriteByte(0x1b)
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '\\', '\'', '"', '?':
			b.WriteByte(c)
		case 'c':
			if stopC {
				return b.String(), true
			}
			b.WriteString(`\c`)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j, n := i, 0
			if c == '0' && stopC {
				j++ // echo -e takes \0NNN
			}
			k := j
			for k < len(s) && k < j+3 && s[k] >= '0' && s[k] <= '7' {
				n = n*8 + int(s[k]-'0')
				k++
			}
			b.WriteByte(byte(n))
			i = k - 1
		case 'x', 'u', 'U':
			maxDigits := 2
			if c == 'u' {
				maxDigits = 4
			} else if c == 'U' {
				maxDigits = 8
			}
			k, n := i+1, 0
			for k < len(s) && k < i+1+maxDigits && isHex(s[k]) {
				n = n*16 + hexVal(s[k])
				k++
			}
			if k == i+1 {
				b.WriteByte('\\')
				b.WriteByte(c)
				continue
			}
			if c == 'x' {
				b.WriteByte(byte(n))
			} else if n <= utf8.MaxRune {
				b.WriteRune(rune(n))
			}
			i = k - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String(), false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case c >= 'a':
		return int(c-'a') + 10
	case c >= 'A':
		return int(c-'A') + 10
	}
	return int(c - '0')
}

// printfOnce formats args with format once, as printf does per pass, and
// returns how many arguments it used. Only %s %b %c %d %i %u %x %X %o %%
// with flags and a width are known; anything else is not static.
func printfOnce(b *strings.Builder, format string, args []string) (int, bool) {
	used := 0
	next := func() string {
		if used < len(args) {
			used++
			return args[used-1]
		}
		return ""
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c == '\\' {
			n := escLen(format[i:])
			e, _ := unescapeC(format[i:i+n], false)
			b.WriteString(e)
			i += n - 1
			continue
		}
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(format) {
			return used, false
		}
		if format[i] == '%' {
			b.WriteByte('%')
			continue
		}
		flags := ""
		for i < len(format) && strings.IndexByte("-+ 0#", format[i]) >= 0 {
			flags += format[i : i+1]
			i++
		}
		width := 0
		for i < len(format) && format[i] >= '0' && format[i] <= '9' {
			width = width*10 + int(format[i]-'0')
			if width > 4096 {
				return used, false
			}
			i++
		}
		if i >= len(format) {
			return used, false
		}
		var s string
		switch format[i] {
		case 's':
			s = next()
		case 'b':
			s, _ = unescapeC(next(), true)
		case 'c':
			if a := next(); a != "" {
				s = a[:1]
			}
		case 'd', 'i', 'u', 'x', 'X', 'o':
			a := next()
			n, err := strconv.ParseInt(a, 0, 64)
			if err != nil && a != "" {
				return used, false
			}
			switch format[i] {
			case 'x':
				s = strconv.FormatInt(n, 16)
			case 'X':
				s = strings.ToUpper(strconv.FormatInt(n, 16))
			case 'o':
				s = strconv.FormatInt(n, 8)
			default:
				s = strconv.FormatInt(n, 10)
			}
		default:
			return used, false
		}
		pad := width - len(s)
		numeric := strings.IndexByte("diuxXo", format[i]) >= 0
		if pad > 0 && numeric && strings.IndexByte(flags, '0') >= 0 && strings.IndexByte(flags, '-') < 0 {
			if s != "" && s[0] == '-' {
				b.WriteByte('-')
				s = s[1:]
			}
			b.WriteString(strings.Repeat("0", pad))
			pad = 0
		}
		if pad > 0 && strings.IndexByte(flags, '-') < 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
		b.WriteString(s)
		if pad > 0 && strings.IndexByte(flags, '-') >= 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
	}
	return used, true
}

// escLen returns the length of the escape at the start of s: \NNN,
// \xHH, \uHHHH, \UHHHHHHHH or a backslash and one character.
func escLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	c := s[1]
	switch {
	case c >= '0' && c <= '7':
		k := 1
		for k < len(s) && k < 4 && s[k] >= '0' && s[k] <= '7' {
			k++
		}
		return k
	case c == 'x' || c == 'u' || c == 'U':
		maxDigits := 2
		if c == 'u' {
			maxDigits = 4
		} else if c == 'U' {
			maxDigits = 8
		}
		k := 2
		for k < len(s) && k < 2+maxDigits && isHex(s[k]) {
			k++
		}
		return k
	}
	return 2
}
