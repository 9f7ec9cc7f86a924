package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/server"
)

const pauseLong = `Pause stops Warden's decisions for every machine of a tier, fleet-wide,
until a time: an emergency stop for when Warden blocks work it should not
(a bad policy, a broken release). It needs an admin token; the server
records who paused, when and why, and raises a high-severity alert
(response.policy-paused) in the alert queue; the console's policy page
shows the pause.

The server signs the list of pauses with its pause key, which every
machine pinned when it enrolled (warden enroll); each hook fetches the
list with the policy and honours a pause only when the signature
verifies. Until the hooks' next policy refresh (the shipper's interval)
they decide as before.

While a pause is in force the hook gives no opinion, and Claude Code's own
permission system decides, except that it still denies the warden-tamper
class (pausing, resuming, stopping or uninstalling Warden, its admin API)
and any access to Warden's state and configuration; every call is
audited as paused, with the reason. The pause ends by itself at --until
(at most 7 days away), even on a machine that cannot reach the server, or
earlier with 'warden policy resume'. See docs/policy.md, "Pausing Warden".`

func newPolicyPauseCmd(env *Env) *cobra.Command {
	var f apiFlags
	var tier, until, reason string
	cmd := &cobra.Command{
		Use:   "pause --tier TIER --until TIME --reason WHY",
		Short: "Pause Warden's decisions for a tier, fleet-wide, until a time (admin)",
		Long:  pauseLong,
		Example: `  warden policy pause --tier ci --until 2h --reason "INC-42: hook blocks every build"
  warden policy pause --tier production-adjacent --until 2026-12-08T09:00:00Z --reason "bad policy rollout"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			srv, token, err := f.resolve(env)
			if err != nil {
				return err
			}
			if tier == "" || until == "" || strings.TrimSpace(reason) == "" {
				return withCode(ExitUsage, errors.New("--tier, --until and --reason are all required"))
			}
			end, err := parseUntil(until, time.Now())
			if err != nil {
				return withCode(ExitUsage, err)
			}
			req, _ := json.Marshal(server.OverlayRequest{Kind: "pause", Tier: tier, Until: end, Reason: reason})
			body, err := apiPost(cmd.Context(), srv, token, "/api/v1/overlays", req)
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("pause tier %s: %w", tier, err))
			}
			var list server.OverlayList
			if err := json.Unmarshal(body, &list); err != nil {
				return withCode(ExitFailure, fmt.Errorf("pause tier %s: unexpected answer: %w", tier, err))
			}
			// The new pause is the tier's last one listed (overlays are
			// listed in the order added).
			var p *record.PolicyOverlay
			for i := range list.Overlays {
				if o := &list.Overlays[i]; o.Kind == "pause" && o.Tier == tier {
					p = o
				}
			}
			if p == nil {
				return withCode(ExitFailure, fmt.Errorf("pause tier %s: the server did not list the pause", tier))
			}
			fmt.Fprintf(env.Stdout, "Paused Warden's decisions for tier %s until %s (overlay %s, by %s).\n",
				p.Tier, p.Until.UTC().Format(time.RFC3339), p.ID, p.By)
			fmt.Fprintf(env.Stdout, "Hooks honour it at their next policy refresh; lift it with: warden policy resume --tier %s --reason ...\n", p.Tier)
			return nil
		},
	}
	f.add(cmd, "admin")
	fl := cmd.Flags()
	fl.StringVar(&tier, "tier", "", "the tier to pause (required)")
	fl.StringVar(&until, "until", "", "when the pause ends: an RFC 3339 time or a duration from now such as 2h (required, at most 7 days)")
	fl.StringVar(&reason, "reason", "", "why: shown in the console, the alert and every paused call's audit (required)")
	return cmd
}

func newPolicyResumeCmd(env *Env) *cobra.Command {
	var f apiFlags
	var tier, reason string
	cmd := &cobra.Command{
		Use:   "resume --tier TIER --reason WHY",
		Short: "Lift the pause of a tier: Warden decides again (admin)",
		Long: `Resume lifts every pause of a tier ('warden policy pause'), in force or
expired. It needs an admin token; the server records who lifted it, when
and why, and raises an alert (response.policy-resumed). Hooks decide again
at their next policy refresh, or when the pause's time runs out, whichever
comes first.`,
		Example: `  warden policy resume --tier ci --reason "INC-42 fixed in 1.4.2"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			srv, token, err := f.resolve(env)
			if err != nil {
				return err
			}
			if tier == "" || strings.TrimSpace(reason) == "" {
				return withCode(ExitUsage, errors.New("--tier and --reason are both required"))
			}
			req, _ := json.Marshal(server.ResumeRequest{Tier: tier, Reason: reason})
			body, err := apiPost(cmd.Context(), srv, token, "/api/v1/pauses/resume", req)
			if err != nil {
				return withCode(ExitFailure, fmt.Errorf("resume tier %s: %w", tier, err))
			}
			var res server.ResumeResponse
			if err := json.Unmarshal(body, &res); err != nil {
				return withCode(ExitFailure, fmt.Errorf("resume tier %s: unexpected answer: %w", tier, err))
			}
			for _, o := range res.Lifted {
				fmt.Fprintf(env.Stdout, "Lifted the pause of tier %s (overlay %s, set by %s until %s).\n",
					o.Tier, o.ID, o.By, o.Until.UTC().Format(time.RFC3339))
			}
			fmt.Fprintln(env.Stdout, "Hooks decide again at their next policy refresh.")
			return nil
		},
	}
	f.add(cmd, "admin")
	fl := cmd.Flags()
	fl.StringVar(&tier, "tier", "", "the tier whose pause to lift (required)")
	fl.StringVar(&reason, "reason", "", "why: recorded in the overlay log and the alert (required)")
	return cmd
}

// parseUntil reads --until: an RFC 3339 time, or a positive duration
// from now.
func parseUntil(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("--until %q: want an RFC 3339 time (2026-12-08T09:00:00Z) or a duration from now such as 2h", s)
	}
	return now.Add(d), nil
}
