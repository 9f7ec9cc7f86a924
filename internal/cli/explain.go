package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/engine"
	"github.com/wardenhq/warden/internal/hook"
	"github.com/wardenhq/warden/internal/hookproto"
)

type explainFlags struct {
	policy, tier, cwd, home        string
	bash, read, write, fetch, tool string
	mcp                            []string
	json                           bool
}

func newExplainCmd(env *Env) *cobra.Command {
	var f explainFlags
	cmd := &cobra.Command{
		Use:   "explain (--bash CMD | --read PATH | --write PATH | --fetch URL | --mcp SERVER TOOL | < hook.json)",
		Short: "Decide one action and show why, with the whole trace",
		Long: `Explain decides one action the way the hook would and prints the decision
with its evidence: the sub-commands found, the paths resolved and every rule
that matched. Without an action flag it reads a Claude Code hook JSON on stdin.`,
		Example: `  warden explain --bash 'cd ~/.ssh && cat id_rsa | base64'
  warden explain --read .env --cwd ~/src/app
  warden explain --fetch https://pkg.go.dev/net/http
  warden explain --mcp github create_issue
  warden explain --policy policy.yaml --tier ci --bash 'git push origin main'
  warden explain < pretooluse.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			return explainArgs(&f, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.mcp = append(f.mcp, args...)
			return runExplain(env, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.policy, "policy", "", "policy file (default $WARDEN_POLICY, else the built-in baseline)")
	fl.StringVar(&f.tier, "tier", "", "tier to decide under (default: the policy's default tier)")
	fl.StringVar(&f.cwd, "cwd", "", "working directory of the action (default: the current directory)")
	fl.StringVar(&f.home, "home", "", "home directory for ~ and $HOME (default $HOME)")
	fl.StringVar(&f.bash, "bash", "", "a Bash command")
	fl.StringVar(&f.read, "read", "", "a file read with the Read tool")
	fl.StringVar(&f.write, "write", "", "a file written with the Write tool")
	fl.StringVar(&f.fetch, "fetch", "", "a URL fetched with WebFetch")
	fl.StringSliceVar(&f.mcp, "mcp", nil, "an MCP call: --mcp SERVER TOOL (or --mcp SERVER,TOOL)")
	fl.StringVar(&f.tool, "tool", "", "any other tool name, decided with no input")
	fl.BoolVar(&f.json, "json", false, "print the decision as JSON")
	return cmd
}

// explainArgs admits one positional argument, the tool of `--mcp SERVER
// TOOL`; every other action is given by its flag alone.
func explainArgs(f *explainFlags, args []string) error {
	switch {
	case len(args) == 0:
		return nil
	case len(f.mcp) == 1 && len(args) == 1:
		return nil
	case len(f.mcp) > 0:
		return mcpUsage(slices.Concat(f.mcp, args))
	}
	return fmt.Errorf("unexpected argument %q: give the action with --bash, --read, --write, --fetch, --mcp SERVER TOOL or --tool, and quote a command with spaces (--bash 'git status && git diff')", args[0])
}

// mcpUsage is the error for an --mcp call that is not one server and one tool.
func mcpUsage(got []string) error {
	return fmt.Errorf("--mcp takes a server and a tool (--mcp github create_issue), got %q", strings.Join(got, " "))
}

func runExplain(env *Env, f *explainFlags) error {
	eng, err := loadEngine(env, f.policy, f.tier, engine.Options{Trace: true})
	if err != nil {
		return withCode(ExitFailure, err)
	}
	a, err := explainAction(env, f)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	dec := eng.Decide(a)
	if f.json {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Action   engine.Action   `json:"action"`
			Decision engine.Decision `json:"decision"`
		}{a, dec})
	}
	printDecision(env.Stdout, a, dec)
	return nil
}

func explainAction(env *Env, f *explainFlags) (engine.Action, error) {
	cwd := f.cwd
	if cwd == "" {
		cwd, _ = os.Getwd()
	}
	home := f.home
	if home == "" {
		home = homeDir(env)
	}
	in := &hookproto.Input{HookEventName: "PreToolUse", Cwd: cwd}
	n := 0
	set := func(tool string, input map[string]any) {
		n++
		in.ToolName, in.ToolInput = tool, input
	}
	if f.bash != "" {
		set("Bash", map[string]any{"command": f.bash})
	}
	if f.read != "" {
		set("Read", map[string]any{"file_path": f.read})
	}
	if f.write != "" {
		set("Write", map[string]any{"file_path": f.write})
	}
	if f.fetch != "" {
		set("WebFetch", map[string]any{"url": f.fetch})
	}
	if len(f.mcp) > 0 {
		if len(f.mcp) != 2 {
			return engine.Action{}, mcpUsage(f.mcp)
		}
		set("mcp__"+f.mcp[0]+"__"+f.mcp[1], map[string]any{})
	}
	if f.tool != "" {
		set(f.tool, map[string]any{})
	}
	switch {
	case n > 1:
		return engine.Action{}, fmt.Errorf("give one action: --bash, --read, --write, --fetch, --mcp or --tool")
	case n == 0:
		data, err := io.ReadAll(io.LimitReader(env.Stdin, 1<<20+1))
		if err != nil {
			return engine.Action{}, fmt.Errorf("read hook JSON from stdin: %w", err)
		}
		hin, err := hookproto.Decode(strings.NewReader(string(data)))
		if err != nil {
			return engine.Action{}, fmt.Errorf("no action flag given, and stdin is not a hook JSON: %w", err)
		}
		if hin.ToolName == "" {
			return engine.Action{}, fmt.Errorf("the hook JSON on stdin has no tool_name (give --bash, --read, --write, --fetch or --mcp)")
		}
		in = hin
		if f.cwd != "" {
			in.Cwd = f.cwd
		}
	}
	return hook.ActionFromInput(in, home), nil
}

// printDecision writes a decision and its trace for a person.
func printDecision(w io.Writer, a engine.Action, d engine.Decision) {
	fmt.Fprintf(w, "decision:  %s\n", d.Verdict)
	if d.RuleID != "" {
		fmt.Fprintf(w, "rule:      %s\n", d.RuleID)
	}
	if d.Reason != "" {
		fmt.Fprintf(w, "reason:    %s\n", d.Reason)
	}
	if d.Exception != "" {
		fmt.Fprintf(w, "exception: %s\n", d.Exception)
	}
	fmt.Fprintf(w, "policy:    %s@%s (tier %s)\n", d.Policy, d.PolicyVersion, d.Tier)
	fmt.Fprintf(w, "action:    %s\n", describeAction(a))
	if len(d.Trace) > 0 {
		fmt.Fprintln(w, "trace:")
		for _, s := range d.Trace {
			if s.Kind == "rule" {
				fmt.Fprintf(w, "  %-8s %-5s %s: %s\n", s.Kind, s.Verdict, s.RuleID, s.Detail)
				continue
			}
			fmt.Fprintf(w, "  %-8s %s\n", s.Kind, s.Detail)
		}
	}
}

func describeAction(a engine.Action) string {
	switch {
	case a.Command != "":
		return fmt.Sprintf("%s %q in %s", a.Tool, a.Command, a.Cwd)
	case a.Path != "":
		return fmt.Sprintf("%s %s in %s", a.Tool, a.Path, a.Cwd)
	case a.URL != "":
		return a.Tool + " " + a.URL
	}
	return a.Tool
}
