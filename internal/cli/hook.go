package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/condition"
	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/hook"
	"github.com/wardenhq/warden/internal/policy"
)

func newHookCmd(env *Env) *cobra.Command {
	var policyFlag, tier, spool string
	cmd := &cobra.Command{
		Use:   "hook",
		Short: "The Claude Code hook: read a hook event on stdin, answer on stdout",
		Long: `Hook is the command Claude Code runs for every hook event. It reads the
event JSON on stdin; for PreToolUse it answers deny, ask or allow in Claude
Code's hook protocol (nothing when the policy has no opinion); every event is
recorded as a metadata-only, redacted audit event in the spool file.

It fails closed: malformed input, input over 1 MiB, a policy that cannot be
loaded, or a failure of Warden itself answers deny with the reason, unless the
tier says failure: open. It never exits 1, which Claude Code would read as a
non-blocking error and let the tool run.

Policy: --policy, else $WARDEN_POLICY, else, with $WARDEN_SERVER set, the
        server's policy as last cached in the state directory (the built-in
        baseline until a first copy arrives), else the built-in baseline.
Tier:   --tier, else the tier the policy's repositories: section gives the
        session's repository (by path or origin remote), else default_tier.
Spool:  --spool, else $WARDEN_SPOOL, else $XDG_STATE_HOME/warden/audit.jsonl,
        else ~/.local/state/warden/audit.jsonl.
WARDEN_FAIL_OPEN=1 makes a policy that cannot be loaded fail open.

Server: with $WARDEN_SERVER and $WARDEN_TOKEN set, after answering the hook
        starts 'warden spool ship' in the background unless one is running
        (never waiting on the network), which delivers the spool and refreshes
        the cached policy; $WARDEN_SHIP=off keeps it from doing so. See
        'warden spool status'.`,
		Example: `  # in Claude Code settings: {"type": "command", "command": "warden hook --tier ci"}
  echo '{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"cat .env"},"cwd":"/tmp"}' | warden hook`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			home := homeDir(env)
			stdin, cwd := env.Stdin, func() string { return "" }
			if tier == "" {
				// The tier may depend on the session's repository: keep
				// the head of the input to find its cwd, and hand the hook
				// the whole stream unchanged (its own size limit applies).
				head, err := io.ReadAll(io.LimitReader(env.Stdin, maxTierInput))
				stdin = io.MultiReader(bytes.NewReader(head), &errReader{err}, env.Stdin)
				cwd = func() string { return inputCwd(head) }
			}
			cfg := hook.Config{
				Load: func() (hook.Decider, hook.Meta, error) {
					return loadHookEngine(env, policyFlag, tier, cwd)
				},
				Home:   home,
				Getenv: env.Getenv,
			}
			spoolPath := hook.SpoolPath(env.Getenv, home, spool)
			if spoolPath != "" {
				cfg.Spool = &hook.Spool{Path: spoolPath}
			}
			code := hook.Run(cmd.Context(), cfg, stdin, env.Stdout, env.Stderr)
			startShipper(env, spoolPath, home)
			if code != 0 {
				return withCode(code, nil)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&policyFlag, "policy", "", "policy file (default $WARDEN_POLICY, else the built-in baseline)")
	fl.StringVar(&tier, "tier", "", "tier to decide under (default: the repository's tier from the policy's repositories, else its default tier)")
	fl.StringVar(&spool, "spool", "", "audit spool file (default $WARDEN_SPOOL, else ~/.local/state/warden/audit.jsonl)")
	return cmd
}

// maxTierInput bounds the input kept to find the session's cwd: the hook
// refuses larger input anyway (1 MiB).
const maxTierInput = 1<<20 + 1

// errReader returns err once (nil: EOF), so a failed read of the input's
// head reaches the hook's decoder instead of being lost.
type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	return 0, io.EOF
}

// inputCwd returns the cwd of a hook input, or "" when it has none or does
// not parse (the hook reports that itself).
func inputCwd(data []byte) string {
	var in struct {
		Cwd string `json:"cwd"`
	}
	if json.Unmarshal(data, &in) != nil {
		return ""
	}
	return in.Cwd
}

// loadHookEngine loads the policy for one hook call; a policy file that
// cannot be loaded is reported as a hook.LoadError so the deny names it.
// Without a tier, a policy that maps repositories to tiers decides it from
// the repository around cwd() (read only then: most policies map none).
func loadHookEngine(env *Env, policyFlag, tier string, cwd func() string) (hook.Decider, hook.Meta, error) {
	path := policyFlag
	if path == "" {
		path = env.Getenv("WARDEN_POLICY")
	}
	var p *policy.Policy
	if path == "" && env.Getenv(hook.EnvServer) != "" {
		var err error
		if p, path, err = serverPolicy(env, homeDir(env)); err != nil {
			return nil, hook.Meta{}, &hook.LoadError{Path: path, Err: err}
		}
	} else if path == "" || path == "baseline" {
		p = policy.Baseline()
	} else {
		var err error
		if p, err = policy.LoadFile(path); err != nil {
			return nil, hook.Meta{}, &hook.LoadError{Path: path, Err: err}
		}
	}
	if tier == "" && len(p.Repositories) > 0 {
		if dir := cwd(); dir != "" {
			root, remote := hook.Repo(dir)
			if root == "" {
				root = dir
			}
			tier = p.TierFor(root, remote)
		}
	}
	rs, err := p.Ruleset(tier)
	if err != nil {
		// The policy loaded; the tier named by --tier (or by the policy's
		// repositories) does not exist in it.
		return nil, hook.Meta{}, fmt.Errorf("%w; fix --tier in the hook command or the policy's repositories", err)
	}
	meta := hook.Meta{Policy: rs.Policy, PolicyVersion: rs.Revision, Tier: rs.Tier,
		FailOpen: rs.FailOpen, BlockConfigChange: rs.BlockConfigChange}
	if meta.Policy == "" {
		return nil, meta, errors.New("policy has no name")
	}
	return engine.New(rs, engine.Options{Conditions: condition.NewEvaluator(rs)}), meta, nil
}
