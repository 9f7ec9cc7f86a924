package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/server"
	"github.com/wardenhq/warden/internal/shiplaunch"
)

// maxSessionsBytes bounds a session list page fetched from a server.
const maxSessionsBytes = 16 << 20

func newSessionsCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "List the sessions a Warden server recorded",
	}
	cmd.AddCommand(newSessionsListCmd(env))
	return cmd
}

// sessionsListFlags are the filters of `warden sessions list`, the
// console's session filters.
type sessionsListFlags struct {
	server, token, format                       string
	user, repository, tier, device, team, since string
	until, cursor                               string
	denials, alerts, conflicts, all             bool
	limit                                       int
}

func newSessionsListCmd(env *Env) *cobra.Command {
	var f sessionsListFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List sessions, newest first, with the console's filters",
		Long: `List prints the sessions a Warden server recorded, newest first: who ran
them, where, when, and how many calls Warden denied. Its filters are those of
the console's session list. Pass an ID to 'warden record SESSION' for the run
record.

--server is the server's base URL or HOST:PORT (default $WARDEN_SERVER, else
the local server at ` + server.DefaultAddr + `); --token a token with read scope
(default $WARDEN_TOKEN). --since and --until take a date (2026-01-02) or an
RFC 3339 time. A page holds --limit sessions; the last line names the cursor
of the next page, or use --all.`,
		Example: `  warden sessions list --denials --since 2026-11-01
  warden sessions list --alerts --conflicts
  warden sessions list --server warden.internal:8844 --repository https://github.com/acme/app.git
  warden sessions list --user ana --format json --all`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.format != "table" && f.format != "json" {
				return withCode(ExitUsage, fmt.Errorf("--format %q: want table or json", f.format))
			}
			base, err := sessionsServer(f.server, env)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if f.token == "" {
				f.token = env.Getenv(clientstate.EnvToken)
			}
			if f.token == "" {
				return withCode(ExitUsage, fmt.Errorf("no token: set --token or $%s to a token with read scope (warden token create --scope read)", clientstate.EnvToken))
			}
			q, err := f.query()
			if err != nil {
				return withCode(ExitUsage, err)
			}
			return listSessions(cmd.Context(), env, base, f, q)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.server, "server", "", "Warden server: base URL or HOST:PORT (default $WARDEN_SERVER, else http://"+server.DefaultAddr+")")
	fl.StringVar(&f.token, "token", "", "API token with read scope (default $WARDEN_TOKEN)")
	fl.StringVar(&f.format, "format", "table", "output format: table or json")
	fl.StringVar(&f.user, "user", "", "only sessions of this user ID")
	fl.StringVar(&f.repository, "repository", "", "only sessions in this repository (its remote URL or path, as recorded)")
	fl.StringVar(&f.tier, "tier", "", "only sessions decided under this policy tier")
	fl.StringVar(&f.device, "device", "", "only sessions on this host")
	fl.StringVar(&f.team, "team", "", "only sessions of this team (OTEL_RESOURCE_ATTRIBUTES team=)")
	fl.BoolVar(&f.denials, "denials", false, "only sessions with a Warden deny or a Claude Code reject")
	fl.BoolVar(&f.alerts, "alerts", false, "only sessions a detection alert names (any status)")
	fl.BoolVar(&f.conflicts, "conflicts", false, "only sessions whose evidence has conflicts (Claude Code's and Warden's records disagree)")
	fl.StringVar(&f.since, "since", "", "only sessions active at or after this date or time")
	fl.StringVar(&f.until, "until", "", "only sessions active before this date or time")
	fl.IntVar(&f.limit, "limit", 50, "sessions per page (1 to 1000)")
	fl.StringVar(&f.cursor, "cursor", "", "the page after the one that printed this cursor")
	fl.BoolVar(&f.all, "all", false, "fetch every page")
	return cmd
}

// sessionsServer resolves --server: a URL, HOST:PORT, or the default.
func sessionsServer(s string, env *Env) (string, error) {
	if s == "" {
		s = env.Getenv(clientstate.EnvServer)
	}
	if s == "" {
		s = server.DefaultAddr
	}
	if !strings.Contains(s, "://") {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return "", fmt.Errorf("--server %q: want a URL (https://host:port) or HOST:PORT", s)
		}
		s = "http://" + s
	}
	if err := shiplaunch.ValidateServer(s); err != nil {
		return "", err
	}
	return clientstate.ServerURL(s), nil
}

// timeFlag reads a date (a whole UTC day) or an RFC 3339 time; end moves
// a date to the end of its day.
func timeFlag(name, v string, end bool) (string, error) {
	if v == "" {
		return "", nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC().Format(time.RFC3339Nano), nil
	}
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		return "", fmt.Errorf("--%s %q: want a date (2026-01-02) or an RFC 3339 time (2026-01-02T15:04:05Z)", name, v)
	}
	if end {
		d = d.Add(24 * time.Hour)
	}
	return d.Format(time.RFC3339), nil
}

func (f *sessionsListFlags) query() (url.Values, error) {
	if f.limit < 1 || f.limit > 1000 {
		return nil, fmt.Errorf("--limit %d: want 1 to 1000", f.limit)
	}
	q := url.Values{}
	for _, kv := range [][2]string{{"user", f.user}, {"repository", f.repository}, {"tier", f.tier},
		{"device", f.device}, {"team", f.team}, {"cursor", f.cursor}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	for _, b := range []struct {
		key string
		on  bool
	}{{"denials", f.denials}, {"alerts", f.alerts}, {"conflicts", f.conflicts}} {
		if b.on {
			q.Set(b.key, "1")
		}
	}
	q.Set("limit", strconv.Itoa(f.limit))
	since, err := timeFlag("since", f.since, false)
	if err != nil {
		return nil, err
	}
	until, err := timeFlag("until", f.until, true)
	if err != nil {
		return nil, err
	}
	if since != "" {
		q.Set("since", since)
	}
	if until != "" {
		q.Set("until", until)
	}
	return q, nil
}

// sessionsPage is the API's answer (server.SessionList).
type sessionsPage struct {
	Sessions   []record.SessionSummary `json:"sessions"`
	NextCursor string                  `json:"next_cursor"`
}

func listSessions(ctx context.Context, env *Env, base string, f sessionsListFlags, q url.Values) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var all []record.SessionSummary
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	if f.format == "table" {
		fmt.Fprintln(tw, "SESSION\tSTARTED\tUSER\tREPOSITORY\tDEVICE\tTIER\tEVENTS\tDENIALS\tCOST")
	}
	for {
		page, err := fetchSessions(ctx, base, f.token, q)
		if err != nil {
			return withCode(ExitFailure, err)
		}
		if f.format == "json" {
			all = append(all, page.Sessions...)
		} else {
			for _, s := range page.Sessions {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t$%.2f\n", cellText(s.SessionID, 64),
					s.FirstTime.UTC().Format("2006-01-02 15:04Z"), cellText(s.UserID, 24), cellText(s.Repository, 48),
					cellText(s.Host, 24), cellText(s.Tier, 16), s.Counts.Events, s.Counts.Denials+s.Counts.Rejections, s.Rollup.CostUSD)
			}
		}
		if page.NextCursor == "" {
			break
		}
		if !f.all {
			if f.format == "table" {
				tw.Flush()
				fmt.Fprintf(env.Stdout, "more: --cursor %s\n", page.NextCursor)
			} else {
				return writeSessionsJSON(env.Stdout, all, page.NextCursor)
			}
			return nil
		}
		q.Set("cursor", page.NextCursor)
	}
	if f.format == "json" {
		return writeSessionsJSON(env.Stdout, all, "")
	}
	return tw.Flush()
}

func writeSessionsJSON(w io.Writer, sessions []record.SessionSummary, next string) error {
	if sessions == nil {
		sessions = []record.SessionSummary{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sessionsPage{Sessions: sessions, NextCursor: next})
}

// cellText makes an agent-written value safe for a terminal table: control
// characters, bidirectional overrides and other invisible format
// characters escaped, cut to n runes.
func cellText(s string, n int) string {
	var b strings.Builder
	i := 0
	for _, r := range s {
		if i == n {
			b.WriteString("…")
			break
		}
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) ||
			r == 0x200B || r == 0x200E || r == 0x200F || r == 0xFEFF:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
		i++
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

func fetchSessions(ctx context.Context, base, token string, q url.Values) (*sessionsPage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/sessions?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "warden/"+Version)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, fmt.Errorf("list sessions: no Warden server answers at %s; start one with 'warden serve' or pass --server HOST:PORT", base)
		}
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSessionsBytes+1))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	if len(body) > maxSessionsBytes {
		return nil, fmt.Errorf("list sessions: answer larger than %d bytes; lower --limit", maxSessionsBytes)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return nil, fmt.Errorf("list sessions: %s; check --token or $%s", apiError(resp, body), clientstate.EnvToken)
	case http.StatusForbidden:
		return nil, fmt.Errorf("list sessions: %s; the token needs read scope (warden token create --scope read)", apiError(resp, body))
	default:
		return nil, fmt.Errorf("list sessions: %s", apiError(resp, body))
	}
	var page sessionsPage
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, fmt.Errorf("list sessions: the server answered something that is not a session list: %w", err)
	}
	return &page, nil
}
