package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/condition"
	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
	"github.com/wardenhq/warden/internal/yamlfile"
)

// loadPolicy returns the policy named by --policy, else $WARDEN_POLICY,
// else the built-in baseline. "baseline" names the built-in one.
func loadPolicy(env *Env, flag string) (*policy.Policy, error) {
	path := flag
	if path == "" {
		path = env.Getenv(clientstate.EnvPolicy)
	}
	if path == "" || path == "baseline" {
		return policy.Baseline(), nil
	}
	p, err := policyfile.Load(path)
	if err != nil {
		var errs *policy.Errors
		if errors.As(err, &errs) {
			// Already located (file:line:col), with the source line.
			return nil, fmt.Errorf("policy %s is invalid:\n%s", path, errs.Pretty())
		}
		return nil, fmt.Errorf("load policy %s: %w", path, err)
	}
	return p, nil
}

// loadEngine loads the policy and resolves the tier into an engine.
func loadEngine(env *Env, policyFlag, tier string, opts engine.Options) (*engine.Engine, error) {
	p, err := loadPolicy(env, policyFlag)
	if err != nil {
		return nil, err
	}
	rs, err := p.Ruleset(tier)
	if err != nil {
		return nil, err
	}
	if opts.Conditions == nil {
		opts.Conditions = condition.NewEvaluator(rs)
	}
	if opts.YAML == nil {
		opts.YAML = yamlfile.First
	}
	return engine.New(rs, opts), nil
}

func homeDir(env *Env) string {
	if h := env.Getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}
