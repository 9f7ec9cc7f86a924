package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/detect"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/shiplaunch"
	"github.com/wardenhq/warden/internal/transcript"
)

// maxRecordBytes bounds a run record fetched from a server.
const maxRecordBytes = 64 << 20

func newRecordCmd(env *Env) *cobra.Command {
	var server, token, format, file string
	var fixture bool
	cmd := &cobra.Command{
		Use:   "record [SESSION]",
		Short: "Print a session's run record: from the server, or offline from a transcript",
		Long: `Record prints the run record of one Claude Code session: what was asked,
what the agent ran, read and changed, what Warden and Claude Code refused or
asked approval for, and what it cost.

With a SESSION id it fetches the record the server built from the session's
telemetry and hook audit (GET /api/v1/sessions/SESSION/record), from --server
(default $WARDEN_SERVER) with --token (default $WARDEN_TOKEN, which keeps the
token out of the process list).

With --transcript it builds the same record offline from a transcript file:
the session file Claude Code writes under
~/.claude/projects/<dir>/<session_id>.jsonl, or the output of
'claude -p --output-format stream-json --verbose'.

With --fixture it prints the session's stored events instead (GET
/api/v1/sessions/SESSION/events), one JSON object per line: a session fixture
that a detection rule's test can name (fixture: incident.jsonl), so that an
incident becomes a regression test. See docs/detect.md.`,
		Example: `  warden record 61916ef5-beae-40e3-b102-3d3ea0422468 --format md
  warden record 61916ef5-beae-40e3-b102-3d3ea0422468 --fixture > rules/fixtures/incident.jsonl
  warden record --transcript ~/.claude/projects/-home-dev-app/61916ef5-beae-40e3-b102-3d3ea0422468.jsonl`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "json" && format != "md" {
				return withCode(ExitUsage, fmt.Errorf("--format %q: want json or md", format))
			}
			switch {
			case file != "" && len(args) > 0:
				return withCode(ExitUsage, errors.New("give a SESSION id or --transcript, not both"))
			case file != "" && fixture:
				return withCode(ExitUsage, errors.New("--fixture exports a stored session; it does not apply to --transcript"))
			case file != "":
				return recordFromTranscript(env, file, format)
			case len(args) == 0:
				return withCode(ExitUsage, errors.New("give a SESSION id (fetched from the server) or --transcript FILE"))
			}
			if server == "" {
				server = env.Getenv(clientstate.EnvServer)
			}
			if token == "" {
				token = env.Getenv(clientstate.EnvToken)
			}
			if err := shiplaunch.ValidateServer(server); err != nil {
				return withCode(ExitUsage, err)
			}
			if token == "" {
				return withCode(ExitUsage, fmt.Errorf("no token: set --token or $%s", clientstate.EnvToken))
			}
			if fixture {
				return fixtureFromServer(cmd.Context(), env, server, token, args[0])
			}
			return recordFromServer(cmd.Context(), env, server, token, args[0], format)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&server, "server", "", "Warden server base URL (default $WARDEN_SERVER)")
	fl.StringVar(&token, "token", "", "API token with read scope (default $WARDEN_TOKEN)")
	fl.StringVar(&format, "format", "json", "output format: json or md")
	fl.StringVar(&file, "transcript", "", "build the record offline from this transcript file")
	fl.BoolVar(&fixture, "fixture", false, "print the session's stored events as a detection-rule session fixture (JSON lines)")
	return cmd
}

func recordFromTranscript(env *Env, file, format string) error {
	f, err := os.Open(file)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	defer f.Close()
	t, err := transcript.Read(f)
	if err != nil {
		return withCode(ExitFailure, fmt.Errorf("read transcript %s: %w", file, err))
	}
	return printRecord(env, t.RunRecord(), format)
}

func printRecord(env *Env, rr record.RunRecord, format string) error {
	if format == "md" {
		_, err := io.WriteString(env.Stdout, rr.Markdown())
		return err
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rr)
}

// recordFromServer fetches the run record the server built and prints it
// as the server sent it.
func recordFromServer(ctx context.Context, env *Env, server, token, session, format string) error {
	u := clientstate.ServerURL(server) + "/api/v1/sessions/" + url.PathEscape(session) + "/record"
	if format == "md" {
		u += "?format=md"
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return withCode(ExitUsage, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "warden/"+Version)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return withCode(ExitFailure, fmt.Errorf("fetch run record: %w", err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRecordBytes+1))
	if err != nil {
		return withCode(ExitFailure, fmt.Errorf("fetch run record: %w", err))
	}
	if len(body) > maxRecordBytes {
		return withCode(ExitFailure, fmt.Errorf("fetch run record: larger than %d bytes", maxRecordBytes))
	}
	if resp.StatusCode != http.StatusOK {
		return withCode(ExitFailure, fmt.Errorf("fetch run record of %s: %s", session, apiError(resp, body)))
	}
	if format == "json" {
		// Re-indent, so that both sources print alike.
		var rr json.RawMessage
		if err := json.Unmarshal(body, &rr); err != nil {
			return withCode(ExitFailure, fmt.Errorf("fetch run record: the server answered something that is not JSON: %w", err))
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rr)
	}
	_, err = env.Stdout.Write(body)
	return err
}

// fixtureFromServer fetches a session's stored events and prints them as
// a session fixture, after checking that they parse as one.
func fixtureFromServer(ctx context.Context, env *Env, server, token, session string) error {
	body, err := apiGet(ctx, server, token, "/api/v1/sessions/"+url.PathEscape(session)+"/events")
	if err != nil {
		return withCode(ExitFailure, fmt.Errorf("fetch events of %s: %w", session, err))
	}
	events, err := detect.ParseFixture(body)
	if err != nil {
		return withCode(ExitFailure, fmt.Errorf("fetch events of %s: the server's answer is not a session fixture: %w", session, err))
	}
	return detect.WriteFixture(env.Stdout, events)
}

// apiGet GETs a path of the server's API and returns the body of a 200
// answer.
func apiGet(ctx context.Context, server, token, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, clientstate.ServerURL(server)+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "warden/"+Version)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRecordBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxRecordBytes {
		return nil, fmt.Errorf("answer larger than %d bytes", maxRecordBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, errors.New(apiError(resp, body))
	}
	return body, nil
}

// apiError describes a server's error answer: its status and, when the
// body is the API's {"error":{"code","message"}}, the message.
func apiError(resp *http.Response, body []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	s := resp.Status
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		s += ": " + e.Error.Message
	} else if t := strings.TrimSpace(string(body)); t != "" && len(t) < 200 {
		s += ": " + t
	}
	return s
}
