package catalog

// Programs that read, write, copy, delete or only name files, and the
// text tools whose first operand is a pattern or program.
var filePrograms = []Program{
	{Names: "nl", Opts: []Opt{{Names: "-b -n -s -v -i -w -d -h -f -l --body-numbering --number-format --number-separator --starting-line-number --line-increment --number-width --section-delimiter --header-numbering --footer-numbering --join-blank-lines", Arg: Value}},
		Operands: Operands{Rest: Read}},
	{Names: "pr", Style: POSIX, Opts: []Opt{{Names: "-h --header -w --width -W --page-width -l --length -o --indent -N --first-line-number -S --sep-string", Arg: Value}},
		Operands: Operands{Rest: Read}},
	{Names: "cat tac more most bat batcat rev fold fmt column expand unexpand look tsort " +
		"md5sum sha1sum sha224sum sha256sum sha384sum sha512sum cksum b2sum sum shasum md5 " +
		"strings dos2unix unix2dos iconv zcat bzcat xzcat lzcat zstdcat lz4cat xclip xsel pbcopy wl-copy " +
		"uuencode qrencode exiftool envsubst wc file",
		Opts: []Opt{
			{Names: "-n --lines -c --bytes -w --width -s -t --separator -f --from-code -t --to-code -a --algorithm -l --language", Arg: Value},
			{Names: "-o --output", Arg: Value, Kind: Write},
		},
		Operands: Operands{Rest: Read}, Note: "reads the files it is given"},
	{Names: "head tail", Opts: []Opt{{Names: "-n --lines -c --bytes -s --sleep-interval --pid", Arg: Value}},
		Operands: Operands{Rest: Read}},
	{Names: "less", Opts: []Opt{{Names: "-b -h -j -k -o -O -p -P -t -T -x -y -z --log-file --LOG-FILE", Arg: Value}},
		Operands: Operands{Rest: Read}, Note: "its ! escape is interactive only; LESSOPEN is judged as code"},
	{Names: "base64 base32 basenc", Opts: []Opt{{Names: "-w --wrap", Arg: Value}}, Operands: Operands{Rest: Read}},
	{Names: "xxd", Opts: []Opt{{Names: "-l -s -c -g -o -n --len --seek --cols --groupsize --offset --name", Arg: Value}},
		Operands: Operands{Lead: []Kind{Read, Write}}},
	{Names: "od hexdump hd", Opts: []Opt{{Names: "-A -t -j -N -e -f -n -s -w --format --length --skip", Arg: Value}},
		Operands: Operands{Rest: Read}},
	{Names: "cut paste", Opts: []Opt{{Names: "-d --delimiter -f --fields -b --bytes -c --characters --output-delimiter", Arg: Value}},
		Operands: Operands{Rest: Read}},
	{Names: "sort", Opts: []Opt{
		{Names: "-k --key -t --field-separator -S --buffer-size -T --temporary-directory --parallel --batch-size", Arg: Value},
		{Names: "-o --output", Arg: Value, Kind: Write},
	}, Operands: Operands{Rest: Read}},
	{Names: "uniq", Opts: []Opt{{Names: "-f --skip-fields -s --skip-chars -w --check-chars", Arg: Value}},
		Operands: Operands{Lead: []Kind{Read, Write}}},
	{Names: "shuf", Opts: []Opt{{Names: "-n --head-count -i --input-range --random-source", Arg: Value}, {Names: "-o --output", Arg: Value, Kind: Write}},
		Operands: Operands{Rest: Read}},
	{Names: "split csplit", Opts: []Opt{{Names: "-l --lines -b --bytes -n --number -a --suffix-length -C --line-bytes -f --prefix", Arg: Value}},
		Operands: Operands{Lead: []Kind{Read}, Rest: Data}},
	{Names: "diff diff3 sdiff cmp comm", Opts: []Opt{{Names: "-U -C --unified --context -x --exclude -I --ignore-matching-lines --label -L -W --width -o --output", Arg: Value}},
		Operands: Operands{Rest: Read}},
	{Names: "tee", Operands: Operands{Rest: Write}, Note: "writes its standard input to the files"},
	{Names: "touch mkdir rmdir unlink", Opts: []Opt{{Names: "-m --mode -d --date -r --reference -t", Arg: Value}},
		Operands: Operands{Rest: Write}},
	{Names: "truncate", Opts: []Opt{{Names: "-s --size -r --reference", Arg: Value}}, Operands: Operands{Rest: Write}},
	{Names: "shred wipe srm", Opts: []Opt{{Names: "-n --iterations -s --size --random-source", Arg: Value}, {Names: "-u --remove", Arg: Attached}},
		Operands: Operands{Rest: Device}, Note: "overwrites files or devices"},
	{Names: "rm", Opts: []Opt{
		{Names: "-r -R --recursive", Mark: Recursive},
		{Names: "-f --force", Mark: Force},
	}, Operands: Operands{Rest: Delete}, Tamper: true},
	{Names: "cp install", Opts: []Opt{
		{Names: "-r -R -a --recursive --archive", Mark: Recursive},
		{Names: "-t --target-directory", Arg: Value, Kind: Write},
		{Names: "-S --suffix -m --mode -o --owner -g --group --backup --sparse --reflink --preserve", Arg: Value},
	}, Operands: Operands{Rest: Read, Last: Write}, Tamper: true, Note: "reads its sources, writes the last operand"},
	{Names: "mv", Opts: []Opt{
		{Names: "-t --target-directory", Arg: Value, Kind: Write},
		{Names: "-S --suffix --backup", Arg: Value},
	}, Operands: Operands{Rest: ReadWrite, Last: Write}, Tamper: true, Note: "moves its sources: read and removed"},
	{Names: "ln", Opts: []Opt{
		{Names: "-t --target-directory", Arg: Value, Kind: Write},
		{Names: "-S --suffix --backup", Arg: Value},
	}, Operands: Operands{Rest: Read, Last: Write}, Tamper: true},
	{Names: "chmod chown chgrp chattr setfacl", Opts: []Opt{
		{Names: "-R --recursive", Mark: Recursive},
		{Names: "--reference --from -m -x", Arg: Value},
	}, Operands: Operands{Lead: []Kind{Data}, Rest: Data}, Tamper: true,
		Note: "changes metadata only: its operands are not read (chmod 600 .env is ordinary)"},
	{Names: "ls ll la dir vdir stat du df tree realpath readlink basename dirname lsattr getfacl namei " +
		"mktemp pathchk locate whereis which type lsof fuser",
		Opts: []Opt{{Names: "-I --ignore -w --width -T --tabsize --time-style --format -L --level -P -c --format --printf " +
			"-d --max-depth -B --block-size -e --exclude -t --tmpdir -p -E -x", Arg: Value}},
		Note: "shows names and metadata, never contents"},
	{Names: "echo printf true false test [ [[ : sleep date seq yes nproc uname whoami id groups logname hostname " +
		"ps top htop btop uptime free vmstat iostat jobs wait clear reset tput stty tty cd pushd popd dirs shopt read " +
		"exit return let shift getopts umask ulimit times caller logger wall " +
		"alias unalias trap break continue sync bc dc expr factor numfmt cal tzselect",
		Note: "prints or computes from its arguments"},
	{Names: "fd fdfind", Opts: []Opt{
		{Names: "-x --exec -X --exec-batch", Arg: Value, Kind: Exec},
		{Names: "-e --extension -t --type -E --exclude -d --max-depth --min-depth -S --size --changed-within --changed-before -j --threads -g --glob --base-directory --search-path", Arg: Value},
	}, Operands: Operands{Lead: []Kind{Data}, Rest: Data}, Note: "with -x the files whose names match the pattern are handed to a command"},
	{Names: "tar gtar bsdtar", Note: "archives: the engine reads -f and the members by mode (create or extract)",
		Opts: []Opt{
			{Names: "--checkpoint-action --to-command --use-compress-program -I --rsh-command --info-script -F --new-volume-script", Arg: Value, Kind: Shell},
			{Names: "-T --files-from", Arg: Value, Kind: Read}, // a file of names; - is standard input
			{Names: "-f --file -C --directory -X --exclude-from --exclude -b --blocking-factor -H --format -V --label -g --listed-incremental -N --newer --owner --group --mode --transform --xform", Arg: Value},
		}},
	{Names: "zip", Opts: []Opt{
		{Names: "-r --recurse-paths", Mark: Recursive},
		{Names: "-TT --unzip-command", Arg: Value, Kind: Shell},
		{Names: "-x --exclude -i --include -b --temp-path -n --suffixes -P --password -Z --compression-method -s --split-size -t -tt", Arg: Value},
	}, Operands: Operands{Lead: []Kind{Write}, Rest: Read}},
	{Names: "unzip", Opts: []Opt{{Names: "-d", Arg: Value, Kind: Write}, {Names: "-x -P", Arg: Value}}, Operands: Operands{Lead: []Kind{Read}}},
	{Names: "sponge", Operands: Operands{Rest: Write}, Note: "writes its standard input to the file"},
	{Names: "patch", Opts: []Opt{{Names: "-o --output", Arg: Value, Kind: Write}, {Names: "-i --input", Arg: Value, Kind: Read}, {Names: "-p --strip -d --directory -B --prefix -r --reject-file -F --fuzz", Arg: Value}},
		Operands: Operands{Lead: []Kind{Write, Read}}},
	{Names: "gzip gunzip bzip2 bunzip2 xz unxz zstd unzstd lz4 lzma brotli pigz", Opts: []Opt{{Names: "-S --suffix -T --threads -o", Arg: Value}},
		Operands: Operands{Rest: Read}},
	{Names: "7z 7za 7zr", Operands: Operands{Lead: []Kind{Data, Write}, Rest: Read}},
	// cpio -o archives the files named on standard input.
	{Names: "cpio", Stdin: RevPath, Opts: []Opt{{Names: "-F --file -H --format -E --pattern-file -D --directory", Arg: Value}}},
	{Names: "dd", Note: "the engine reads if= and of="},
	{Names: "mkfs mke2fs mkswap wipefs fdisk sfdisk cfdisk parted sgdisk gdisk blkdiscard hdparm mkdosfs mkntfs",
		Operands: Operands{Rest: Device}, Note: "formats or rewrites the devices it is given"},
	{Names: "grep egrep fgrep zgrep", Opts: []Opt{
		{Names: "-e --regexp", Arg: Value, Mark: GivesPattern},
		{Names: "-f --file", Arg: Value, Kind: Read, Mark: GivesPattern},
		{Names: "-r --recursive", Mark: Recursive},
		{Names: "-R --dereference-recursive", Mark: Recursive | Deref},
		{Names: "--include", Arg: Value},
		{Names: "--exclude --exclude-dir", Arg: Value},
		{Names: "-m --max-count -A --after-context -B --before-context -C --context --label --exclude-from --color --colour -d --directories -D --devices --binary-files", Arg: Value},
	}, Operands: Operands{Lead: []Kind{Data}, LeadUnless: GivesPattern, Rest: Read}, Note: "the first operand is the pattern unless -e or -f gives it"},
	{Names: "rg ripgrep", Opts: []Opt{
		{Names: "-e --regexp", Arg: Value, Mark: GivesPattern},
		{Names: "-f --file", Arg: Value, Kind: Read, Mark: GivesPattern},
		{Names: "-u --unrestricted --hidden --no-ignore", Mark: Hidden},
		{Names: "-m --max-count -A -B -C --after-context --before-context --context -g --glob --iglob -t --type -T --type-not -r --replace -j --threads -M --max-columns --max-depth -d --type-add --colors --sort --sortr -E --encoding --pre --pre-glob", Arg: Value},
	}, Operands: Operands{Lead: []Kind{Data}, LeadUnless: GivesPattern, Rest: Read}},
	{Names: "ag ack", Opts: []Opt{{Names: "-G --file-search-regex -A -B -C --ignore --ignore-dir -m --max-count", Arg: Value}},
		Operands: Operands{Lead: []Kind{Data}, Rest: Read}},
	{Names: "sed gsed", Lang: "sed", Opts: []Opt{
		{Names: "-e --expression", Arg: Value, Kind: Code, Mark: GivesPattern},
		{Names: "-f --file", Arg: Value, Kind: Read, Mark: GivesPattern},
		{Names: "-i --in-place", Arg: Attached, Mark: InPlace},
		{Names: "-l --line-length", Arg: Value},
	}, Operands: Operands{Lead: []Kind{Code}, LeadUnless: GivesPattern, Rest: Read}, Note: "its script is inspected (the e command, w files)"},
	{Names: "awk gawk mawk nawk busybox-awk", Lang: "awk", Opts: []Opt{
		{Names: "-f --file", Arg: Value, Kind: Script, Mark: GivesPattern},
		{Names: "-e --source", Arg: Value, Kind: Code, Mark: GivesPattern},
		{Names: "-v --assign -F --field-separator", Arg: Value},
		{Names: "-i --include", Arg: Value, Kind: Script},
		{Names: "-l --load", Arg: Value, Kind: Opaque},
	}, Operands: Operands{Lead: []Kind{Code}, LeadUnless: GivesPattern, Rest: Read}, Note: "its program is inspected (system(), pipes to commands)"},
	{Names: "jq gojq jaq", Opts: []Opt{
		{Names: "--arg --argjson", Arg: Value2},
		{Names: "--slurpfile --rawfile", Arg: Value2, Kind: Read},
		{Names: "-f --from-file", Arg: Value, Kind: Read, Mark: GivesPattern},
		{Names: "--indent -L", Arg: Value},
	}, Operands: Operands{Lead: []Kind{Data}, LeadUnless: GivesPattern, Rest: Read}},
	{Names: "yq", Opts: []Opt{
		{Names: "--arg --argjson", Arg: Value2},
		{Names: "-i --inplace", Mark: InPlace},
		{Names: "--from-file", Arg: Value, Kind: Read, Mark: GivesPattern},
		{Names: "-o --output-format -p --input-format -I --indent", Arg: Value},
	}, Operands: Operands{Lead: []Kind{Data}, LeadUnless: GivesPattern, Rest: Read},
		Subs: []Program{{Names: "eval e eval-all ea", Operands: Operands{Lead: []Kind{Data}, LeadUnless: GivesPattern, Rest: Read}}}},
	{Names: "find gfind", Style: Words, Note: "the engine reads its roots, name filters, -delete and -exec (the shell analysis runs -exec commands)"},
	{Names: "source .", Operands: Operands{Lead: []Kind{Script}}, Note: "runs a file's commands in the current shell"},
	{Names: "env", Bare: EnvSecrets, Why: "prints the whole environment, secrets included",
		Opts: []Opt{{Names: "-u --unset -C --chdir -S --split-string", Arg: Value}, {Names: "-0 --null", Mark: ListOnly}},
		Note: "with a command, the shell analysis unwraps it"},
	{Names: "xargs parallel watch timeout nice nohup time stdbuf ionice setsid chroot unshare strace ltrace flock busybox exec command builtin eval",
		Note: "the shell analysis unwraps the command it runs"},
	{Names: "script", Opts: []Opt{
		{Names: "-c --command", Arg: Value, Kind: Shell},
		{Names: "-E --echo -B --log-io -I --log-in -O --log-out -T --log-timing -m --logging-format -o --output-limit", Arg: Value},
		{Names: "-t --timing", Arg: Attached},
	}, Operands: Operands{Lead: []Kind{Write}}, Note: "runs -c's command; GNU script takes options after the file too"},
	{Names: "sudo doas pkexec su runuser", Class: Privileged, Why: "runs commands as another user",
		Note: "the shell analysis unwraps the command it runs, which is decided too"},
	// Shell built-ins that load code or remap a name to another program.
	{Names: "enable", Opts: []Opt{{Names: "-f", Arg: Value, Kind: Opaque}}, Note: "enable -f FILE loads a built-in from a shared object"},
	{Names: "hash", Opts: []Opt{{Names: "-p", Arg: Value, Kind: Opaque}}, Note: "hash -p PATH NAME makes NAME run PATH"},
	{Names: "docker-credential-desktop docker-credential-osxkeychain docker-credential-secretservice docker-credential-pass " +
		"docker-credential-wincred docker-credential-ecr-login docker-credential-gcloud docker-credential-gcr docker-credential-acr-env",
		Subs: []Program{{Names: "get list", Class: EnvSecrets, Why: "a Docker credential helper prints stored registry credentials"}}},
	{Names: "vim vi nvim view ex gvim vimdiff rvim", Lang: "vim", Opts: []Opt{
		{Names: "-c --cmd", Arg: Value, Kind: ToolCmd},
		{Names: "-S", Arg: Value, Kind: Script},
		{Names: "-u -U", Arg: Value, Kind: Opaque},
		{Names: "-i -T -w -W -t -q -r", Arg: Value},
	}, Operands: Operands{Rest: Read}, Note: "-c '!cmd' and +'!cmd' run shell commands"},
	{Names: "ed red", Lang: "ed", Stdin: ToolCmd, Operands: Operands{Rest: ReadWrite}, Note: "its ! command runs shell commands"},
	{Names: "nano pico micro emacs mg joe kak hx helix code code-insiders codium cursor subl", Opts: []Opt{
		{Names: "--eval -eval -l --load", Arg: Value, Kind: Opaque},
		{Names: "--install-extension", Arg: Value, Class: PackageInstall, Why: "installs an editor extension, which runs code"}},
		Operands: Operands{Rest: Read}},
	{Names: "sqlite3 sqlite", Lang: "sqlite", Stdin: ToolCmd, Opts: []Opt{
		{Names: "-cmd", Arg: Value, Kind: ToolCmd},
		{Names: "-init", Arg: Value, Kind: Script},
		{Names: "-separator -newline -nullvalue -mode", Arg: Value},
	}, Style: Words, Operands: Operands{Lead: []Kind{Read}, Rest: ToolCmd}, Note: "dot-commands .shell and .system run shell commands"},
	{Names: "sops", Opts: []Opt{{Names: "--output", Arg: Value, Kind: Write}, {Names: "--exec-env --exec-file", Arg: Value, Kind: Shell}},
		Operands: Operands{Rest: Read}},
	{Names: "age rage", Opts: []Opt{{Names: "-o --output", Arg: Value, Kind: Write}, {Names: "-r --recipient", Arg: Value}, {Names: "-i --identity -R --recipients-file", Arg: Value, Kind: Read}},
		Operands: Operands{Rest: Read}},
	{Names: "gpg gpg2", Opts: []Opt{
		{Names: "-o --output", Arg: Value, Kind: Write},
		{Names: "-r --recipient -u --local-user --default-key --keyserver --passphrase", Arg: Value},
		{Names: "--export-secret-keys --export-secret-subkeys", Class: EnvSecrets, Why: "gpg prints private keys"},
	}, Operands: Operands{Rest: Read}},
	{Names: "dotenv", Operands: Operands{Rest: Read}},
}
