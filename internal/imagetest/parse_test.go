package imagetest

import (
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the repository, which the build stage's COPY . . puts in
// its WORKDIR.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// loadDockerfile parses the repository's Dockerfile and its final stage.
func loadDockerfile(t testing.TB) (*dockerfile, *finalStage) {
	t.Helper()
	name := filepath.Join(repoRoot(t), "Dockerfile")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	df, err := parseDockerfile("Dockerfile", data)
	if err != nil {
		t.Fatal(err)
	}
	img, err := parseFinalStage(df)
	if err != nil {
		t.Fatal(err)
	}
	return df, img
}

const goodDockerfile = `# syntax=docker/dockerfile:1
ARG GO_VERSION=1.26.8
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/app ./cmd/app \
	&& mkdir -p /out/data

FROM scratch
copy --from=build --chown=10:20 --chmod=0750 /out/data /data
COPY --from=build ["/out/app", "/bin/"]
USER 10
ENV A=1 \
	# a comment inside a continuation is dropped
	B="two words" \

	C='$literal' D=a\ b
ENV A=3
VOLUME ["/data"]
VOLUME /cache /logs
EXPOSE 8080 53/udp
HEALTHCHECK --interval=30s --retries=3 \
	CMD ["/bin/app", "health"]
ENTRYPOINT ["/bin/app", "serve"]
`

func mustParse(t *testing.T, src string) (*dockerfile, *finalStage, error) {
	t.Helper()
	df, err := parseDockerfile("Dockerfile", []byte(src))
	if err != nil {
		return nil, nil, err
	}
	img, err := parseFinalStage(df)
	return df, img, err
}

func TestParseFinalStage(t *testing.T) {
	df, img, err := mustParse(t, goodDockerfile)
	if err != nil {
		t.Fatal(err)
	}
	if got := df.Args["GO_VERSION"]; got != "1.26.8" {
		t.Errorf("ARG GO_VERSION = %q, want 1.26.8", got)
	}
	if len(df.Stages) != 2 || df.Stages[0].Name != "build" || df.Stages[1].Base != "scratch" || df.Stages[1].Line != 9 {
		t.Errorf("stages = %+v", df.Stages)
	}
	mode := uint32(0o750)
	want := &finalStage{
		Base: "scratch",
		Copies: []copyOp{
			{Line: 10, From: "build", Chown: &ids{10, 20}, Chmod: &mode, Sources: []string{"/out/data"}, Dest: "/data"},
			{Line: 11, From: "build", Sources: []string{"/out/app"}, Dest: "/bin/"},
		},
		User:        &ids{UID: 10, GID: 0},
		Env:         []envVar{{"A", "1"}, {"B", "two words"}, {"C", "$literal"}, {"D", "a b"}, {"A", "3"}},
		Volumes:     []string{"/data", "/cache", "/logs"},
		Expose:      []string{"8080", "53/udp"},
		Healthcheck: &healthcheck{Options: map[string]string{"interval": "30s", "retries": "3"}, Cmd: []string{"/bin/app", "health"}},
		Entrypoint:  []string{"/bin/app", "serve"},
	}
	if !reflect.DeepEqual(img, want) {
		t.Errorf("final stage:\ngot  %+v\nwant %+v", img, want)
	}
	if got, want := img.Environ(), []string{"A=3", "B=two words", "C=$literal", "D=a b"}; !slices.Equal(got, want) {
		t.Errorf("Environ() = %q, want %q", got, want)
	}
	if got := img.Getenv("A"); got != "3" {
		t.Errorf(`Getenv("A") = %q, want 3 (the later ENV)`, got)
	}
}

func TestParseFinalStage_Errors(t *testing.T) {
	const head = "FROM golang AS build\nFROM scratch\n"
	const entry = "ENTRYPOINT [\"/app\"]\n"
	for _, tc := range []struct {
		name, final string
		want        []string // substrings of the error, in any order
	}{
		{"RUN", "RUN echo hi\n" + entry, []string{"Dockerfile:3: RUN: not understood by this test in the final stage"}},
		{"WORKDIR", "WORKDIR /x\n" + entry, []string{"Dockerfile:3: WORKDIR: not understood"}},
		{"CMD", entry + "CMD [\"x\"]\n", []string{"Dockerfile:4: CMD: not understood"}},
		{"ShellEntrypoint", "ENTRYPOINT /app serve\n", []string{"shell form", "a scratch image has none"}},
		{"BadJSONEntrypoint", "ENTRYPOINT ['/app']\n", []string{"not a JSON array", "/bin/sh"}},
		{"RelativeEntrypoint", "ENTRYPOINT [\"app\"]\n", []string{"absolute program path"}},
		{"NoEntrypoint", "USER 1:1\n", []string{"Dockerfile:2: the final stage has no ENTRYPOINT"}},
		{"HealthcheckNone", "HEALTHCHECK NONE\n" + entry, []string{"meant to have a health check"}},
		{"HealthcheckShell", "HEALTHCHECK CMD /app health\n" + entry, []string{"shell form"}},
		{"HealthcheckBadInterval", "HEALTHCHECK --interval=often CMD [\"/app\"]\n" + entry, []string{"--interval=often"}},
		{"HealthcheckBadRetries", "HEALTHCHECK --retries=0 CMD [\"/app\"]\n" + entry, []string{"--retries=0"}},
		{"HealthcheckUnknownFlag", "HEALTHCHECK --jitter=1s CMD [\"/app\"]\n" + entry, []string{"--jitter is not understood"}},
		{"UserName", "USER nobody\n" + entry, []string{`user "nobody" is not a number`, "no /etc/passwd"}},
		{"UserGroupName", "USER 1:staff\n" + entry, []string{`group "staff" is not a number`}},
		{"ChownName", "COPY --from=build --chown=app /a /b\n" + entry, []string{"--chown", `user "app"`}},
		{"FromContext", "COPY a /b\n" + entry, []string{"build context is not modelled"}},
		{"FromImage", "COPY --from=alpine /a /b\n" + entry, []string{"--from=alpine names no earlier stage"}},
		{"CopyLink", "COPY --link --from=build /a /b\n" + entry, []string{"--link is not understood"}},
		{"CopyTwice", "COPY --from=build --from=build /a /b\n" + entry, []string{"--from given twice"}},
		{"Chmod", "COPY --from=build --chmod=888 /a /b\n" + entry, []string{"--chmod=888"}},
		{"ChmodSymbolic", "COPY --from=build --chmod=u+x /a /b\n" + entry, []string{"--chmod=u+x"}},
		{"CopyRelativeDest", "COPY --from=build /a b\n" + entry, []string{`destination "b" is not absolute`}},
		{"CopyWildcard", "COPY --from=build /out/* /b/\n" + entry, []string{"without wildcards"}},
		{"CopyManyToFile", "COPY --from=build /a /c /b\n" + entry, []string{"destination directory ending in /"}},
		{"CopyOneWord", "COPY --from=build /a\n" + entry, []string{"at least one source and a destination"}},
		{"EnvSubstitution", "ENV A=$HOME\n" + entry, []string{"variable substitution"}},
		{"EnvSubstitutionQuoted", "ENV A=\"${HOME}/x\"\n" + entry, []string{"variable substitution"}},
		{"EnvLegacy", "ENV A b\n" + entry, []string{"legacy ENV KEY value form"}},
		{"EnvUnterminated", "ENV A=\"b\n" + entry, []string{"unterminated double quote"}},
		{"ExposeRange", "EXPOSE 80-90\n" + entry, []string{`port "80-90"`}},
		{"ExposeProto", "EXPOSE 80/http\n" + entry, []string{"tcp, udp or sctp"}},
		{"VolumeRelative", "VOLUME data\n" + entry, []string{`"data" is not an absolute path`}},
		{"VolumeBadJSON", "VOLUME [\"/data\"\n" + entry, []string{"not a JSON array"}},
		{"EveryError", "RUN x\nUSER me\n" + entry, []string{"Dockerfile:3: RUN", "Dockerfile:4: USER"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := mustParse(t, head+tc.final)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseDockerfile_Errors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"Empty", "", "Dockerfile:1: no FROM"},
		{"OnlyComments", "# nothing\n", "no FROM"},
		{"BeforeFrom", "ENV A=1\nFROM scratch\n", "Dockerfile:1: ENV before the first FROM"},
		{"FromNoImage", "FROM\n", "want FROM IMAGE [AS NAME]"},
		{"FromBadAs", "FROM a b c\n", "want FROM IMAGE [AS NAME]"},
		{"EscapeDirective", "# escape=`\nFROM scratch\n", "Dockerfile:1: the escape parser directive"},
		{"Heredoc", "FROM a\nRUN <<EOF\necho\nEOF\n", "Dockerfile:2: RUN with a here-document"},
		{"ArgBlank", "ARG =x\nFROM scratch\n", "ARG \"=x\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseDockerfile("Dockerfile", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestParseRun(t *testing.T) {
	steps, err := parseRun(`CGO_ENABLED=0 go build -tags 'a b' -ldflags "-s -w" -o /out/x ./cmd/x && mkdir -p /out/d`)
	if err != nil {
		t.Fatal(err)
	}
	want := []buildStep{
		{Assign: []string{"CGO_ENABLED=0"}, Argv: []string{"go", "build", "-tags", "a b", "-ldflags", "-s -w", "-o", "/out/x", "./cmd/x"}},
		{Argv: []string{"mkdir", "-p", "/out/d"}},
	}
	if !reflect.DeepEqual(steps, want) {
		t.Errorf("parseRun:\ngot  %+v\nwant %+v", steps, want)
	}
	for _, tc := range []struct{ name, run, want string }{
		{"Or", "a || b", "only &&"},
		{"Semicolon", "a; b", "one && list"},
		{"Pipe", "a | b", "only &&"},
		{"Redirect", "a > /x", "only plain commands"},
		{"Variable", "go build -o $OUT", "only literal words"},
		{"DoubleQuotedVariable", `go build -o "$OUT"`, "expansions in double quotes"},
		{"Substitution", "go build $(x)", "only literal words"},
		{"Glob", "cp /a/* /b", "globs"},
		{"Subshell", "(a)", "only && lists"},
		{"ExecForm", `["go", "build"]`, "exec form"},
		{"Syntax", "a &&", "parse the shell command"},
		{"AssignOnly", "A=1", "without a command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseRun(tc.run)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseRun(%q) error %v, want one containing %q", tc.run, err, tc.want)
			}
		})
	}
}

func TestPlanBuild_Errors(t *testing.T) {
	const final = "FROM scratch\nCOPY --from=build /out/x /x\nENTRYPOINT [\"/x\"]\n"
	for _, tc := range []struct{ name, build, want string }{
		{"BuildBeforeSource", "FROM golang AS build\nWORKDIR /src\nRUN go build -o /out/x .\nCOPY . .\n", "go build before COPY . ."},
		{"UnknownInstruction", "FROM golang AS build\nCOPY . .\nADD x /y\n", "ADD: not understood by this test in the build stage"},
		{"UnknownCommand", "FROM golang AS build\nCOPY . .\nRUN apt-get install -y x\n", "apt-get install -y x is not understood"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			df, img, err := mustParse(t, tc.build+final)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := planBuild(df, img)
			if err == nil {
				err = plan.run(t.TempDir(), t.TempDir(), nil)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	t.Run("TwoGoBuilds", func(t *testing.T) {
		df, img, err := mustParse(t, "FROM golang AS build\nCOPY . .\nRUN go build -o /out/x . && go build -o /out/y .\n"+final)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := planBuild(df, img)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := plan.goBuildStep(); err == nil || !strings.Contains(err.Error(), "runs go build 2 times") {
			t.Errorf("goBuildStep error %v, want one about two go builds", err)
		}
	})
}

// TestDockerfile checks the repository's Dockerfile where no root is
// needed: it parses in full, its build stage is one this package can run,
// its Go is go.mod's, and the final stage keeps the image's promises (a
// non-root user, the data directory on a volume, a health check, the
// listen ports exposed). TestImage_FinalStage runs it.
func TestDockerfile(t *testing.T) {
	df, img := loadDockerfile(t)
	plan, err := planBuild(df, img)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.goBuildStep(); err != nil {
		t.Error(err)
	}
	goMod, err := os.ReadFile(filepath.Join(repoRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.checkGoVersion(goMod); err != nil {
		t.Error(err)
	}
	if img.Base != "scratch" {
		t.Errorf("final stage FROM %s, want scratch", img.Base)
	}
	if img.User == nil || img.User.UID == 0 {
		t.Errorf("USER %v: the image must not run as root", img.User)
	}
	if d := img.Getenv("WARDEN_DATA_DIR"); !slices.Contains(img.Volumes, d) {
		t.Errorf("WARDEN_DATA_DIR=%q is not one of the VOLUMEs %v", d, img.Volumes)
	}
	if img.Healthcheck == nil {
		t.Error("no HEALTHCHECK")
	}
	for _, key := range []string{"WARDEN_ADDR", "WARDEN_GRPC_ADDR"} {
		_, port, err := net.SplitHostPort(img.Getenv(key))
		if err != nil {
			t.Errorf("ENV %s: %v", key, err)
			continue
		}
		if !slices.Contains(img.Expose, port) && !slices.Contains(img.Expose, port+"/tcp") {
			t.Errorf("ENV %s listens on %s, which EXPOSE %v does not list", key, port, img.Expose)
		}
	}
}

func TestCheckGoVersion(t *testing.T) {
	plan := &buildPlan{Stage: &stage{Base: "golang:${GO_VERSION}-bookworm"}, GoVersion: "1.26.8"}
	for _, tc := range []struct {
		goMod string
		ok    bool
	}{
		{"module m\n\ngo 1.26.8\n", true},
		{"module m\n\ngo 1.26\n", true},
		{"module m\n\ngo 1.26.9\n", false},
		{"module m\n\ngo 1.27\n", false},
		{"module m\n", false},
	} {
		if err := plan.checkGoVersion([]byte(tc.goMod)); (err == nil) != tc.ok {
			t.Errorf("go.mod %q: error %v, want ok=%v", tc.goMod, err, tc.ok)
		}
	}
}

// FuzzParseDockerfile: no input panics the parser, and what it accepts is
// well formed.
func FuzzParseDockerfile(f *testing.F) {
	f.Add([]byte(goodDockerfile))
	if data, err := os.ReadFile("../../Dockerfile"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("FROM a AS b\nRUN x \\\n\\\n y\nFROM scratch\nENV A=\"\\\"\" B='c'\n"))
	f.Add([]byte("FROM scratch\nENTRYPOINT [\"/x\"]\nHEALTHCHECK --retries=1 CMD [\"/x\"]\nEXPOSE 1/tcp\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		df, err := parseDockerfile("Dockerfile", data)
		if err != nil {
			return
		}
		if len(df.Stages) == 0 {
			t.Fatal("accepted a Dockerfile without a stage")
		}
		for _, st := range df.Stages {
			for _, in := range st.Instrs {
				if in.Cmd == "" || in.Cmd != strings.ToUpper(in.Cmd) || in.Line < 1 {
					t.Fatalf("malformed instruction %+v", in)
				}
			}
		}
		img, err := parseFinalStage(df)
		if err != nil {
			return
		}
		if len(img.Entrypoint) == 0 {
			t.Fatal("accepted a final stage without an ENTRYPOINT")
		}
		for _, c := range img.Copies {
			if len(c.Sources) == 0 || !strings.HasPrefix(c.Dest, "/") {
				t.Fatalf("malformed COPY %+v", c)
			}
		}
		if plan, err := planBuild(df, img); err == nil {
			plan.goBuildStep()
			plan.checkGoVersion([]byte("go 1.26\n"))
		}
	})
}
