package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/shiplaunch"
)

// apiFlags are the server and token of commands that call the API.
type apiFlags struct{ server, token string }

func (f *apiFlags) add(cmd *cobra.Command, scope string) {
	cmd.PersistentFlags().StringVar(&f.server, "server", "", "Warden server base URL (default $WARDEN_SERVER)")
	cmd.PersistentFlags().StringVar(&f.token, "token", "", "API token with "+scope+" scope (default $WARDEN_TOKEN)")
}

func (f *apiFlags) resolve(env *Env) (server, token string, err error) {
	server, token = f.server, f.token
	if server == "" {
		server = env.Getenv(clientstate.EnvServer)
	}
	if token == "" {
		token = env.Getenv(clientstate.EnvToken)
	}
	if err := shiplaunch.ValidateServer(server); err != nil {
		return "", "", withCode(ExitUsage, err)
	}
	if token == "" {
		return "", "", withCode(ExitUsage, fmt.Errorf("no token: set --token or $%s", clientstate.EnvToken))
	}
	return server, token, nil
}

func newAlertsCmd(env *Env) *cobra.Command {
	var f apiFlags
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "List, show and triage detection alerts on a Warden server",
		Long: `Alerts works with the alerts the server's detection rules raise: list and
show them (scope read), acknowledge and resolve them (scope admin). Every
status change is recorded with the token's name, the time and the comment.
Group, title and event IDs come from agent-reachable data: read them as such.`,
		Example: `  warden alerts list --status open --severity high
  warden alerts show 42
  warden alerts ack 42 -m "looking into it"
  warden alerts resolve 42 -m "policy fixed"
  warden alerts resolve 42 --false-positive -m "red-team exercise"`,
	}
	f.add(cmd, "read (admin for ack and resolve)")
	cmd.AddCommand(newAlertsListCmd(env, &f), newAlertsShowCmd(env, &f),
		newAlertsStatusCmd(env, &f, "ack", record.AlertAcknowledged, "Acknowledge an alert: someone is on it"),
		newAlertsStatusCmd(env, &f, "resolve", record.AlertResolved, "Resolve an alert (or mark it a false positive)"))
	return cmd
}

func newAlertsListCmd(env *Env, f *apiFlags) *cobra.Command {
	var status, severity, rule, session, user, since string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List alerts, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			server, token, err := f.resolve(env)
			if err != nil {
				return err
			}
			q := url.Values{}
			for k, v := range map[string]string{"status": status, "severity": severity, "rule": rule, "session": session, "user": user} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return withCode(ExitUsage, err)
				}
				q.Set("since", t.UTC().Format(time.RFC3339))
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			body, err := apiGet(cmd.Context(), server, token, "/api/v1/alerts?"+q.Encode())
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("list alerts: %w", err))
			}
			var list struct {
				Alerts     []record.Alert `json:"alerts"`
				NextCursor string         `json:"next_cursor"`
			}
			if err := json.Unmarshal(body, &list); err != nil {
				return withCode(ExitFailure, fmt.Errorf("list alerts: the server's answer is not an alert list: %w", err))
			}
			if asJSON {
				enc := json.NewEncoder(env.Stdout)
				for _, a := range list.Alerts {
					if err := enc.Encode(a); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tSEVERITY\tRULE\tGROUP\tCOUNT\tLAST SEEN")
			for _, a := range list.Alerts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s=%s\t%d\t%s\n", a.ID, a.Status, a.Severity, a.Rule, a.GroupBy,
					strconv.Quote(a.Group), a.Count, a.LastSeen.UTC().Format(time.RFC3339))
			}
			tw.Flush()
			if list.NextCursor != "" {
				fmt.Fprintln(env.Stderr, "more alerts: narrow the filters or raise --limit")
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&status, "status", "", "open, acknowledged, resolved or false_positive")
	fl.StringVar(&severity, "severity", "", "info, low, medium, high or critical")
	fl.StringVar(&rule, "rule", "", "rule id")
	fl.StringVar(&session, "session", "", "session id")
	fl.StringVar(&user, "user", "", "user id")
	fl.StringVar(&since, "since", "", "last seen at or after: RFC 3339 time or a duration ago (24h)")
	fl.IntVar(&limit, "limit", 0, "at most this many (default 100)")
	fl.BoolVar(&asJSON, "json", false, "print one alert per line as JSON")
	return cmd
}

// parseSince reads an RFC 3339 time or a duration before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("--since %q: want an RFC 3339 time or a duration such as 24h", s)
	}
	return now.Add(-d), nil
}

func newAlertsShowCmd(env *Env, f *apiFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one alert: its events and status history, as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server, token, err := f.resolve(env)
			if err != nil {
				return err
			}
			body, err := apiGet(cmd.Context(), server, token, "/api/v1/alerts/"+url.PathEscape(args[0]))
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("show alert %s: %w", args[0], err))
			}
			return printIndented(env.Stdout, body)
		},
	}
}

func newAlertsStatusCmd(env *Env, f *apiFlags, name, status, short string) *cobra.Command {
	var comment string
	var falsePositive bool
	cmd := &cobra.Command{
		Use:   name + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server, token, err := f.resolve(env)
			if err != nil {
				return err
			}
			st := status
			if falsePositive {
				st = record.AlertFalsePositive
			}
			req, _ := json.Marshal(map[string]string{"status": st, "comment": comment})
			body, err := apiPost(cmd.Context(), server, token, "/api/v1/alerts/"+url.PathEscape(args[0])+"/status", req)
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("%s alert %s: %w", name, args[0], err))
			}
			var a record.Alert
			if err := json.Unmarshal(body, &a); err != nil {
				return withCode(ExitFailure, fmt.Errorf("%s alert %s: unexpected answer: %w", name, args[0], err))
			}
			fmt.Fprintf(env.Stdout, "alert %s is %s\n", a.ID, a.Status)
			return nil
		},
	}
	cmd.Flags().StringVarP(&comment, "message", "m", "", "why: recorded in the alert's history")
	if status == record.AlertResolved {
		cmd.Flags().BoolVar(&falsePositive, "false-positive", false, "resolve as a false positive (the rule was wrong)")
	}
	return cmd
}

func printIndented(w io.Writer, body []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		return withCode(ExitFailure, errors.New("the server's answer is not JSON"))
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// apiPost POSTs JSON to a path of the server's API and returns the body of
// a 200 answer.
func apiPost(ctx context.Context, server, token, path string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, clientstate.ServerURL(server)+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "warden/"+Version)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, maxRecordBytes+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, errors.New(apiError(resp, out))
	}
	return out, nil
}
