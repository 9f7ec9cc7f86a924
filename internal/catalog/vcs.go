package catalog

// gitRevPath are git subcommands that print file contents from the work
// tree or history: their operands are paths or REV:PATH.
var gitRevPath = Operands{Rest: RevPath}

var vcsPrograms = []Program{
	{Names: "git", Note: "global options before the subcommand; -c and --config-env values are judged as configuration",
		Opts: []Opt{
			{Names: "-c --config", Arg: Value, Kind: Config},
			{Names: "--config-env", Arg: Value, Kind: Config},
			{Names: "--exec-path", Arg: Attached, Kind: Opaque},
			{Names: "-C --git-dir --work-tree --namespace --super-prefix --list-cmds --attr-source", Arg: Value},
		},
		Subs: []Program{
			{Names: "push", Note: "the engine judges force, protected branches and refspecs",
				Opts: []Opt{
					{Names: "--receive-pack --exec", Arg: Value, Kind: Shell},
					{Names: "-o --push-option --repo --signed --force-with-lease --force-if-includes --recurse-submodules", Arg: Value},
				}},
			{Names: "fetch pull clone ls-remote remote-ext", Opts: []Opt{
				{Names: "--upload-pack -u", Arg: Value, Kind: Shell},
				{Names: "-c --config", Arg: Value, Kind: Config},
				{Names: "--template", Arg: Value, Kind: Opaque},
				{Names: "-o --origin -b --branch --depth --shallow-since --shallow-exclude --reference --separate-git-dir --filter -j --jobs --recurse-submodules", Arg: Value},
			}},
			{Names: "init", Opts: []Opt{{Names: "--template", Arg: Value, Kind: Opaque}, {Names: "-b --initial-branch --separate-git-dir --object-format --shared", Arg: Value}}},
			{Names: "archive", Opts: []Opt{
				{Names: "--exec", Arg: Value, Kind: Shell},
				{Names: "--remote", Arg: Value, Kind: Remote},
				{Names: "-o --output", Arg: Value, Kind: Write},
				{Names: "--format --prefix --add-file", Arg: Value},
			}, Operands: gitRevPath},
			{Names: "cat-file", Operands: gitRevPath, Stdin: RevPath, Opts: []Opt{{Names: "--batch --batch-check --batch-command", Arg: Attached}}},
			{Names: "show diff log blame annotate whatchanged format-patch diff-tree difftool show-index rev-parse", Operands: gitRevPath,
				Opts: []Opt{
					{Names: "-x --extcmd", Arg: Value, Kind: Shell},
					{Names: "--output --output-directory -o", Arg: Value, Kind: Write},
					{Names: "--ext-diff --textconv --show-signature", Mark: Configured},
					{Names: "-L -S -G --format --pretty --author --committer --since --until --grep -n --max-count --skip --stat --diff-filter -U --unified --abbrev --date --encoding -M -C --tool -t", Arg: Value},
				}},
			{Names: "grep", Operands: Operands{Lead: []Kind{Data}, LeadUnless: GivesPattern, Rest: RevPath}, Opts: []Opt{
				{Names: "-O --open-files-in-pager", Arg: Attached, Kind: Shell},
				{Names: "-e", Arg: Value, Mark: GivesPattern},
				{Names: "-f", Arg: Value, Kind: Read, Mark: GivesPattern},
				{Names: "-A -B -C -m --max-depth --threads", Arg: Value},
			}},
			{Names: "submodule", Subs: []Program{
				{Names: "foreach", Style: POSIX, Operands: Operands{Rest: Shell}, Note: "runs its operands as a shell command in every submodule"},
			}},
			{Names: "bisect", Subs: []Program{{Names: "run", Style: POSIX, Operands: Operands{Lead: []Kind{Exec}}}}},
			{Names: "read-tree", Class: LocalDiscard, Why: "git read-tree -u --reset overwrites the work tree", Requires: Force | Remove,
				Opts: []Opt{{Names: "--reset", Mark: Force}, {Names: "-u", Mark: Remove}, {Names: "--prefix --index-output", Arg: Value}}},
			{Names: "checkout-index", Opts: []Opt{{Names: "-f --force", Class: LocalDiscard, Why: "git checkout-index --force overwrites work-tree files"}, {Names: "--prefix --stage", Arg: Value}}},
			{Names: "filter-repo", Class: LocalDiscard, Why: "git filter-repo rewrites the repository's history"},
			{Names: "rebase", Opts: []Opt{
				{Names: "-x --exec", Arg: Value, Kind: Shell},
				{Names: "-s --strategy -X --strategy-option --onto -C", Arg: Value},
			}},
			{Names: "filter-branch", Opts: []Opt{
				{Names: "--env-filter --tree-filter --index-filter --parent-filter --msg-filter --commit-filter --tag-name-filter", Arg: Value, Kind: Shell},
				{Names: "--subdirectory-filter --prune-empty -d --original", Arg: Value},
			}},
			{Names: "send-email imap-send", Class: Egress, Why: "git sends patches by mail"},
			{Names: "credential credential-store credential-cache", Class: EnvSecrets, Why: "git credential prints stored credentials"},
			{Names: "config", Note: "the engine judges keys that run programs (core.pager, alias.*=!...) and persistence (core.hooksPath)",
				Opts: []Opt{
					{Names: "--global --system --local --worktree", Mark: Global},
					{Names: "-f --file --blob --type --default --comment", Arg: Value},
					{Names: "--get --get-all --get-regexp --list -l --show-origin --show-scope --unset --unset-all --remove-section", Mark: ListOnly},
				},
				Subs: []Program{{Names: "get list", Operands: Operands{Rest: Data}}, {Names: "set"}}},
			{Names: "reset", Opts: []Opt{
				{Names: "--hard", Class: LocalDiscard, Why: "git reset --hard discards uncommitted changes"},
				{Names: "--merge", Class: LocalDiscard, Why: "git reset --merge discards staged changes"},
			}},
			{Names: "clean", Class: LocalDiscard, Why: "git clean -f deletes untracked files", Requires: Force, Unless: DryRun,
				Opts: []Opt{
					{Names: "-f --force", Mark: Force},
					{Names: "-n --dry-run", Mark: DryRun},
					{Names: "-e --exclude", Arg: Value},
				}},
			{Names: "checkout", Note: "discards work-tree changes with -f, with paths after --, or with .",
				Opts: []Opt{
					{Names: "-f --force", Class: LocalDiscard, Why: "git checkout --force discards uncommitted changes"},
					{Names: "-b -B --orphan --conflict --pathspec-from-file", Arg: Value},
				}},
			{Names: "restore", Class: LocalDiscard, Why: "git restore discards work-tree changes", Unless: Staged, NeedsOperand: true,
				Opts: []Opt{
					{Names: "-S --staged", Mark: Staged},
					{Names: "-W --worktree", Class: LocalDiscard, Why: "git restore --worktree discards work-tree changes"},
					{Names: "-s --source --pathspec-from-file", Arg: Value},
				}},
			{Names: "stash", Subs: []Program{
				{Names: "drop clear", Class: LocalDiscard, Why: "git stash drop/clear deletes stashed changes"},
				{Names: "push save", Opts: []Opt{{Names: "-m --message --pathspec-from-file", Arg: Value}}},
			}},
			{Names: "branch", Class: LocalDiscard, Why: "git branch -D deletes a branch that may hold unmerged commits", Requires: Remove | Force,
				Opts: []Opt{
					{Names: "-D", Mark: Remove | Force},
					{Names: "-M -C", Class: LocalDiscard, Why: "git branch -M/-C overwrites an existing branch"},
					{Names: "-d --delete", Mark: Remove},
					{Names: "-f --force", Mark: Force},
					{Names: "-u --set-upstream-to --contains --no-contains --merged --no-merged --points-at --sort --format -t --track", Arg: Value},
				}},
			{Names: "switch", Opts: []Opt{
				{Names: "-f --force --discard-changes", Class: LocalDiscard, Why: "git switch --discard-changes discards uncommitted changes"},
				{Names: "-c -C --create --force-create --orphan --conflict", Arg: Value},
			}},
			{Names: "worktree", Subs: []Program{{Names: "remove", Opts: []Opt{
				{Names: "-f --force", Class: LocalDiscard, Why: "git worktree remove --force discards the worktree's changes"}}}}},
			{Names: "reflog", Subs: []Program{{Names: "expire delete", Class: LocalDiscard, Why: "git reflog expire/delete drops the history that recovers lost commits"}}},
			{Names: "update-ref", Opts: []Opt{{Names: "-d", Class: LocalDiscard, Why: "git update-ref -d deletes a ref"}, {Names: "-m", Arg: Value}}},
			// -F FILE and --template FILE put a file's text into history.
			{Names: "commit", Opts: []Opt{
				{Names: "-F --file -t --template", Arg: Value, Kind: Read},
				{Names: "-m --message -C --reuse-message -c --reedit-message --author --date --fixup --squash --trailer --cleanup -S --gpg-sign", Arg: Value},
			}},
			{Names: "tag", Opts: []Opt{{Names: "-F --file", Arg: Value, Kind: Read}, {Names: "-m --message -u --local-user --sort --format", Arg: Value}}},
			{Names: "notes", Opts: []Opt{{Names: "-F --file", Arg: Value, Kind: Read}, {Names: "-m --message -C --reuse-message -c --ref", Arg: Value}},
				Operands: Operands{Rest: Data}},
			{Names: "hash-object", Opts: []Opt{{Names: "-t --path", Arg: Value}}, Operands: Operands{Rest: Read}, Note: "-w stores the file's content as an object"},
			{Names: "send-pack", Class: VCSWrite, Why: "git send-pack updates a remote's refs",
				Opts: []Opt{{Names: "--force -f", Class: VCSForcePush, Why: "git send-pack --force overwrites the remote's history"}, {Names: "--receive-pack --exec", Arg: Value, Kind: Shell}}},
			{Names: "add status mv rm merge cherry-pick revert fetch-pack gc fsck prune remote stage apply am describe rev-list ls-files ls-tree shortlog bundle sparse-checkout lfs worktree-list maintenance range-diff citool gui",
				Opts: []Opt{{Names: "-m --message -F --file -s --strategy -X --strategy-option --chmod --pathspec-from-file", Arg: Value}}},
		}},
	{Names: "gh", Note: "the GitHub CLI: remote writes are vcs-write; gh api by method",
		Opts: []Opt{{Names: "-R --repo --hostname", Arg: Value}},
		Subs: []Program{
			{Names: "secret variable", Subs: []Program{{Names: "set delete remove", Class: VCSWrite, Why: "gh changes the repository's secrets or variables"}}},
			{Names: "extension extensions ext", Subs: []Program{{Names: "install upgrade", Class: PackageInstall, Why: "gh extension install downloads a program gh runs"}}},
			{Names: "workflow", Subs: []Program{{Names: "disable enable run", Class: VCSWrite, Why: "gh changes CI on the remote"}}},
			{Names: "cache", Subs: []Program{{Names: "delete", Class: VCSWrite, Why: "gh changes CI state on the remote"}}},
			{Names: "run", Subs: []Program{{Names: "cancel rerun delete", Class: VCSWrite, Why: "gh changes CI state on the remote"}}},
			{Names: "repo", Subs: []Program{{Names: "delete archive unarchive edit rename transfer create fork sync deploy-key", Class: VCSWrite, Why: "gh changes a remote repository"}}},
			{Names: "pr", Subs: []Program{{Names: "merge close create edit ready review comment reopen lock unlock", Class: VCSWrite, Why: "gh changes a pull request",
				Opts: []Opt{{Names: "-F --body-file", Arg: Value, Kind: Read}, {Names: "-b --body -t --title -B --base -H --head -l --label -a --assignee -r --reviewer -m --milestone", Arg: Value}}}}},
			{Names: "issue", Subs: []Program{{Names: "create close delete edit comment transfer reopen lock unlock pin unpin develop", Class: VCSWrite, Why: "gh changes an issue",
				Opts: []Opt{{Names: "-F --body-file", Arg: Value, Kind: Read}, {Names: "-b --body -t --title -l --label -a --assignee -m --milestone -p --project", Arg: Value}}}}},
			{Names: "label", Subs: []Program{{Names: "create delete edit clone", Class: VCSWrite, Why: "gh changes the repository's labels"}}},
			{Names: "ssh-key gpg-key", Subs: []Program{{Names: "add delete", Class: VCSWrite, Why: "gh changes the account's keys"}}},
			{Names: "release", Class: Publish, Why: "gh release manages a GitHub release",
				Opts: []Opt{{Names: "-F --notes-file", Arg: Value, Kind: Read}, {Names: "-n --notes -t --title --target", Arg: Value}},
				Subs: []Program{{Names: "upload create", Operands: Operands{Lead: []Kind{Data}, Rest: Read}}}},
			{Names: "gist", Subs: []Program{{Names: "create new edit", Class: Egress, Why: "gh gist uploads files to GitHub",
				Operands: Operands{Rest: Read}}}},
			{Names: "auth", Subs: []Program{
				{Names: "token", Class: EnvSecrets, Why: "gh auth token prints the GitHub token"},
				{Names: "status", Opts: []Opt{{Names: "-t --show-token", Class: EnvSecrets, Why: "gh auth status --show-token prints the GitHub token"}}},
			}},
			{Names: "api", Note: "the engine reads the method (-X) and fields (-f, -F, --input imply POST)",
				Opts: []Opt{
					{Names: "-X --method -H --header -q --jq -t --template --cache -p --preview --hostname", Arg: Value},
					{Names: "-f --raw-field", Arg: Value},
					{Names: "-F --field", Arg: Value, Kind: Read},
					{Names: "--input", Arg: Value, Kind: Read},
				}},
			{Names: "codespace cs", Subs: []Program{{Names: "ssh cp", Class: Egress, Why: "gh codespace moves data to a remote machine"}}},
		}},
}
