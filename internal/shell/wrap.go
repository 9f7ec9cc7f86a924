package shell

import (
	"fmt"
	"strconv"
	"strings"
)

// optSpec describes how a wrapper parses its options (getopt style,
// stopping at the first operand).
type optSpec struct {
	// short lists the option letters that take an argument, attached
	// (-uroot) or as the next word (-u root).
	short string
	// optArg lists letters whose argument is optional and only attached
	// (xargs -i[R]): they end the cluster but never take the next word.
	optArg string
	// long lists the long options taking an argument, as " name other ";
	// given without "=" they take the next word.
	long string
	// alias maps long options to a letter, as " name=x other=y ".
	alias string
	// record lists the letters whose arguments are kept in scanRes.
	record string
	// plus accepts +o style options (shells).
	plus bool
}

// optVal is the argument of a recorded option.
type optVal struct {
	c      byte
	val    string // the value; as written when it is not static
	static bool
	set    bool
}

// scanRes is the result of scanOpts.
type scanRes struct {
	next int       // index of the first operand
	seen [4]uint64 // option bytes seen, a bit per byte value
	vals [4]optVal
}

func (r *scanRes) has(c byte) bool { return r.seen[c>>6]&(1<<(c&63)) != 0 }

func (r *scanRes) mark(c byte) { r.seen[c>>6] |= 1 << (c & 63) }

// val returns the recorded argument of option c.
func (r *scanRes) val(c byte) (v optVal) {
	for _, x := range r.vals {
		if x.set && x.c == c {
			v = x // the last one wins
		}
	}
	return v
}

func (r *scanRes) record(sp *optSpec, c byte, val string, static bool) {
	if strings.IndexByte(sp.record, c) < 0 {
		return
	}
	for i := range r.vals {
		if !r.vals[i].set || r.vals[i].c == c {
			r.vals[i] = optVal{c: c, val: val, static: static, set: true}
			return
		}
	}
}

// scanOpts skips the options of a wrapper from words[i]. A word that is
// not static ends the options: it is then taken as the program, which is
// Dynamic.
func scanOpts(words []arg, i int, sp *optSpec) scanRes {
	var res scanRes
	for i < len(words) {
		v, ok := words[i].lit()
		if !ok {
			break
		}
		if v == "--" {
			i++
			break
		}
		if len(v) < 2 || !(v[0] == '-' || sp.plus && v[0] == '+') {
			break
		}
		i++
		if v[0] == '-' && v[1] == '-' {
			name, val, eq := strings.Cut(v[2:], "=")
			c := aliasOf(sp.alias, name)
			if c != 0 {
				res.mark(c)
			}
			switch {
			case eq:
				if c != 0 {
					res.record(sp, c, val, true)
				}
			case inList(sp.long, name):
				if i < len(words) {
					val, static := words[i].lit()
					if !static {
						val = words[i].w.Raw // as written, for what is not static
					}
					if c != 0 {
						res.record(sp, c, val, static)
					}
				}
				i++
			}
			continue
		}
		for j := 1; j < len(v); j++ {
			c := v[j]
			res.mark(c)
			if strings.IndexByte(sp.optArg, c) >= 0 {
				res.record(sp, c, v[j+1:], true)
				break
			}
			if strings.IndexByte(sp.short, c) >= 0 {
				if j < len(v)-1 {
					res.record(sp, c, v[j+1:], true)
				} else if i < len(words) {
					val, static := words[i].lit()
					if !static {
						val = words[i].w.Raw
					}
					res.record(sp, c, val, static)
					i++
				} else {
					i++
				}
				break
			}
		}
	}
	res.next = min(i, len(words))
	return res
}

// inList reports whether name is one of the space-separated names in list.
func inList(list, name string) bool {
	if name == "" {
		return false
	}
	i := strings.Index(list, name)
	for i >= 0 {
		if i > 0 && list[i-1] == ' ' && i+len(name) < len(list) && list[i+len(name)] == ' ' {
			return true
		}
		j := strings.Index(list[i+1:], name)
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// aliasOf returns the letter a long option stands for in list, or 0.
func aliasOf(list, name string) byte {
	if name == "" {
		return 0
	}
	for i := strings.Index(list, name); i >= 0; {
		end := i + len(name)
		if i > 0 && list[i-1] == ' ' && end+2 < len(list) && list[end] == '=' && list[end+2] == ' ' {
			return list[end+1]
		}
		j := strings.Index(list[i+1:], name)
		if j < 0 {
			return 0
		}
		i += 1 + j
	}
	return 0
}

// Option specifications of the wrappers.
var (
	envSpec     = optSpec{short: "uCS", long: " unset chdir split-string block-signal default-signal ignore-signal ", alias: " ignore-environment=i null=0 unset=u chdir=C split-string=S ", record: "CS"}
	sudoSpec    = optSpec{short: "ugCDhprtTU", long: " user group close-from chdir host prompt role type command-timeout other-user ", alias: " shell=s login=i list=l edit=e validate=v help=h version=V chdir=D remove-timestamp=K ", record: "D"}
	doasSpec    = optSpec{short: "uC"}
	pkexecSpec  = optSpec{long: " user "}
	noSpec      = optSpec{}
	execSpec    = optSpec{short: "a"}
	niceSpec    = optSpec{short: "n", long: " adjustment "}
	ioniceSpec  = optSpec{short: "cn", long: " class classdata ", alias: " pid=p pgid=P uid=u "}
	timeSpec    = optSpec{short: "fo", long: " format output "}
	timeoutSpec = optSpec{short: "sk", long: " signal kill-after "}
	stdbufSpec  = optSpec{short: "ioe", long: " input output error "}
	chrootSpec  = optSpec{long: " userspec groups "}
	unshareSpec = optSpec{short: "RwSGl", long: " map-user map-group map-users map-groups propagation setgroups root wd setuid setgid monotonic boottime load-interp ", alias: " wd=w ", record: "w"}
	straceSpec  = optSpec{short: "oepsabEuPISXOU", long: " output trace signal status attach string-limit columns env user trace-path summary-sort-by inject fault kvm quiet decode-fds ", alias: " attach=p "}
	ltraceSpec  = optSpec{short: "oepsalxnwADFu", long: " output library string-limit align where indent ", alias: " pid=p "}
	xargsSpec   = optSpec{short: "IndPLsaE", optArg: "ile", long: " max-args max-procs max-lines delimiter arg-file eof max-chars process-slot-var ", alias: " replace=I arg-file=a ", record: "Iia"}
	watchSpec   = optSpec{short: "nq", optArg: "d", long: " interval equexit ", alias: " exec=x "}
	flockSpec   = optSpec{short: "wE", long: " timeout conflict-exit-code "}
	scriptSpec  = optSpec{short: "cEBIOTmo", optArg: "t", long: " command echo log-io log-in log-out log-timing logging-format output-limit ", alias: " command=c ", record: "c"}
	runuserSpec = optSpec{short: "ugGcCsw", long: " user group supp-group command session-command shell whitelist-environment ", alias: " user=u command=c ", record: "c"}
	suSpec      = optSpec{short: "cCsgGw", long: " command session-command shell group supp-group whitelist-environment ", alias: " command=c session-command=C ", record: "cC"}
	shellSpec   = optSpec{short: "oO", long: " rcfile init-file ", plus: true}
	parallelSp  = optSpec{short: "abCdEIjJLnNPSsW", long: " jobs joblog results res timeout delay colsep halt sshlogin sshloginfile tmpdir workdir wd env basefile bf arg-file max-args max-replace-args max-lines max-chars delimiter eof load memfree nice retries return transferfile tf tagstring tag-string termseq template block block-size recstart recend header limit profile ", alias: " "}
	trapSpec    = optSpec{}
)

// unwrap reports the command in words, unwrapping wrappers: words[0] is
// the program.
func (a *analyzer) unwrap(cc *callCtx, words []arg, via []string) {
	if len(words) == 0 || a.full() {
		return
	}
	w := &words[0]
	v, ok := w.lit()
	if !ok {
		a.forkProgram(cc, words, via)
		return
	}
	if w.w.Glob {
		a.emitDynamic(cc, words, via, "")
		return
	}
	if v == "" {
		// "" is no command: nothing runs, but the redirections are made.
		if len(cc.redirs) > 0 {
			a.emitRedirOnly(cc.pos, cc.fr, "", cc.redirs)
		}
		return
	}
	prog := baseName(v)
	// Case-insensitive file systems (macOS, Windows) run XARGS as xargs.
	switch strings.ToLower(strings.TrimSuffix(prog, ".exe")) {
	case "env":
		a.wrapEnv(cc, words, via)
	case "sudo":
		a.wrapSudo(cc, words, via)
	case "doas":
		res := scanOpts(words, 1, &doasSpec)
		if res.has('s') || res.has('C') || res.has('L') {
			a.emit(cc, words, via, prog)
			return
		}
		a.inner(cc, words, res.next, via, prog)
	case "pkexec":
		a.inner(cc, words, scanOpts(words, 1, &pkexecSpec).next, via, prog)
	case "command":
		res := scanOpts(words, 1, &noSpec)
		if res.has('v') || res.has('V') {
			a.emit(cc, words, via, prog) // only looks the name up
			return
		}
		a.inner(cc, words, res.next, via, prog)
	case "builtin":
		a.inner(cc, words, 1, via, prog)
	case "exec":
		res := scanOpts(words, 1, &execSpec)
		if res.next >= len(words) {
			if len(cc.redirs) > 0 {
				a.emitRedirOnly(cc.pos, cc.fr, "exec", cc.redirs)
			}
			return
		}
		a.inner(cc, words, res.next, via, prog)
	case "nohup", "setsid":
		a.inner(cc, words, scanOpts(words, 1, &noSpec).next, via, prog)
	case "nice":
		a.inner(cc, words, scanOpts(words, 1, &niceSpec).next, via, prog)
	case "ionice":
		res := scanOpts(words, 1, &ioniceSpec)
		if res.has('p') || res.has('P') || res.has('u') {
			a.emit(cc, words, via, prog)
			return
		}
		a.inner(cc, words, res.next, via, prog)
	case "time":
		a.inner(cc, words, scanOpts(words, 1, &timeSpec).next, via, prog)
	case "timeout":
		a.inner(cc, words, scanOpts(words, 1, &timeoutSpec).next+1, via, prog)
	case "stdbuf":
		a.inner(cc, words, scanOpts(words, 1, &stdbufSpec).next, via, prog)
	case "chroot":
		a.inner(cc, words, scanOpts(words, 1, &chrootSpec).next+1, via, prog)
	case "unshare":
		res := scanOpts(words, 1, &unshareSpec)
		a.inner(a.chdir(cc, res.val('w')), words, res.next, via, prog)
	case "strace", "ltrace":
		sp := &straceSpec
		if prog == "ltrace" {
			sp = &ltraceSpec
		}
		a.inner(cc, words, scanOpts(words, 1, sp).next, via, prog)
	case "xargs":
		a.wrapXargs(cc, words, via)
	case "find":
		a.wrapFind(cc, words, via)
	case "parallel":
		a.wrapParallel(cc, words, via)
	case "watch":
		res := scanOpts(words, 1, &watchSpec)
		i := res.next
		if res.has('x') || i >= len(words) {
			a.inner(cc, words, i, via, prog)
			return
		}
		a.nestedWords(cc, words[i:], via, prog, cc.in)
	case "flock":
		res := scanOpts(words, 1, &flockSpec)
		i := res.next + 1 // the lock file or fd
		if i < len(words) {
			if v, ok := words[i].lit(); ok && (v == "-c" || v == "--command") {
				if i+1 < len(words) {
					a.nestedWords(cc, words[i+1:i+2], via, "flock -c", cc.in)
					return
				}
			}
		}
		a.inner(cc, words, i, via, prog)
	case "script":
		res := scanOpts(words, 1, &scriptSpec)
		if c := res.val('c'); c.set {
			a.nestedOpt(cc, c, via, "script -c", cc.in)
			return
		}
		a.emit(cc, words, via, prog)
	case "su", "runuser":
		a.wrapSu(cc, words, via, prog)
	case "busybox":
		if len(words) > 1 {
			if v, ok := words[1].lit(); ok && strings.HasPrefix(v, "-") {
				a.emit(cc, words, via, prog)
				return
			}
		}
		a.inner(cc, words, 1, via, prog)
	case "bash", "sh", "zsh", "dash", "ksh", "ash", "mksh", "rbash":
		a.wrapShell(cc, words, via, prog)
	case "eval":
		if len(words) > 1 {
			a.nestedWords(cc, words[1:], via, prog, cc.in)
		}
	case "source", ".":
		a.emit(cc, words, via, prog)
		if len(words) > 1 {
			if text, ok := a.procSubstText(words[1]); ok {
				a.nested(cc, text, via, prog+" <(...)", nil)
			}
		}
	case "trap":
		a.emit(cc, words, via, prog)
		a.wrapTrap(cc, words, via)
	case "alias":
		a.emit(cc, words, via, prog)
		a.wrapAlias(cc, words, via)
	default:
		a.emit(cc, words, via, prog)
	}
}

// forkProgram handles a program word with several candidate values or a
// Dynamic one: every candidate is reported as a program of its own, and a
// Dynamic command stands for what could not be resolved.
func (a *analyzer) forkProgram(cc *callCtx, words []arg, via []string) {
	w := &words[0]
	for _, v := range w.w.Values {
		if a.full() {
			return
		}
		fields := strings.Split(v, sep)
		n := 0
		for _, f := range fields {
			if f != "" {
				fields[n] = f
				n++
			}
		}
		fields = fields[:n]
		if n == 0 {
			if w.bare {
				a.unwrap(cc, words[1:], via) // the word vanishes
			}
			continue
		}
		nw := make([]arg, 0, n+len(words)-1)
		for _, f := range fields {
			fw := w.w
			fw.Values = a.one(f)
			fw.Dynamic = false
			nw = append(nw, arg{w: fw, off: -1})
		}
		nw = append(nw, words[1:]...)
		a.unwrap(cc, nw, via)
	}
	if w.w.Dynamic || len(w.w.Values) == 0 {
		a.emitDynamic(cc, words, via, "")
	}
}

// inner unwraps the command at words[i:] under the wrapper prog, or
// reports the wrapper itself when it runs no command.
func (a *analyzer) inner(cc *callCtx, words []arg, i int, via []string, prog string) {
	if i >= len(words) {
		a.emit(cc, words, via, baseName(words[0].w.Values[0]))
		return
	}
	a.unwrap(cc, words[i:], appendVia(via, prog))
}

// chdir returns cc with the working directories replaced by dir, resolved
// against the current ones, for env -C, sudo -D and unshare -w.
func (a *analyzer) chdir(cc *callCtx, dir optVal) *callCtx {
	cur := cc.cwdSet(a)
	if !dir.set || !dir.static || dir.val == "" || len(cur) == 0 {
		return cc
	}
	a.written(cc)
	c := *cc
	c.cwds = joinCwds(nil, cur, []string{dir.val})
	return &c
}

func (a *analyzer) wrapEnv(cc *callCtx, words []arg, via []string) {
	res := scanOpts(words, 1, &envSpec)
	i := res.next
	assigns := envUnsets(words[:i])
	for i < len(words) {
		v, ok := words[i].lit()
		if !ok {
			break
		}
		if v == "-" {
			i++
			continue
		}
		if eq := strings.IndexByte(v, '='); eq > 0 {
			assigns = append(assigns, Assign{Name: v[:eq], Value: Word{Raw: v[eq+1:], Values: a.one(v[eq+1:])}})
			i++
			continue
		}
		break
	}
	if len(assigns) > 0 {
		a.written(cc)
		c := *cc
		c.assigns = append(append(make([]Assign, 0, len(cc.assigns)+len(assigns)), cc.assigns...), assigns...)
		cc = &c
	}
	cc = a.chdir(cc, res.val('C'))
	if s := res.val('S'); s.set {
		text, ok := quoteWords(words[i:])
		if !s.static || !ok {
			a.emitDynamic(cc, words, via, "env -S")
			return
		}
		if text != "" {
			text = s.val + " " + text
		} else {
			text = s.val
		}
		a.nested(cc, text, via, "env -S", cc.in)
		return
	}
	a.inner(cc, words, i, via, "env")
}

// procSubstText returns what a process substitution written as the word
// (<(echo 'cmd'), <(printf ...)) outputs, when that is static.
func (a *analyzer) procSubstText(w arg) (string, bool) {
	raw := w.w.Raw
	if !strings.HasPrefix(raw, "<(") || !strings.HasSuffix(raw, ")") {
		return "", false
	}
	stmts, err := a.parse(raw[2 : len(raw)-1])
	if err != nil || len(stmts) != 1 {
		return "", false
	}
	return a.staticOutput(stmts[0])
}

// doubleQuotedText returns the inside of a word written as one
// double-quoted string, with \" \\ \$ and \` unescaped.
func doubleQuotedText(raw string) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	return unescapeDbl(raw[1 : len(raw)-1]), true
}

// envUnsets returns env's -u NAME, -uNAME and --unset=NAME options as
// assignments that unset.
func envUnsets(opts []arg) []Assign {
	var out []Assign
	for i := 1; i < len(opts); i++ {
		v, _ := opts[i].lit()
		name := ""
		switch {
		case v == "-i" || v == "--ignore-environment" || v == "-":
			name = "*" // every variable: the command starts with an empty environment
		case v == "-u" || v == "--unset":
			if i+1 < len(opts) {
				name, _ = opts[i+1].lit()
				i++
			}
		case strings.HasPrefix(v, "--unset="):
			name = v[len("--unset="):]
		case strings.HasPrefix(v, "-u") && len(v) > 2:
			name = v[2:]
		}
		if name != "" {
			out = append(out, Assign{Name: name, Unset: true})
		}
	}
	return out
}

func (a *analyzer) wrapSudo(cc *callCtx, words []arg, via []string) {
	res := scanOpts(words, 1, &sudoSpec)
	i := res.next
	for i < len(words) {
		v, ok := words[i].lit()
		if !ok || strings.IndexByte(v, '=') <= 0 || !validName(v[:strings.IndexByte(v, '=')]) {
			break
		}
		i++
	}
	if res.has('l') || res.has('e') || res.has('v') || res.has('V') || res.has('K') {
		a.emit(cc, words, via, "sudo")
		return
	}
	cc = a.chdir(cc, res.val('D'))
	if res.has('s') || res.has('i') {
		if i >= len(words) {
			a.emit(cc, words, via, "sudo")
			return
		}
		label := "sudo -s"
		if res.has('i') {
			label = "sudo -i"
		}
		a.nestedWords(cc, words[i:], via, label, cc.in)
		return
	}
	a.inner(cc, words, i, via, "sudo")
}

func (a *analyzer) wrapSu(cc *callCtx, words []arg, via []string, prog string) {
	if prog == "runuser" {
		// runuser -u USER [--] COMMAND ARGS runs the command directly.
		if res := scanOpts(words, 1, &runuserSpec); res.has('u') && !res.val('c').set {
			a.inner(cc, words, res.next, via, prog)
			return
		}
	}
	// su permutes its arguments: options may follow the user name.
	i := 1
	for i < len(words) {
		res := scanOpts(words, i, &suSpec)
		c := res.val('c')
		if !c.set {
			c = res.val('C')
		}
		if c.set {
			a.nestedOpt(cc, c, via, prog+" -c", cc.in)
			return
		}
		i = res.next + 1
	}
	a.emit(cc, words, via, prog)
}

// wrapShell handles bash, sh and the other shells: -c STRING is parsed as
// a nested script, and so is the text they read from stdin when it is
// known.
func (a *analyzer) wrapShell(cc *callCtx, words []arg, via []string, prog string) {
	res := scanOpts(words, 1, &shellSpec)
	i := res.next
	if res.has('c') {
		if i >= len(words) {
			a.emit(cc, words, via, prog)
			return
		}
		// The words after the script are its $0, $1, ...
		saved := a.positional
		a.positional = positionalArgs(words[i+1:])
		a.nestedWords(cc, words[i:i+1], via, prog+" -c", cc.in)
		a.positional = saved
		return
	}
	if i < len(words) && !res.has('s') {
		a.emit(cc, words, via, prog) // runs a script file
		if text, ok := a.procSubstText(words[i]); ok {
			// bash <(printf 'cmd'): the script is that output.
			a.nested(cc, text, via, prog+" <(...)", nil)
		}
		return
	}
	in := cc.in
	switch {
	case in == nil || in.kind == "file":
		a.emit(cc, words, via, prog)
	case in.text != nil && !in.text.Dynamic:
		a.written(cc)
		c := *cc
		c.in = nil
		a.nested(&c, in.text.Value, via, prog+" "+in.kind, nil)
	case in.text != nil:
		a.emitDynamic(cc, words, via, prog+" "+in.kind)
	default:
		a.emit(cc, words, via, prog) // StdinFromPipe, text unknown
	}
}

// positionalArgs maps $0, $1, ..., $@ and $* to the literal words given
// after a -c script; nil when any is not literal (they stay Dynamic).
func positionalArgs(words []arg) map[string]string {
	if len(words) == 0 || len(words) > 64 {
		return nil
	}
	m := make(map[string]string, len(words)+2)
	var rest []string
	for i, w := range words {
		v, ok := w.lit()
		if !ok || strings.IndexByte(v, 0) >= 0 {
			return nil // NUL cannot be in an argument
		}
		m[strconv.Itoa(i)] = v
		if i > 0 {
			rest = append(rest, v)
		}
	}
	m["@"] = strings.Join(rest, " ")
	m["*"] = m["@"]
	return m
}

// stdinItems splits a literal stdin (echo / | xargs rm -rf) into the items
// xargs or parallel would pass on; nil when it is not known.
func stdinItems(in *input, lines bool) []string {
	if in == nil || in.text == nil || in.text.Dynamic {
		return nil
	}
	var items []string
	if lines {
		items = strings.Split(strings.TrimRight(in.text.Value, "\n"), "\n")
	} else {
		items = strings.Fields(in.text.Value)
	}
	if len(items) > maxValues {
		items = items[:maxValues]
	}
	return items
}

// argFileWord is the word of xargs -a FILE: its value when static, else
// only as written, for the engine to read the literal parts of.
func argFileWord(v string, static bool) Word {
	if static {
		return Word{Raw: v, Values: []string{v}}
	}
	return Word{Raw: v, Dynamic: true}
}

func (a *analyzer) wrapXargs(cc *callCtx, words []arg, via []string) {
	res := scanOpts(words, 1, &xargsSpec)
	i := res.next
	if i >= len(words) {
		// xargs alone echoes its items: with -a FILE, FILE's content.
		c := *cc
		if f := res.val('a'); f.set {
			c.redirs = append(append([]Redirect(nil), cc.redirs...), Redirect{Op: "xargs -a", Read: true, Target: argFileWord(f.val, f.static)})
		}
		a.emit(&c, words, via, "xargs")
		return
	}
	repl := ""
	if v := res.val('I'); v.set {
		repl = v.val
		if repl == "" && !res.has('I') {
			repl = "{}" // --replace
		}
	} else if v := res.val('i'); v.set {
		repl = v.val
		if repl == "" {
			repl = "{}"
		}
	} else if res.has('I') {
		repl = "{}" // --replace with no value
	}
	items := stdinItems(cc.in, repl != "")
	if res.val('a').set {
		items = nil // the items come from the -a file
	}
	inner := make([]arg, 0, len(words)-i+1)
	for _, w := range words[i:] {
		if repl != "" && strings.Contains(w.w.Raw, repl) {
			w.w.Dynamic = items == nil
			if items != nil {
				// Known items: each replaces the placeholder.
				vals := make([]string, 0, len(items))
				for _, it := range items {
					v, _ := w.lit()
					vals = append(vals, strings.ReplaceAll(v, repl, it))
				}
				w.w.Values = vals
			}
		}
		inner = append(inner, w)
	}
	if repl == "" {
		inner = append(inner, arg{w: Word{Dynamic: items == nil, Values: items, Raw: strings.Join(items, " ")}, off: -1})
	}
	a.written(cc)
	c := *cc
	c.in = nil
	if f := res.val('a'); f.set {
		// xargs -a FILE reads its items from FILE.
		c.redirs = append(append([]Redirect(nil), cc.redirs...), Redirect{Op: "xargs -a", Read: true, Target: argFileWord(f.val, f.static)})
	}
	a.unwrap(&c, inner, appendVia(via, "xargs"))
}

// wrapFind reports find itself and every command of its -exec, -execdir,
// -ok and -okdir actions, where {} is a Dynamic word.
func (a *analyzer) wrapFind(cc *callCtx, words []arg, via []string) {
	a.emit(cc, words, via, "find")
	a.written(cc)
	c := *cc
	c.in = nil
	for j := 1; j < len(words); j++ {
		v, ok := words[j].lit()
		if !ok || v != "-exec" && v != "-execdir" && v != "-ok" && v != "-okdir" {
			continue
		}
		k := j + 1
		for ; k < len(words); k++ {
			t, ok := words[k].lit()
			if ok && (t == ";" || t == "+" && k > j+1 && strings.Contains(words[k-1].w.Raw, "{}")) {
				break
			}
		}
		inner := make([]arg, 0, k-j-1)
		for _, w := range words[j+1 : k] {
			if strings.Contains(w.w.Raw, "{}") {
				w.w.Dynamic = true
			}
			inner = append(inner, w)
		}
		if len(inner) > 0 {
			a.unwrap(&c, inner, appendVia(via, "find "+v))
		}
		j = k
	}
}

func (a *analyzer) wrapParallel(cc *callCtx, words []arg, via []string) {
	res := scanOpts(words, 1, &parallelSp)
	i := res.next
	end := i
	for end < len(words) {
		if v, ok := words[end].lit(); ok && strings.HasPrefix(v, ":::") || ok && v == "::::" {
			break
		}
		end++
	}
	if end > i {
		// The command gets each input: in place of {} or {1}, else
		// appended (parallel cat ::: .env runs cat .env).
		inputs := parallelInputs(words[end:])
		if inputs == nil {
			inputs = stdinItems(cc.in, true)
		}
		cmd, ok := joinValues(words[i:end])
		if !ok || len(inputs) == 0 {
			a.nestedWords(cc, words[i:end], via, "parallel", nil)
			return
		}
		for _, in := range inputs {
			text := cmd
			if strings.Contains(text, "{}") || strings.Contains(text, "{1}") {
				text = strings.ReplaceAll(strings.ReplaceAll(text, "{1}", in), "{}", in)
			} else {
				text += " " + in
			}
			a.nested(cc, text, via, "parallel", nil)
		}
		return
	}
	if end < len(words) {
		// No command: every input after ::: is a command line.
		for _, w := range words[end:] {
			if v, ok := w.lit(); ok && strings.HasPrefix(v, ":::") {
				continue
			}
			a.nestedWords(cc, []arg{w}, via, "parallel", nil)
		}
		return
	}
	// Command lines read from stdin.
	if in := cc.in; in != nil && in.text != nil && !in.text.Dynamic {
		a.nested(cc, in.text.Value, via, "parallel", nil)
		return
	}
	a.emitDynamic(cc, words, via, "parallel")
}

// parallelInputs returns the literal inputs after ::: (nil when there are
// none or one is not literal).
func parallelInputs(words []arg) []string {
	var out []string
	for _, w := range words {
		v, ok := w.lit()
		if !ok {
			return nil
		}
		if strings.HasPrefix(v, ":::") {
			continue
		}
		if len(out) == maxValues {
			break
		}
		out = append(out, v)
	}
	return out
}

func (a *analyzer) wrapTrap(cc *callCtx, words []arg, via []string) {
	res := scanOpts(words, 1, &trapSpec)
	i := res.next
	if res.has('l') || res.has('p') || i+1 >= len(words) {
		return
	}
	if v, ok := words[i].lit(); ok && (v == "-" || v == "") {
		return
	}
	a.nestedWords(cc, words[i:i+1], via, "trap", nil)
}

func (a *analyzer) wrapAlias(cc *callCtx, words []arg, via []string) {
	for _, w := range words[1:] {
		v, ok := w.lit()
		if !ok {
			a.emitDynamic(cc, []arg{w}, via, "alias")
			continue
		}
		name, val, eq := strings.Cut(v, "=")
		if eq && name != "" && val != "" {
			a.nested(cc, val, via, "alias "+name, nil)
		}
	}
}

// nestedWords parses the static values of words, joined by spaces, as a
// nested script; when they are not static it reports a Dynamic command.
func (a *analyzer) nestedWords(cc *callCtx, words []arg, via []string, label string, in *input) {
	text, ok := joinValues(words)
	if !ok {
		if label == "eval" {
			a.varTable().anyDyn = true // it may assign any variable
		}
		a.emitDynamic(cc, words, via, label)
		if len(words) == 1 && words[0].w.Subst {
			// sh -c "curl x/$(id)": what runs is unknown, but the text as
			// written, its substitutions left in place, shows what it does.
			if raw, ok := doubleQuotedText(words[0].w.Raw); ok && !strings.HasPrefix(strings.TrimSpace(raw), "$") && !strings.HasPrefix(strings.TrimSpace(raw), "`") {
				a.nested(cc, raw, via, label+" as written", in)
			}
		}
		return
	}
	a.nested(cc, text, via, label, in)
}

// nestedOpt parses the argument of an option (su -c, script -c).
func (a *analyzer) nestedOpt(cc *callCtx, v optVal, via []string, label string, in *input) {
	if !v.static {
		a.emitDynamic(cc, nil, via, label)
		return
	}
	a.nested(cc, v.val, via, label, in)
}

// nested parses text as a script run by the command of cc and walks it,
// one shell level deeper. Every command found takes the position of the
// outer command.
func (a *analyzer) nested(cc *callCtx, text string, via []string, label string, in *input) {
	via = appendVia(via, label)
	fr := cc.fr
	switch {
	case fr.depth+1 > a.maxDepth:
		a.emitNestedDynamic(cc, via, viaDepth, text)
		return
	case a.nestedParses >= maxNestedParses || a.nestedBytes+len(text) > maxNestedBytes:
		a.emitNestedDynamic(cc, via, viaBudget, text)
		return
	case tooDeep(text):
		a.emitNestedDynamic(cc, via, viaTooDeep, text)
		return
	}
	a.nestedParses++
	a.nestedBytes += len(text)
	stmts, err := a.parse(text)
	if err != nil {
		if a.parseErr == nil {
			a.parseErr = fmt.Errorf("%s: %w", label, err)
		}
		a.emitNestedDynamic(cc, via, viaUnparsable, text)
	}
	a.addScript(stmts)
	pos := fr.pos
	if !pos.IsValid() {
		pos = cc.pos
	}
	nfr := frame{src: text, via: via, depth: fr.depth + 1, nest: fr.nest, pos: pos, in: in, assigns: cc.assigns}
	if cc.cwds != nil {
		saved := a.cwds
		a.cwds = cc.cwds
		a.stmts(stmts, nfr)
		a.cwds = addCwds(saved, a.cwds)
	} else {
		a.stmts(stmts, nfr)
	}
	// The redirections of the shell command apply to the whole nested
	// script; a here-doc or here-string it reads as its script is not one.
	var redirs []Redirect
	fromStdin := strings.HasSuffix(label, " here-doc") || strings.HasSuffix(label, " here-string")
	for _, r := range cc.redirs {
		if fromStdin && (r.Op == "<<" || r.Op == "<<-" || r.Op == "<<<") {
			continue
		}
		redirs = append(redirs, r)
	}
	if len(redirs) > 0 {
		rfr := fr
		rfr.via = via[: len(via)-1 : len(via)-1]
		a.emitRedirOnly(cc.pos, rfr, label, redirs)
	}
}

// emitNestedDynamic reports a nested script that cannot be analysed.
func (a *analyzer) emitNestedDynamic(cc *callCtx, via []string, reason, text string) {
	if a.full() {
		return
	}
	line, col := cc.fr.position(cc.pos)
	a.cmds = append(a.cmds, Command{
		Dynamic:   true,
		Via:       appendVia(via, reason),
		Assigns:   cc.assigns,
		Redirects: cc.redirs,
		Cwds:      cc.cwdSet(a),
		Text:      text,
		Written:   a.written(cc),
		Line:      line,
		Col:       col,
	})
}
