package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/wardenhq/warden/internal/hook"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/ship"
)

// EnvShip names the environment variable that, set to 0 or off, keeps
// `warden hook` from starting a shipper (for setups that run
// `warden spool ship` some other way, and for tests).
const EnvShip = "WARDEN_SHIP"

// serverPolicy is the policy the hook decides with when it points at a
// server and names no policy file: the server's policy as the shipper last
// cached it, else the built-in baseline until a first copy arrives. A
// cache that is there but does not load fails the call closed (naming the
// file), like a broken policy file would; the shipper replaces it on its
// next refresh.
func serverPolicy(env *Env, home string) (p *policy.Policy, path string, err error) {
	cache := hook.PolicyCache{Dir: hook.StateDir(env.Getenv, home)}
	cp, err := cache.Load(env.Getenv(hook.EnvServer))
	switch {
	case err == nil:
		return cp.Policy, cp.Policy.File, nil
	case errors.Is(err, hook.ErrNoPolicyCache):
		return policy.Baseline(), policy.BaselineFile, nil
	default:
		return nil, cache.JSONPath(), err
	}
}

// startShipper starts a detached `warden spool ship` for spool after the
// hook has answered, when WARDEN_SERVER and WARDEN_TOKEN are set and no
// shipper is running (ship.Start). It never fails the hook: a shipper that
// cannot start is noted on stderr, and the next hook call tries again.
func startShipper(env *Env, spool, home string) {
	server, token := env.Getenv(hook.EnvServer), env.Getenv(hook.EnvToken)
	if spool == "" || server == "" || token == "" {
		return
	}
	if v := strings.ToLower(env.Getenv(EnvShip)); v == "0" || v == "off" || v == "false" {
		return
	}
	if ship.ValidateServer(server) != nil {
		// A shipper would exit at once, and every hook call would start
		// another: 'warden spool status' reports the bad URL instead.
		return
	}
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(env.Stderr, "warden: audit shipper not started: %v\n", p)
		}
	}()
	exe, err := os.Executable()
	if err == nil {
		args := ship.ShipArgs(spool)
		if dir := hook.StateDir(env.Getenv, home); dir != "" {
			args = append(args, "--state-dir", dir)
		}
		// The server and token travel in the environment, never in argv
		// where other users could read the token; the values the hook saw
		// replace any inherited ones (a child reads the first of a name).
		var environ []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, hook.EnvServer+"=") && !strings.HasPrefix(kv, hook.EnvToken+"=") {
				environ = append(environ, kv)
			}
		}
		environ = append(environ, hook.EnvServer+"="+server, hook.EnvToken+"="+token)
		_, err = ship.Start(ship.StartOptions{Spool: spool, Exe: exe, Args: args, Env: environ})
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "warden: audit shipper not started: %v\n", err)
	}
}
