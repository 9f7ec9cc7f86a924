package catalog

// nodeSubs are the subcommands npm, pnpm, yarn, bun and cnpm share.
var nodeSubs = []Program{
	{Names: "install i in ins isntall add ci update up upgrade", Class: PackageInstall, Why: "installs packages and runs their lifecycle scripts",
		Opts: []Opt{{Names: "--registry --tag --prefix -w --workspace --filter --cwd --omit --include", Arg: Value}, {Names: "--script-shell", Arg: Value, Kind: Opaque}}},
	{Names: "create", Class: PackageInstall, Why: "downloads and runs a project generator", Operands: Operands{Lead: []Kind{Package}}},
	{Names: "publish unpublish dist-tag deprecate", Class: Publish, Why: "changes a published package",
		Opts: []Opt{{Names: "--tag --access --registry --otp", Arg: Value}}},
	{Names: "run run-script test t start stop restart", Note: "the engine reads the script from package.json",
		Opts: []Opt{{Names: "--script-shell", Arg: Value, Kind: Opaque}, {Names: "-w --workspace --filter --prefix --cwd", Arg: Value}}},
	{Names: "config c", Subs: []Program{
		{Names: "set delete edit", Class: Persistence, Why: "changes the configuration every later install and script runs with (script-shell, registry)"},
		{Names: "get", Operands: Operands{Rest: SecretName}},
		{Names: "list ls"},
	}},
	{Names: "set", Class: Persistence, Why: "changes the configuration every later install and script runs with (script-shell, registry)"},
	{Names: "token", Subs: []Program{{Names: "list ls create", Class: EnvSecrets, Why: "prints registry tokens"}}},
}

var buildPrograms = []Program{
	{Names: "npm cnpm", Also: nodeSubs, Subs: []Program{
		{Names: "exec x", Class: PackageInstall, Why: "npm exec downloads and runs a package", RunsPackage: true, Unless: NoInstall,
			Opts: []Opt{
				{Names: "--no --no-install --offline", Mark: NoInstall},
				{Names: "-p --package", Arg: Value, Kind: Package},
				{Names: "-c --call", Arg: Value, Kind: Shell},
				{Names: "-w --workspace", Arg: Value},
			}, Operands: Operands{Lead: []Kind{Exec}}},
		{Names: "init", Class: PackageInstall, Why: "npm init PKG downloads and runs create-PKG", NeedsOperand: true,
			Operands: Operands{Lead: []Kind{Package}}},
	}},
	{Names: "pnpm", Also: nodeSubs, Subs: []Program{
		{Names: "dlx", Class: PackageInstall, Why: "pnpm dlx downloads and runs a package", Operands: Operands{Lead: []Kind{Exec}}},
		{Names: "exec", Operands: Operands{Lead: []Kind{Exec}}, Note: "runs a binary the project installed"},
		{Names: "init", Class: PackageInstall, Why: "pnpm init PKG downloads and runs a generator", NeedsOperand: true},
	}},
	{Names: "yarn", Bare: PackageInstall, Why: "installs the project's packages", Also: nodeSubs, Subs: []Program{
		{Names: "dlx", Class: PackageInstall, Why: "yarn dlx downloads and runs a package", Operands: Operands{Lead: []Kind{Exec}}},
		{Names: "exec", Operands: Operands{Lead: []Kind{Exec}}},
		{Names: "init", Class: PackageInstall, Why: "yarn init PKG downloads and runs a generator", NeedsOperand: true},
		{Names: "npm", Subs: []Program{{Names: "publish tag", Class: Publish, Why: "changes a published package"}}},
	}},
	{Names: "bun", Bare: "", Lang: "js", Also: nodeSubs, Subs: []Program{
		{Names: "x", Class: PackageInstall, Why: "bun x downloads and runs a package", RunsPackage: true, Operands: Operands{Lead: []Kind{Exec}}},
		{Names: "exec", Operands: Operands{Lead: []Kind{Shell}}},
		{Names: "init"},
	},
		Opts:     []Opt{{Names: "-e --eval -p --print", Arg: Value, Kind: Code}},
		Operands: Operands{Lead: []Kind{Script}}},
	{Names: "npx pnpx", Class: PackageInstall, Why: "downloads and runs a package unless the project has it installed", RunsPackage: true, Unless: NoInstall,
		Opts: []Opt{
			{Names: "--no-install --no --offline", Mark: NoInstall},
			{Names: "-y --yes --quiet -q", Mark: 0},
			{Names: "-p --package", Arg: Value, Kind: Package},
			{Names: "-c --call", Arg: Value, Kind: Shell},
		}, Operands: Operands{Lead: []Kind{Exec}}},
	{Names: "bunx", Class: PackageInstall, Why: "bunx downloads and runs a package unless installed", RunsPackage: true,
		Opts: []Opt{{Names: "-p --package", Arg: Value, Kind: Package}}, Operands: Operands{Lead: []Kind{Exec}}},
	{Names: "uvx", Class: PackageInstall, Why: "uvx downloads and runs a Python tool",
		Opts: []Opt{{Names: "--from --with -p --python --index-url --extra-index-url", Arg: Value}}, Operands: Operands{Lead: []Kind{Exec}}},
	{Names: "pip pip3", Opts: []Opt{{Names: "-r --requirement -c --constraint", Arg: Value, Kind: Read}, {Names: "-i --index-url --extra-index-url -t --target --python", Arg: Value}},
		Subs: []Program{
			{Names: "install download", Class: PackageInstall, Why: "pip installs packages"},
			{Names: "config", Subs: []Program{{Names: "set unset edit", Class: Persistence, Why: "pip config changes where every later install comes from"}}},
		}},
	{Names: "pipx", Subs: []Program{
		{Names: "install inject upgrade", Class: PackageInstall, Why: "pipx installs packages"},
		{Names: "run", Class: PackageInstall, Why: "pipx run downloads and runs a package", Opts: []Opt{{Names: "--spec --python", Arg: Value}}, Operands: Operands{Lead: []Kind{Exec}}},
	}},
	{Names: "uv", Subs: []Program{
		{Names: "add sync", Class: PackageInstall, Why: "uv installs packages"},
		{Names: "pip", Subs: []Program{{Names: "install sync", Class: PackageInstall, Why: "uv pip installs packages"}}},
		{Names: "tool", Subs: []Program{{Names: "install run", Class: PackageInstall, Why: "uv tool installs or runs a package", Operands: Operands{Lead: []Kind{Exec}}}}},
		{Names: "run", Opts: []Opt{
			{Names: "--with --with-requirements --with-editable", Arg: Value, Class: PackageInstall, Why: "uv run --with installs packages"},
			{Names: "-p --python --package --project --directory --env-file --extra --group", Arg: Value},
		}, Operands: Operands{Lead: []Kind{Exec}}},
		{Names: "publish", Class: Publish, Why: "uv publish publishes a Python package"},
	}},
	{Names: "poetry pdm pipenv hatch rye", Subs: []Program{
		{Names: "add install update lock sync", Class: PackageInstall, Why: "installs packages"},
		{Names: "publish", Class: Publish, Why: "publishes a Python package"},
		{Names: "run shell", Operands: Operands{Lead: []Kind{Exec}}},
	}},
	{Names: "flit", Subs: []Program{{Names: "publish", Class: Publish, Why: "flit publish publishes a Python package"}}},
	{Names: "twine", Subs: []Program{{Names: "upload", Class: Publish, Why: "twine upload publishes a Python package"}}},
	{Names: "conda mamba micromamba", Subs: []Program{
		{Names: "install create update", Class: PackageInstall, Why: "installs packages"},
		{Names: "run", Opts: []Opt{{Names: "-n --name -p --prefix", Arg: Value}}, Operands: Operands{Lead: []Kind{Exec}}},
	}},
	{Names: "go", Style: Words, Note: "go install and go run of pkg@version download code",
		Opts: []Opt{
			{Names: "-toolexec -exec", Arg: Value, Kind: Shell},
			{Names: "-vettool", Arg: Value, Kind: Opaque},
			{Names: "-o -modfile -overlay -pgo", Arg: Value, Kind: Write},
			{Names: "-C -run -bench -count -timeout -tags -ldflags -gcflags -asmflags -p -mod -cpu -coverprofile -covermode -coverpkg -benchtime -parallel -shuffle -trimpath -buildmode -compiler -gccgoflags -installsuffix -pkgdir -fuzz -fuzztime -skip -list -outputdir -memprofile -cpuprofile -blockprofile -trace", Arg: Value},
		},
		Subs: []Program{
			{Names: "get", Class: PackageInstall, Why: "go get adds or updates a module dependency"},
			{Names: "install run", Operands: Operands{Lead: []Kind{Package}}},
			{Names: "env", Operands: Operands{Rest: Assign}, Note: "go env -w NAME=value persists build settings (GOFLAGS=-toolexec=...)"},
			{Names: "generate", Note: "runs //go:generate commands from source files: out of the hook's reach"},
			{Names: "build test vet fmt mod list doc tool version clean work fix bug telemetry"},
		}},
	{Names: "cargo", Opts: []Opt{
		{Names: "--config", Arg: Value, Kind: Config},
		{Names: "-p --package --target --features -j --jobs --manifest-path --target-dir --bin --example --test --bench --profile -Z --color", Arg: Value},
	}, Subs: []Program{
		{Names: "add install binstall", Class: PackageInstall, Why: "cargo installs crates"},
		{Names: "watch", Opts: []Opt{{Names: "-s --shell", Arg: Value, Kind: Shell}, {Names: "-x --exec -w --watch -i --ignore -d --delay", Arg: Value}}},
		{Names: "publish yank owner", Class: Publish, Why: "changes a published crate"},
		{Names: "build b check c test t run r clippy fmt doc bench clean update tree metadata fix new init search"},
	}},
	{Names: "rustfmt clippy-driver rust-analyzer"},
	{Names: "gem", Subs: []Program{
		{Names: "install", Class: PackageInstall, Why: "gem install installs packages"},
		{Names: "push yank", Class: Publish, Why: "changes a published gem"},
	}},
	{Names: "bundle bundler", Subs: []Program{
		{Names: "install add update", Class: PackageInstall, Why: "bundle installs gems"},
		{Names: "exec", Operands: Operands{Lead: []Kind{Exec}}},
	}},
	{Names: "composer", Subs: []Program{
		{Names: "require install update", Class: PackageInstall, Why: "composer installs packages"},
		{Names: "global", Subs: []Program{{Names: "require install update", Class: PackageInstall, Why: "composer installs packages globally"}}},
	}},
	{Names: "dotnet", Subs: []Program{
		{Names: "add", Subs: []Program{{Names: "package", Class: PackageInstall, Why: "dotnet add package installs a package"}}},
		{Names: "nuget", Subs: []Program{{Names: "push", Class: Publish, Why: "dotnet nuget push publishes a package"}}},
		{Names: "tool", Subs: []Program{{Names: "install", Class: PackageInstall, Why: "dotnet tool install installs a tool"}}},
		{Names: "build test run restore format clean new pack publish watch"},
	}},
	{Names: "apt apt-get aptitude yum dnf zypper snap port choco winget brew flatpak scoop", Subs: []Program{
		{Names: "install reinstall upgrade add", Class: PackageInstall, Why: "installs system packages"},
	}},
	{Names: "apk", Subs: []Program{{Names: "add upgrade", Class: PackageInstall, Why: "apk installs system packages"}}},
	{Names: "pacman yay paru", Opts: []Opt{{Names: "-S --sync -U --upgrade", Class: PackageInstall, Why: "pacman -S installs system packages"}}},
	{Names: "mvn mvnw", Tasks: []Task{{Names: "deploy deploy:* release:perform", Class: Publish, Why: "mvn publishes artifacts"}},
		Opts: []Opt{{Names: "-D --define", Arg: Value, Kind: Config}, {Names: "-f --file -s --settings -P --activate-profiles -pl --projects -T --threads -rf --resume-from -gs", Arg: Value}},
		Note: "-Dexec.executable with -Dexec.args is the command exec:exec runs"},
	{Names: "gradle gradlew", Tasks: []Task{{Names: "publish* uploadArchives", Class: Publish, Why: "gradle publishes artifacts"}},
		Opts: []Opt{{Names: "--init-script -I", Arg: Value, Kind: Script}, {Names: "-p --project-dir -b --build-file -c --settings-file -x --exclude-task -D -P", Arg: Value}}},
	{Names: "cmake", Lang: "cmake", Style: Words, Opts: []Opt{
		{Names: "-E", Arg: Value, Kind: Exec},
		{Names: "-P", Arg: Value, Kind: Script},
		{Names: "-D", Arg: Value, Kind: Config},
		{Names: "-S -B -G -T -A -C --build --install --preset -j --parallel --target --config", Arg: Value},
	}, Note: "-E runs a command (cmake -E env X=1 cmd); -D CMAKE_*_LAUNCHER names programs"},
	{Names: "bazel bazelisk", Opts: []Opt{{Names: "--run_under", Arg: Value, Kind: Shell}, {Names: "--config -c --compilation_mode --define --copt --jobs -j --output_base", Arg: Value}}},
	{Names: "rake", Lang: "ruby", Tasks: []Task{{Names: "db:*", Class: Database, Why: "changes a database"}},
		Opts: []Opt{{Names: "-e --execute -p --execute-print -E --execute-continue", Arg: Value, Kind: Code}, {Names: "-f --rakefile -r --require -R --rakelibdir", Arg: Value, Kind: Script}, {Names: "-C --directory -I --libdir", Arg: Value}}},
	{Names: "just", Opts: []Opt{{Names: "--command -c", Arg: Value, Kind: Exec}, {Names: "-f --justfile", Arg: Value, Kind: Script}, {Names: "-d --working-directory --set --dotenv-filename --dotenv-path", Arg: Value}}},
	{Names: "task go-task", Opts: []Opt{{Names: "-t --taskfile", Arg: Value, Kind: Script}, {Names: "-d --dir", Arg: Value}}},
	{Names: "meson", Subs: []Program{{Names: "devenv", Style: POSIX, Opts: []Opt{{Names: "-C --workdir", Arg: Value}}, Operands: Operands{Lead: []Kind{Exec}}}}},
	{Names: "sbt", Tasks: []Task{{Names: "publish publishSigned publishLocal release", Class: Publish, Why: "sbt publishes artifacts"}}},
	{Names: "goreleaser", Bare: Publish, Why: "goreleaser publishes a release", Subs: []Program{
		{Names: "release", Class: Publish, Why: "goreleaser publishes a release", Unless: DryRun,
			Opts: []Opt{{Names: "--snapshot", Mark: DryRun}}},
		{Names: "check build init healthcheck"},
	}, Opts: []Opt{{Names: "--snapshot --skip-publish", Mark: DryRun}}, Unless: DryRun},
	{Names: "vsce ovsx", Subs: []Program{{Names: "publish", Class: Publish, Why: "publishes an editor extension"}}},
	{Names: "make gmake", Note: "the engine reads the recipes it runs from the makefile",
		Opts: []Opt{
			{Names: "-f --file --makefile", Arg: Value, Kind: Script},
			{Names: "--eval", Arg: Value, Kind: Opaque},
			{Names: "-C --directory -I --include-dir -o --old-file -W --what-if --jobserver-auth -O --output-sync", Arg: Value},
		}},
	{Names: "ninja buck ant scons tsc eslint prettier biome black ruff isort mypy pyright pylint flake8 pytest tox nox " +
		"jest vitest mocha ava karma cypress playwright gofmt goimports golangci-lint staticcheck gopls kotlinc kotlin scalac " +
		"swiftc xcodebuild ld rustdoc webpack vite esbuild rollup parcel turbo nx tsx-check " +
		"hugo jekyll mkdocs sphinx-build pre-commit lefthook husky shellcheck shfmt hadolint yamllint markdownlint actionlint",
		Opts: []Opt{
			{Names: "-o --output --out-file --outfile --outdir --out-dir", Arg: Value, Kind: Write},
			{Names: "-c --config -p --project -t --target -C -j --jobs -k --keep-going -l -I -L -D -std --tsconfig --reporter --ignore-path --rootDir --root-dir --cache-location --max-warnings --ext --format -f --rule --env --parser", Arg: Value},
		},
		Note: "build and test tools: they run the project's own code (test files, build scripts), which the hook cannot see"},
	{Names: "rails bin/rails", Tasks: []Task{{Names: "db:*", Class: Database, Why: "changes a database"}}},
	{Names: "artisan", Tasks: []Task{{Names: "migrate migrate:* db:*", Class: Database, Why: "php artisan changes a database"}}},
	{Names: "manage.py django-admin", Tasks: []Task{{Names: "migrate flush dbshell sqlflush loaddata", Class: Database, Why: "manage.py changes a database"}}},
	{Names: "alembic", Opts: []Opt{{Names: "-x -c --config -n --name", Arg: Value}},
		Subs: []Program{{Names: "upgrade downgrade stamp", Class: Database, Why: "alembic migrates a database"}}},
	{Names: "prisma", Subs: []Program{{Names: "migrate db", Class: Database, Why: "prisma changes a database"}}},
	{Names: "knex", Tasks: []Task{{Names: "migrate:* seed:run", Class: Database, Why: "knex migrates a database"}}},
	{Names: "sequelize sequelize-cli", Tasks: []Task{{Names: "db:*", Class: Database, Why: "sequelize changes a database"}}},
	{Names: "typeorm", Tasks: []Task{{Names: "migration:run migration:revert schema:sync schema:drop", Class: Database, Why: "typeorm changes a database"}}},
	{Names: "drizzle-kit", Subs: []Program{{Names: "push migrate drop", Class: Database, Why: "drizzle-kit changes a database"}}},
	{Names: "diesel", Subs: []Program{{Names: "migration database", Class: Database, Why: "diesel changes a database"}}},
	{Names: "sqlx", Subs: []Program{{Names: "migrate database", Class: Database, Why: "sqlx changes a database"}}},
	{Names: "atlas", Subs: []Program{{Names: "migrate schema", Class: Database, Why: "atlas changes a database"}}},
	// SQL clients: their commands are SQL and meta-commands (\! cmd,
	// system cmd, \copy ... program 'cmd'), decided as tool commands.
	{Names: "psql", Lang: "sql", Stdin: ToolCmd, Class: Database, Why: "reaches a database", Style: POSIX,
		Opts: []Opt{
			{Names: "-c --command", Arg: Value, Kind: ToolCmd},
			{Names: "-f --file", Arg: Value, Kind: Script},
			{Names: "-o --output -L --log-file", Arg: Value, Kind: Write},
			{Names: "-h --host -p --port -U --username -d --dbname -v --set --variable -P --pset -F --field-separator -R --record-separator -T --table-attr", Arg: Value},
		}},
	{Names: "mysql mariadb", Lang: "sql", Stdin: ToolCmd, Class: Database, Why: "reaches a database", Style: POSIX,
		Opts: []Opt{
			{Names: "-e --execute --init-command", Arg: Value, Kind: ToolCmd},
			{Names: "--defaults-file --defaults-extra-file", Arg: Value, Kind: Read},
			{Names: "--tee", Arg: Value, Kind: Write},
			{Names: "-h --host -P --port -u --user -D --database -S --socket", Arg: Value},
		}},
	{Names: "usql", Lang: "sql", Stdin: ToolCmd, Class: Database, Why: "reaches a database",
		Opts: []Opt{{Names: "-c --command", Arg: Value, Kind: ToolCmd}, {Names: "-f --file", Arg: Value, Kind: Script}, {Names: "-o --out", Arg: Value, Kind: Write}}},
	{Names: "mongosh mongo", Lang: "js", Class: Database, Why: "reaches a database",
		Opts:     []Opt{{Names: "--eval", Arg: Value, Kind: Code}, {Names: "-f --file", Arg: Value, Kind: Script}, {Names: "--host --port -u --username --authenticationDatabase", Arg: Value}},
		Operands: Operands{Rest: Script}},
	{Names: "clickhouse clickhouse-local clickhouse-client", Lang: "sql", Class: Database, Why: "reaches a database or runs queries on local files",
		Opts: []Opt{{Names: "-q --query", Arg: Value, Kind: ToolCmd}, {Names: "--queries-file", Arg: Value, Kind: Script}}},
	{Names: "pg_dump pg_dumpall pg_restore mysqldump mysqladmin mysqlsh mongodump mongorestore mongoimport mongoexport " +
		"redis-cli cqlsh sqlcmd influx migrate flyway liquibase dbmate goose sqitch cockroach dropdb createdb dropuser createuser " +
		"vacuumdb reindexdb etcdctl kafka-topics kafka-consumer-groups kafka-configs kafka-acls kafka-console-producer kafka-delete-records rabbitmqctl " +
		"rabbitmqadmin nats pgcli mycli duckdb-remote",
		Class: Database, Why: "reaches a database or changes its schema"},
}
