package engine

import (
	"strings"

	"github.com/wardenhq/warden/internal/catalog"
	"github.com/wardenhq/warden/internal/shell"
)

// Interpreter one-liners (python -c, perl -e, node -e, ...) and interpreter
// code fed on stdin are inspected: a shell-out with a literal command is
// analysed as Bash, a shell-out with a computed command asks, network use is
// egress, and every string literal is checked as a path.

// interpreterCode returns the program texts an interpreter command runs
// from its arguments (the catalogue's Code values: python -c, perl -e,
// awk's program) or from stdin, and whether some code cannot be seen. sed
// scripts are inspected by sedInspect.
func interpreterCode(c *shell.Command, call *catalog.Call) (codes []string, dynamic bool, isInterp bool) {
	if call.Prog == nil || call.Prog.Lang == "" || call.Prog.Lang == "sed" || call.Prog.Lang == "sh" {
		return nil, false, false
	}
	hasScript := false
	for _, a := range call.Args {
		switch a.Kind {
		case catalog.Code:
			w := c.Args[a.Index]
			if w.Dynamic && len(w.Values) == 0 && !a.Attached {
				dynamic = true
				continue
			}
			codes = append(codes, a.Value)
			hasScript = true
		case catalog.Script, catalog.Exec:
			if a.Value != "-" {
				hasScript = true
			}
		}
	}
	if call.Prog.Stdin != catalog.Code {
		return codes, dynamic, true
	}
	if c.Stdin != nil && !hasScript {
		codes = append(codes, c.Stdin.Value)
		if c.Stdin.Dynamic {
			dynamic = true
		}
	} else if c.StdinFromPipe && c.Stdin == nil && !hasScript {
		dynamic = true
	}
	return codes, dynamic, true
}

// Markers of shell-outs in interpreter code (any language: a marker from
// another language is harmless text).
var shellOutMarkers = []string{
	"os.system", "os.popen", "subprocess", "commands.getoutput", "pty.spawn", "os.exec", "os.spawn",
	"child_process", "execSync", "spawnSync", "execFile", "shell_exec", "passthru", "proc_open", "popen",
	"system(", "system ", "exec(", "IO.popen", "Open3", "%x", "qx", "`", "do shell script", "Runtime.getRuntime",
	"Deno.run", "Deno.Command", "Bun.spawn", "Start-Process", "Invoke-Expression", "iex ",
	"| getline", "|getline",
}

// Markers of recursive or file deletion in interpreter code.
var deleteMarkers = []string{
	"rmtree", "remove_tree", "rm_rf", "rm_r", "FileUtils.rm", "remove_dir_all", "rmSync", "rmdirSync", "rimraf",
	"os.remove", "os.unlink", "os.rmdir", "unlink(", "File.delete", "Files.delete", "Remove-Item",
	"fs.rm(", "fs.rmdir(", ".unlink(",
}

// Markers of network use in interpreter code.
var networkMarkers = []string{
	"socket", "urllib", "requests.", "import requests", "http.client", "httplib", "urlopen", "httpx", "aiohttp",
	"ftplib", "smtplib", "telnetlib", "paramiko", "pycurl", "websocket", "LWP", "HTTP::Tiny", "IO::Socket",
	"Net::", "net/http", "open-uri", "URI.open", "require('http", "require(\"http", "require('https",
	"require(\"https", "require('net'", "require(\"net\"", "require('dgram", "require('tls", "from 'http",
	"from \"http", "from 'node:http", "node:net", "node:https", "fetch(", "axios", "XMLHttpRequest", "WebSocket",
	"curl_init", "curl_exec", "fsockopen", "stream_socket_client", "file_get_contents('http",
	"file_get_contents(\"http", "Invoke-WebRequest", "Invoke-RestMethod", "Net.WebClient", "download.file",
	"url(", "/dev/tcp/", "download(",
}

// Markers of file writes in interpreter code: with one present, string
// literals are also checked as written paths.
var writeMarkers = []string{
	"'w'", "\"w\"", "'a'", "\"a\"", "'wb'", "\"wb\"", "writeFile", "write_text", "write_bytes", "File.write",
	"fs.write", "appendFile", "unlink", "os.remove", "shutil", "rename", "open(>", "'>'", "\">\"", "'>>'",
	"file_put_contents", "Set-Content", "Out-File",
}

// Markers of code that prints the whole environment.
var envDumpMarkers = []string{
	"(os.environ)", "(dict(os.environ))", "os.environ.items()", "os.environ.copy()", "json.dumps(dict(os.environ", "**os.environ",
	"process.env)", "JSON.stringify(process.env", "Object.keys(process.env", "Object.entries(process.env", "console.dir(process.env",
	"ENV.to_h", "ENV.each", "ENV.inspect", "p ENV", "puts ENV", "%ENV", "Deno.env.toObject", "getenv()", "$_ENV", "$_SERVER",
	"System.getenv()", "Sys.getenv()", "os.Environ()", "in ENVIRON)", "in ENVIRON )", "Bun.env)", "JSON.stringify(Bun.env",
}

// packageInstallMarkers are how code installs packages from inside an
// interpreter (R's install.packages, Julia's Pkg.add, pip's main).
var packageInstallMarkers = []string{
	"install.packages(", "install_github(", "BiocManager::install(", "pak::pkg_install(", "Pkg.add(", "Pkg.develop(",
	"pip.main(", "pip._internal", "Gem.install(", "Mix.install(",
}

// secretEnvAccessors are how code reads one environment variable, by
// language: the name follows, quoted or as an identifier.
var secretEnvAccessors = []string{
	"os.environ[", "os.environ.get(", "os.getenv(", "getenv(", "process.env.", "process.env[", "ENV[", "ENV.fetch(",
	"$ENV{", "ENVIRON[", "Deno.env.get(", "Bun.env.", "Bun.env[", "import.meta.env.", "System.getenv(", "Sys.getenv(", "os.Getenv(", "env::var(", "std::env::var(",
}

// secretEnvReads returns the variables named as secrets that code reads
// one by one (print(os.environ["STRIPE_SECRET_KEY"]), process.env.NPM_TOKEN).
func secretEnvReads(code string) []string {
	var out []string
	for _, acc := range secretEnvAccessors {
		for off := 0; ; {
			i := strings.Index(code[off:], acc)
			if i < 0 {
				break
			}
			j := off + i + len(acc)
			off = j
			for j < len(code) && (code[j] == '"' || code[j] == '\'' || code[j] == ' ' || code[j] == '\\') {
				j++
			}
			k := j
			for k < len(code) && isIdentByte(code[k]) {
				k++
			}
			if name := code[j:k]; name != "" && secretName(name) {
				out = append(out, name)
			}
		}
	}
	return out
}

// homeRef reports code that names the home directory (os.homedir(),
// $ENV{HOME}, Path.home(), expanduser("~")).
func homeRef(code string) bool {
	for _, m := range []string{"homedir()", "$ENV{HOME}", "ENV['HOME']", `ENV["HOME"]`, "Path.home()", `expanduser("~")`, "expanduser('~')",
		`os.environ["HOME"]`, "os.environ['HOME']", "process.env.HOME", "Dir.home", "UserHomeDir()", "getenv(\"HOME\")"} {
		if strings.Contains(code, m) {
			return true
		}
	}
	return false
}

// codeFinding is what inspecting one program text found.
type codeFinding struct {
	envDump  string   // the environment-dump marker seen
	network  string   // the network marker seen
	shellOut string   // a shell-out marker seen with a computed command
	commands []string // literal commands passed to shell-outs
	literals []string // string literals, checked as paths
	writes   bool     // a write marker was seen
	deletes  string   // the delete marker seen
}

func inspectCode(code string) codeFinding {
	var f codeFinding
	for _, m := range envDumpMarkers {
		if strings.Contains(code, m) {
			f.envDump = m
			break
		}
	}
	for _, m := range networkMarkers {
		if strings.Contains(code, m) {
			f.network = m
			break
		}
	}
	for _, m := range writeMarkers {
		if strings.Contains(code, m) {
			f.writes = true
			break
		}
	}
	f.literals = stringLiterals(code)
	for _, m := range deleteMarkers {
		if strings.Contains(code, m) {
			f.deletes = m
			break
		}
	}
	for _, m := range shellOutMarkers {
		i := strings.Index(code, m)
		if i < 0 {
			continue
		}
		if m == "`" {
			// Backticks run their content in perl, ruby, php; in JS they
			// are template strings. Either way analyse the content.
			if j := strings.IndexByte(code[i+1:], '`'); j >= 0 {
				f.commands = append(f.commands, code[i+1:i+1+j])
			}
			continue
		}
		if m == "qx" || m == "%x" {
			if i+2 < len(code) && strings.ContainsRune("({[/|!", rune(code[i+2])) {
				f.shellOut = m
			}
			continue
		}
		if callArgComputed(code, m) {
			f.shellOut = m
		}
	}
	if f.shellOut == "" {
		for _, m := range shellOutMarkers {
			if m != "`" && strings.Contains(code, m) {
				// Literal shell-outs: every literal may be (part of) the
				// command, and a list of literals is an argv.
				f.commands = append(f.commands, f.literals...)
				f.commands = append(f.commands, literalLists(code)...)
				break
			}
		}
	}
	return f
}

// callArgComputed reports whether some call through marker m (os.system,
// subprocess.run, exec(, ...) takes a first argument that is not a string
// or list literal. Mentions that are not calls (import subprocess) do not
// count.
func callArgComputed(code, m string) bool {
	for off := 0; ; {
		i := strings.Index(code[off:], m)
		if i < 0 {
			return false
		}
		j := off + i + len(m)
		off = j
		last := m[len(m)-1]
		if last != '(' && last != ' ' {
			// Follow an attribute chain: subprocess.run, os.popen.
			for j < len(code) && code[j] == '.' {
				j++
				for j < len(code) && (isIdentByte(code[j])) {
					j++
				}
			}
			for j < len(code) && (code[j] == ' ' || code[j] == '\t') {
				j++
			}
			if j >= len(code) || code[j] != '(' {
				continue
			}
			j++
		}
		for j < len(code) && strings.IndexByte(" \t[(", code[j]) >= 0 {
			j++
		}
		if j >= len(code) || code[j] != '\'' && code[j] != '"' {
			return true
		}
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// literalLists returns each [ 'a', "b", ... ] list of string literals
// joined with spaces: subprocess.run(["rm", "-rf", "/"]) runs "rm -rf /".
func literalLists(code string) []string {
	var out []string
	for i := 0; i < len(code); i++ {
		if code[i] != '[' {
			continue
		}
		j := strings.IndexByte(code[i:], ']')
		if j < 0 {
			break
		}
		inner := code[i+1 : i+j]
		if lits := stringLiterals(inner); len(lits) > 1 {
			out = append(out, strings.Join(lits, " "))
		}
		i += j
	}
	return out
}

// stringLiterals returns the contents of '...' and "..." literals with the
// common escapes decoded (\n, \t, \xHH, \NNN octal), so that
// "rm\x20-rf\x20/" reads as the command it is.
func stringLiterals(code string) []string {
	var out []string
	for i := 0; i < len(code); i++ {
		q := code[i]
		if q != '\'' && q != '"' {
			continue
		}
		var b strings.Builder
		j := i + 1
		for ; j < len(code) && code[j] != q; j++ {
			if code[j] != '\\' || j+1 >= len(code) {
				b.WriteByte(code[j])
				continue
			}
			j++
			switch c := code[j]; {
			case c == 'n':
				b.WriteByte('\n')
			case c == 't':
				b.WriteByte('\t')
			case c == 'x' && j+2 < len(code) && isHex(code[j+1]) && isHex(code[j+2]):
				b.WriteByte(unhex(code[j+1])<<4 | unhex(code[j+2]))
				j += 2
			case c >= '0' && c <= '7' && j+2 < len(code) && code[j+1] >= '0' && code[j+1] <= '7' && code[j+2] >= '0' && code[j+2] <= '7':
				b.WriteByte((c-'0')<<6 | (code[j+1]-'0')<<3 | (code[j+2] - '0'))
				j += 2
			default:
				b.WriteByte(c)
			}
		}
		if j >= len(code) {
			break
		}
		if b.Len() > 0 {
			out = append(out, b.String())
		}
		i = j
	}
	return out
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
