package catalog

// The environment, services, persistence, Warden itself and nested agents.
var systemPrograms = []Program{
	{Names: "printenv", Bare: EnvSecrets, Why: "prints the whole environment, secrets included",
		Opts: []Opt{{Names: "-0 --null", Mark: ListOnly}}, Operands: Operands{Rest: EnvName}},
	{Names: "export declare typeset readonly local", Bare: EnvSecrets, Why: "prints the environment, secrets included",
		Opts: []Opt{{Names: "-p -x", Mark: ListOnly}, {Names: "-n +x", Mark: Remove}}, Operands: Operands{Rest: Assign}},
	{Names: "set", Bare: EnvSecrets, Why: "prints every shell variable, secrets included", Opts: []Opt{{Names: "-o +o", Arg: Value}}},
	{Names: "unset", Opts: []Opt{{Names: "-v -f -n"}}, Operands: Operands{Rest: EnvName}},
	{Names: "history fc", Class: EnvSecrets, Why: "prints the shell history, which holds typed secrets"},
	{Names: "compgen", Opts: []Opt{{Names: "-e -v", Class: EnvSecrets, Why: "lists environment variables"}}},
	{Names: "kill pkill killall skill", Tamper: true, Opts: []Opt{{Names: "-s -n -u -g -t -U -G -P", Arg: Value}}},
	{Names: "pgrep pidof"},
	{Names: "systemctl service launchctl rc-service sv", Tamper: true,
		Opts: []Opt{{Names: "--user", Mark: Global}, {Names: "-H -M --host --machine -p --property -t --type --state", Arg: Value}},
		Subs: []Program{
			{Names: "enable link add-wants add-requires preset", Class: Persistence, Why: "makes a service start on its own"},
			{Names: "load bootstrap submit enable", Class: Persistence, Why: "launchctl makes a job start on its own"},
		}},
	{Names: "loginctl", Subs: []Program{{Names: "enable-linger", Class: Persistence, Why: "keeps user services running after logout"}}},
	{Names: "defaults", Subs: []Program{{Names: "write", Operands: Operands{Lead: []Kind{Data}}}}},
	{Names: "security", Subs: []Program{{Names: "find-generic-password find-internet-password dump-keychain export", Class: EnvSecrets, Why: "prints keychain secrets"}}},
	{Names: "secret-tool", Subs: []Program{{Names: "lookup search", Class: EnvSecrets, Why: "prints stored secrets"}}},
	{Names: "pass gopass lpass bw keyring", Subs: []Program{{Names: "show get cat otp", Class: EnvSecrets, Why: "prints stored secrets"}}},
	{Names: "glab", Subs: []Program{{Names: "auth", Subs: []Program{
		{Names: "token", Class: EnvSecrets, Why: "glab auth token prints the GitLab token"},
		{Names: "status", Opts: []Opt{{Names: "-t --show-token", Class: EnvSecrets, Why: "glab auth status --show-token prints the GitLab token"}}},
	}}}},
	{Names: "claude claude-code", Note: "a nested agent: bypassing its permissions bypasses Warden's hook",
		Subs: []Program{{Names: "mcp", Subs: []Program{{Names: "add add-json add-from-claude-desktop remove", Class: Persistence, Why: "changes the MCP servers later sessions start"}}},
			{Names: "config", Subs: []Program{{Names: "set add remove", Class: Persistence, Why: "changes the settings later sessions run with"}}}},
		Opts: []Opt{
			{Names: "--dangerously-skip-permissions --allow-dangerously-skip-permissions", Class: WardenTamper, Why: "starts a nested agent with permissions bypassed"},
			{Names: "--permission-mode", Arg: Value, Kind: Data},
			{Names: "-p --print", Mark: 0},
			{Names: "--model --settings --mcp-config --allowedTools --allowed-tools --disallowedTools --append-system-prompt --output-format --input-format --add-dir --agents --session-id -r --resume", Arg: Value},
		}},
	{Names: "codex", Opts: []Opt{
		{Names: "--dangerously-bypass-approvals-and-sandbox --yolo --full-auto", Class: WardenTamper, Why: "starts a nested agent with approvals bypassed"},
		{Names: "-a --ask-for-approval -s --sandbox -m --model -c --config", Arg: Value},
	}},
	{Names: "gemini aider goose-cli cursor-agent opencode", Opts: []Opt{
		{Names: "-y --yolo --yes-always --approval-mode=yolo --force", Class: WardenTamper, Why: "starts a nested agent with approvals bypassed"},
		{Names: "-m --model -p --prompt", Arg: Value},
	}},
	{Names: "warden warden-hook", Note: "Warden's own commands",
		Subs: []Program{
			{Names: "uninstall", Class: WardenTamper, Why: "removes Warden's hooks"},
			{Names: "otel-headers", Class: WardenTamper, Why: "prints the token the agent's own record is shipped with"},
			{Names: "policy", Subs: []Program{
				{Names: "pause", Class: WardenTamper, Why: "pauses Warden's decisions"},
				{Names: "resume", Class: WardenTamper, Why: "lifts a pause of Warden's decisions, which only an administrator decides"},
			}},
			{Names: "explain test compile scan doctor version record sessions alerts rules hook"},
		}},
}
