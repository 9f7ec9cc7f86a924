package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/ship"
	"github.com/wardenhq/warden/internal/shiplaunch"
)

func newSpoolCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "spool",
		Short: "The hook's audit spool and its delivery to a Warden server",
		Long: `Every 'warden hook' call appends a metadata-only audit event to a local
spool file. With WARDEN_SERVER and WARDEN_TOKEN set, the hook starts a
background shipper after answering (never before: the decision path does no
network I/O) that delivers the spool to the server and keeps a cached copy
of the server's policy.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newSpoolStatusCmd(env), newSpoolShipCmd(env))
	return cmd
}

// spoolFlag resolves --spool the way the hook does.
func spoolFlag(env *Env, flag string) (string, error) {
	p := clientstate.SpoolPath(env.Getenv, homeDir(env), flag)
	if p == "" {
		return "", errors.New("no spool file: set --spool, $WARDEN_SPOOL or $HOME")
	}
	return p, nil
}

func newSpoolStatusCmd(env *Env) *cobra.Command {
	var spool string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what is waiting to be shipped, what was lost, and the last error",
		Long: `Status reports on the spool: events not yet delivered, events delivered
(and the server's accepted/duplicate/rejected counts), events rotation
deleted before they were shipped (drops), the last delivery error and the
backoff, whether a shipper is running, and the cached server policy.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := spoolFlag(env, spool)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			conn := clientstate.Connect(env.Getenv, homeDir(env))
			if conn.Err != nil {
				fmt.Fprintf(env.Stderr, "warden: %v\n", conn.Err)
			}
			server := conn.Server
			st, err := ship.ReadStatus(path, clientstate.Dir(env.Getenv, homeDir(env)), server)
			if err != nil {
				return withCode(ExitFailure, err)
			}
			if asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			printSpoolStatus(env, st)
			return nil
		},
	}
	cmd.Flags().StringVar(&spool, "spool", "", "audit spool file (default $WARDEN_SPOOL, else ~/.local/state/warden/audit.jsonl)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

func printSpoolStatus(env *Env, st *ship.Status) {
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	defer w.Flush()
	row := func(k, format string, args ...any) { fmt.Fprintf(w, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	row("spool", "%s", st.Spool)
	if st.Server != "" {
		if err := shiplaunch.ValidateServer(st.Server); err != nil {
			row("server", "%s (not used: %v)", st.Server, err)
		} else {
			row("server", "%s", st.Server)
		}
	} else {
		row("server", "none (no %s in the state directory or the managed-settings directory, and $%s is not set)", clientstate.ClientConfigName, clientstate.EnvServer)
	}
	if st.Running {
		row("shipper", "running (pid %d)", st.PID)
	} else {
		row("shipper", "not running")
	}
	row("pending", "%d events (%d bytes)", st.Pending, st.PendingBytes)
	row("delivered", "%d events (accepted %d, duplicates %d, rejected %d)", st.Delivered, st.Accepted, st.Duplicates, st.Rejected)
	row("drops", "%d events deleted by rotation before they were shipped", st.Drops)
	if st.Skipped > 0 {
		row("skipped", "%d lines too long to send", st.Skipped)
	}
	if !st.LastSuccess.IsZero() {
		row("last delivery", "%s", st.LastSuccess.Format(time.RFC3339))
	}
	if st.LastError != "" {
		row("last error", "%s: %s", st.LastErrorTime.Format(time.RFC3339), st.LastError)
		if !st.NextAttempt.IsZero() {
			row("next attempt", "%s (after %d consecutive failures)", st.NextAttempt.Format(time.RFC3339), st.Failures)
		}
	}
	if p := st.Policy; p != nil {
		switch {
		case p.Cached:
			row("policy", "%s %s (sha256 %s), fetched %s", p.Name, p.Revision, p.SHA256, p.FetchedAt.Format(time.RFC3339))
		case p.LastLoadError != "":
			row("policy", "cache unreadable, hooks deny until it is replaced: %s", p.LastLoadError)
		default:
			row("policy", "none cached yet: hooks decide with the built-in baseline")
		}
		if p.Error != "" {
			row("policy error", "%s: %s", p.CheckedAt.Format(time.RFC3339), p.Error)
		}
	}
	if q := st.Quarantines; q != nil {
		switch {
		case q.Cached:
			more := ""
			if q.Truncated {
				more = " (the server's list was cut at its bound)"
			}
			row("quarantines", "%d session(s) denied locally, list fetched %s%s", q.Sessions, q.FetchedAt.Format(time.RFC3339), more)
		case q.LoadError != "":
			row("quarantines", "list unreadable, no session is denied locally until it is replaced: %s", q.LoadError)
		default:
			row("quarantines", "no list cached yet: no session is denied locally")
		}
	}
	if p := st.Pauses; p != nil && p.Cached {
		if p.Error != "" {
			row("pauses", "a pause list is cached but the hook ignores it: %s", p.Error)
		}
		now := time.Now()
		for _, pz := range p.Pauses {
			state := "in force"
			if !now.Before(pz.Until) {
				state = "ended"
			}
			row("pause", "tier %s until %s (%s), by %s: %s", printable(pz.Tier), pz.Until.UTC().Format(time.RFC3339), state, printable(pz.By), printable(pz.Reason))
		}
	}
}

func newSpoolShipCmd(env *Env) *cobra.Command {
	var (
		spool, stateDir string
		clientConfig    string
		lockFD          int
		linger, idle    time.Duration
		verbose         bool
	)
	cmd := &cobra.Command{
		Use:   "ship",
		Short: "Deliver the spool to the server now (what the hook starts in the background)",
		Long: `Ship delivers the spool's undelivered events to the server of the client
configuration (--client-config, else warden-client.json in the state
directory or the managed-settings directory; $WARDEN_SERVER and
$WARDEN_TOKEN override it), refreshes the cached server policy, and exits once everything
is delivered and no new event arrived for --linger. While the server fails
it backs off exponentially and exits when no new event arrived for
--idle-exit. Only one shipper runs per spool: a second one exits at once.`,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := spoolFlag(env, spool)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelInfo
			}
			conn := clientstate.Connect(env.Getenv, homeDir(env))
			if clientConfig != "" && !conn.FromEnv() {
				c, err := clientstate.LoadClientConfig(clientConfig)
				if err != nil {
					return withCode(ExitUsage, err)
				}
				conn = c.Connection(clientConfig)
			}
			if conn.Err != nil {
				return withCode(ExitUsage, conn.Err)
			}
			if conn.Server == "" {
				return withCode(ExitUsage, fmt.Errorf("no server: no %s in the state directory or the managed-settings directory (warden install --server), and $%s is not set", clientstate.ClientConfigName, clientstate.EnvServer))
			}
			opts := ship.Options{
				Spool:     path,
				Server:    conn.Server,
				Token:     conn.Token,
				StateDir:  stateDir,
				Linger:    linger,
				IdleExit:  idle,
				UserAgent: "warden/" + resolvedVersion(),
				Logger:    slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level})),
			}
			if !cmd.Flags().Changed("state-dir") {
				opts.StateDir = clientstate.Dir(env.Getenv, homeDir(env))
			}
			if lockFD >= 0 {
				if opts.Lock, err = shiplaunch.InheritedLock(uintptr(lockFD)); err != nil {
					return withCode(ExitFailure, err)
				}
			}
			s, err := ship.New(opts)
			if err != nil {
				if opts.Lock != nil {
					opts.Lock.Close()
				}
				return withCode(ExitUsage, err)
			}
			err = s.Run(cmd.Context())
			if errors.Is(err, shiplaunch.ErrLocked) {
				fmt.Fprintf(env.Stderr, "warden: %v\n", err)
				return nil
			}
			if err != nil {
				return withCode(ExitFailure, err)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&spool, "spool", "", "audit spool file (default $WARDEN_SPOOL, else ~/.local/state/warden/audit.jsonl)")
	fl.StringVar(&stateDir, "state-dir", "", "where the policy cache lives (default $XDG_STATE_HOME/warden, else ~/.local/state/warden; empty: no policy refresh)")
	fl.StringVar(&clientConfig, "client-config", "", "client configuration file with the server and token (set by the hook; $WARDEN_SERVER overrides it)")
	fl.IntVar(&lockFD, "lock-fd", -1, "descriptor of the spool's lock, already held (set by the hook)")
	fl.DurationVar(&linger, "linger", ship.DefaultLinger, "how long to wait for new events once everything is delivered (negative: exit at once)")
	fl.DurationVar(&idle, "idle-exit", ship.DefaultIdleExit, "while the server fails, exit after this long without a new event")
	fl.BoolVarP(&verbose, "verbose", "v", false, "log every delivery on stderr")
	return cmd
}

// printable flattens text from the server for one terminal line: control
// characters (escape sequences included) become '?'.
func printable(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
}
