package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/wardenhq/warden/internal/server"
)

// newHealthCmd probes a running server's /readyz (or /healthz): the check a
// container image or an orchestrator runs, where no curl is installed.
func newHealthCmd(env *Env) *cobra.Command {
	var addr string
	var live bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "health [--addr HOST:PORT] [--live]",
		Short: "Check that a running warden serve is ready (exit 0) or not (exit 1)",
		Long: `Probe a running 'warden serve' on its HTTP listener: GET /readyz, which
answers 200 only when the store can be written, or with --live GET
/healthz, which answers 200 while the process serves at all.

It needs no token and prints one line. The container image uses it as its
HEALTHCHECK; use it the same way in orchestrator exec probes.

Exit status: 0 ready (or live), 1 not, 2 usage errors.`,
		Example: `  warden health
  warden health --addr 10.0.0.5:8844 --live`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if addr == "" {
				addr = env.Getenv("WARDEN_ADDR")
			}
			if addr == "" {
				addr = server.DefaultAddr
			}
			path := "/readyz"
			if live {
				path = "/healthz"
			}
			u, err := healthURL(addr, path)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			status, body, err := probe(ctx, u)
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("%s: %w; is 'warden serve' running there? (see --addr)", u, err))
			}
			if status != http.StatusOK {
				return withCode(ExitFailure, fmt.Errorf("%s answered %d: %s", u, status, body))
			}
			fmt.Fprintf(env.Stdout, "%s: %s\n", u, body)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "", "the server's HTTP address, HOST:PORT (default $WARDEN_ADDR, else "+server.DefaultAddr+")")
	fl.BoolVar(&live, "live", false, "probe /healthz (the process serves) instead of /readyz (the store can be written)")
	fl.DurationVar(&timeout, "timeout", 5*time.Second, "give up after this long")
	return cmd
}

// healthURL is the probe URL for a listen address: a wildcard host
// (0.0.0.0, [::], empty) is probed on loopback, where the server also
// listens.
func healthURL(addr, path string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: give HOST:PORT, for example %s", addr, server.DefaultAddr)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}

// probe GETs u and returns its status and the first line of its body.
func probe(ctx context.Context, u string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return resp.StatusCode, line, nil
}
