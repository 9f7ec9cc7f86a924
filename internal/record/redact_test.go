package record

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Secrets that must be masked.
		{"URLPassword", "git clone https://user:s3cret@github.com/org/repo.git",
			"git clone https://user:[REDACTED]@github.com/org/repo.git"},
		{"URLPasswordNoUser", "curl https://:s3cret@example.com/x",
			"curl https://:[REDACTED]@example.com/x"},
		{"AuthorizationBearer", "curl -H 'Authorization: Bearer abc.def.ghi' https://api.example.com",
			"curl -H 'Authorization: Bearer [REDACTED]' https://api.example.com"},
		{"AuthorizationToken", `wget --header="Authorization: token abc123" https://x`,
			`wget --header="Authorization: token [REDACTED]" https://x`},
		{"ProxyAuthorization", `curl -H "Proxy-Authorization: Basic dXNlcjpwYXNz" http://x`,
			`curl -H "Proxy-Authorization: Basic [REDACTED]" http://x`},
		{"AuthorizationInGitConfig", `git -c http.extraHeader="Authorization: Basic abc" fetch`,
			`git -c http.extraHeader="Authorization: Basic [REDACTED]" fetch`},
		{"AuthorizationInEnvHeaders", "OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer test-token' claude",
			"OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer [REDACTED]' claude"},
		{"Cookie", "curl -H 'Cookie: session=abc123; theme=dark' https://x",
			"curl -H 'Cookie: [REDACTED]' https://x"},
		{"PasswordFlagSpace", "mysqladmin --password hunter2 status",
			"mysqladmin --password [REDACTED] status"},
		{"PasswordFlagEquals", "psql --password=hunter2 -h db",
			"psql --password=[REDACTED] -h db"},
		{"PasswordFlagQuoted", `tool --password "two words" run`,
			`tool --password [REDACTED] run`},
		{"TokenFlag", "vault login --token s.abcdef123",
			"vault login --token [REDACTED]"},
		{"PrefixedTokenFlag", "deploy --github-token=abc123 --env prod",
			"deploy --github-token=[REDACTED] --env prod"},
		{"APIKeyFlag", "llm --api-key abc123 prompt",
			"llm --api-key [REDACTED] prompt"},
		{"CurlUser", "curl -u admin:hunter2 https://x",
			"curl -u admin:[REDACTED] https://x"},
		{"CurlUserAttached", "curl -uadmin:hunter2 https://x",
			"curl -uadmin:[REDACTED] https://x"},
		{"CurlUserLong", "curl --user 'admin:hunter2' https://x",
			"curl --user 'admin:[REDACTED]' https://x"},
		{"MySQLAttached", "mysql -u root -phunter2 shop",
			"mysql -u root -p[REDACTED] shop"},
		{"MySQLDump", "mysqldump -h db -p'hunter 2' shop > dump.sql",
			"mysqldump -h db -p[REDACTED] shop > dump.sql"},
		{"SSHPass", "sshpass -p hunter2 ssh host",
			"sshpass -p [REDACTED] ssh host"},
		{"DockerLogin", "docker login -u bob -p hunter2 registry.example.com",
			"docker login -u bob -p [REDACTED] registry.example.com"},
		{"EnvToken", "GITHUB_TOKEN=abc123 gh pr list",
			"GITHUB_TOKEN=[REDACTED] gh pr list"},
		{"ExportSecretQuoted", "export AWS_SECRET_ACCESS_KEY='wJalr/K7MDENG'",
			"export AWS_SECRET_ACCESS_KEY=[REDACTED]"},
		{"EnvPasswordDoubleQuoted", `DB_PASSWORD="p@ss word" ./run`,
			`DB_PASSWORD=[REDACTED] ./run`},
		{"LowerCaseKey", "my_api_key=xyz node app.js",
			"my_api_key=[REDACTED] node app.js"},
		{"SessionKey", "SESSION_ID=abc ./client",
			"SESSION_ID=[REDACTED] ./client"},
		{"CredentialKey", "GOOGLE_APPLICATION_CREDENTIALS=key.json ./run",
			"GOOGLE_APPLICATION_CREDENTIALS=[REDACTED] ./run"},
		{"QueryToken", "curl 'https://api.example.com/v1?access_token=abc123&page=2'",
			"curl 'https://api.example.com/v1?access_token=[REDACTED]&page=2'"},
		{"JSONBody", `curl -d '{"username":"bob","password":"hunter2"}' https://x`,
			`curl -d '{"username":"bob","password":"[REDACTED]"}' https://x`},
		{"GitHubPAT", "echo ghp_0123456789abcdefghij0123456789abcdef",
			"echo [REDACTED]"},
		{"GitHubFineGrained", "gh auth status github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
			"gh auth status [REDACTED]"},
		{"GitHubOAuth", "echo gho_0123456789abcdefghij0123456789abcdef | gh auth login --with-token",
			"echo [REDACTED] | gh auth login --with-token"},
		{"TokenInURLUser", "git clone https://ghp_0123456789abcdefghij0123456789abcdef@github.com/o/r",
			"git clone https://[REDACTED]@github.com/o/r"},
		{"OpenAIKey", "python run.py sk-proj-abcdefghijklmnopqrstuvwx",
			"python run.py [REDACTED]"},
		{"AnthropicKeyInAssignment", "export ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
			"export ANTHROPIC_API_KEY=[REDACTED]"},
		{"Slack", "echo xoxb-123456789012-abcdefghijkl",
			"echo [REDACTED]"},
		{"AWSAccessKeyID", "aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE",
			"aws configure set aws_access_key_id [REDACTED]"},
		{"JWT", `curl -b "jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abc_DEF-123" https://x`,
			`curl -b "jwt=[REDACTED]" https://x`},
		{"BareBearer", `echo "Bearer abcdefghijkl"`,
			`echo "Bearer [REDACTED]"`},
		{"PrivateKey", "printf '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n' > id_rsa",
			"printf '[REDACTED PRIVATE KEY]\n' > id_rsa"},
		{"PrivateKeyUnterminated", "echo '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk",
			"echo '[REDACTED PRIVATE KEY]"},
		{"Several", "curl -u a:b -H 'Authorization: Bearer xyz12345' 'https://u:p@h/?token=t'",
			"curl -u a:[REDACTED] -H 'Authorization: Bearer [REDACTED]' 'https://u:[REDACTED]@h/?token=[REDACTED]'"},

		// Ordinary commands that must stay exactly as they are.
		{"Echo", "echo hi", "echo hi"},
		{"Empty", "", ""},
		{"List", "ls -la /home/dev/app", "ls -la /home/dev/app"},
		{"CommitMessage", `git commit -m "fix authorization check"`, `git commit -m "fix authorization check"`},
		{"GitAuthorFlag", "git log --author=bob", "git log --author=bob"},
		{"GitAuthorEnv", "GIT_AUTHOR_NAME=bob git commit", "GIT_AUTHOR_NAME=bob git commit"},
		{"MkdirP", "mkdir -p /tmp/x", "mkdir -p /tmp/x"},
		{"DockerPorts", "docker run -p 8080:80 -u 1000:1000 nginx", "docker run -p 8080:80 -u 1000:1000 nginx"},
		{"SSHPort", "ssh -p 2222 host", "ssh -p 2222 host"},
		{"GoTestRun", "go test -run=TestAuth ./...", "go test -run=TestAuth ./..."},
		{"ScikitLearn", "pip install scikit-learn", "pip install scikit-learn"},
		{"NpmMode", "npm run build -- --mode=production", "npm run build -- --mode=production"},
		{"GitPushU", "git push -u origin main", "git push -u origin main"},
		{"PlainURL", "curl https://example.com/path?page=2", "curl https://example.com/path?page=2"},
		{"GrepToken", `find . -name '*.go' | xargs grep -n "token"`, `find . -name '*.go' | xargs grep -n "token"`},
		{"GrepPassword", `grep -r "password" .`, `grep -r "password" .`},
		{"CatEnv", "cat .env | head -1", "cat .env | head -1"},
		{"KubectlSecrets", "kubectl get secrets -n prod", "kubectl get secrets -n prod"},
		{"EchoVariable", "echo $GITHUB_TOKEN", "echo $GITHUB_TOKEN"},
		{"AssignSubstitution", "TOKEN=$(cat ~/.token) make deploy", "TOKEN=$(cat ~/.token) make deploy"},
		{"AssignVariable", `GH_TOKEN="$CI_TOKEN" gh release list`, `GH_TOKEN="$CI_TOKEN" gh release list`},
		{"HeaderVariable", `curl -H "Authorization: Bearer $TOKEN" https://x`, `curl -H "Authorization: Bearer $TOKEN" https://x`},
		{"MySQLPrompt", "mysql -u root -p shop", "mysql -u root -p shop"},
		{"CheckoutBranch", "git checkout -b feature/auth", "git checkout -b feature/auth"},
		{"SSHClone", "git clone git@github.com:org/repo.git", "git clone git@github.com:org/repo.git"},
		{"PasswordStdin", "docker login --password-stdin < pw.txt", "docker login --password-stdin < pw.txt"},
		{"NoPassword", "pg_dump --no-password shop", "pg_dump --no-password shop"},
		{"WithTokenStdin", "gh auth login --with-token < token.txt", "gh auth login --with-token < token.txt"},
		{"ShortSk", "echo sk-short", "echo sk-short"},
		{"JSONOrdinary", `echo '{"name":"welcome","text":"hi"}'`, `echo '{"name":"welcome","text":"hi"}'`},
		{"Heredoc", "cat <<'EOF' > notes.txt\nhello\nEOF", "cat <<'EOF' > notes.txt\nhello\nEOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Redact(tt.in)
			if got != tt.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if again := Redact(got); again != got {
				t.Errorf("Redact is not idempotent on %q: %q", got, again)
			}
		})
	}
}

func TestSecretKey(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"GITHUB_TOKEN", true},
		{"aws_secret_access_key", true},
		{"DB_PASSWD", true},
		{"PGPASS", true},
		{"OPENAI_API_KEY", true},
		{"api-key", true},
		{"my.apikey", true},
		{"AWS_ACCESS_KEY_ID", true},
		{"SSH_PRIVATE_KEY", true},
		{"GOOGLE_APPLICATION_CREDENTIALS", true},
		{"NPM_AUTH", true},
		{"Authorization", true},
		{"session", true},
		{"cookie_jar", true},
		{"GIT_AUTHOR_NAME", false},
		{"author", false},
		{"PATH", false},
		{"HOME", false},
		{"NODE_ENV", false},
		{"mode", false},
	}
	for _, tt := range tests {
		if got := SecretKey(tt.name); got != tt.want {
			t.Errorf("SecretKey(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNormalizeCommand(t *testing.T) {
	t.Run("TrimsAndRedacts", func(t *testing.T) {
		got := NormalizeCommand("  GITHUB_TOKEN=abc gh pr list\n")
		if want := "GITHUB_TOKEN=[REDACTED] gh pr list"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("Bounded", func(t *testing.T) {
		long := "echo " + strings.Repeat("é", MaxCommandBytes)
		got := NormalizeCommand(long)
		if len(got) > MaxCommandBytes {
			t.Errorf("len = %d, want <= %d", len(got), MaxCommandBytes)
		}
		if !strings.HasSuffix(got, " bytes]") || !strings.HasPrefix(got, "echo é") {
			t.Errorf("unexpected cut: %q...%q", got[:10], got[len(got)-20:])
		}
	})
	t.Run("RedactsBeforeCutting", func(t *testing.T) {
		// A secret straddling the cut must not survive in part.
		cmd := strings.Repeat("x", MaxCommandBytes-40) + " TOKEN=" + strings.Repeat("s", 100)
		if got := NormalizeCommand(cmd); strings.Contains(got, "sss") {
			t.Errorf("partial secret kept: ...%q", got[len(got)-60:])
		}
	})
}

func TestRedactBounded(t *testing.T) {
	t.Run("HugeInput", func(t *testing.T) {
		in := "TOKEN=abc " + strings.Repeat("-u a:b ", 150000)
		got := RedactBounded(in, 100)
		if len(got) > 100 {
			t.Errorf("len = %d, want <= 100", len(got))
		}
		if !strings.HasPrefix(got, "TOKEN=[REDACTED] -u a:[REDACTED]") {
			t.Errorf("got %q", got)
		}
		// Everything after the kept prefix is counted as dropped.
		kept := got[:strings.Index(got, "…[")]
		if want := "…[" + strconv.Itoa(len(Redact(in[:200]))-len(kept)+len(in)-200) + " bytes]"; !strings.HasSuffix(got, want) {
			t.Errorf("got %q, want suffix %q", got, want)
		}
	})
	t.Run("UnterminatedQuoteAtCut", func(t *testing.T) {
		in := "tool --password '" + strings.Repeat("s", 500)
		if got := RedactBounded(in, 100); strings.Contains(got, "sss") {
			t.Errorf("partial secret kept: %q", got)
		}
	})
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{strings.Repeat("a", 40), 30, "aaaaaa…[34 bytes]"},
		{strings.Repeat("é", 20), 30, "ééé…[34 bytes]"},
	}
	for _, tt := range tests {
		if got := Truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

// fuzzSecrets are one secret of each shape Redact must always remove,
// whatever text surrounds it.
var fuzzSecrets = [...]string{
	"ghp_Fz0123456789abcdefghij0123456789ab",
	"github_pat_11FZ0123456789_abcdefghijklmnop",
	"sk-ant-api03-Fz0123456789abcdefghijkl",
	"xoxb-123456789012-Fzabcdefghij",
	"AKIAFZ0123456789ABCD",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmejEyMzQifQ.Fz_sig-0123",
	"glpat-Fz0123456789abcdefghij",
	"npm_Fz0123456789abcdefghij0123456789abcd",
	"AIzaFz0123456789abcdefghij0123456789abcde",
	"sk_live_Fz0123456789abcdef",
	"-----BEGIN RSA PRIVATE KEY-----\nMIIFzSecretKeyBody0123\n-----END RSA PRIVATE KEY-----",
}

// FuzzRedact checks three properties on any text: Redact is idempotent, a
// known secret shape placed anywhere in the text, between spaces, is gone
// from the result (a Redact that does nothing fails at once), and the
// plainShort shortcut skips only text the rules leave alone.
func FuzzRedact(f *testing.F) {
	for i, s := range []string{
		"curl -u a:b -H 'Authorization: Bearer xyz12345' 'https://u:p@h/?token=t'",
		`curl -d '{"password":"x"}' https://x`,
		"mysql -phunter2", "sshpass -p x ssh h", "GITHUB_TOKEN=abc gh",
		"echo ghp_0123456789abcdefghij0123456789abcdef", "echo hi", "",
		"--password '", `{"token": "`, "-u ", "https://u:", "Authorization: ",
	} {
		f.Add(s, uint16(len(s)/2), uint8(i))
	}
	f.Fuzz(func(t *testing.T, s string, at uint16, which uint8) {
		got := Redact(s)
		if again := Redact(got); again != got {
			t.Errorf("not idempotent:\n in %q\n 1st %q\n 2nd %q", s, got, again)
		}
		if plainShort(s) && redact(s) != s {
			t.Errorf("plainShort skips %q, which the rules change to %q", s, redact(s))
		}
		secret := fuzzSecrets[int(which)%len(fuzzSecrets)]
		i := int(at) % (len(s) + 1)
		in := s[:i] + " " + secret + " " + s[i:]
		if out := Redact(in); strings.Contains(out, secret) {
			t.Errorf("secret kept:\n in %q\n out %q", in, out)
		}
	})
}

func BenchmarkRedact(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"Plain", "git status && go test ./..."},
		{"Secrets", "GITHUB_TOKEN=abc curl -H 'Authorization: Bearer abc.def' https://u:p@api.example.com/?x=1"},
		{"WorstCaseBounded", strings.Repeat("-u a:b ", 150000)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				RedactBounded(bc.in, MaxCommandBytes)
			}
		})
	}
}

func TestRedactAttrs(t *testing.T) {
	const tok = "ghp_0123456789abcdefghij0123456789abcdef"
	attrs := map[string]any{
		"error":          "push failed: " + tok,
		"db.password":    "hunter2",
		"api_key":        "$API_KEY",
		"api_key_source": "user",
		"input_tokens":   int64(12),
		"session.id":     "s-1",
		"nested":         map[string]any{"list": []any{"Bearer abcdefghijkl", 3.5}, "auth_token": "abc"},
		"prompt":         "keep " + tok,
	}
	RedactAttrs(attrs, func(k string) bool { return k == "prompt" })
	want := map[string]any{
		"error":          "push failed: " + Redacted,
		"db.password":    Redacted,
		"api_key":        "$API_KEY",
		"api_key_source": "user",
		"input_tokens":   int64(12),
		"session.id":     "s-1",
		"nested":         map[string]any{"list": []any{"Bearer " + Redacted, 3.5}, "auth_token": Redacted},
		"prompt":         "keep " + tok,
	}
	if !reflect.DeepEqual(attrs, want) {
		t.Errorf("got  %v\nwant %v", attrs, want)
	}
}

func TestSecretAttr(t *testing.T) {
	for key, want := range map[string]bool{
		"password": true, "db.password": true, "api_key": true, "ci.auth_token": true, "x-api-key": true,
		"session.id": false, "input_tokens": false, "api_key_source": false, "auth.type": false, "token_type": false,
		"error": false, "model": false, "author": false,
	} {
		if got := SecretAttr(key); got != want {
			t.Errorf("SecretAttr(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestRedactAudit(t *testing.T) {
	const tok = "ghp_0123456789abcdefghij0123456789abcdef"
	ev := AuditEventV1{EventID: "e-" + tok, SessionID: "s", Decision: DecisionDeny,
		Command: "echo " + tok, Reason: "saw " + tok, Error: "fatal: " + tok, URL: "https://u:pw@h/x",
		Repository: "https://x:" + tok + "@github.com/o/r", FilePath: "/tmp/" + tok,
		Root: "/tmp/" + tok, Reads: []string{"/tmp/" + tok}, Writes: []string{"/w/" + tok}, Unmodelled: []string{tok}}
	for range MaxTouchedPaths + 5 {
		ev.Writes = append(ev.Writes, "/w/"+strings.Repeat("y", 4*MaxTouchedPathBytes))
	}
	RedactAudit(&ev)
	if len(ev.Writes) != MaxTouchedPaths || ev.PathsOmitted != 6 {
		t.Errorf("writes not bounded: %d kept, %d omitted", len(ev.Writes), ev.PathsOmitted)
	}
	for _, w := range ev.Writes {
		if len(w) > MaxTouchedPathBytes {
			t.Errorf("write path of %d bytes kept", len(w))
		}
	}
	if ev.EventID != "e-"+tok {
		t.Errorf("event_id changed: %q", ev.EventID)
	}
	for name, v := range map[string]string{"command": ev.Command, "reason": ev.Reason, "error": ev.Error,
		"url": ev.URL, "repository": ev.Repository, "file_path": ev.FilePath, "root": ev.Root,
		"reads": ev.Reads[0], "writes": ev.Writes[0], "unmodelled": ev.Unmodelled[0]} {
		if strings.Contains(v, tok) || strings.Contains(v, ":pw@") || !strings.Contains(v, Redacted) {
			t.Errorf("%s: %q", name, v)
		}
	}
}
