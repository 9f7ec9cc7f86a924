package hookcmd

import (
	"encoding/json"
	"fmt"

	"github.com/wardenhq/warden/internal/clientstate"
)

// OTelHeadersArg is the argument that makes warden-hook (and warden) print
// the OpenTelemetry headers instead of answering a hook call.
const OTelHeadersArg = "otel-headers"

// OTelHeadersHelp describes the otel-headers command.
const OTelHeadersHelp = `Otel-headers prints the headers Claude Code's OpenTelemetry exporter sends
to the Warden server, as the JSON object Claude Code's otelHeadersHelper
setting expects: {"Authorization": "Bearer <token>"}, from the client
configuration (warden-client.json in the state directory, else in the
managed-settings directory; $WARDEN_SERVER and $WARDEN_TOKEN override it).
warden compile --server sets otelHeadersHelper to it, so that no token sits
in the managed settings' env, which every command the agent runs inherits.
Without a configured token it prints {}.`

// OTelHeaders runs the otel-headers command: 0 on success, 1 when the
// client configuration does not load (Claude Code then sends no headers
// and says why).
func OTelHeaders(env Env) int {
	conn := clientstate.Connect(env.Getenv, Home(env.Getenv))
	if conn.Err != nil {
		fmt.Fprintf(env.Stderr, "warden: %v\n", conn.Err)
		return 1
	}
	b, err := json.Marshal(conn.OTelHeaders())
	if err != nil {
		fmt.Fprintf(env.Stderr, "warden: %v\n", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "%s\n", b)
	return 0
}
