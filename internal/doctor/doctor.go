// Package doctor checks that Warden actually protects this machine: that the
// managed settings are installed and current, that the hook commands they
// name answer as a fail-closed hook must when run the way Claude Code runs
// them, that the real client registers and fires them, and that the client
// state (enrollment, server, spool, policy cache) is healthy.
//
// Each check is a row of one table (Checks): an id, a title and a function
// returning a Result with its status, the evidence it saw and, when it does
// not pass, the fix. The package runs programs (hook commands, the claude
// client) and reads files; it never writes outside temporary directories it
// creates and removes, and never changes the installed settings. The
// command line (internal/cli, `warden doctor`) compiles the expected
// settings and renders the report.
package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/settings"
	"github.com/wardenhq/warden/internal/ship"
)

// Status is a check's verdict.
type Status string

// The statuses, from best to worst as Report.Healthy reads them: only fail
// makes the machine unhealthy.
const (
	Pass Status = "pass"
	Warn Status = "warn"
	Skip Status = "skip"
	Fail Status = "fail"
)

// Result is the outcome of one check.
type Result struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Status   Status `json:"status"`
	Evidence string `json:"evidence"`
	// Fix says what to do when the check does not pass.
	Fix string `json:"fix,omitempty"`
	// Detail is longer evidence (a diff, a canary transcript).
	Detail string `json:"detail,omitempty"`
}

// Report is the outcome of every check, in table order.
type Report struct {
	Healthy bool     `json:"healthy"`
	Checks  []Result `json:"checks"`
}

// Expected is what the policy compiles to for this machine's tier, as
// `warden install` would install it.
type Expected struct {
	Result *settings.Result
	Files  []settings.File
	// Err is why the policy could not be compiled (the check then fails
	// with it).
	Err error
}

// Config is what the checks look at. Zero fields take defaults where one
// is documented.
type Config struct {
	// Root and Dir locate the managed-settings directory as warden install
	// takes them (Dir "" is settings.DefaultDir()).
	Root, Dir string
	// Tier is the tier the settings should be compiled for ("" when the
	// caller does not know: the install manifest says).
	Tier string
	// Expected is the compiled policy; nil skips the comparison.
	Expected *Expected

	// Home is the user's home directory (user settings, state directory);
	// Project the directory whose .claude/ settings the client would read.
	Home, Project string
	Getenv        func(string) string
	// Environ is the environment hooks and the client run with (default
	// os.Environ()).
	Environ []string

	// Claude is the claude executable for the client probe ("" skips it,
	// with ClaudeWhy as the reason).
	Claude, ClaudeWhy string
	// ClientTimeout bounds the client probe (default 3 minutes).
	ClientTimeout time.Duration

	// Shell runs hook commands as Claude Code does (default "/bin/sh").
	Shell string
	// HTTP is the client for the server check (default: 5 s timeout).
	HTTP *http.Client
	// Spool is the audit spool file ("" uses the hook's default).
	Spool string
	Now   func() time.Time
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) getenv(k string) string {
	if c.Getenv == nil {
		return ""
	}
	return c.Getenv(k)
}

// Check is one row of the table.
type Check struct {
	ID    string
	Title string
	Run   func(ctx context.Context, s *state) Result
}

// Checks is the table of checks, in the order they run and print.
var Checks = []Check{
	{"managed-settings", "managed settings installed and current", checkManagedSettings},
	{"hook-commands", "hook commands answer canaries fail-closed", checkHookCommands},
	{"hook-settings", "no settings that drop hooks", checkHookSettings},
	{"client-hooks", "the real client registers and fires the hooks", checkClientHooks},
	{"enrollment", "device enrolled", checkEnrollment},
	{"server", "server reachable", checkServer},
	{"spool", "audit spool draining", checkSpool},
	{"policy-cache", "cached server policy fresh", checkPolicyCache},
}

// state is shared by the checks of one run: what earlier checks found
// (the installed settings and their hooks) is reused by later ones.
type state struct {
	cfg *Config
	// installed is the parsed managed settings ("" keys when none).
	installed *installedSettings
	spool     *ship.Status
	spoolErr  error
}

// Run runs every check of the table and returns the report.
func Run(ctx context.Context, cfg Config) *Report {
	s := &state{cfg: &cfg}
	s.installed = readInstalled(managedDir(&cfg))
	rep := &Report{Healthy: true}
	for _, c := range Checks {
		r := c.Run(ctx, s)
		r.ID, r.Title = c.ID, c.Title
		if r.Status == Fail {
			rep.Healthy = false
		}
		rep.Checks = append(rep.Checks, r)
	}
	return rep
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes one line per check (status, id, evidence), the fix on
// the next line when there is one, and indented detail when verbose.
func (r *Report) WriteText(w io.Writer, verbose bool) error {
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%-4s  %-16s  %s\n", strings.ToUpper(string(c.Status)), c.ID, oneLine(c.Evidence))
		if c.Fix != "" && c.Status != Pass {
			fmt.Fprintf(&b, "      %-16s  fix: %s\n", "", oneLine(c.Fix))
		}
		if c.Detail != "" && (verbose || c.Status == Fail) {
			for _, l := range strings.Split(strings.TrimRight(c.Detail, "\n"), "\n") {
				fmt.Fprintf(&b, "        | %s\n", oneLine(l))
			}
		}
	}
	if r.Healthy {
		b.WriteString("healthy\n")
	} else {
		b.WriteString("NOT healthy: fix the failed checks above\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine keeps evidence (which may quote agent-controlled or file
// content) on one printable line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
