package settings

import (
	"fmt"
	"sync"

	"github.com/wardenhq/warden/internal/policy"
)

// classNative is what Claude Code's native Bash rules can say about one
// command class: command patterns every one of whose matches the engine puts
// in the class, and what only the hook sees.
//
// Patterns use Claude Code's Bash rule syntax as observed on 2.1.330: "*"
// matches any run of characters, a trailing " *" also matches the bare
// command ("curl *" matches "curl" and "curl -s x", not "curlie"), anything
// else is matched exactly. The client applies them to each subcommand of a
// compound command (a && b, a | b).
//
// A pattern must never match a command outside its class: compiled rules
// are enforced by the client even when the hook would allow, so an
// over-broad one would deny or ask where the policy does not. The
// TestClasses_Subset test checks every pattern against the engine.
type classNative struct {
	Patterns []string
	// HookOnly says what the hook recognises beyond the patterns.
	HookOnly string
}

// commonHookOnly is what the hook sees for every class and native rules
// cannot: the same commands behind wrappers, full paths, variables, nested
// shells and interpreters.
const commonHookOnly = "the same commands run through sudo, env, xargs, full paths, variables, bash -c, eval or scripts"

// classTable maps every command class of policy.Classes to its native form.
// It is built on first use: this package is linked into the hook, which
// must not pay for it at init on every call.
var classTable = sync.OnceValue(func() map[string]classNative {
	return map[string]classNative{
		policy.ClassEgress: {
			Patterns: append(each("%s *",
				"curl", "wget", "nc", "ncat", "netcat", "socat", "telnet", "ftp", "sftp", "scp", "ssh", "tftp",
				"lftp", "aria2c", "http", "https", "xh", "httpie", "curlie", "websocat", "sendmail", "mail", "mailx",
				"mutt", "dig", "nslookup", "host", "smbclient", "rcp", "rsh", "sshpass", "ssh-copy-id", "wscat",
				"grpcurl", "ngrok", "cloudflared"),
				"openssl s_client *", "openssl s_server *",
				"rclone copy *", "rclone sync *", "rclone move *", "rclone copyto *", "rclone moveto *", "rclone rcat *",
				"aws s3 cp *", "aws s3 sync *", "aws s3 mv *",
				"gsutil cp *", "gsutil rsync *", "gsutil mv *",
				"gcloud storage cp *", "gcloud storage rsync *", "gcloud storage mv *",
				"az storage *"),
			HookOnly: "rsync to or from a remote host, /dev/tcp and /dev/udp redirections, network calls from python, node, perl or ruby one-liners",
		},
		policy.ClassDestructive: {
			Patterns: []string{"rm -rf /", "rm -fr /", "rm -rf ~", "rm -fr ~", "rm -rf ~/", "rm -fr ~/"},
			HookOnly: "recursive removal of the repository root, the home directory or system directories by any spelling, dd, mkfs, shred and wipefs on devices, chmod/chown -R of critical directories, find -delete",
		},
		policy.ClassPrivileged: {
			Patterns: each("%s *", "sudo", "doas", "su", "pkexec", "runuser"),
		},
		policy.ClassPackageInstall: {
			Patterns: concat(
				cross("%s %s *", []string{"npm", "pnpm", "yarn", "bun", "cnpm"},
					[]string{"install", "i", "add", "ci", "update", "up", "upgrade", "create", "dlx", "x"}),
				[]string{"npm exec *", "bun exec *", "cnpm exec *", "yarn init *", "pnpm init *"},
				each("%s *", "npx", "pnpx", "bunx", "uvx"),
				cross("%s %s *", []string{"pip", "pip3", "pipx"}, []string{"install", "download"}),
				[]string{"pipx run *", "pipx inject *",
					"python -m pip install *", "python3 -m pip install *", "python -m pip download *", "python3 -m pip download *",
					"uv add *", "uv sync *", "uv pip install *", "uv pip sync *", "uv tool install *", "uv tool run *",
					"poetry add *", "poetry install *", "poetry update *"},
				cross("%s %s *", []string{"conda", "mamba", "micromamba"}, []string{"install", "create", "update"}),
				[]string{"go get *", "cargo add *", "cargo install *", "gem install *",
					"bundle install *", "bundle add *", "bundle update *",
					"composer require *", "composer install *", "composer update *", "dotnet add package *"},
				cross("%s %s *", []string{"apt", "apt-get", "yum", "dnf", "zypper", "snap", "port", "choco", "winget", "brew"},
					[]string{"install", "reinstall", "upgrade"}),
				[]string{"apk add *", "apk upgrade *", "pacman -S *"},
			),
			HookOnly: "go install of a remote module (pkg@version), uv run --with, installs started by package scripts",
		},
		policy.ClassPublish: {
			Patterns: concat(
				cross("%s %s *", []string{"npm", "pnpm", "yarn", "bun", "cnpm"}, []string{"publish", "unpublish", "dist-tag", "deprecate"}),
				[]string{"yarn npm publish *", "yarn npm tag *",
					"cargo publish *", "cargo yank *", "cargo owner *", "twine upload *",
					"poetry publish *", "flit publish *", "hatch publish *", "uv publish *",
					"gem push *", "gem yank *", "gh release *",
					"docker push *", "podman push *", "buildah push *",
					"mvn deploy *", "mvn release:perform *", "gradle publish*",
					"dotnet nuget push *", "goreleaser", "goreleaser release *",
					"vsce publish *", "ovsx publish *", "helm push *"},
			),
			HookOnly: "publish goals placed after other arguments (mvn clean deploy, ./gradlew build publish)",
		},
		policy.ClassInfrastructure: {
			Patterns: each("%s *",
				"docker", "docker-compose", "podman", "buildah", "nerdctl", "kubectl", "kubectx", "kubens", "k9s",
				"helm", "helmfile", "terraform", "tofu", "terragrunt", "pulumi", "cdk", "cdktf", "ansible",
				"ansible-playbook", "serverless", "sls", "aws", "gcloud", "az", "doctl", "flyctl", "fly", "vercel",
				"netlify", "heroku", "minikube", "kind", "eksctl", "skaffold", "tilt", "vagrant", "packer", "nomad",
				"consul", "vault", "oc", "crictl", "ctr", "kustomize", "argocd", "gsutil"),
		},
		policy.ClassInfraApply: {
			Patterns: concat(
				cross("%s %s *", []string{"terraform", "tofu", "terragrunt"}, []string{"apply", "destroy"}),
				[]string{"kubectl delete *", "oc delete *", "pulumi destroy *"},
			),
			HookOnly: "the same subcommands after global options (terraform -chdir=infra apply, kubectl -n prod delete)",
		},
		policy.ClassDatabase: {
			Patterns: concat(
				each("%s *",
					"psql", "pg_dump", "pg_dumpall", "pg_restore", "mysql", "mariadb", "mysqldump", "mysqladmin",
					"mongosh", "mongo", "mongodump", "mongorestore", "mongoimport", "redis-cli", "cqlsh", "sqlcmd",
					"clickhouse-client", "influx", "migrate", "flyway", "liquibase", "dbmate", "goose", "sqitch",
					"cockroach", "dropdb", "createdb", "dropuser", "createuser", "vacuumdb", "reindexdb",
					"mongoexport", "etcdctl", "kafka-topics", "kafka-consumer-groups", "kafka-configs", "kafka-acls",
					"kafka-console-producer", "kafka-delete-records", "rabbitmqctl", "rabbitmqadmin", "nats"),
				[]string{"alembic upgrade *", "alembic downgrade *", "alembic stamp *",
					"prisma migrate *", "prisma db *", "npx prisma migrate *", "npx prisma db *",
					"knex migrate*", "sequelize db:migrate*", "sequelize db:seed*", "sequelize db:drop*",
					"rails db:migrate*", "rails db:drop*", "rails db:reset*", "rails db:seed*", "rails db:schema:load*",
					"rake db:migrate*", "rake db:drop*", "rake db:reset*", "rake db:seed*",
					"python manage.py migrate *", "python3 manage.py migrate *", "python manage.py flush *",
					"python3 manage.py flush *", "python manage.py dbshell *", "python3 manage.py dbshell *",
					"diesel migration *", "diesel database *", "sqlx migrate *", "sqlx database *",
					"atlas migrate *", "atlas schema *"},
			),
			HookOnly: "migrations run through package scripts or other wrappers (npm run migrate, make migrate)",
		},
		policy.ClassVCSWrite: {
			Patterns: []string{"git push *"},
			HookOnly: "pushes through git -C DIR or -c options, git aliases",
		},
		policy.ClassVCSForcePush: {
			Patterns: concat(
				cross("git push %s%s", []string{"--force", "-f", "--force-with-lease", "--mirror", "--delete", "-d"}, []string{" *"}),
				cross("git push * %s%s", []string{"--force", "-f", "--force-with-lease"}, []string{"", " *"}),
				[]string{"git push * --force-with-lease=*"},
			),
			HookOnly: "+refspecs and :refspecs (git push origin +main, git push origin :branch), combined short flags (-fu), --force-if-includes, --prune",
		},
		policy.ClassVCSPushProtected: {
			Patterns: concat(
				cross("git push origin %s%s", protectedBranches, []string{"", " *"}),
				cross("git push upstream %s%s", protectedBranches, []string{"", " *"}),
				cross("git push origin *:%s%s", protectedBranches, []string{"", " *"}),
				cross("git push upstream *:%s%s", protectedBranches, []string{"", " *"}),
			),
			HookOnly: "a bare git push (or push of HEAD) while a protected branch is checked out, remotes other than origin and upstream, options before the remote, +main, release/*, release-* and hotfix/* branches",
		},
		policy.ClassDeleteOutside: {
			HookOnly: "whether a recursive delete leaves the repository depends on the resolved paths, which native rules cannot see",
		},
	}
})

// protectedBranches are the branch names the engine treats as protected
// by name (release/*, release-* and hotfix/* are left to the hook: a "*"
// there would match across words). The remote is spelled out: "git push *
// main" would also match "git push -o main origin feature", where main is
// the value of an option.
var protectedBranches = []string{"main", "master", "trunk", "production", "prod", "release", "stable"}

// each formats format once per name.
func each(format string, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf(format, n)
	}
	return out
}

// cross formats format for every pair of a and b, a outermost.
func cross(format string, a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			out = append(out, fmt.Sprintf(format, x, y))
		}
	}
	return out
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
