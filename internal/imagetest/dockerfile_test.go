package imagetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file is a deliberately small Dockerfile parser: it splits a file
// into stages the way BuildKit does (comments, backslash continuations) and
// understands, in the final stage, only the instructions the server image
// uses. Anything else in the final stage is an error naming the line, so a
// new instruction makes the image test fail until it is taught about it
// rather than being silently ignored.

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Line int    // 1-based line of the keyword
	Cmd  string // the keyword, upper case
	Args string // everything after the keyword
}

// stage is one FROM and the instructions up to the next FROM.
type stage struct {
	Line   int    // line of the FROM
	Base   string // the image (or stage) it starts from, as written
	Name   string // the AS name, lower case; empty if none
	Instrs []instruction
}

// dockerfile is a parsed Dockerfile: the ARGs before the first FROM and the
// stages in order.
type dockerfile struct {
	Name   string            // file name, for messages
	Args   map[string]string // global ARG defaults ("" when none is given)
	Stages []stage
}

// parseError locates a problem in the Dockerfile.
type parseError struct {
	File string
	Line int
	Msg  string
}

func (e *parseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// continuation matches a trailing escape character that continues the
// line (BuildKit's lineContinuationRegex for the default escape `\`): a
// backslash not itself escaped, then only blanks.
var continuation = regexp.MustCompile(`([^\\])\\[ \t]*$|^\\[ \t]*$`)

// escapeDirective matches the parser directive that changes the escape
// character, which this parser does not model.
var escapeDirective = regexp.MustCompile(`(?i)^#\s*escape\s*=`)

func isComment(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, " \t\v\f\r"), "#")
}

// parseDockerfile splits data into instructions and stages. It checks the
// structure only (an instruction before the first FROM must be ARG, FROM
// has an image); each stage's instructions are checked by their consumer.
func parseDockerfile(name string, data []byte) (*dockerfile, error) {
	df := &dockerfile{Name: name, Args: map[string]string{}}
	fail := func(line int, format string, args ...any) error {
		return &parseError{File: name, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	text := strings.TrimPrefix(string(data), "\ufeff")
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var instrs []instruction
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if isComment(line) {
			if len(instrs) == 0 && escapeDirective.MatchString(strings.TrimSpace(line)) {
				return nil, fail(i+1, "the escape parser directive is not understood by this test")
			}
			continue
		}
		start := i
		logical := strings.TrimLeft(line, " \t\v\f\r")
		for continuation.MatchString(logical) {
			logical = continuation.ReplaceAllString(logical, "$1")
			// Comment and blank lines inside a continuation are dropped.
			for i+1 < len(lines) && (isComment(lines[i+1]) || strings.TrimSpace(lines[i+1]) == "") {
				i++
			}
			if i+1 >= len(lines) {
				break
			}
			i++
			logical += lines[i]
		}
		if strings.TrimSpace(logical) == "" {
			continue
		}
		cmd, args, _ := strings.Cut(strings.TrimSpace(logical), " ")
		if j := strings.IndexAny(cmd, "\t\v\f\r"); j >= 0 {
			cmd, args = cmd[:j], cmd[j+1:]+" "+args
		}
		if strings.Contains(args, "<<") && (strings.EqualFold(cmd, "RUN") || strings.EqualFold(cmd, "COPY")) {
			return nil, fail(start+1, "%s with a here-document is not understood by this test", strings.ToUpper(cmd))
		}
		instrs = append(instrs, instruction{Line: start + 1, Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)})
	}
	for _, in := range instrs {
		switch {
		case in.Cmd == "FROM":
			st, err := parseFrom(in)
			if err != nil {
				return nil, fail(in.Line, "%v", err)
			}
			df.Stages = append(df.Stages, st)
		case len(df.Stages) == 0 && in.Cmd == "ARG":
			k, v, _ := strings.Cut(in.Args, "=")
			if k == "" || strings.ContainsAny(k, " \t") {
				return nil, fail(in.Line, "ARG %q: want NAME or NAME=default", in.Args)
			}
			df.Args[k] = v
		case len(df.Stages) == 0:
			return nil, fail(in.Line, "%s before the first FROM (only ARG may come first)", in.Cmd)
		default:
			s := &df.Stages[len(df.Stages)-1]
			s.Instrs = append(s.Instrs, in)
		}
	}
	if len(df.Stages) == 0 {
		return nil, fail(1, "no FROM: not a Dockerfile")
	}
	return df, nil
}

// parseFrom reads `FROM [--platform=P] image [AS name]`.
func parseFrom(in instruction) (stage, error) {
	f := strings.Fields(in.Args)
	for len(f) > 0 && strings.HasPrefix(f[0], "--platform=") {
		f = f[1:]
	}
	switch {
	case len(f) == 1:
		return stage{Line: in.Line, Base: f[0]}, nil
	case len(f) == 3 && strings.EqualFold(f[1], "AS"):
		return stage{Line: in.Line, Base: f[0], Name: strings.ToLower(f[2])}, nil
	}
	return stage{}, fmt.Errorf("FROM %q: want FROM IMAGE [AS NAME]", in.Args)
}

// stageNamed finds the stage that COPY --from=ref names: by AS name or by
// index.
func (df *dockerfile) stageNamed(ref string) (*stage, bool) {
	for i := range df.Stages {
		if df.Stages[i].Name != "" && df.Stages[i].Name == strings.ToLower(ref) {
			return &df.Stages[i], true
		}
	}
	if n, err := strconv.Atoi(ref); err == nil && n >= 0 && n < len(df.Stages)-1 {
		return &df.Stages[n], true
	}
	return nil, false
}

// ids is a numeric user and group.
type ids struct{ UID, GID uint32 }

// copyOp is a final-stage COPY.
type copyOp struct {
	Line    int
	From    string   // the --from stage
	Chown   *ids     // nil: root, 0:0
	Chmod   *uint32  // nil: the source's mode
	Sources []string // absolute paths in the --from stage
	Dest    string   // absolute path in the image; ending in / names a directory to copy into
}

// envVar is one ENV assignment.
type envVar struct{ Key, Value string }

// healthcheck is a HEALTHCHECK with its options as written.
type healthcheck struct {
	Options map[string]string // interval, timeout, start-period, start-interval, retries
	Cmd     []string          // exec form
}

// finalStage is what the image's last stage describes.
type finalStage struct {
	Base        string
	Copies      []copyOp
	User        *ids     // nil: root
	Env         []envVar // in order; a later key replaces an earlier one
	Volumes     []string
	Expose      []string
	Healthcheck *healthcheck
	Entrypoint  []string
}

// Environ is the image's environment as KEY=value lines, each key once,
// in the order keys were first set.
func (f *finalStage) Environ() []string {
	var out []string
	index := map[string]int{}
	for _, e := range f.Env {
		if i, ok := index[e.Key]; ok {
			out[i] = e.Key + "=" + e.Value
			continue
		}
		index[e.Key] = len(out)
		out = append(out, e.Key+"="+e.Value)
	}
	return out
}

// Getenv is the image's value of key, "" if unset.
func (f *finalStage) Getenv(key string) string {
	v := ""
	for _, e := range f.Env {
		if e.Key == key {
			v = e.Value
		}
	}
	return v
}

// parseFinalStage reads the last stage of df. It returns every problem it
// finds, one per line, not just the first.
func parseFinalStage(df *dockerfile) (*finalStage, error) {
	st := df.Stages[len(df.Stages)-1]
	f := &finalStage{Base: st.Base}
	var errs []error
	fail := func(in instruction, format string, args ...any) {
		errs = append(errs, &parseError{File: df.Name, Line: in.Line, Msg: in.Cmd + ": " + fmt.Sprintf(format, args...)})
	}
	for _, in := range st.Instrs {
		switch in.Cmd {
		case "COPY":
			c, err := parseCopy(in, df)
			if err != nil {
				fail(in, "%v", err)
				continue
			}
			f.Copies = append(f.Copies, c)
		case "USER":
			u, err := parseIDs(in.Args, false)
			if err != nil {
				fail(in, "%v (a scratch image has no /etc/passwd or /etc/group to look names up in)", err)
				continue
			}
			f.User = &u
		case "ENV":
			vars, err := parseEnv(in.Args)
			if err != nil {
				fail(in, "%v", err)
				continue
			}
			f.Env = append(f.Env, vars...)
		case "VOLUME":
			vols, err := jsonOrWords(in.Args)
			if err != nil {
				fail(in, "%v", err)
				continue
			}
			for _, v := range vols {
				if !path.IsAbs(v) {
					fail(in, "%q is not an absolute path", v)
				}
			}
			f.Volumes = append(f.Volumes, vols...)
		case "EXPOSE":
			for _, p := range strings.Fields(in.Args) {
				if err := checkPort(p); err != nil {
					fail(in, "%v", err)
				}
				f.Expose = append(f.Expose, p)
			}
		case "HEALTHCHECK":
			h, err := parseHealthcheck(in.Args)
			if err != nil {
				fail(in, "%v", err)
				continue
			}
			f.Healthcheck = h
		case "ENTRYPOINT":
			argv, err := execForm(in.Args)
			if err != nil {
				fail(in, "%v", err)
				continue
			}
			f.Entrypoint = argv
		default:
			fail(in, "not understood by this test in the final stage: teach internal/imagetest about it (parser, rootfs and docs/deploy.md) or leave it out")
		}
	}
	if len(f.Entrypoint) == 0 && len(errs) == 0 {
		errs = append(errs, &parseError{File: df.Name, Line: st.Line, Msg: "the final stage has no ENTRYPOINT"})
	}
	return f, errors.Join(errs...)
}

// flags splits leading --name=value (or --name) words off args.
func flags(args string, allowed ...string) (map[string]string, string, error) {
	out := map[string]string{}
	rest := strings.TrimSpace(args)
	for strings.HasPrefix(rest, "--") {
		word, after, _ := strings.Cut(rest, " ")
		if j := strings.IndexAny(word, "\t"); j >= 0 {
			word, after = word[:j], word[j+1:]+" "+after
		}
		name, value, _ := strings.Cut(strings.TrimPrefix(word, "--"), "=")
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		if !known {
			return nil, "", fmt.Errorf("flag --%s is not understood by this test (known: %s)", name, strings.Join(allowed, ", "))
		}
		if _, dup := out[name]; dup {
			return nil, "", fmt.Errorf("flag --%s given twice", name)
		}
		out[name] = value
		rest = strings.TrimSpace(after)
	}
	return out, rest, nil
}

func parseCopy(in instruction, df *dockerfile) (copyOp, error) {
	fl, rest, err := flags(in.Args, "from", "chown", "chmod")
	if err != nil {
		return copyOp{}, err
	}
	c := copyOp{Line: in.Line, From: fl["from"]}
	if c.From == "" {
		return c, errors.New("a COPY from the build context is not modelled by this test: copy from a build stage (--from=STAGE)")
	}
	if _, ok := df.stageNamed(c.From); !ok {
		return c, fmt.Errorf("--from=%s names no earlier stage of this Dockerfile (images are not modelled)", c.From)
	}
	if v, ok := fl["chown"]; ok {
		u, err := parseIDs(v, true)
		if err != nil {
			return c, fmt.Errorf("--chown: %v (a scratch image has no /etc/passwd or /etc/group to look names up in)", err)
		}
		c.Chown = &u
	}
	if v, ok := fl["chmod"]; ok {
		m, err := strconv.ParseUint(v, 8, 32)
		if err != nil || m > 0o7777 {
			return c, fmt.Errorf("--chmod=%s: want an octal mode from 0 to 7777", v)
		}
		m32 := uint32(m)
		c.Chmod = &m32
	}
	words, err := jsonOrWords(rest)
	if err != nil {
		return c, err
	}
	if len(words) < 2 {
		return c, errors.New("want at least one source and a destination")
	}
	c.Sources, c.Dest = words[:len(words)-1], words[len(words)-1]
	if !path.IsAbs(c.Dest) {
		return c, fmt.Errorf("destination %q is not absolute", c.Dest)
	}
	if len(c.Sources) > 1 && !strings.HasSuffix(c.Dest, "/") {
		return c, fmt.Errorf("several sources need a destination directory ending in /, not %q", c.Dest)
	}
	for _, s := range c.Sources {
		if !path.IsAbs(s) || strings.ContainsAny(s, "*?[") {
			return c, fmt.Errorf("source %q: want an absolute path without wildcards", s)
		}
	}
	return c, nil
}

// parseIDs reads UID[:GID], numbers only. Without a group, COPY --chown
// uses the user's number as the group (sameGroup) while USER runs with
// group 0, as Docker does for a user that no /etc/passwd names.
func parseIDs(s string, sameGroup bool) (ids, error) {
	u, g, hasGroup := strings.Cut(strings.TrimSpace(s), ":")
	uid, err := strconv.ParseUint(u, 10, 32)
	if err != nil {
		return ids{}, fmt.Errorf("user %q is not a number", u)
	}
	out := ids{UID: uint32(uid)}
	switch {
	case hasGroup:
		gid, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return ids{}, fmt.Errorf("group %q is not a number", g)
		}
		out.GID = uint32(gid)
	case sameGroup:
		out.GID = out.UID
	}
	return out, nil
}

// parseEnv reads ENV KEY=value [KEY=value...]. Values may be quoted;
// variable substitution is not modelled and is an error.
func parseEnv(args string) ([]envVar, error) {
	words, err := shellWords(args)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, errors.New("no variables")
	}
	var out []envVar
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want KEY=value (the legacy ENV KEY value form is not understood by this test)", w)
		}
		if k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%q: empty or blank variable name", w)
		}
		out = append(out, envVar{Key: k, Value: v})
	}
	return out, nil
}

// shellWords splits s on blanks, removing quotes and backslash escapes as
// the Dockerfile's word lexer does. A `$` outside single quotes (variable
// substitution) is an error: this parser does not expand variables.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("a trailing backslash escapes nothing")
			}
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '$' {
					return nil, errors.New("variable substitution ($) is not modelled by this test")
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`, s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case c == '$':
			return nil, errors.New("variable substitution ($) is not modelled by this test")
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// jsonOrWords reads a JSON array of strings or blank-separated words.
func jsonOrWords(args string) ([]string, error) {
	if strings.HasPrefix(args, "[") {
		var out []string
		if err := json.Unmarshal([]byte(args), &out); err != nil {
			return nil, fmt.Errorf("%s: not a JSON array of strings: %v", args, err)
		}
		return out, nil
	}
	if strings.ContainsAny(args, `"'\$`) {
		return nil, fmt.Errorf("%s: quotes, escapes and variables are understood only in the JSON form", args)
	}
	return strings.Fields(args), nil
}

// execForm reads the exec form of a command (a JSON array). Docker runs
// anything else, including JSON it cannot parse, with /bin/sh -c, and a
// scratch image has no /bin/sh.
func execForm(args string) ([]string, error) {
	if !strings.HasPrefix(args, "[") {
		return nil, fmt.Errorf("%q is the shell form, which runs /bin/sh; a scratch image has none: use the exec form [\"/path\", \"arg\"]", args)
	}
	var argv []string
	if err := json.Unmarshal([]byte(args), &argv); err != nil {
		return nil, fmt.Errorf("%s is not a JSON array of strings (%v), so Docker would run it with /bin/sh, which a scratch image lacks", args, err)
	}
	if len(argv) == 0 || !path.IsAbs(argv[0]) {
		return nil, fmt.Errorf("%s: want an absolute program path first (PATH lookup is not modelled by this test)", args)
	}
	return argv, nil
}

// parseHealthcheck reads HEALTHCHECK [OPTIONS] CMD ["exec", "form"].
func parseHealthcheck(args string) (*healthcheck, error) {
	fl, rest, err := flags(args, "interval", "timeout", "start-period", "start-interval", "retries")
	if err != nil {
		return nil, err
	}
	for name, v := range fl {
		if name == "retries" {
			if n, err := strconv.Atoi(v); err != nil || n < 1 {
				return nil, fmt.Errorf("--retries=%s: want a positive number", v)
			}
			continue
		}
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			return nil, fmt.Errorf("--%s=%s: want a positive duration such as 30s", name, v)
		}
	}
	word, cmd, _ := strings.Cut(rest, " ")
	if strings.EqualFold(word, "NONE") {
		return nil, errors.New("HEALTHCHECK NONE: the image is meant to have a health check")
	}
	if !strings.EqualFold(word, "CMD") {
		return nil, fmt.Errorf("want CMD [\"/path\", \"arg\"] after the options, not %q", rest)
	}
	argv, err := execForm(strings.TrimSpace(cmd))
	if err != nil {
		return nil, err
	}
	return &healthcheck{Options: fl, Cmd: argv}, nil
}

// checkPort validates an EXPOSE port: PORT or PORT/tcp|udp|sctp.
func checkPort(p string) error {
	num, proto, hasProto := strings.Cut(p, "/")
	if hasProto && proto != "tcp" && proto != "udp" && proto != "sctp" {
		return fmt.Errorf("port %q: protocol must be tcp, udp or sctp", p)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q: want a number from 1 to 65535 (ranges are not understood by this test)", p)
	}
	return nil
}
