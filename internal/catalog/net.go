package catalog

var netPrograms = []Program{
	{Names: "curl wget wget2 curlie http https xh xhs httpie aria2c axel lftp ftp tftp sftp telnet nc ncat netcat socat websocat wscat " +
		"grpcurl sendmail mail mailx mutt smbclient rcp rsh sshpass ssh-copy-id dig drill host nslookup kdig delv whois " +
		"ngrok cloudflared bore wormhole croc s3cmd rclone transfer-sh localtunnel zrok",
		Class: Egress, Why: "moves data to or from another machine",
		Opts: []Opt{
			{Names: "-o --output -O --output-document --output-dir -D --dump-header -c --cookie-jar --trace --trace-ascii --libcurl -a --append-output --log-file", Arg: Value, Kind: Write},
			{Names: "-K --config --netrc-file -T --upload-file --cacert --cert --key -i --input-file --load-cookies", Arg: Value, Kind: Read},
			{Names: "-d --data --data-binary --data-raw --data-urlencode -F --form --post-file --body-file", Arg: Value, Kind: Read},
			{Names: "-H --header -X --request -u --user -A --user-agent -e --referer -x --proxy -m --max-time --connect-timeout --retry -w --write-out -b --cookie -U --header --method -t --tries -T --timeout", Arg: Value},
		},
		Operands: Operands{Rest: Remote}},
	{Names: "ssh autossh mosh", Class: Egress, Why: "opens a shell on or a tunnel to another machine", Style: POSIX,
		Opts: []Opt{
			{Names: "-i -F -S -E", Arg: Value, Kind: Read},
			{Names: "-o", Arg: Value, Kind: Config},
			{Names: "-R -L -D -W -J -p -l -b -c -m -O -Q -w -B -e -I", Arg: Value},
		},
		Operands: Operands{Lead: []Kind{Remote}}, Note: "-o ProxyCommand and LocalCommand are judged as configuration"},
	{Names: "scp", Class: Egress, Why: "copies files to or from another machine",
		Opts:     []Opt{{Names: "-i -F", Arg: Value, Kind: Read}, {Names: "-S", Arg: Value, Kind: Shell}, {Names: "-o", Arg: Value, Kind: Config}, {Names: "-P -l -c -J", Arg: Value}},
		Operands: Operands{Rest: Read, Last: Write}},
	{Names: "rsync", Note: "egress when an operand is a remote host; --delete outside the repository",
		Opts: []Opt{
			{Names: "-e --rsh --rsync-path", Arg: Value, Kind: Shell},
			{Names: "-r -a --recursive --archive", Mark: Recursive},
			{Names: "--delete --delete-before --delete-during --delete-after --delete-excluded --remove-source-files --del", Mark: DeleteExtra},
			{Names: "--exclude --include --exclude-from --include-from --filter -f --files-from --log-file --password-file --chmod --chown -B --block-size --bwlimit --max-size --min-size --timeout --port --partial-dir --temp-dir -T --backup-dir --suffix --link-dest --compare-dest", Arg: Value},
		},
		Operands: Operands{Rest: Read, Last: Write}},
	{Names: "lt", Class: Egress, Why: "exposes a local port to the internet"},
	{Names: "restic borg kopia duplicity rustic", Opts: []Opt{{Names: "-r --repo --repository", Arg: Value, Kind: Remote}}, Operands: Operands{Rest: Read},
		Note: "a backup to a remote repository (sftp:, s3:, rest:, host:path) is egress"},
	{Names: "httpd http.server SimpleHTTPServer", Class: Egress, Why: "serves files to other machines"},
	{Names: "tailscale", Subs: []Program{{Names: "funnel serve file", Class: Egress, Why: "tailscale exposes local services or sends files to other machines"}}},
	{Names: "openssl", Style: Words, Note: "s_client and s_server open connections",
		Opts: []Opt{
			{Names: "-in -inkey -CAfile -cert -key -infiles -kfile", Arg: Value, Kind: Read},
			{Names: "-out -keyout", Arg: Value, Kind: Write},
			{Names: "-passin -passout -pass -connect -servername -port -subj -days -newkey -md -nameopt", Arg: Value},
		},
		Operands: Operands{Rest: Read},
		Subs:     []Program{{Names: "s_client s_server s_time", Class: Egress, Why: "openssl opens a network connection"}}},
}
