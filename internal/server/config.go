package server

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden/internal/policy"
)

// Defaults of a Config.
const (
	// DefaultAddr is the HTTP listener: the API, OTLP/HTTP, audit and
	// central decisions. 8844 is unassigned; OTLP/HTTP's usual 4318 is
	// left to a Collector that may run beside Warden.
	DefaultAddr = "127.0.0.1:8844"
	// DefaultGRPCAddr is the OTLP/gRPC listener, on OTLP's registered
	// port.
	DefaultGRPCAddr          = "127.0.0.1:4317"
	DefaultRetentionDays     = 90
	DefaultRetentionInterval = time.Hour
	DefaultDecideTimeout     = 2 * time.Second
	DefaultShutdownTimeout   = 20 * time.Second
	DefaultLogLevel          = "info"
	// DefaultMemoryBudgetMiB fits a replica of 1 GiB with room for what
	// the budget does not count (the runtime, SQLite's page cache).
	DefaultMemoryBudgetMiB = 768
	// MinMemoryBudgetMiB is the smallest budget: the server's own working
	// set (about 60 MiB) and a few requests.
	MinMemoryBudgetMiB = 128
)

// Config is the server's configuration: DefaultConfig, then a YAML file
// (ParseConfig), then WARDEN_* environment variables (ApplyEnv), then
// flags; Validate checks the result. YAML keys, environment variables and
// flags name the same fields:
//
//	addr                WARDEN_ADDR                --addr
//	grpc_addr           WARDEN_GRPC_ADDR           --grpc-addr (--grpc-addr "" disables gRPC)
//	data_dir            WARDEN_DATA_DIR            --data-dir
//	database_url        WARDEN_DATABASE_URL        --database-url
//	policy              WARDEN_POLICY              --policy
//	tier                WARDEN_TIER                --tier
//	tls_cert, tls_key   WARDEN_TLS_CERT, _KEY      --tls-cert, --tls-key
//	retention_days      WARDEN_RETENTION_DAYS      --retention-days (0 keeps everything)
//	retention_interval  WARDEN_RETENTION_INTERVAL  --retention-interval
//	keep_content        WARDEN_KEEP_CONTENT        --keep-content
//	decide_timeout      WARDEN_DECIDE_TIMEOUT      --decide-timeout
//	shutdown_timeout    WARDEN_SHUTDOWN_TIMEOUT    --shutdown-timeout
//	log_level           WARDEN_LOG_LEVEL           --log-level
//	memory_budget_mib   WARDEN_MEMORY_BUDGET_MIB   --memory-budget-mib
//	rules               WARDEN_RULES               --rules ("builtin", "none" or a directory)
//	detect_interval     WARDEN_DETECT_INTERVAL     --detect-interval
//	detect_lateness     WARDEN_DETECT_LATENESS     --detect-lateness
//	alert_webhook_url   WARDEN_ALERT_WEBHOOK_URL   --alert-webhook-url (secret: WARDEN_ALERT_WEBHOOK_SECRET only)
//	alerts_jsonl        WARDEN_ALERTS_JSONL        --alerts-jsonl
//	alerts_otlp_endpoint WARDEN_ALERTS_OTLP_ENDPOINT --alerts-otlp-endpoint (token: WARDEN_ALERTS_OTLP_TOKEN only)
//	require_signed_audit WARDEN_REQUIRE_SIGNED_AUDIT --require-signed-audit
type Config struct {
	// Addr is the HTTP listen address.
	Addr string `yaml:"addr"`
	// GRPCAddr is the OTLP/gRPC listen address; empty disables gRPC.
	GRPCAddr string `yaml:"grpc_addr"`
	// DataDir holds the SQLite database when DatabaseURL is empty.
	DataDir string `yaml:"data_dir"`
	// DatabaseURL selects PostgreSQL (postgres:// URL or key=value string).
	DatabaseURL string `yaml:"database_url"`
	// Policy is the policy file decisions use; empty or "baseline" is the
	// built-in baseline.
	Policy string `yaml:"policy"`
	// Tier is the tier of central decisions whose request names none;
	// empty is the policy's default tier.
	Tier string `yaml:"tier"`
	// TLSCert and TLSKey are PEM files; set both to serve HTTPS and gRPC
	// over TLS.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// RetentionDays deletes sessions whose last event is older; 0 keeps
	// everything.
	RetentionDays int `yaml:"retention_days"`
	// RetentionInterval is how often retention runs.
	RetentionInterval time.Duration `yaml:"retention_interval"`
	// KeepContent keeps prompt text, tool input and unredacted commands
	// that Claude Code sends when OTEL_LOG_USER_PROMPTS or
	// OTEL_LOG_TOOL_DETAILS is on; off, they are dropped at ingest.
	KeepContent bool `yaml:"keep_content"`
	// DecideTimeout bounds a central decision; past it the answer is deny.
	DecideTimeout time.Duration `yaml:"decide_timeout"`
	// ShutdownTimeout bounds the drain of in-flight requests at shutdown.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// MemoryBudgetMiB is the memory the server may use, in MiB: three
	// eighths of it is the budget every request body reserves from before
	// it is read, inflated and decoded (IngestBudget), and warden serve
	// sets the Go runtime's memory limit to three quarters of it
	// (MemoryLimit) unless GOMEMLIMIT is set.
	MemoryBudgetMiB int `yaml:"memory_budget_mib"`
	// Rules is the directory of detection rules: "builtin" (or empty) is
	// the built-in pack, "none" turns detection off.
	Rules string `yaml:"rules"`
	// DetectInterval is how often sessions with new events are evaluated.
	DetectInterval time.Duration `yaml:"detect_interval"`
	// DetectLateness is how long an absence rule waits for late events
	// past its window.
	DetectLateness time.Duration `yaml:"detect_lateness"`
	// AlertWebhookURL receives new alerts as JSON (signed with
	// $WARDEN_ALERT_WEBHOOK_SECRET); empty sends none.
	AlertWebhookURL string `yaml:"alert_webhook_url"`
	// AlertsJSONL is a file new alerts are appended to, one JSON object
	// per line; empty writes none.
	AlertsJSONL string `yaml:"alerts_jsonl"`
	// AlertsOTLPEndpoint is an OTLP/HTTP collector's base URL new alerts
	// are sent to as log records (protobuf, to /v1/logs); empty sends none.
	AlertsOTLPEndpoint string `yaml:"alerts_otlp_endpoint"`
	// RequireSignedAudit refuses audit events that are not signed by an
	// enrolled device (warden enroll): POST /v1/audit with one answers 403
	// and stores nothing. Off, they are stored and marked unverified, for
	// a fleet that is still being enrolled. OTLP is not affected.
	RequireSignedAudit bool `yaml:"require_signed_audit"`
}

// IngestBudget is the byte budget shared by in-flight request bodies:
// three eighths of MemoryBudgetMiB (288 MiB of the default 768, room for
// the largest body: 64 MiB inflated, with what it decodes into). The rest
// is the server's working set, garbage awaiting collection (MemoryLimit
// leaves the collector room above what is live) and memory the runtime
// does not count.
func (c *Config) IngestBudget() int64 { return int64(c.MemoryBudgetMiB) << 20 * 3 / 8 }

// MemoryLimit is the Go runtime's memory limit warden serve sets (unless
// GOMEMLIMIT is set): three quarters of MemoryBudgetMiB, the last quarter
// left for memory the runtime does not count (SQLite's page caches, the C
// stacks of its threads) and for the runtime overshooting its soft limit.
func (c *Config) MemoryLimit() int64 { return int64(c.MemoryBudgetMiB) << 20 * 3 / 4 }

// DefaultConfig returns the defaults. The data directory is
// $XDG_STATE_HOME/warden, else ~/.local/state/warden, from getenv and
// home (left empty when neither is known).
func DefaultConfig(getenv func(string) string, home string) Config {
	dir := ""
	if x := getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		dir = filepath.Join(x, "warden")
	} else if home != "" {
		dir = filepath.Join(home, ".local", "state", "warden")
	}
	return Config{
		Addr:              DefaultAddr,
		GRPCAddr:          DefaultGRPCAddr,
		DataDir:           dir,
		RetentionDays:     DefaultRetentionDays,
		RetentionInterval: DefaultRetentionInterval,
		DecideTimeout:     DefaultDecideTimeout,
		ShutdownTimeout:   DefaultShutdownTimeout,
		LogLevel:          DefaultLogLevel,
		MemoryBudgetMiB:   DefaultMemoryBudgetMiB,
		Rules:             "builtin",
		DetectInterval:    DefaultDetectInterval,
		DetectLateness:    DefaultDetectLateness,
	}
}

// MaxConfigBytes bounds a configuration file.
const MaxConfigBytes = 1 << 20

// ParseConfig decodes a YAML configuration over c's values. Decoding is
// strict and every problem is reported, each naming its line and key: an
// unknown key (a typo) with the nearest valid one, a value of the wrong
// type with the kind of value the key wants. No message names a Go type.
func ParseConfig(r io.Reader, c *Config) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxConfigBytes+1))
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if len(data) > MaxConfigBytes {
		return fmt.Errorf("config larger than %d bytes", MaxConfigBytes)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if len(root.Content) == 0 {
		return nil // empty: the defaults
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return fmt.Errorf("config: line %d: want a mapping of keys to values (addr: 127.0.0.1:8844, ...), not %s", doc.Line, nodeKind(doc))
	}
	fields := configFields()
	v := reflect.ValueOf(c).Elem()
	var errs []string
	seen := map[string]int{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, val := doc.Content[i], doc.Content[i+1]
		key := k.Value
		f, ok := fields[key]
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("line %d: unknown key %q%s", k.Line, truncate(key, 64), suggestKey(key, fields)))
			continue
		case seen[key] != 0:
			errs = append(errs, fmt.Sprintf("line %d: %s given again (first on line %d)", k.Line, key, seen[key]))
			continue
		}
		seen[key] = k.Line
		ptr := reflect.New(f.Type)
		if err := val.Decode(ptr.Interface()); err != nil {
			errs = append(errs, fmt.Sprintf("line %d: %s: %s is not %s", val.Line, key, nodeValue(val), describeType(f.Type)))
			continue
		}
		v.FieldByIndex(f.Index).Set(ptr.Elem())
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %s", strings.Join(errs, "; "))
	}
	return nil
}

// configFields maps the YAML keys of Config to their fields.
func configFields() map[string]reflect.StructField {
	t := reflect.TypeFor[Config]()
	out := make(map[string]reflect.StructField, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if key, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); key != "" && key != "-" {
			out[key] = f
		}
	}
	return out
}

// suggestKey names the valid key nearest to key when it looks like a typo
// of it, else lists the valid keys.
func suggestKey(key string, fields map[string]reflect.StructField) string {
	keys := slices.Sorted(maps.Keys(fields))
	best, dist := "", -1
	for _, k := range keys {
		if d := policy.EditDistance(strings.ToLower(key), k); dist < 0 || d < dist {
			best, dist = k, d
		}
	}
	if dist >= 0 && dist <= max(2, len(best)/3) {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return " (valid keys: " + strings.Join(keys, ", ") + ")"
}

// describeType says what kind of value a field of type t wants.
func describeType(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "a duration (e.g. 30s, 5m, 1h)"
	case t.Kind() == reflect.Int:
		return "a whole number"
	case t.Kind() == reflect.Bool:
		return "true or false"
	}
	return "a string"
}

// nodeValue shows a YAML value in a message: a scalar quoted and bounded,
// else what it is.
func nodeValue(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return strconv.Quote(truncate(n.Value, 64))
	}
	return nodeKind(n)
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a single value"
}

// envVar maps a WARDEN_* variable to its field.
type envVar struct {
	name, field string
	set         func(c *Config, v string) error
}

func envVars() []envVar {
	str := func(dst func(*Config) *string) func(*Config, string) error {
		return func(c *Config, v string) error { *dst(c) = v; return nil }
	}
	dur := func(dst func(*Config) *time.Duration) func(*Config, string) error {
		return func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%q is not a duration (e.g. 30s, 1h)", v)
			}
			*dst(c) = d
			return nil
		}
	}
	return []envVar{
		{"WARDEN_ADDR", "addr", str(func(c *Config) *string { return &c.Addr })},
		{"WARDEN_GRPC_ADDR", "grpc_addr", str(func(c *Config) *string { return &c.GRPCAddr })},
		{"WARDEN_DATA_DIR", "data_dir", str(func(c *Config) *string { return &c.DataDir })},
		{"WARDEN_DATABASE_URL", "database_url", str(func(c *Config) *string { return &c.DatabaseURL })},
		{"WARDEN_POLICY", "policy", str(func(c *Config) *string { return &c.Policy })},
		{"WARDEN_TIER", "tier", str(func(c *Config) *string { return &c.Tier })},
		{"WARDEN_TLS_CERT", "tls_cert", str(func(c *Config) *string { return &c.TLSCert })},
		{"WARDEN_TLS_KEY", "tls_key", str(func(c *Config) *string { return &c.TLSKey })},
		{"WARDEN_RETENTION_DAYS", "retention_days", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%q is not a whole number of days", v)
			}
			c.RetentionDays = n
			return nil
		}},
		{"WARDEN_RETENTION_INTERVAL", "retention_interval", dur(func(c *Config) *time.Duration { return &c.RetentionInterval })},
		{"WARDEN_KEEP_CONTENT", "keep_content", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not a boolean (true, false, 1, 0)", v)
			}
			c.KeepContent = b
			return nil
		}},
		{"WARDEN_REQUIRE_SIGNED_AUDIT", "require_signed_audit", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not a boolean (true, false, 1, 0)", v)
			}
			c.RequireSignedAudit = b
			return nil
		}},
		{"WARDEN_DECIDE_TIMEOUT", "decide_timeout", dur(func(c *Config) *time.Duration { return &c.DecideTimeout })},
		{"WARDEN_SHUTDOWN_TIMEOUT", "shutdown_timeout", dur(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
		{"WARDEN_LOG_LEVEL", "log_level", str(func(c *Config) *string { return &c.LogLevel })},
		{"WARDEN_RULES", "rules", str(func(c *Config) *string { return &c.Rules })},
		{"WARDEN_DETECT_INTERVAL", "detect_interval", dur(func(c *Config) *time.Duration { return &c.DetectInterval })},
		{"WARDEN_DETECT_LATENESS", "detect_lateness", dur(func(c *Config) *time.Duration { return &c.DetectLateness })},
		{"WARDEN_ALERT_WEBHOOK_URL", "alert_webhook_url", str(func(c *Config) *string { return &c.AlertWebhookURL })},
		{"WARDEN_ALERTS_JSONL", "alerts_jsonl", str(func(c *Config) *string { return &c.AlertsJSONL })},
		{"WARDEN_ALERTS_OTLP_ENDPOINT", "alerts_otlp_endpoint", str(func(c *Config) *string { return &c.AlertsOTLPEndpoint })},
		{"WARDEN_MEMORY_BUDGET_MIB", "memory_budget_mib", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%q is not a whole number of MiB", v)
			}
			c.MemoryBudgetMiB = n
			return nil
		}},
	}
}

// ApplyEnv sets the fields whose WARDEN_* variable is set and not empty,
// reading them with getenv. Every unparsable value is reported, naming the
// variable and its field.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	var errs []error
	for _, e := range envVars() {
		v := getenv(e.name)
		if v == "" {
			continue
		}
		if err := e.set(c, v); err != nil {
			errs = append(errs, &FieldError{Field: e.field, Source: e.name, Message: err.Error()})
		}
	}
	return errors.Join(errs...)
}

// FieldError is one invalid configuration field.
type FieldError struct {
	Field string // the YAML key
	// Source is where the value came from when known (an environment
	// variable); empty otherwise.
	Source  string
	Message string
}

func (e *FieldError) Error() string {
	if e.Source != "" {
		return e.Field + " (" + e.Source + "): " + e.Message
	}
	return e.Field + ": " + e.Message
}

// ValidationError lists every invalid field of a Config.
type ValidationError struct{ Fields []*FieldError }

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		msgs[i] = f.Error()
	}
	return "invalid configuration: " + strings.Join(msgs, "; ")
}

// Log levels.
var logLevels = []string{"debug", "info", "warn", "error"}

// Validate checks every field and reports all problems at once, each
// naming its field and, except for secrets, the bad value.
func (c *Config) Validate() error {
	var errs []*FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if err := checkAddr(c.Addr); err != nil {
		bad("addr", "%q: %v", c.Addr, err)
	}
	if c.GRPCAddr != "" {
		if err := checkAddr(c.GRPCAddr); err != nil {
			bad("grpc_addr", "%q: %v", c.GRPCAddr, err)
		} else if c.GRPCAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
			bad("grpc_addr", "%q is also addr; give gRPC a port of its own", c.GRPCAddr)
		}
	}
	switch {
	case c.DatabaseURL != "":
		// Never echo the URL: it may hold a password.
		u := c.DatabaseURL
		if !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") && !strings.Contains(u, "=") {
			bad("database_url", "not a postgres:// URL or a key=value connection string")
		}
	case c.DataDir == "":
		bad("data_dir", "empty: set a data directory (or database_url for PostgreSQL)")
	case !filepath.IsAbs(c.DataDir):
		bad("data_dir", "%q is not an absolute path", c.DataDir)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("tls_cert", "tls_cert and tls_key go together: set both or neither")
	}
	if c.RetentionDays < 0 || c.RetentionDays > 36500 {
		bad("retention_days", "%d: want 0 (keep everything) to 36500", c.RetentionDays)
	}
	if c.RetentionDays > 0 && c.RetentionInterval < time.Minute {
		bad("retention_interval", "%s: want at least 1m", c.RetentionInterval)
	}
	if c.DecideTimeout <= 0 || c.DecideTimeout > time.Minute {
		bad("decide_timeout", "%s: want more than 0 and at most 1m (Claude Code's hook timeout is often 10s)", c.DecideTimeout)
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown_timeout", "%s: want more than 0", c.ShutdownTimeout)
	}
	if c.MemoryBudgetMiB < MinMemoryBudgetMiB {
		bad("memory_budget_mib", "%d: want at least %d (MiB)", c.MemoryBudgetMiB, MinMemoryBudgetMiB)
	}
	if c.DetectInterval < 0 || c.DetectInterval > time.Hour {
		bad("detect_interval", "%s: want 0 (the default, 1s) to 1h", c.DetectInterval)
	}
	if c.DetectLateness < 0 || c.DetectLateness > time.Hour {
		bad("detect_lateness", "%s: want 0 to 1h", c.DetectLateness)
	}
	if c.AlertWebhookURL != "" {
		if u, err := url.Parse(c.AlertWebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			// Never echo the URL: webhook URLs embed their secret.
			bad("alert_webhook_url", "not an http(s) URL")
		}
	}
	if c.AlertsOTLPEndpoint != "" {
		if u, err := url.Parse(c.AlertsOTLPEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("alerts_otlp_endpoint", "not an http(s) URL")
		}
	}
	if c.AlertsJSONL != "" && !filepath.IsAbs(c.AlertsJSONL) {
		bad("alerts_jsonl", "%q is not an absolute path", c.AlertsJSONL)
	}
	if !slices.Contains(logLevels, c.LogLevel) {
		bad("log_level", "%q: want one of %s", c.LogLevel, strings.Join(logLevels, ", "))
	}
	if len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	return nil
}

func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port, e.g. 127.0.0.1:8844")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("host %q is not a host name or IP address", host)
	}
	return nil
}
