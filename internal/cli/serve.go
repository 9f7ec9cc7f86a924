package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wardenhq/warden/internal/detect"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
	"github.com/wardenhq/warden/internal/server"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/postgres"
	"github.com/wardenhq/warden/internal/store/sqlite"
)

// serverFlags are the flags naming server.Config fields; only those given
// on the command line override the file and the environment.
type serverFlags struct {
	configFile string
	cfg        server.Config
}

// addStoreFlags adds the flags every command that opens the store takes.
func (f *serverFlags) addStoreFlags(fl *pflag.FlagSet) {
	fl.StringVar(&f.configFile, "config", "", "YAML configuration file (default $WARDEN_CONFIG)")
	fl.StringVar(&f.cfg.DataDir, "data-dir", "", "directory of the SQLite database and the decision journal (default $XDG_STATE_HOME/warden, else ~/.local/state/warden)")
	fl.StringVar(&f.cfg.DatabaseURL, "database-url", "", "PostgreSQL URL (postgres://...), overrides --data-dir; prefer $WARDEN_DATABASE_URL, since flags show in process lists")
}

func (f *serverFlags) addServeFlags(fl *pflag.FlagSet) {
	fl.StringVar(&f.cfg.Addr, "addr", server.DefaultAddr, "HTTP listen address: API, OTLP/HTTP, audit, central decisions")
	fl.StringVar(&f.cfg.GRPCAddr, "grpc-addr", server.DefaultGRPCAddr, `OTLP/gRPC listen address ("" disables gRPC)`)
	fl.StringVar(&f.cfg.Policy, "policy", "", `policy file for central decisions (default $WARDEN_POLICY, else the built-in baseline)`)
	fl.StringVar(&f.cfg.Tier, "tier", "", "tier of central decisions whose URL names none (default: the policy's default tier)")
	fl.StringVar(&f.cfg.TLSCert, "tls-cert", "", "PEM certificate: serve HTTPS and gRPC over TLS (with --tls-key)")
	fl.StringVar(&f.cfg.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	fl.IntVar(&f.cfg.RetentionDays, "retention-days", server.DefaultRetentionDays, "delete sessions inactive for longer than this many days (0 keeps everything)")
	fl.DurationVar(&f.cfg.RetentionInterval, "retention-interval", server.DefaultRetentionInterval, "how often retention runs")
	fl.BoolVar(&f.cfg.KeepContent, "keep-content", false, "keep prompt text, tool input and unredacted commands when Claude Code sends them")
	fl.BoolVar(&f.cfg.RequireSignedAudit, "require-signed-audit", false, "refuse hook audit not signed by an enrolled device (warden enroll); off, it is stored marked unverified")
	fl.DurationVar(&f.cfg.DecideTimeout, "decide-timeout", server.DefaultDecideTimeout, "bound on a central decision; past it the answer is deny")
	fl.DurationVar(&f.cfg.ShutdownTimeout, "shutdown-timeout", server.DefaultShutdownTimeout, "bound on draining in-flight requests at shutdown")
	fl.StringVar(&f.cfg.LogLevel, "log-level", server.DefaultLogLevel, "debug, info, warn or error")
	fl.StringVar(&f.cfg.Rules, "rules", "builtin", `detection rules: a directory of rule files, "builtin" or "none" (reloaded on SIGHUP)`)
	fl.DurationVar(&f.cfg.DetectInterval, "detect-interval", server.DefaultDetectInterval, "how often sessions with new events are evaluated against the rules")
	fl.DurationVar(&f.cfg.DetectLateness, "detect-lateness", server.DefaultDetectLateness, "how long absence rules wait for late events past their window")
	fl.StringVar(&f.cfg.AlertWebhookURL, "alert-webhook-url", "", "POST new alerts here as JSON, signed with $WARDEN_ALERT_WEBHOOK_SECRET (prefer $WARDEN_ALERT_WEBHOOK_URL)")
	fl.StringVar(&f.cfg.AlertsJSONL, "alerts-jsonl", "", "append new alerts to this file, one JSON object per line")
	fl.StringVar(&f.cfg.AlertsOTLPEndpoint, "alerts-otlp-endpoint", "", "send new alerts as OTLP log records to this collector (OTLP/HTTP; bearer $WARDEN_ALERTS_OTLP_TOKEN)")
	fl.IntVar(&f.cfg.MemoryBudgetMiB, "memory-budget-mib", server.DefaultMemoryBudgetMiB, "memory the server may use, in MiB: request bodies reserve from 3/8 of it, and the Go runtime's limit is 3/4 of it (unless GOMEMLIMIT is set)")
}

// config resolves the configuration: defaults, then the file (--config,
// else $WARDEN_CONFIG), then WARDEN_* variables, then the flags given.
// It does not validate.
func (f *serverFlags) config(env *Env, fl *pflag.FlagSet) (server.Config, error) {
	cfg := server.DefaultConfig(env.Getenv, homeDir(env))
	path := f.configFile
	if path == "" {
		path = env.Getenv("WARDEN_CONFIG")
	}
	if path != "" {
		file, err := os.Open(path)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		err = server.ParseConfig(file, &cfg)
		file.Close()
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := cfg.ApplyEnv(env.Getenv); err != nil {
		return cfg, fmt.Errorf("invalid environment: %w", err)
	}
	set := func(name string, apply func()) {
		if fl.Lookup(name) != nil && fl.Changed(name) {
			apply()
		}
	}
	v := f.cfg
	set("addr", func() { cfg.Addr = v.Addr })
	set("grpc-addr", func() { cfg.GRPCAddr = v.GRPCAddr })
	set("data-dir", func() { cfg.DataDir = v.DataDir })
	set("database-url", func() { cfg.DatabaseURL = v.DatabaseURL })
	set("policy", func() { cfg.Policy = v.Policy })
	set("tier", func() { cfg.Tier = v.Tier })
	set("tls-cert", func() { cfg.TLSCert = v.TLSCert })
	set("tls-key", func() { cfg.TLSKey = v.TLSKey })
	set("retention-days", func() { cfg.RetentionDays = v.RetentionDays })
	set("retention-interval", func() { cfg.RetentionInterval = v.RetentionInterval })
	set("keep-content", func() { cfg.KeepContent = v.KeepContent })
	set("require-signed-audit", func() { cfg.RequireSignedAudit = v.RequireSignedAudit })
	set("decide-timeout", func() { cfg.DecideTimeout = v.DecideTimeout })
	set("shutdown-timeout", func() { cfg.ShutdownTimeout = v.ShutdownTimeout })
	set("log-level", func() { cfg.LogLevel = v.LogLevel })
	set("memory-budget-mib", func() { cfg.MemoryBudgetMiB = v.MemoryBudgetMiB })
	set("rules", func() { cfg.Rules = v.Rules })
	set("detect-interval", func() { cfg.DetectInterval = v.DetectInterval })
	set("detect-lateness", func() { cfg.DetectLateness = v.DetectLateness })
	set("alert-webhook-url", func() { cfg.AlertWebhookURL = v.AlertWebhookURL })
	set("alerts-jsonl", func() { cfg.AlertsJSONL = v.AlertsJSONL })
	set("alerts-otlp-endpoint", func() { cfg.AlertsOTLPEndpoint = v.AlertsOTLPEndpoint })
	return cfg, nil
}

// openStore opens the store the configuration names: PostgreSQL when
// database_url is set, else SQLite in data_dir.
func openStore(ctx context.Context, cfg server.Config, log *slog.Logger) (store.Store, error) {
	opts := store.Options{Logger: log}
	if cfg.DatabaseURL != "" {
		s, err := postgres.Open(ctx, cfg.DatabaseURL, opts)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL store: %w", err)
		}
		return s, nil
	}
	s, err := sqlite.Open(ctx, cfg.DataDir, opts)
	if err != nil {
		var ae *sqlite.AccessError
		if errors.As(err, &ae) {
			return nil, err // names the path, its owner and the fix
		}
		return nil, fmt.Errorf("open SQLite store in %s: %w", cfg.DataDir, err)
	}
	return s, nil
}

// loadServePolicy loads the policy of central decisions with the document it
// distributes.
func loadServePolicy(path string) (*policy.Policy, []byte, error) {
	if path == "" || path == "baseline" {
		return policy.Baseline(), policy.BaselineYAML(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load policy %s: %w", path, err)
	}
	if len(data) > policy.MaxFileSize {
		return nil, nil, fmt.Errorf("load policy %s: file larger than %d bytes", path, policy.MaxFileSize)
	}
	p, err := policyfile.Parse(path, data)
	if err != nil {
		var errs *policy.Errors
		if errors.As(err, &errs) {
			return nil, nil, fmt.Errorf("policy %s is invalid:\n%s", path, errs.Pretty())
		}
		return nil, nil, fmt.Errorf("load policy %s: %w", path, err)
	}
	return p, data, nil
}

func newLogger(env *Env, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: l}))
}

// serveGCPercent is warden serve's garbage-collection target unless GOGC
// is set. A central decision allocates about 18 KB; at Go's default of 100
// the collector's work and assists put decisions behind it. Measured with
// serverbench on 2 cores, 300 took the p99 at 5,000 decisions/s from
// 8.9-9.2 ms to 5.6-6.6 ms, and the resident memory after a million
// stored events from 42 to 56 MiB (peak 57 to 96 MiB).
const serveGCPercent = 300

// setServeGC applies serveGCPercent unless the operator chose: the runtime
// reads GOGC from the process environment, so that is where to look. It
// also sets the runtime's memory limit (server.Config.MemoryLimit) unless
// GOMEMLIMIT is set: with GOGC at 300 the heap could otherwise grow to
// four times what is live, past a replica's memory, before a collection.
func setServeGC(memoryLimit int64) {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serveGCPercent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && memoryLimit > 0 {
		debug.SetMemoryLimit(memoryLimit)
	}
}

func newServeCmd(env *Env) *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Warden server: telemetry and audit ingest, central decisions, run records",
		Long: `Serve runs Warden's control plane until SIGINT or SIGTERM, then drains
in-flight requests.

HTTP (--addr, default ` + server.DefaultAddr + `):
  POST /v1/logs, /v1/metrics      OTLP/HTTP from Claude Code (scope ingest)
  POST /v1/audit                  hook audit events, NDJSON (scope ingest)
  POST /v1/hooks/claude-code      central decisions for "type": "http" hooks (scope ingest)
  GET  /v1/policy                 the policy bundle, with ETag (scope read or ingest)
  GET  /v1/pauses                 the pauses in force, signed (scope read or ingest)
  GET  /api/v1/sessions[/{id}[/record]]  sessions and run records (scope read)
  POST|DELETE /api/v1/sessions/{id}/quarantine  (scope admin)
  GET  /api/v1/sessions/{id}/events  stored events as a rule-test fixture (scope read)
  GET  /api/v1/alerts, /api/v1/alerts/{id}, /api/v1/rules  (scope read)
  POST /api/v1/alerts/{id}/status, /api/v1/rules/reload     (scope admin)
  GET  /api/v1/overlays[/log]     policy overlays and their log (scope read)
  POST /api/v1/overlays, /api/v1/pauses/resume, DELETE /api/v1/overlays/{id}  (scope admin)
  GET  /healthz, /readyz          no token; /metrics (scope read)
gRPC (--grpc-addr, default ` + server.DefaultGRPCAddr + `): OTLP logs and metrics (scope ingest).

Every endpoint but /healthz and /readyz needs "Authorization: Bearer wdn_..."
from 'warden token create'. Data goes to SQLite in --data-dir (warden.db,
and decisions.journal: central decisions not yet in the database, replayed
at start), or to PostgreSQL with --database-url. Configuration: --config FILE (YAML, unknown
keys refused), then WARDEN_* variables, then flags; see docs/deploy.md.

Detection (--rules, default the built-in pack): sessions with new events are
evaluated against the rules every --detect-interval; alerts are stored with
a lifecycle, and rules respond (quarantine, --alert-webhook-url,
--alerts-jsonl). SIGHUP reloads the rules, keeping the old ones if the new
ones do not load; see docs/detect.md.`,
		Example: `  warden token create --scope ingest --name laptops
  warden serve
  warden serve --config /etc/warden/server.yaml --database-url postgres://warden@db/warden`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.config(env, cmd.Flags())
			if err != nil {
				return err
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			log := newLogger(env, cfg.LogLevel)
			setServeGC(cfg.MemoryLimit())
			ctx := cmd.Context()
			p, yaml, err := loadServePolicy(cfg.Policy)
			if err != nil {
				return withCode(ExitFailure, err)
			}
			st, err := openStore(ctx, cfg, log)
			if err != nil {
				return withCode(ExitFailure, err)
			}
			defer st.Close()
			opts := server.Options{Config: cfg, Store: st, Policy: p, PolicyYAML: yaml, Logger: log,
				Rules: serveRules(cfg.Rules), WebhookSecret: []byte(env.Getenv("WARDEN_ALERT_WEBHOOK_SECRET")),
				AlertsOTLPToken: env.Getenv("WARDEN_ALERTS_OTLP_TOKEN"), PolicyDiff: consolePolicyDiff}
			if cfg.DatabaseURL != "" {
				opts.Writers = 4
			} else {
				// SQLite has one writer: decisions go through a journal
				// beside the database and reach it in batches.
				opts.Journal = filepath.Join(cfg.DataDir, server.JournalFile)
			}
			srv, err := server.New(opts)
			if err != nil {
				return err
			}
			stopHUP := reloadOnHUP(ctx, srv, log)
			defer stopHUP()
			if err := srv.Run(ctx); err != nil {
				log.Error("server failed", "error", err)
				return withCode(ExitFailure, err)
			}
			return nil
		},
	}
	f.addStoreFlags(cmd.Flags())
	f.addServeFlags(cmd.Flags())
	return cmd
}

// serveRules is the server's rule loader for the rules setting: the
// built-in pack, none (nil: detection off) or a directory, read again on
// every reload.
func serveRules(rules string) server.RulesLoader {
	switch rules {
	case "none":
		return nil
	case "", builtinRules:
		return detect.Builtin
	}
	return func() (*detect.Set, error) { return detect.LoadDir(rules) }
}

// reloadOnHUP reloads the server's rules on SIGHUP until ctx ends or the
// returned stop is called; a reload that fails keeps the rules in force.
func reloadOnHUP(ctx context.Context, srv *server.Server, log *slog.Logger) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-done:
				return
			case <-ch:
				if n, err := srv.ReloadRules(); err == nil {
					log.Info("SIGHUP: rules reloaded", "rules", n)
				}
			}
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}

// storeFromFlags resolves and validates the store part of the
// configuration and opens the store, for commands other than serve.
func storeFromFlags(ctx context.Context, env *Env, f *serverFlags, fl *pflag.FlagSet) (store.Store, error) {
	cfg, err := f.config(env, fl)
	if err != nil {
		return nil, err
	}
	if cfg.DatabaseURL == "" && cfg.DataDir == "" {
		return nil, errors.New("no store: give --data-dir or --database-url")
	}
	check := cfg
	check.Addr, check.GRPCAddr = server.DefaultAddr, ""
	if err := check.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	st, err := openStore(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, withCode(ExitFailure, err)
	}
	return st, nil
}
