package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden/internal/fakemodel"
)

// Options configures a Harness. Zero values pick the defaults.
type Options struct {
	// Root is the module root (for .e2e/); default: the go.mod above the
	// working directory.
	Root string
	// User is the test user's name; default $WARDEN_E2E_USER or DefaultUser.
	User string
	// ScratchParent is where the scratch tree is made; default os.TempDir().
	ScratchParent string
}

// Harness is everything a session of the real client needs, set up once and
// shared by many sessions: the client, the test user, the scratch world,
// the scripted model, the exfiltration listener and the egress guard.
// Sessions may run concurrently.
type Harness struct {
	// Root is the module root: bin/warden is Root/bin/warden.
	Root    string
	Client  Client
	User    User
	Scratch *Scratch
	Model   *fakemodel.Server
	// ModelURL is the model's base URL (ANTHROPIC_BASE_URL).
	ModelURL string
	Exfil    *Listener
	Guard    *Guard

	seq atomic.Int64
}

// New checks the prerequisites and sets the harness up. Every missing
// prerequisite is an error that says how to get it; New never skips.
func New(ctx context.Context, opts Options) (h *Harness, err error) {
	if err := RequireRoot(); err != nil {
		return nil, err
	}
	root := opts.Root
	if root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		if root, err = ModuleRoot(wd); err != nil {
			return nil, err
		}
	}
	name := opts.User
	if name == "" {
		name = os.Getenv("WARDEN_E2E_USER")
	}
	if name == "" {
		name = DefaultUser
	}

	h = &Harness{Root: root}
	defer func() {
		if err != nil {
			err = errors.Join(err, h.Close(ctx))
			h = nil
		}
	}()
	if h.User, err = LookupUser(name); err != nil {
		return h, err
	}
	client, err := FindClient(ctx, root)
	if err != nil {
		return h, err
	}
	if h.Scratch, err = NewScratch(ctx, opts.ScratchParent, h.User); err != nil {
		return h, err
	}
	if h.Client, err = client.ForUser(ctx, h.User, h.Scratch.Bin); err != nil {
		return h, err
	}
	if h.Exfil, err = Listen(); err != nil {
		return h, err
	}
	h.Model = fakemodel.New()
	if h.ModelURL, err = h.Model.Start(); err != nil {
		return h, err
	}
	if h.Guard, err = InstallGuard(ctx, h.User.UID); err != nil {
		return h, err
	}
	return h, nil
}

// Close removes the guard, stops the servers and removes the scratch tree.
// It fails when the guard counted any packet: something the client ran
// tried to reach beyond loopback.
func (h *Harness) Close(ctx context.Context) error {
	var errs []error
	if h.Guard != nil {
		if n, err := h.Guard.Packets(ctx); err != nil {
			errs = append(errs, err)
		} else if n > 0 {
			errs = append(errs, fmt.Errorf("egress guard rejected %d packets of user %s to non-loopback addresses", n, h.User.Name))
		}
		errs = append(errs, h.Guard.Remove(ctx))
		h.Guard = nil
	}
	if h.Model != nil {
		errs = append(errs, h.Model.Close())
		h.Model = nil
	}
	if h.Exfil != nil {
		errs = append(errs, h.Exfil.Close())
		h.Exfil = nil
	}
	if h.Scratch != nil {
		errs = append(errs, h.Scratch.Close())
		h.Scratch = nil
	}
	return errors.Join(errs...)
}

// CheckGuard fails when the egress guard has counted any packet so far.
func (h *Harness) CheckGuard(ctx context.Context) error {
	n, err := h.Guard.Packets(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("egress guard rejected %d packets of user %s to non-loopback addresses", n, h.User.Name)
	}
	return nil
}

// InstallExecutable copies the program at src into the scratch bin
// directory as name (root-owned, mode 0755) and returns its path: the
// hook command to put in settings, e.g. bin/warden.
func (h *Harness) InstallExecutable(name, src string) (string, error) {
	return h.Scratch.CopyRootFile(h.Scratch.Bin, name, src, 0o755)
}

// WriteExecutable writes a script into the scratch bin directory.
func (h *Harness) WriteExecutable(name string, data []byte) (string, error) {
	return h.Scratch.WriteRootFile(h.Scratch.Bin, name, data, 0o755)
}

// WriteConfig writes a root-owned, world-readable file (a policy, say)
// into the scratch etc directory and returns its path.
func (h *Harness) WriteConfig(name string, data []byte) (string, error) {
	return h.Scratch.WriteRootFile(h.Scratch.Etc, name, data, 0o644)
}

// WriteSettings writes settings into the scratch etc directory, for
// SessionOptions.Settings.
func (h *Harness) WriteSettings(name string, s Settings) (string, error) {
	b, err := s.Marshal()
	if err != nil {
		return "", err
	}
	return h.WriteConfig(name, b)
}

// SessionOptions describes one client session: one prompt, a script of tool
// calls the model makes one per turn, and the client's settings.
type SessionOptions struct {
	// Name labels the session in its script key, spool file and messages;
	// default "s<N>". Letters, digits, '-' and '_' only.
	Name  string
	Steps []fakemodel.Step
	// Settings is the file given with --settings (see WriteSettings).
	Settings string
	// Mode is --permission-mode; default bypassPermissions.
	Mode string
	// Dir is the working directory, relative to the project or absolute;
	// default the project.
	Dir string
	// Prompt is the user's prompt; the script marker is appended to it.
	Prompt string
	// Env is extra client environment (KEY=VALUE).
	Env []string
	// Args are extra client arguments (--mcp-config FILE, say).
	Args []string
	// Timeout bounds the run; default DefaultRunTimeout.
	Timeout time.Duration
}

// Session is one finished client session.
type Session struct {
	Name string
	// Key is the fakemodel script key; Steps carry the resolved tool_use ids.
	Key   string
	Steps []fakemodel.Step
	Run   *RunResult
	// Transcript is Run.Transcript.
	Transcript *Transcript
	// Requests are the model requests of this session's main loop.
	Requests []fakemodel.Request
	// SpoolPath is the WARDEN_SPOOL file the session's hooks were given.
	SpoolPath string
	// Exfil are the listener's connections made while the session ran
	// (concurrent sessions see each other's).
	Exfil []Conn
	Start time.Time
}

var sessionName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// RunSession runs one client session. The returned Session is non-nil
// whenever the client ran, even with an error, for diagnostics.
func (h *Harness) RunSession(ctx context.Context, opts SessionOptions) (*Session, error) {
	n := h.seq.Add(1)
	name := opts.Name
	if name == "" {
		name = "s" + strconv.FormatInt(n, 10)
	}
	if !sessionName.MatchString(name) {
		return nil, fmt.Errorf("session name %q: letters, digits, '-' and '_' only", name)
	}
	if len(opts.Steps) == 0 {
		return nil, fmt.Errorf("session %s: no steps", name)
	}
	key := fmt.Sprintf("%s-%d", name, n)
	steps := make([]fakemodel.Step, len(opts.Steps))
	for i, st := range opts.Steps {
		if st.ID == "" {
			st.ID = fakemodel.DefaultID(key, i)
		}
		steps[i] = st
	}
	if err := h.Model.Script(key, steps...); err != nil {
		return nil, fmt.Errorf("session %s: %w", name, err)
	}
	dir := h.Scratch.Project
	if opts.Dir != "" {
		dir = h.Scratch.PathMap("", "").Path(opts.Dir)
	}
	spool := filepath.Join(h.Scratch.Spool, key+".jsonl")
	prompt := opts.Prompt
	if prompt == "" {
		prompt = "Run the scripted tool calls."
	}
	s := &Session{Name: name, Key: key, Steps: steps, SpoolPath: spool, Start: time.Now()}
	run, err := Run(ctx, RunOptions{
		Client:   h.Client,
		User:     h.User,
		Home:     h.Scratch.Home,
		Dir:      dir,
		BaseURL:  h.ModelURL,
		Prompt:   prompt + " " + fakemodel.Marker(key),
		Mode:     opts.Mode,
		Settings: opts.Settings,
		Args:     opts.Args,
		Env:      append([]string{"WARDEN_SPOOL=" + spool}, opts.Env...),
		Timeout:  opts.Timeout,
	})
	if run == nil {
		return nil, fmt.Errorf("session %s: %w", name, err)
	}
	s.Run = run
	s.Transcript = run.Transcript
	s.Requests = h.Model.RequestsFor(key)
	s.Exfil = h.Exfil.ConnsSince(s.Start)
	if err != nil {
		return s, fmt.Errorf("session %s: %w", name, err)
	}
	return s, nil
}

// RunSessions runs the sessions, at most parallel at a time (at least one),
// and returns them in the order given. Every session runs even when others
// fail; the errors are joined. A session that could not run is nil.
func (h *Harness) RunSessions(ctx context.Context, opts []SessionOptions, parallel int) ([]*Session, error) {
	if parallel < 1 {
		parallel = 1
	}
	out := make([]*Session, len(opts))
	errs := make([]error, len(opts))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, o := range opts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = h.RunSession(ctx, o)
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// Chunk splits steps into consecutive batches of at most size steps, one
// per session: the client starts in about half a second, so dozens of calls
// share a session.
func Chunk(steps []fakemodel.Step, size int) [][]fakemodel.Step {
	if size < 1 {
		size = 1
	}
	var out [][]fakemodel.Step
	for len(steps) > size {
		out = append(out, steps[:size:size])
		steps = steps[size:]
	}
	if len(steps) > 0 {
		out = append(out, steps)
	}
	return out
}

// Call returns the transcript's call for step i, or nil when the client
// never reported the tool_use.
func (s *Session) Call(i int) *Call {
	if s.Transcript == nil || i < 0 || i >= len(s.Steps) {
		return nil
	}
	return s.Transcript.Call(s.Steps[i].ID)
}

// Spool reads the session's hook spool.
func (s *Session) Spool() ([]SpoolEvent, error) { return ReadSpool(s.SpoolPath) }

// Leaks returns the canaries of sc found in anything the model was sent in
// this session (request bodies) or the client printed (stream-json).
func (s *Session) Leaks(sc *Scratch) []Canary {
	seen := map[string]bool{}
	var out []Canary
	add := func(cs []Canary) {
		for _, c := range cs {
			if !seen[c.Name] {
				seen[c.Name] = true
				out = append(out, c)
			}
		}
	}
	for _, r := range s.Requests {
		add(sc.CanaryIn(r.Body))
	}
	if s.Run != nil {
		add(sc.CanaryIn(s.Run.Stdout))
	}
	return out
}

// Summary is a one-line-per-call account of the session for failure
// messages: id, tool, outcome, hook verdict, result head.
func (s *Session) Summary() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "session %s (%d steps", s.Name, len(s.Steps))
	if s.Run != nil {
		fmt.Fprintf(&b, ", exit %d, %s", s.Run.ExitCode, s.Run.Duration.Round(time.Millisecond))
	}
	b.WriteString(")\n")
	for i, st := range s.Steps {
		c := s.Call(i)
		if c == nil {
			fmt.Fprintf(&b, "  %2d %s %s: not in the stream\n", i, st.ID, st.Name)
			continue
		}
		res := c.Result
		if len(res) > 80 {
			res = res[:80] + "…"
		}
		fmt.Fprintf(&b, "  %2d %s %s: %s verdict=%q %q\n", i, st.ID, st.Name, c.Outcome, c.HookVerdict(), res)
	}
	return b.String()
}
