// Command warden-hook is Warden's Claude Code hook as a binary of its own:
// the same command as `warden hook`, linking only what deciding needs (no
// command line framework, server, database drivers, gRPC or CEL), because
// Claude Code starts it for every tool call. A call for which the policy
// has a CEL condition is handed to `warden hook`.
//
// It links no YAML parser: the baseline is built in, the server's policy
// is cached as JSON, and a policy file compiled by `warden compile` (a
// .json file) is read as JSON. What needs YAML is handed to `warden hook`
// like a condition: a call under a YAML policy file given with --policy,
// and a call whose decision reads a Taskfile or a pnpm workspace (known
// only once decided, so handed over before answering).
package main

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/wardenhq/warden/internal/hook"
	"github.com/wardenhq/warden/internal/hookcmd"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == hookcmd.OTelHeadersArg {
		// Claude Code's otelHeadersHelper (see warden compile --server).
		os.Exit(hookcmd.OTelHeaders(hookcmd.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
	}
	f, help, err := hookcmd.ParseArgs(os.Args[1:])
	if help {
		fmt.Print(hookcmd.Help("warden-hook"))
		os.Exit(0)
	}
	if err != nil {
		// A hook must never exit 1 (Claude Code would run the tool): a
		// command line it cannot read blocks the call, saying what to fix.
		fmt.Fprintf(os.Stderr, "Warden: the hook command line is wrong (%v), so the call was blocked; fix the hook command in the Claude Code settings (see warden-hook --help)\n", err)
		os.Exit(hook.ExitBlock)
	}
	hookcmd.IgnoreSignals()
	// warden, beside this binary or on PATH, is looked for only when a
	// call is handed to it or a shipper is started.
	warden := sync.OnceValue(func() string { return hookcmd.Sibling("warden") })
	opts := hookcmd.Options{Shipper: warden, Delegate: hookcmd.ExecDelegate(warden, f, os.Environ)}
	env := hookcmd.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	os.Exit(hookcmd.Run(context.Background(), env, f, opts))
}
