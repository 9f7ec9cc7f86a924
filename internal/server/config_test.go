package server

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// goType finds what a user of the configuration should never read: a Go
// type name or a YAML tag.
var goType = regexp.MustCompile(`server\.Config|time\.Duration|\binto (int|bool|string)\b|!!\w+|unmarshal`)

func baseConfig() Config {
	return DefaultConfig(func(string) string { return "" }, "/home/dev")
}

func parseFile(t *testing.T, path string) (Config, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := baseConfig()
	if err := ParseConfig(f, &c); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// TestConfig_Good: every file in testdata/config/good decodes and
// validates.
func TestConfig_Good(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "config", "good", "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no good configs")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			if _, err := parseFile(t, file); err != nil {
				t.Error(err)
			}
		})
	}
	c, _ := parseFile(t, filepath.Join("testdata", "config", "good", "full.yaml"))
	if c.RetentionDays != 180 || c.RetentionInterval != 30*time.Minute || c.DecideTimeout != 3*time.Second || c.Tier != "production-adjacent" ||
		!c.RequireSignedAudit {
		t.Errorf("full.yaml decoded as %+v", c)
	}
}

// TestConfig_Bad: every file in testdata/config/bad fails with a message
// naming the field (Prometheus TestBadConfigs).
func TestConfig_Bad(t *testing.T) {
	want := map[string]string{
		"unknown-key.yaml":        `line 2: unknown key "retention_dayz" (did you mean "retention_days"?)`,
		"unknown-far.yaml":        `line 1: unknown key "bananas" (valid keys: addr, alert_webhook_url, alerts_jsonl, alerts_otlp_endpoint, data_dir,`,
		"several.yaml":            `line 1: unknown key "adr" (did you mean "addr"?); line 2: log_level: a list is not a string; line 3: keep_content: "sometimes" is not true or false; line 4: log_level given again (first on line 2)`,
		"wrong-type.yaml":         `line 1: retention_days: "ninety" is not a whole number`,
		"bad-duration.yaml":       `line 1: decide_timeout: "2 seconds" is not a duration (e.g. 30s, 5m, 1h)`,
		"addr.yaml":               `addr: "localhost": want host:port`,
		"port.yaml":               `addr: "127.0.0.1:99999": port "99999" is not a number from 0 to 65535`,
		"same-port.yaml":          `grpc_addr: "127.0.0.1:8844" is also addr`,
		"tls-half.yaml":           "tls_cert: tls_cert and tls_key go together",
		"retention.yaml":          "retention_days: -1: want 0 (keep everything) to 36500",
		"retention-interval.yaml": "retention_interval: 1s: want at least 1m",
		"decide-timeout.yaml":     "decide_timeout: 0s: want more than 0",
		"log-level.yaml":          `log_level: "verbose": want one of debug, info, warn, error`,
		"database-url.yaml":       "database_url: not a postgres:// URL",
		"data-dir.yaml":           `data_dir: "relative/dir" is not an absolute path`,
		"require-signed.yaml":     `line 1: require_signed_audit: "once enrolled" is not true or false`,
		"not-a-mapping.yaml":      "line 1: want a mapping of keys to values (addr: 127.0.0.1:8844, ...), not a list",
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "config", "bad", "*.yaml"))
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("no expected error for %s", name)
			}
			_, err := parseFile(t, file)
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("error %v, want it to contain %q", err, w)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows the database password: %v", err)
			}
			if err != nil && goType.MatchString(err.Error()) {
				t.Errorf("error names a Go type or YAML tag: %v", err)
			}
		})
	}
	if len(files) != len(want) {
		t.Errorf("%d bad configs, %d expectations", len(files), len(want))
	}
}

// TestConfig_AllErrors: Validate reports every bad field, not the first.
func TestConfig_AllErrors(t *testing.T) {
	c := baseConfig()
	c.Addr, c.RetentionDays, c.LogLevel = "x", -5, "loud"
	err := c.Validate()
	ve, ok := err.(*ValidationError)
	if !ok || len(ve.Fields) != 3 {
		t.Fatalf("%v, want three field errors", err)
	}
}

func TestConfig_Env(t *testing.T) {
	env := map[string]string{
		"WARDEN_ADDR": "0.0.0.0:9000", "WARDEN_DATA_DIR": "/srv/warden", "WARDEN_RETENTION_DAYS": "7",
		"WARDEN_KEEP_CONTENT": "true", "WARDEN_DECIDE_TIMEOUT": "5s", "WARDEN_DATABASE_URL": "postgres://w@db/w",
	}
	c := baseConfig()
	if err := c.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.DataDir != "/srv/warden" || c.RetentionDays != 7 || !c.KeepContent ||
		c.DecideTimeout != 5*time.Second || c.DatabaseURL != "postgres://w@db/w" || c.GRPCAddr != DefaultGRPCAddr {
		t.Errorf("%+v", c)
	}
	bad := map[string]string{"WARDEN_RETENTION_DAYS": "lots", "WARDEN_KEEP_CONTENT": "maybe", "WARDEN_SHUTDOWN_TIMEOUT": "soon"}
	err := c.ApplyEnv(func(k string) string { return bad[k] })
	for _, want := range []string{"retention_days (WARDEN_RETENTION_DAYS)", "keep_content (WARDEN_KEEP_CONTENT)", "shutdown_timeout (WARDEN_SHUTDOWN_TIMEOUT)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to name %s", err, want)
		}
	}
}

func TestDefaultConfig_DataDir(t *testing.T) {
	for _, tc := range []struct {
		xdg, home, want string
	}{
		{"/x/state", "/home/a", "/x/state/warden"},
		{"", "/home/a", "/home/a/.local/state/warden"},
		{"relative", "/home/a", "/home/a/.local/state/warden"},
		{"", "", ""},
	} {
		c := DefaultConfig(func(k string) string {
			if k == "XDG_STATE_HOME" {
				return tc.xdg
			}
			return ""
		}, tc.home)
		if c.DataDir != tc.want {
			t.Errorf("XDG_STATE_HOME=%q HOME=%q: %q, want %q", tc.xdg, tc.home, c.DataDir, tc.want)
		}
	}
	if c := baseConfig(); c.Validate() != nil {
		err := c.Validate()
		t.Errorf("defaults do not validate: %v", err)
	}
}
