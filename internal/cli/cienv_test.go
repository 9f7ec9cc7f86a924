package cli

import (
	"strings"
	"testing"
)

func TestCIEnvCmd(t *testing.T) {
	github := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_WORKFLOW": "Agent fix, nightly", "GITHUB_JOB": "fix-tests",
		"GITHUB_RUN_ID": "1234567", "GITHUB_REPOSITORY": "acme/api", "GITHUB_REF_NAME": "feature/ünïcode",
		"GITHUB_SHA": "0123abcd", "GITHUB_ACTOR": "octo cat=1%",
	}
	gitlab := map[string]string{
		"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "schedule", "CI_JOB_NAME": "agent:fix",
		"CI_PIPELINE_ID": "42", "CI_PROJECT_PATH": "acme/platform/api", "CI_COMMIT_REF_NAME": "main",
		"CI_COMMIT_SHA": "feedbeef", "GITLAB_USER_LOGIN": "jdoe",
		"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=ci,ci.actor=spoofed",
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"GitHub", github, nil, ExitOK,
			"OTEL_RESOURCE_ATTRIBUTES=ci.provider=github,cicd.pipeline.name=Agent%20fix%2C%20nightly,cicd.pipeline.task.name=fix-tests," +
				"cicd.pipeline.run.id=1234567,vcs.repository.name=acme/api,vcs.ref.head.name=feature/%C3%BCn%C3%AFcode," +
				"vcs.ref.head.revision=0123abcd,ci.actor=octo%20cat%3D1%25\n"},
		{"GitLabShellKeepsOtherAttributes", gitlab, []string{"--shell"}, ExitOK,
			"export OTEL_RESOURCE_ATTRIBUTES='ci.provider=gitlab,cicd.pipeline.name=schedule,cicd.pipeline.task.name=agent:fix," +
				"cicd.pipeline.run.id=42,vcs.repository.name=acme/platform/api,vcs.ref.head.name=main," +
				"vcs.ref.head.revision=feedbeef,ci.actor=jdoe,deployment.environment=ci'\n"},
		{"NotCI", map[string]string{}, nil, ExitFailure, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.env, "", append([]string{"ci-env"}, tt.args...)...)
			if code != tt.code || stdout != tt.want {
				t.Errorf("exit %d, stdout\n%q\nwant exit %d,\n%q\nstderr %s", code, stdout, tt.code, tt.want, stderr)
			}
		})
	}
}

// TestEscapeResourceValue: every byte outside the safe set is encoded, and
// the encoding decodes back (as OTel SDKs percent-decode values).
func TestEscapeResourceValue(t *testing.T) {
	for _, s := range []string{"plain", "a,b=c;d e\"f\\g%h", "日本", "refs/heads/x@y:z+1", "it's"} {
		got := escapeResourceValue(s)
		if strings.ContainsAny(got, ",;= \"\\'") {
			t.Errorf("%q -> %q keeps a separator", s, got)
		}
		if dec := percentDecode(t, got); dec != s {
			t.Errorf("%q -> %q decodes to %q", s, got, dec)
		}
	}
}

func percentDecode(t *testing.T, s string) string {
	t.Helper()
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			var c byte
			for _, h := range s[i+1 : i+3] {
				c <<= 4
				switch {
				case h >= '0' && h <= '9':
					c |= byte(h - '0')
				case h >= 'A' && h <= 'F':
					c |= byte(h-'A') + 10
				default:
					t.Fatalf("bad escape in %q", s)
				}
			}
			b = append(b, c)
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}
