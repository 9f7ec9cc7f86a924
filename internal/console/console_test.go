package console

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/record"
)

func TestVisible(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"tab\tand\nnewline", "tab\tand\nnewline"},
		{"\x1b[31mred\x1b[0m", "␛[31mred␛[0m"},
		{"bell\x07 nul\x00 del\x7f cr\r", "bell␇ nul␀ del␡ cr␍"},
		{"osc \x1b]0;title\x07", "osc ␛]0;title␇"},
		{"c1 \u009b31m", `c1 \u009B31m`},
		{"file\u202Egnp.sh", `file\u202Egnp.sh`},
		{"\u2066isolate\u2069", `\u2066isolate\u2069`},
		{"zero\u200bwidth\ufeff", `zero\u200Bwidth\uFEFF`},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"ünïcødé 日本", "ünïcødé 日本"},
	} {
		if got := Visible(tc.in); got != tc.want {
			t.Errorf("Visible(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzVisible: whatever an agent wrote, what the console shows holds no
// control character but tab and newline, no bidirectional override and
// is valid UTF-8.
func FuzzVisible(f *testing.F) {
	for _, s := range []string{"", "\x1b[2J", "a\u202Eb", "\xc3", "\u0085", "ok"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := Visible(s)
		if !utf8.ValidString(v) {
			t.Fatalf("Visible(%q) = %q: invalid UTF-8", s, v)
		}
		for _, r := range v {
			if (r < 0x20 && r != '\t' && r != '\n') || (r >= 0x7f && r <= 0x9f) || invisible(r) {
				t.Fatalf("Visible(%q) = %q keeps %U", s, v, r)
			}
		}
	})
}

func TestShorten(t *testing.T) {
	s := shorten("ok")
	if s.Text != "ok" || s.Full != "" || s.Len != 2 {
		t.Errorf("short value: %+v", s)
	}
	long := strings.Repeat("é", ShortLimit+5) + "\x1b"
	s = shorten(long)
	if utf8.RuneCountInString(s.Text) != ShortLimit || s.Full != strings.Repeat("é", ShortLimit+5)+"␛" || s.Len != len(long) {
		t.Errorf("long value: %d runes, full %q, len %d", utf8.RuneCountInString(s.Text), s.Full, s.Len)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "/",
		"/sessions?user=a":              "/sessions?user=a",
		"//evil.example/":               "/",
		"/\\evil.example":               "/",
		"https://evil.example/":         "/",
		"javascript:alert(1)":           "/",
		"/ok\r\nSet-Cookie: x=1":        "/",
		"sessions":                      "/",
		"/" + strings.Repeat("a", 3000): "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFlattenShowsEveryField(t *testing.T) {
	rr := record.BuildRunRecord(record.SessionSummary{SessionID: "s"}, nil)
	rr.Review = &record.Review{SessionID: "s", Decision: record.ReviewApproved, Reviewer: "token:tok_1"}
	got := map[string]string{}
	for _, f := range flatten(rr) {
		got[f.Path] = f.Value.Text
	}
	for _, path := range []string{"schema", "session_id", "task.prompts", "agent.models", "files_changed", "denials",
		"conflicts", "cost.tokens.input", "quarantined", "review.decision", "review.reviewer", "evidence.otlp_events", "gaps[0]"} {
		if _, ok := got[path]; !ok {
			t.Errorf("flatten lacks %s (has %v)", path, got)
		}
	}
	if got["files_changed"] != "(none)" || got["review.decision"] != "approved" {
		t.Errorf("values: files_changed %q, review.decision %q", got["files_changed"], got["review.decision"])
	}
}

func TestTemplatesParse(t *testing.T) {
	if _, err := parsePages(); err != nil {
		t.Fatal(err)
	}
}
