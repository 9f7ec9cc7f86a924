package clientstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/wardenhq/warden/internal/atomicfile"
)

// The client configuration: the Warden server the hook and the shipper talk
// to and the credential the shipper sends, kept in a file rather than in
// environment variables. Claude Code passes its environment (the managed
// settings' env included) to every command the agent runs, so a token in
// $WARDEN_TOKEN or OTEL_EXPORTER_OTLP_HEADERS is one `printenv` away from
// the agent being recorded; a file is read only by the hook, the shipper
// and `warden otel-headers`, and the baseline policy denies the agent
// reading it with any tool.
const (
	// ClientConfigName is the client configuration's file name, both in
	// the managed-settings directory (written by warden compile and
	// warden install) and in the per-user state directory (Dir).
	ClientConfigName = "warden-client.json"
)

// ClientConfig is the content of a client configuration file.
type ClientConfig struct {
	// Server is the Warden server's base URL: the hook's audit goes to
	// Server/v1/audit, Claude Code's telemetry to Server/v1/logs and
	// Server/v1/metrics.
	Server string `json:"server"`
	// Token is the bearer token the shipper and Claude Code's telemetry
	// exporter send (a token with the ingest scope).
	Token string `json:"token,omitempty"`
	// DeviceID and DeviceCredential are written by warden enroll: the
	// enrolled device's ID and the credential its shipper sends instead
	// of Token (which, when also set, stays the telemetry exporter's).
	DeviceID         string `json:"device_id,omitempty"`
	DeviceCredential string `json:"device_credential,omitempty"`
}

// SaveClientConfig writes a client configuration file atomically, 0600
// (it holds credentials), creating its directory 0700.
func SaveClientConfig(path string, c ClientConfig) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("client configuration %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("client configuration %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("client configuration: %w", err)
	}
	return nil
}

// SystemClientConfigPath is where warden install puts the machine's client
// configuration: beside Claude Code's managed settings, in a directory only
// an administrator writes.
func SystemClientConfigPath() string {
	switch runtime.GOOS {
	case "darwin":
		return "/Library/Application Support/ClaudeCode/" + ClientConfigName
	case "windows":
		return `C:\Program Files\ClaudeCode\` + ClientConfigName
	}
	return "/etc/claude-code/" + ClientConfigName
}

// ClientConfigPaths are the client configuration files in the order they
// are looked for: the user's own (Dir/warden-client.json), then the
// machine's (SystemClientConfigPath).
func ClientConfigPaths(getenv func(string) string, home string) []string {
	var out []string
	if d := Dir(getenv, home); d != "" {
		out = append(out, filepath.Join(d, ClientConfigName))
	}
	return append(out, SystemClientConfigPath())
}

// LoadClientConfig reads a client configuration file; a file that is not
// there is an error satisfying errors.Is(err, fs.ErrNotExist).
func LoadClientConfig(path string) (ClientConfig, error) {
	var c ClientConfig
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("client configuration %s: %w", path, err)
	}
	c.Server = ServerURL(c.Server)
	c.Token = strings.TrimSpace(c.Token)
	c.DeviceCredential = strings.TrimSpace(c.DeviceCredential)
	if c.Server == "" {
		return c, fmt.Errorf("client configuration %s: no server", path)
	}
	return c, nil
}

// Connection is the server and token the client uses, and where they came
// from.
type Connection struct {
	// Token is what the shipper sends: the device credential of an
	// enrolled machine, else the configured token.
	Server, Token string
	// OTLPToken is what Claude Code's telemetry exporter sends (the
	// configured token, else Token).
	OTLPToken string
	// DeviceID is the enrolled device's, when Token is its credential.
	DeviceID string
	// Source is "env" ($WARDEN_SERVER), the client configuration file's
	// path, or "" when there is no server.
	Source string
	// Err is a client configuration file that is there but does not load
	// (the next one is not consulted: a broken file is reported, not
	// silently skipped).
	Err error
}

// FromEnv reports whether the connection came from the environment.
func (c Connection) FromEnv() bool { return c.Source == "env" }

// Connect finds the server and token: $WARDEN_SERVER (with $WARDEN_TOKEN)
// when set, which overrides the files (tests, and setups that keep to the
// old way; both are visible to every command the agent runs), else the
// first client configuration file of ClientConfigPaths that is there.
func Connect(getenv func(string) string, home string) Connection {
	if s := getenv(EnvServer); s != "" {
		return Connection{Server: s, Token: getenv(EnvToken), OTLPToken: getenv(EnvToken), Source: "env"}
	}
	for _, p := range ClientConfigPaths(getenv, home) {
		c, err := LoadClientConfig(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Connection{Source: p, Err: err}
		}
		return c.Connection(p)
	}
	return Connection{}
}

// Connection is the connection c configures, from source: the shipper
// sends the device credential when the machine is enrolled, else the
// token; the telemetry exporter sends the token, else the credential.
func (c ClientConfig) Connection(source string) Connection {
	conn := Connection{Server: c.Server, Token: c.Token, OTLPToken: c.Token, Source: source}
	if c.DeviceCredential != "" {
		conn.Token, conn.DeviceID = c.DeviceCredential, c.DeviceID
		if conn.OTLPToken == "" {
			conn.OTLPToken = c.DeviceCredential
		}
	}
	return conn
}

// OTelHeaders is what `warden otel-headers` prints for Claude Code's
// otelHeadersHelper setting: a JSON object of header names to values.
func (c Connection) OTelHeaders() map[string]string {
	h := map[string]string{}
	if t := first(c.OTLPToken, c.Token); t != "" {
		h["Authorization"] = "Bearer " + t
	}
	return h
}

// first returns the first non-empty string.
func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
