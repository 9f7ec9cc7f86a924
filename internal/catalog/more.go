package catalog

// Programs of the wider ecosystem: package managers and publishers of other
// languages, version managers and environment runners, language one-liners,
// database clients with shell escapes, compilers that load code, terminal
// emulators and privilege launchers.
var morePrograms = []Program{
	// Package managers and toolchain installers: install asks, publish asks.
	{Names: "pixi", Subs: []Program{{Names: "add install global", Class: PackageInstall, Why: "pixi installs packages"}, {Names: "run exec", Operands: Operands{Lead: []Kind{Exec}}}}},
	{Names: "opam", Subs: []Program{{Names: "install pin upgrade", Class: PackageInstall, Why: "opam installs packages"}, {Names: "exec", Operands: Operands{Lead: []Kind{Exec}}}, {Names: "publish", Class: Publish, Why: "opam publish publishes a package"}}},
	{Names: "cabal", Subs: []Program{{Names: "install", Class: PackageInstall, Why: "cabal installs packages"}, {Names: "upload", Class: Publish, Why: "cabal upload publishes a package"}, {Names: "exec run", Operands: Operands{Lead: []Kind{Exec}}}}},
	{Names: "stack", Subs: []Program{{Names: "install", Class: PackageInstall, Why: "stack installs packages"}, {Names: "upload", Class: Publish, Why: "stack upload publishes a package"}, {Names: "exec run", Operands: Operands{Lead: []Kind{Exec}}}}},
	{Names: "nimble", Subs: []Program{{Names: "install", Class: PackageInstall, Why: "nimble installs packages"}, {Names: "publish", Class: Publish, Why: "nimble publish publishes a package"}}},
	{Names: "luarocks", Subs: []Program{{Names: "install", Class: PackageInstall, Why: "luarocks installs packages"}, {Names: "upload", Class: Publish, Why: "luarocks upload publishes a rock"}}},
	{Names: "cpanm cpan", Class: PackageInstall, Why: "installs Perl modules", NeedsOperand: true},
	{Names: "raco", Subs: []Program{{Names: "pkg", Subs: []Program{{Names: "install update", Class: PackageInstall, Why: "raco pkg installs packages"}}}}},
	{Names: "guix", Subs: []Program{{Names: "install package pull", Class: PackageInstall, Why: "guix installs packages"}, {Names: "shell environment", Class: PackageInstall, Why: "guix downloads packages", Opts: []Opt{{Names: "-c --command", Arg: Value, Kind: Exec}}}}},
	{Names: "nix-env", Opts: []Opt{{Names: "-i --install -u --upgrade", Class: PackageInstall, Why: "nix-env installs packages"}, {Names: "-A --attr -f --file", Arg: Value}}},
	{Names: "sdk", Subs: []Program{{Names: "install upgrade", Class: PackageInstall, Why: "sdk installs SDKs"}}},
	{Names: "volta", Subs: []Program{
		{Names: "install fetch pin", Class: PackageInstall, Why: "volta installs tools"},
		{Names: "run", Style: POSIX, Opts: []Opt{{Names: "--node --npm --yarn --pnpm --bundled-npm --env", Arg: Value}}, Operands: Operands{Lead: []Kind{Exec}}},
	}},
	{Names: "fnm", Subs: []Program{
		{Names: "install", Class: PackageInstall, Why: "fnm installs node versions"},
		{Names: "exec", Style: POSIX, Opts: []Opt{{Names: "--using", Arg: Value}}, Operands: Operands{Lead: []Kind{Exec}}},
	}},
	{Names: "nvm", Subs: []Program{
		{Names: "install", Class: PackageInstall, Why: "nvm installs node versions"},
		{Names: "exec", Style: POSIX, Operands: Operands{Lead: []Kind{Data, Exec}}},
		{Names: "run", Style: POSIX, Operands: Operands{Lead: []Kind{Data, Script}}},
	}},
	{Names: "pyenv rbenv nodenv goenv jenv plenv phpenv", Subs: []Program{
		{Names: "install", Class: PackageInstall, Why: "installs a language version"},
		{Names: "exec", Style: POSIX, Operands: Operands{Lead: []Kind{Exec}}},
	}},
	{Names: "rustup", Subs: []Program{
		{Names: "toolchain", Subs: []Program{{Names: "install add", Class: PackageInstall, Why: "rustup installs a toolchain"}}},
		{Names: "target component", Subs: []Program{{Names: "add install", Class: PackageInstall, Why: "rustup installs components"}}},
		{Names: "run", Style: POSIX, Operands: Operands{Lead: []Kind{Data, Exec}}},
	}},
	{Names: "proto", Subs: []Program{
		{Names: "install", Class: PackageInstall, Why: "proto installs tools"},
		{Names: "run", Style: POSIX, Operands: Operands{Lead: []Kind{Exec}}},
	}},
	{Names: "flox", Subs: []Program{{Names: "activate", Style: POSIX, Opts: []Opt{{Names: "-c --command", Arg: Value, Kind: Shell}, {Names: "-d --dir", Arg: Value}}, Operands: Operands{Lead: []Kind{Exec}}},
		{Names: "install", Class: PackageInstall, Why: "flox installs packages"}}},
	{Names: "devbox", Subs: []Program{{Names: "run", Style: POSIX, Operands: Operands{Lead: []Kind{Exec}}}, {Names: "add", Class: PackageInstall, Why: "devbox installs packages"}}},
	{Names: "dotenvx", Subs: []Program{{Names: "run", Opts: []Opt{{Names: "-f --env-file", Arg: Value, Kind: Read}}, Operands: Operands{Lead: []Kind{Exec}}}}},
	{Names: "lerna", Subs: []Program{{Names: "publish version", Class: Publish, Why: "lerna publishes packages"}, {Names: "exec run", Operands: Operands{Lead: []Kind{Exec}}}}},
	{Names: "changeset", Subs: []Program{{Names: "publish", Class: Publish, Why: "changeset publish publishes packages"}}},
	{Names: "pod", Subs: []Program{{Names: "install update", Class: PackageInstall, Why: "pod installs pods"}, {Names: "trunk", Subs: []Program{{Names: "push", Class: Publish, Why: "pod trunk push publishes a pod"}}}}},
	{Names: "rebar3", Subs: []Program{{Names: "hex", Subs: []Program{{Names: "publish", Class: Publish, Why: "rebar3 hex publish publishes a package"}}}}},
	{Names: "mix", Lang: "elixir",
		Tasks: []Task{
			{Names: "hex.publish", Class: Publish, Why: "mix hex.publish publishes a package"},
			{Names: "archive.install escript.install local.hex local.rebar deps.get deps.update", Class: PackageInstall, Why: "mix installs packages"},
			{Names: "ecto.migrate ecto.rollback ecto.reset ecto.drop ecto.create ecto.setup", Class: Database, Why: "mix ecto changes a database"},
		},
		Subs: []Program{{Names: "run", Opts: []Opt{{Names: "-e --eval", Arg: Value, Kind: Code}}}}},
	// Language one-liners: their code is inspected like python -c.
	{Names: "elixir iex", Lang: "elixir", Opts: []Opt{{Names: "-e --eval", Arg: Value, Kind: Code}, {Names: "-r -pa -pz", Arg: Value}}, Style: Words, Operands: Operands{Lead: []Kind{Script}}},
	{Names: "erl escript", Lang: "erlang", Style: Words, Opts: []Opt{{Names: "-eval -s -run", Arg: Value, Kind: Code}, {Names: "-pa -pz -sname -name -setcookie", Arg: Value}}},
	{Names: "clojure clj bb lein", Lang: "clojure", Opts: []Opt{{Names: "-e --eval", Arg: Value, Kind: Code}, {Names: "-M -X -T -A -Sdeps -m --main", Arg: Attached}}},
	{Names: "racket guile sbcl ccl clisp chicken csi", Lang: "lisp", Style: Words,
		Opts: []Opt{{Names: "-e --eval -c --expr -l --load --script", Arg: Value, Kind: Code}}, Operands: Operands{Lead: []Kind{Script}}},
	{Names: "crystal", Lang: "crystal", Subs: []Program{{Names: "eval", Operands: Operands{Lead: []Kind{Code}}}, {Names: "run", Operands: Operands{Lead: []Kind{Script}}}}},
	{Names: "octave matlab", Lang: "octave", Style: Words, Opts: []Opt{{Names: "--eval -batch -r", Arg: Value, Kind: Code}}},
	{Names: "nu nushell", Lang: "sh", Opts: []Opt{{Names: "-c --commands", Arg: Value, Kind: Shell}}, Operands: Operands{Lead: []Kind{Script}}},
	{Names: "swift", Lang: "swift", Stdin: Code, Operands: Operands{Lead: []Kind{Script}}},
	{Names: "dotnet-fsi fsi", Lang: "fsharp", Stdin: Code, Operands: Operands{Lead: []Kind{Script}}},
	// Database clients: commands are SQL and meta-commands with shell escapes.
	{Names: "duckdb", Lang: "sql", Stdin: ToolCmd, Style: Words,
		Opts:     []Opt{{Names: "-c -cmd", Arg: Value, Kind: ToolCmd}, {Names: "-init", Arg: Value, Kind: Script}},
		Operands: Operands{Lead: []Kind{Read}, Rest: ToolCmd}},
	// Compilers and linkers that load code or run helper programs.
	{Names: "gcc g++ cc c++ clang clang++ gfortran", Style: Words,
		Opts: []Opt{
			{Names: "-wrapper", Arg: Value, Kind: Shell},
			{Names: "-fplugin -specs -B -load", Arg: Value, Kind: Opaque},
			{Names: "-Xclang", Arg: Value},
			{Names: "-o", Arg: Value, Kind: Write},
			{Names: "-I -L -D -U -x -std -include", Arg: Value},
		}, Operands: Operands{Rest: Read}},
	{Names: "rustc", Style: POSIX, Opts: []Opt{{Names: "-C --codegen", Arg: Value, Kind: Config}, {Names: "-o --out-dir", Arg: Value, Kind: Write}, {Names: "--edition --crate-type --crate-name -L -l --cfg --target", Arg: Value}}},
	{Names: "javac java jshell", Lang: "java", Style: Words,
		Opts: []Opt{
			{Names: "-processorpath --processor-path -J", Arg: Value, Kind: Opaque},
			// -javaagent:JAR and -agentpath:LIB load code; -agentlib:jdwp is the debugger.
			{Names: "-javaagent -agentpath -Xbootclasspath/a -Xbootclasspath/p", Arg: Value, Kind: Script},
			{Names: "-agentlib", Arg: Value},
			{Names: "-jar", Arg: Value, Kind: Script},
			{Names: "--source", Arg: Value},
			{Names: "-cp -classpath --class-path -d -processor -encoding -source -target --release -p --module-path -m --module", Arg: Value},
		}, Operands: Operands{Lead: []Kind{Script}, Rest: Data},
		Note: "-javaagent: and -J options load code; java --source runs a source file (or /dev/stdin)"},
	{Names: "sam", Class: Infrastructure, Why: "controls cloud infrastructure", Subs: []Program{{Names: "delete", Class: InfraApply, Why: "sam delete removes real infrastructure"}}},
	{Names: "flux", Class: Infrastructure, Why: "controls a Kubernetes cluster", Subs: []Program{{Names: "delete uninstall", Class: InfraApply, Why: "flux removes cluster resources"}}},
	// Terminal emulators and launchers that start a command.
	{Names: "x-terminal-emulator xterm konsole alacritty urxvt st terminator xfce4-terminal",
		Opts: []Opt{{Names: "-e --command -x --execute", Arg: Value, Kind: Exec}, {Names: "-T --title -geometry --working-directory", Arg: Value}}, Style: Words},
	{Names: "gnome-terminal kitty wezterm tilix", Style: POSIX, Opts: []Opt{{Names: "-e --command", Arg: Value, Kind: Exec}, {Names: "--title -T --working-directory --cwd", Arg: Value}},
		Operands: Operands{Lead: []Kind{Exec}}},
	{Names: "capsh", Opts: []Opt{{Names: "--caps --user --uid --gid --groups --chroot --keep", Arg: Attached}}, Operands: Operands{Rest: Shell}, Note: "capsh -- ARGS passes ARGS to bash (capsh -- -c cmd)"},
	{Names: "rlwrap", Style: POSIX, Opts: []Opt{{Names: "-f --file -H --history-filename -P --pre-given -S --substitute-prompt", Arg: Value}}, Operands: Operands{Lead: []Kind{Exec}}},
	{Names: "run0 sudoedit machinectl", Class: Privileged, Why: "runs commands or edits files as another user", Style: POSIX, Operands: Operands{Lead: []Kind{Exec}}},
	{Names: "lynx links elinks w3m", Class: Egress, Why: "fetches from another machine"},
	{Names: "chisel frp frpc bore-cli inlets", Class: Egress, Why: "opens a tunnel to another machine"},
}
