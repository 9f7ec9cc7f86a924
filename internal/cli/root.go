// Package cli is Warden's command-line interface: one cobra command per file,
// each a thin layer that parses flags and calls into the domain packages.
// It is the only package that sees every other one.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes. `warden hook` never returns ExitFailure: Claude Code reads exit
// 1 as a non-blocking error and would let the tool run.
const (
	ExitOK       = 0
	ExitFailure  = 1 // a check failed: mismatching fixtures, invalid policy
	ExitUsage    = 2 // bad flags or arguments
	ExitFindings = 3 // warnings only (for example exceptions near expiry)
)

// Env carries the process's streams and environment into commands, so tests
// can run them in-process.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// exitError lets a command choose its exit code without printing "Error:".
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that Main exits with code; a nil err exits silently.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// Main runs the warden command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
	root := newRootCmd(env)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "Error: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "Error: %v\n", err)
	fmt.Fprintf(stderr, "Try: warden %s --help\n", commandPath(root, args))
	return ExitUsage
}

func commandPath(root *cobra.Command, args []string) string {
	c, _, err := root.Find(args)
	if err != nil || c == root {
		return ""
	}
	return c.CommandPath()[len(root.Name())+1:]
}

func newRootCmd(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "warden",
		Short: "Decide, enforce and prove what coding agents may do",
		Long: `Warden decides deny / ask / allow for every Claude Code tool call from one
policy, compiles the same policy into Claude Code's managed settings, and
keeps the evidence.

Start with:
  warden policy show baseline      the built-in policy, as YAML
  warden explain --bash 'CMD'      why a command is allowed or blocked
  warden test testdata/corpus      run policy test fixtures`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	for _, add := range commands {
		root.AddCommand(add(env))
	}
	return root
}

// commands lists the top-level commands; each file registers its own
// constructor in an init-free way by appearing here.
var commands = []func(*Env) *cobra.Command{
	newVersionCmd,
	newHookCmd,
	newDoctorCmd,
	newOTelHeadersCmd,
	newExplainCmd,
	newTestCmd,
	newPolicyCmd,
	newCompileCmd,
	newInstallCmd,
	newUninstallCmd,
	newCIEnvCmd,
	newServeCmd,
	newTokenCmd,
	newEnrollCmd,
	newDeviceCmd,
	newSpoolCmd,
	newRecordCmd,
	newHealthCmd,
	newRulesCmd,
	newAlertsCmd,
	newScanCmd,
	newSessionsCmd,
}
