package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// The quickstart page (docs/quickstart.md) is a script a test runs: its
// fenced sh blocks in order, under the page's sections. Block kinds, by
// the fence's info string:
//
//	sh             run as the developer, as one bash script (set -euo pipefail)
//	sh background  a server: started as the developer, stopped at the end of its section
//	sh env         variables the reader sets to their own values; the test sets its own
//
// A sh block whose every command starts with "sudo " runs as root without
// it. "<!-- quickstart: NAME -->" comments mark the steps the test does
// itself (using Claude Code, opening the console). A "# prints: TEXT"
// comment at the end of a line asks that the block's output contain TEXT.

// Quickstart block kinds.
const (
	QSRun        = "run"
	QSRoot       = "root"
	QSBackground = "background"
	QSEnv        = "env"
	QSMarker     = "marker"
)

// QSBlock is one step of the quickstart page.
type QSBlock struct {
	Kind    string
	Section string
	Line    int // of the fence, or of the marker
	// Script is the block's text; for QSRoot, with "sudo " removed.
	Script string
	// Prints are the texts the block's output must contain.
	Prints []string
	// Vars are the variables a QSEnv block sets.
	Vars []string
	// Marker is a QSMarker's name.
	Marker string
}

var (
	qsMarker = regexp.MustCompile(`^<!--\s*quickstart:\s*([a-z0-9-]+)\s*-->$`)
	qsPrints = regexp.MustCompile(`\s#\s*prints:\s*(.+?)\s*$`)
	qsExport = regexp.MustCompile(`^export ([A-Z_][A-Z0-9_]*)=`)
)

// ParseQuickstart returns the page's steps in order. Blocks of other
// languages (yaml, text) are left to the reader.
func ParseQuickstart(md []byte) ([]QSBlock, error) {
	var (
		out     []QSBlock
		section string
		cur     *QSBlock
		body    []string
	)
	sc := bufio.NewScanner(bytes.NewReader(md))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur != nil && strings.HasPrefix(line, "```"):
			b, err := finishBlock(*cur, body)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
			cur, body = nil, nil
		case cur != nil:
			body = append(body, line)
		case strings.HasPrefix(line, "```"):
			info := strings.Fields(strings.TrimPrefix(line, "```"))
			if len(info) == 0 || info[0] != "sh" {
				// Not run: skip to its closing fence.
				for sc.Scan() {
					n++
					if strings.HasPrefix(sc.Text(), "```") {
						break
					}
				}
				continue
			}
			kind := QSRun
			if len(info) > 1 {
				switch info[1] {
				case "background":
					kind = QSBackground
				case "env":
					kind = QSEnv
				default:
					return nil, fmt.Errorf("line %d: unknown sh block kind %q (want background or env)", n, info[1])
				}
			}
			cur = &QSBlock{Kind: kind, Section: section, Line: n}
		case strings.HasPrefix(line, "## "):
			section = strings.TrimPrefix(line, "## ")
		default:
			if m := qsMarker.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
				out = append(out, QSBlock{Kind: QSMarker, Section: section, Line: n, Marker: m[1]})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: unclosed code block", cur.Line)
	}
	return out, nil
}

func finishBlock(b QSBlock, body []string) (QSBlock, error) {
	var cmds, sudo int
	heredoc := ""
	for i, l := range body {
		if m := qsPrints.FindStringSubmatch(l); m != nil && heredoc == "" {
			b.Prints = append(b.Prints, m[1])
		}
		t := strings.TrimSpace(l)
		switch {
		case heredoc != "":
			if t == heredoc {
				heredoc = ""
			}
			continue
		case t == "" || strings.HasPrefix(t, "#"):
			continue
		case i > 0 && strings.HasSuffix(strings.TrimSpace(body[i-1]), "\\"):
			continue // a continuation line
		}
		if _, tag, ok := strings.Cut(t, "<<'"); ok {
			heredoc, _, _ = strings.Cut(tag, "'")
		}
		cmds++
		if strings.HasPrefix(t, "sudo ") {
			sudo++
		}
		if b.Kind == QSEnv {
			m := qsExport.FindStringSubmatch(t)
			if m == nil {
				return b, fmt.Errorf("line %d: an env block holds only export NAME=value lines, not %q", b.Line+1+i, t)
			}
			b.Vars = append(b.Vars, m[1])
		}
	}
	if cmds == 0 {
		return b, fmt.Errorf("line %d: empty block", b.Line)
	}
	b.Script = strings.Join(body, "\n") + "\n"
	if sudo > 0 {
		if sudo != cmds || b.Kind != QSRun {
			return b, fmt.Errorf("line %d: a block runs as root only if all its commands start with sudo (%d of %d do)", b.Line, sudo, cmds)
		}
		b.Kind = QSRoot
		var lines []string
		for _, l := range body {
			lines = append(lines, strings.Replace(l, "sudo ", "", 1))
		}
		b.Script = strings.Join(lines, "\n") + "\n"
	}
	return b, nil
}

// quickstartMarkers are the steps the quickstart test does itself, in the
// page's order.
var quickstartMarkers = []string{"claude-session", "console"}

// quickstartEnv are the variables an env block may set, with what the
// test sets them to ("" is filled in at run time).
var quickstartEnv = map[string]string{
	"WARDEN_DATABASE_URL": "",
	"WARDEN_URL":          "http://127.0.0.1:8844",
}
