package imagetest

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/store/sqlite"
	"github.com/wardenhq/warden/internal/testenv"
)

// makeRootfs lays out the final stage's COPY instructions under root, as
// BuildKit does (tonistiigi/fsutil copy.Copy): missing parent directories
// of a destination are created with the COPY's owner (--chown, else 0:0)
// and mode (--chmod's permission bits, else 0755); a directory source
// copies its contents into the destination, which then takes the owner
// and the mode (--chmod, else the source's); a file keeps its source mode
// unless --chmod is given. Nothing else is created: root starts empty, as
// FROM scratch does.
func makeRootfs(img *finalStage, buildRoot, root string) error {
	if err := os.Chmod(root, 0o755); err != nil {
		return err
	}
	for _, c := range img.Copies {
		owner := ids{}
		if c.Chown != nil {
			owner = *c.Chown
		}
		dirMode := os.FileMode(0o755)
		if c.Chmod != nil {
			dirMode = os.FileMode(*c.Chmod) & 0o777
		}
		for _, src := range c.Sources {
			from := filepath.Join(buildRoot, filepath.FromSlash(path.Clean(src)))
			fi, err := os.Lstat(from)
			if err != nil {
				return fmt.Errorf("Dockerfile:%d: COPY --from=%s %s: the build stage does not produce it: %w", c.Line, c.From, src, err)
			}
			dest := c.Dest
			if !fi.IsDir() {
				// Into a directory: named with a trailing /, or one that exists.
				existing, err := os.Stat(filepath.Join(root, filepath.FromSlash(path.Clean(dest))))
				if strings.HasSuffix(dest, "/") || (err == nil && existing.IsDir()) {
					dest = path.Join(dest, path.Base(src))
				}
			}
			to := filepath.Join(root, filepath.FromSlash(path.Clean(dest)))
			parent := filepath.Dir(to)
			if fi.IsDir() {
				parent = to
			}
			if err := mkdirAllOwned(root, parent, dirMode, owner); err != nil {
				return fmt.Errorf("Dockerfile:%d: %w", c.Line, err)
			}
			if err := copyTree(from, to, owner, c.Chmod); err != nil {
				return fmt.Errorf("Dockerfile:%d: COPY %s %s: %w", c.Line, src, c.Dest, err)
			}
		}
	}
	return nil
}

// mkdirAllOwned creates dir and its missing parents below root with mode
// and owner.
func mkdirAllOwned(root, dir string, mode os.FileMode, owner ids) error {
	if dir == root {
		return nil
	}
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	}
	if err := mkdirAllOwned(root, filepath.Dir(dir), mode, owner); err != nil {
		return err
	}
	if err := os.Mkdir(dir, mode); err != nil {
		return err
	}
	if err := os.Chmod(dir, mode); err != nil {
		return err
	}
	return os.Lchown(dir, int(owner.UID), int(owner.GID))
}

// copyTree copies src to dst (a directory's contents into dst), giving
// every entry owner and chmod (if set) or its source's mode.
func copyTree(src, dst string, owner ids, chmod *uint32) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			if err := os.Mkdir(to, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
		case fi.Mode().IsRegular():
			if err := copyFile(p, to, 0); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: only files and directories are modelled by this test", p)
		}
		if err := os.Lchown(to, int(owner.UID), int(owner.GID)); err != nil {
			return err
		}
		mode := fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		if chmod != nil {
			mode = os.FileMode(*chmod) & fs.ModePerm
			if *chmod&syscall.S_ISUID != 0 {
				mode |= fs.ModeSetuid
			}
			if *chmod&syscall.S_ISGID != 0 {
				mode |= fs.ModeSetgid
			}
			if *chmod&syscall.S_ISVTX != 0 {
				mode |= fs.ModeSticky
			}
		}
		return os.Chmod(to, mode)
	})
}

// container runs programs in the image's filesystem as the image's user
// with the image's environment, the way `docker run` and `docker exec` do,
// without namespaces (the network is this machine's) and without the PATH
// and HOSTNAME that Docker adds: warden must not need them, and the
// ENTRYPOINT and HEALTHCHECK name the program by its absolute path.
type container struct {
	root string
	user ids
	env  []string
}

func (c *container) command(ctx context.Context, argv ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = c.env
	cmd.Dir = "/" // scratch's WORKDIR; chdir happens after chroot
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Chroot: c.root,
		// No supplementary groups: no /etc/group names any.
		Credential: &syscall.Credential{Uid: c.user.UID, Gid: c.user.GID, Groups: []uint32{}},
		Pdeathsig:  syscall.SIGKILL,
	}
	return cmd
}

// freePort returns a TCP port that is free on loopback now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// TestImage_FinalStage builds the final stage's filesystem from the
// Dockerfile (the build stage's RUN lines run here, the final stage's COPY
// lines lay out an otherwise empty root) and runs the image in it with
// chroot: the ENTRYPOINT as the USER with the ENV alone, the HEALTHCHECK
// until it passes, `warden token create` as `docker exec` would, and a
// SIGTERM as `docker stop` sends.
func TestImage_FinalStage(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "TestImage_FinalStage needs root to chroot into the image's filesystem and run as its user; run it as root (CI does)")
	}
	df, img := loadDockerfile(t)
	if img.Base != "scratch" {
		t.Fatalf("the final stage is FROM %s; this test models FROM scratch (an empty root)", img.Base)
	}
	plan, err := planBuild(df, img)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := plan.goBuildStep()
	if err != nil {
		t.Fatal(err)
	}
	// What the image's claims rest on, checked on the RUN line as written
	// (the build below runs it with exactly these flags).
	for _, want := range []string{"CGO_ENABLED=0"} {
		if !slices.Contains(gb.Env, want) {
			t.Errorf("the build stage's go build runs without %s: env %v", want, gb.Env)
		}
	}
	for _, want := range [][]string{{"-trimpath"}, {"-tags", "grpcnotrace"}} {
		if !containsRun(gb.Args, want) {
			t.Errorf("the build stage's go build lacks %v: %v", want, gb.Args)
		}
	}

	buildRoot := t.TempDir()
	var buildLog bytes.Buffer
	if err := plan.run(repoRoot(t), buildRoot, &buildLog); err != nil {
		t.Fatalf("build stage: %v\n%s", err, buildLog.String())
	}
	binary := filepath.Join(buildRoot, filepath.FromSlash(gb.Out))
	if err := checkStatic(binary); err != nil {
		t.Fatalf("the build stage's binary cannot run on scratch: %v", err)
	}

	root := t.TempDir()
	if err := makeRootfs(img, buildRoot, root); err != nil {
		t.Fatal(err)
	}
	t.Logf("the image's filesystem:\n%s", listTree(t, root))
	// Go's os.TempDir is /tmp in the image (no TMPDIR): it must be there,
	// writable by anyone and sticky, as --chmod=1777 makes it.
	if fi, err := os.Stat(filepath.Join(root, "tmp")); err != nil || fi.Mode()&(fs.ModeSticky|fs.ModePerm|fs.ModeDir) != fs.ModeSticky|fs.ModeDir|0o777 {
		t.Errorf("/tmp in the image: %v, want a directory with mode 1777 (err %v)", fi.Mode(), err)
	}
	// Go's crypto/x509 on Linux reads its roots from this file first
	// (crypto/x509/root_linux.go); the webhook and PostgreSQL clients in
	// the image have no other source, no SSL_CERT_FILE being set.
	if pem, err := os.ReadFile(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt")); err != nil {
		t.Errorf("no CA roots where Go looks for them: %v", err)
	} else if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		t.Errorf("/etc/ssl/certs/ca-certificates.crt in the image holds no PEM certificate")
	}
	if img.User == nil || img.User.UID == 0 {
		t.Fatalf("the image runs as root (USER %v); it must not", img.User)
	}
	dataDir := img.Getenv("WARDEN_DATA_DIR")
	if !slices.Contains(img.Volumes, dataDir) {
		t.Fatalf("WARDEN_DATA_DIR=%q is not a VOLUME (%v): the database would live in the container's layer", dataDir, img.Volumes)
	}

	if img.Healthcheck == nil {
		t.Fatal("the image has no HEALTHCHECK")
	}

	// The listen addresses as the ENV gives them, on free ports: the ENV's
	// 8844 and 4317 may be taken on this machine. Only the ports change;
	// the hosts (0.0.0.0) stay, and the health check must still find the
	// server through WARDEN_ADDR.
	env := img.Environ()
	ports := map[string]string{}
	for _, key := range []string{"WARDEN_ADDR", "WARDEN_GRPC_ADDR"} {
		host, _, err := net.SplitHostPort(img.Getenv(key))
		if err != nil {
			t.Fatalf("ENV %s=%q: %v", key, img.Getenv(key), err)
		}
		ports[key] = freePort(t)
		for i, kv := range env {
			if strings.HasPrefix(kv, key+"=") {
				env[i] = key + "=" + net.JoinHostPort(host, ports[key])
			}
		}
	}
	ctr := &container{root: root, user: *img.User, env: env}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Docker ends a check after HEALTHCHECK --timeout (30s unless given)
	// and counts it as failed.
	checkTimeout := 30 * time.Second
	if v, ok := img.Healthcheck.Options["timeout"]; ok {
		checkTimeout, _ = time.ParseDuration(v) // validated by the parser
	}
	health := func() (int, string) {
		hctx, hcancel := context.WithTimeout(ctx, checkTimeout)
		defer hcancel()
		out, err := ctr.command(hctx, img.Healthcheck.Cmd...).CombinedOutput()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return 0, string(out)
		case errors.As(err, &exit):
			return exit.ExitCode(), string(out)
		}
		t.Fatalf("HEALTHCHECK %v: %v\n%s", img.Healthcheck.Cmd, err, out)
		return -1, ""
	}
	if code, out := health(); code == 0 {
		t.Fatalf("HEALTHCHECK passed before the server started: %s", out)
	}

	var serverOut testenv.Buffer
	server := ctr.command(context.Background(), img.Entrypoint...)
	server.Stdout, server.Stderr = &serverOut, &serverOut
	if err := server.Start(); err != nil {
		t.Fatalf("ENTRYPOINT %v: %v", img.Entrypoint, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- server.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			server.Process.Kill()
			<-exited
		}
	})

	ready := false
	var last string
	for !ready {
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("ENTRYPOINT %v exited before it was ready: %v\n%s", img.Entrypoint, err, serverOut.String())
		case <-ctx.Done():
			t.Fatalf("HEALTHCHECK never passed: %s\nserver:\n%s", last, serverOut.String())
		case <-time.After(200 * time.Millisecond):
		}
		code, out := health()
		ready, last = code == 0, out
	}

	// OTLP/gRPC listens too, on the ENV's port.
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", ports["WARDEN_GRPC_ADDR"]), 5*time.Second)
	if err != nil {
		t.Errorf("WARDEN_GRPC_ADDR: %v", err)
	} else {
		conn.Close()
	}

	// docker exec <container> warden token create: same root, user and
	// environment, against the running server's data.
	tokOut, err := ctr.command(ctx, img.Entrypoint[0], "token", "create", "--scope", "read", "--name", "image-test").CombinedOutput()
	if err != nil {
		t.Fatalf("warden token create: %v\n%s", err, tokOut)
	}
	lines := strings.Split(strings.TrimSpace(string(tokOut)), "\n")
	token := strings.TrimSpace(lines[len(lines)-1])
	base := "http://" + net.JoinHostPort("127.0.0.1", ports["WARDEN_ADDR"])
	for _, tc := range []struct {
		name, auth string
		want       int
	}{
		{"NoToken", "", http.StatusUnauthorized},
		{"CreatedToken", "Bearer " + token, http.StatusOK},
	} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/alerts", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: GET /api/v1/alerts: %v", tc.name, err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: GET /api/v1/alerts = %d, want %d: %s", tc.name, resp.StatusCode, tc.want, body)
		}
	}

	// docker stop: SIGTERM, then a clean exit.
	if err := server.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("ENTRYPOINT after SIGTERM: %v, want exit 0\n%s", err, serverOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("ENTRYPOINT still running 30s after SIGTERM\n%s", serverOut.String())
	}

	// The database is on the volume, owned by the image's user.
	db := filepath.Join(root, filepath.FromSlash(dataDir), sqlite.FileName)
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatalf("no database in the VOLUME %s: %v", dataDir, err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != img.User.UID || st.Gid != img.User.GID {
		t.Errorf("%s is owned by %d:%d, want the USER %d:%d", path.Join(dataDir, sqlite.FileName), st.Uid, st.Gid, img.User.UID, img.User.GID)
	}
}

// listTree lists root's entries as `ls -ln` would: mode, owner, path.
func listTree(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(&b, "%v %d:%d /%s\n", fi.Mode(), st.Uid, st.Gid, filepath.ToSlash(strings.TrimPrefix(rel, ".")))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// containsRun reports whether want occurs in list as consecutive words.
func containsRun(list, want []string) bool {
	for i := 0; i+len(want) <= len(list); i++ {
		match := true
		for j := range want {
			match = match && list[i+j] == want[j]
		}
		if match {
			return true
		}
	}
	return false
}
