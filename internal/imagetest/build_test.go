package imagetest

import (
	"errors"
	"fmt"
	"go/version"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// This file interprets the build stage that the final stage copies from:
// the few shell commands its RUN lines use, run on this machine. The build
// stage's own filesystem is modelled by a directory, out: every path a RUN
// line writes (mkdir -p, cp, go build -o) lands under it, and the final
// stage's COPY --from sources are looked up there. A file a RUN line only
// reads (cp's source) comes from this machine at the same path: for the CA
// roots that is Debian's ca-certificates, as in the golang:*-bookworm base.

// goBuild is the build stage's `go build` as written.
type goBuild struct {
	Env  []string // the RUN line's assignments and the stage's ENV, KEY=value
	Args []string // after "go": build, flags, -o OUT, packages
	Out  string   // the -o path in the build stage
}

// buildStep is one command of a RUN line.
type buildStep struct {
	Line   int
	Assign []string // KEY=value before the program
	Argv   []string
}

// buildPlan is what the build stage does, in order.
type buildPlan struct {
	Stage      *stage
	GoVersion  string // the global ARG GO_VERSION default, "" if none
	Steps      []buildStep
	Env        []string // the stage's ENV, KEY=value
	SourceCopy bool     // COPY . . put the repository at the WORKDIR before the build
}

// planBuild reads the stage the final stage copies from: FROM, WORKDIR,
// COPY from the build context, ENV and RUN lines made of && lists of
// literal simple commands. Anything else is an error.
func planBuild(df *dockerfile, img *finalStage) (*buildPlan, error) {
	var from string
	for _, c := range img.Copies {
		if from != "" && !strings.EqualFold(c.From, from) {
			return nil, fmt.Errorf("%s:%d: COPY --from=%s: the final stage copies from two stages (%s too); this test models one", df.Name, c.Line, c.From, from)
		}
		from = c.From
	}
	if from == "" {
		return nil, fmt.Errorf("%s: the final stage copies nothing from a build stage", df.Name)
	}
	st, _ := df.stageNamed(from)
	plan := &buildPlan{Stage: st, GoVersion: df.Args["GO_VERSION"]}
	fail := func(in instruction, format string, args ...any) error {
		return &parseError{File: df.Name, Line: in.Line, Msg: in.Cmd + ": " + fmt.Sprintf(format, args...)}
	}
	workdir := "/"
	for _, in := range st.Instrs {
		switch in.Cmd {
		case "WORKDIR":
			workdir = path.Join(workdir, in.Args)
		case "COPY":
			words, err := jsonOrWords(in.Args)
			if err != nil || len(words) < 2 || strings.HasPrefix(in.Args, "--") {
				return nil, fail(in, "want COPY SOURCE... DEST from the build context")
			}
			if words[0] == "." && len(words) == 2 && path.Join(workdir, words[1]) == workdir {
				plan.SourceCopy = true
			}
		case "ENV":
			vars, err := parseEnv(in.Args)
			if err != nil {
				return nil, fail(in, "%v", err)
			}
			for _, v := range vars {
				plan.Env = append(plan.Env, v.Key+"="+v.Value)
			}
		case "RUN":
			steps, err := parseRun(in.Args)
			if err != nil {
				return nil, fail(in, "%v", err)
			}
			for i := range steps {
				steps[i].Line = in.Line
				if len(steps[i].Argv) > 1 && steps[i].Argv[0] == "go" && steps[i].Argv[1] == "build" && !plan.SourceCopy {
					return nil, fail(in, "go build before COPY . . put the source in the WORKDIR %s", workdir)
				}
			}
			plan.Steps = append(plan.Steps, steps...)
		default:
			return nil, fail(in, "not understood by this test in the build stage")
		}
	}
	return plan, nil
}

// parseRun reads a RUN line: simple commands joined by &&, every word a
// literal (quotes allowed, no expansions, redirections or pipes).
func parseRun(script string) ([]buildStep, error) {
	if strings.HasPrefix(strings.TrimSpace(script), "[") {
		return nil, errors.New("the exec form of RUN is not understood by this test")
	}
	file, err := syntax.NewParser().Parse(strings.NewReader(script), "RUN")
	if err != nil {
		return nil, fmt.Errorf("parse the shell command: %w", err)
	}
	if len(file.Stmts) != 1 {
		return nil, errors.New("want one && list of commands")
	}
	var steps []buildStep
	var walk func(st *syntax.Stmt) error
	walk = func(st *syntax.Stmt) error {
		if st.Negated || st.Background || st.Coprocess || len(st.Redirs) > 0 {
			return errors.New("only plain commands joined by && are understood by this test")
		}
		switch cmd := st.Cmd.(type) {
		case *syntax.BinaryCmd:
			if cmd.Op != syntax.AndStmt {
				return fmt.Errorf("operator %s is not understood by this test (only &&)", cmd.Op)
			}
			if err := walk(cmd.X); err != nil {
				return err
			}
			return walk(cmd.Y)
		case *syntax.CallExpr:
			var s buildStep
			for _, a := range cmd.Assigns {
				if a.Append || a.Naked || a.Index != nil || a.Array != nil || a.Value == nil {
					return fmt.Errorf("assignment to %s is not understood by this test", a.Name.Value)
				}
				v, err := literal(a.Value)
				if err != nil {
					return fmt.Errorf("%s=: %w", a.Name.Value, err)
				}
				s.Assign = append(s.Assign, a.Name.Value+"="+v)
			}
			for _, w := range cmd.Args {
				v, err := literal(w)
				if err != nil {
					return err
				}
				s.Argv = append(s.Argv, v)
			}
			if len(s.Argv) == 0 {
				return errors.New("an assignment without a command is not understood by this test")
			}
			steps = append(steps, s)
			return nil
		}
		return fmt.Errorf("%T is not understood by this test (only && lists of simple commands)", st.Cmd)
	}
	if err := walk(file.Stmts[0]); err != nil {
		return nil, err
	}
	return steps, nil
}

// literal is the value of a word made only of literal text and quotes.
func literal(w *syntax.Word) (string, error) {
	var b strings.Builder
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			if strings.ContainsAny(p.Value, `\~*?[`) {
				return "", fmt.Errorf("word %q: escapes, ~ and globs are not understood by this test", p.Value)
			}
			b.WriteString(p.Value)
		case *syntax.SglQuoted:
			if p.Dollar {
				return "", errors.New("$'...' is not understood by this test")
			}
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, q := range p.Parts {
				lit, ok := q.(*syntax.Lit)
				if !ok || strings.Contains(lit.Value, `\`) {
					return "", errors.New("expansions in double quotes are not understood by this test")
				}
				b.WriteString(lit.Value)
			}
		default:
			return "", fmt.Errorf("%T: only literal words are understood by this test", p)
		}
	}
	return b.String(), nil
}

// goBuildStep returns the plan's one `go build`.
func (p *buildPlan) goBuildStep() (goBuild, error) {
	var found []goBuild
	for _, s := range p.Steps {
		if len(s.Argv) < 2 || s.Argv[0] != "go" || s.Argv[1] != "build" {
			continue
		}
		g := goBuild{Env: slices.Concat(p.Env, s.Assign), Args: s.Argv[1:]}
		for i, a := range g.Args {
			if a == "-o" && i+1 < len(g.Args) {
				g.Out = g.Args[i+1]
			}
		}
		if !path.IsAbs(g.Out) {
			return goBuild{}, fmt.Errorf("line %d: go build needs -o with an absolute path", s.Line)
		}
		found = append(found, g)
	}
	if len(found) != 1 {
		return goBuild{}, fmt.Errorf("the build stage runs go build %d times; this test models exactly one", len(found))
	}
	return found[0], nil
}

// checkGoVersion: the build stage's Go (ARG GO_VERSION) is at least
// go.mod's go line. The golang images set GOTOOLCHAIN=local, so an older
// one fails to build the module instead of downloading a newer toolchain.
func (p *buildPlan) checkGoVersion(goMod []byte) error {
	want := ""
	for _, line := range strings.Split(string(goMod), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			want = strings.TrimSpace(v)
		}
	}
	if want == "" {
		return errors.New("go.mod has no go line")
	}
	if !strings.Contains(p.Stage.Base, "${GO_VERSION}") {
		return fmt.Errorf("the build stage's base %q does not use ${GO_VERSION}", p.Stage.Base)
	}
	if p.GoVersion == "" || version.Compare("go"+p.GoVersion, "go"+want) < 0 {
		return fmt.Errorf("ARG GO_VERSION=%s is older than go.mod's go %s: the golang image would refuse to build (GOTOOLCHAIN=local)", p.GoVersion, want)
	}
	return nil
}

// buildEnvDrop lists host variables that change what go build produces;
// they are removed so that only the Dockerfile decides. The golang image
// sets none of them, and it has a C compiler, so cgo defaults to on there:
// CGO_ENABLED=1 stands for that default unless the RUN line sets it.
var buildEnvDrop = []string{"CGO_ENABLED", "GOOS", "GOARCH", "GOARM", "GOAMD64", "GOARM64", "GO386", "GOEXPERIMENT", "GOFLAGS", "CC", "CXX", "CGO_CFLAGS", "CGO_LDFLAGS"}

// runPlan carries out the plan's steps: the build stage's files go under
// out (its root), go build runs in repo (COPY . . to the WORKDIR).
func (p *buildPlan) run(repo, out string, stdout io.Writer) error {
	host := func(p string) string { return filepath.Join(out, filepath.FromSlash(path.Clean(p))) }
	for _, s := range p.Steps {
		argv := s.Argv
		switch {
		case slices.Equal(argv, []string{"go", "mod", "download"}):
			// The module cache of this machine serves the build below.
		case len(argv) > 1 && argv[0] == "go" && argv[1] == "build":
			g, err := p.goBuildStep()
			if err != nil {
				return err
			}
			args := slices.Clone(g.Args)
			for i := range args {
				if args[i] == "-o" {
					args[i+1] = host(g.Out)
				}
			}
			if err := os.MkdirAll(filepath.Dir(host(g.Out)), 0o755); err != nil {
				return err
			}
			cmd := exec.Command("go", args...)
			cmd.Dir = repo
			env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
				k, _, _ := strings.Cut(kv, "=")
				return slices.Contains(buildEnvDrop, k)
			})
			cmd.Env = slices.Concat(env, []string{"CGO_ENABLED=1"}, g.Env)
			cmd.Stdout, cmd.Stderr = stdout, stdout
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("line %d: go %s: %w", s.Line, strings.Join(args, " "), err)
			}
		case len(argv) > 2 && argv[0] == "mkdir" && argv[1] == "-p":
			for _, d := range argv[2:] {
				if !path.IsAbs(d) {
					return fmt.Errorf("line %d: mkdir -p %s: want an absolute path", s.Line, d)
				}
				if err := os.MkdirAll(host(d), 0o755); err != nil {
					return err
				}
				// As under the container's umask 022, whatever this one is.
				if err := os.Chmod(host(d), 0o755); err != nil {
					return err
				}
			}
		case len(argv) == 3 && argv[0] == "cp" && !strings.HasPrefix(argv[1], "-"):
			src, dst := argv[1], argv[2]
			if !path.IsAbs(src) || !path.IsAbs(dst) {
				return fmt.Errorf("line %d: cp %s %s: want absolute paths", s.Line, src, dst)
			}
			from := host(src)
			if _, err := os.Lstat(from); err != nil {
				from = src // a file of the base image: this machine's
			}
			if err := copyFile(from, host(dst), 0o022); err != nil {
				return fmt.Errorf("line %d: cp %s %s: %w", s.Line, src, dst, err)
			}
		default:
			if len(s.Assign) > 0 {
				return fmt.Errorf("line %d: %s with assignments %v is not understood by this test", s.Line, strings.Join(argv, " "), s.Assign)
			}
			return fmt.Errorf("line %d: %s is not understood by this test (go build, go mod download, mkdir -p, cp)", s.Line, strings.Join(argv, " "))
		}
	}
	return nil
}

// copyFile copies a regular file's content to dst, with src's mode less
// umask (cp without -p).
func copyFile(src, dst string, umask os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, fi.Mode().Perm()&^umask)
}
