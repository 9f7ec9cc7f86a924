package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Guard is the second line of defence against traffic leaving the machine:
// iptables (and ip6tables) OUTPUT rules that reject every packet of the test
// user to a non-loopback address. The harness's first line is that it only
// ever points the client at loopback; the guard's packet counter proves it:
// it must stay at 0.
type Guard struct {
	UID     uint32
	Comment string
	rules   []guardRule
}

type guardRule struct {
	tool string   // iptables or ip6tables
	spec []string // the rule, without -A/-I/-D and chain
}

// ErrNoIptables is returned when iptables is not installed.
var ErrNoIptables = errors.New("iptables not found; install it with `make e2e-deps` (as root)")

// InstallGuard inserts the rules for uid at the top of the OUTPUT chains.
// The comment names this process so concurrent runs do not touch each
// other's rules.
func InstallGuard(ctx context.Context, uid uint32) (*Guard, error) {
	if err := RequireRoot(); err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		return nil, ErrNoIptables
	}
	g := &Guard{UID: uid, Comment: fmt.Sprintf("%s%d-%d", guardPrefix, uid, os.Getpid())}
	if err := removeStaleGuards(ctx, uid); err != nil {
		return nil, err
	}
	owner := []string{"-m", "owner", "--uid-owner", strconv.FormatUint(uint64(uid), 10)}
	comment := []string{"-m", "comment", "--comment", g.Comment}
	g.rules = append(g.rules, guardRule{"iptables", concat([]string{"!", "-d", "127.0.0.0/8"}, owner, comment, []string{"-j", "REJECT"})})
	if ipv6Enabled() {
		g.rules = append(g.rules, guardRule{"ip6tables", concat([]string{"!", "-d", "::1/128"}, owner, comment, []string{"-j", "REJECT"})})
	}
	for i, r := range g.rules {
		if _, err := iptables(ctx, r.tool, concat([]string{"-I", "OUTPUT", "1"}, r.spec)...); err != nil {
			g.rules = g.rules[:i]
			rmErr := g.Remove(ctx)
			return nil, errors.Join(fmt.Errorf("install egress guard: %w", err), rmErr)
		}
	}
	return g, nil
}

// guardPrefix starts every guard rule's comment: guardPrefix + UID-PID.
const guardPrefix = "warden-e2e-"

// removeStaleGuards deletes guard rules for uid left by runs whose process
// is gone (a killed test binary cannot remove its own).
func removeStaleGuards(ctx context.Context, uid uint32) error {
	tools := []string{"iptables"}
	if ipv6Enabled() {
		tools = append(tools, "ip6tables")
	}
	prefix := fmt.Sprintf("%s%d-", guardPrefix, uid)
	for _, tool := range tools {
		out, err := iptables(ctx, tool, "-S", "OUTPUT")
		if err != nil {
			return err
		}
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) < 2 || f[0] != "-A" {
				continue
			}
			pid, ok := staleGuardPID(f, prefix)
			if !ok || processAlive(pid) {
				continue
			}
			f[0] = "-D"
			if _, err := iptables(ctx, tool, f...); err != nil {
				return fmt.Errorf("remove stale egress guard: %w", err)
			}
		}
	}
	return nil
}

// staleGuardPID returns the pid in a rule's guard comment.
func staleGuardPID(fields []string, prefix string) (int, bool) {
	for i := 0; i+1 < len(fields); i++ {
		if fields[i] != "--comment" {
			continue
		}
		c := strings.Trim(fields[i+1], `"`)
		if !strings.HasPrefix(c, prefix) {
			return 0, false
		}
		pid, err := strconv.Atoi(c[len(prefix):])
		return pid, err == nil && pid > 0
	}
	return 0, false
}

func processAlive(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

func ipv6Enabled() bool {
	_, err := os.Stat("/proc/net/if_inet6")
	return err == nil
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func iptables(ctx context.Context, tool string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// -w waits for the xtables lock instead of failing when another
	// process holds it.
	out, err := exec.CommandContext(ctx, tool, append([]string{"-w"}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", tool, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Packets returns how many packets the guard rejected so far, over all its
// rules. A rule that is gone is an error: the guard was removed under us.
func (g *Guard) Packets(ctx context.Context) (uint64, error) {
	var total uint64
	for _, r := range g.rules {
		out, err := iptables(ctx, r.tool, "-S", "OUTPUT", "-v")
		if err != nil {
			return 0, err
		}
		n, ok, err := guardCounter(out, g.Comment)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", r.tool, err)
		}
		if !ok {
			return 0, fmt.Errorf("%s: egress guard rule %q is missing from OUTPUT", r.tool, g.Comment)
		}
		total += n
	}
	return total, nil
}

// guardCounter finds the rule with comment in `iptables -S CHAIN -v` output
// and returns its packet counter ("-c PACKETS BYTES").
func guardCounter(listing, comment string) (uint64, bool, error) {
	for _, line := range strings.Split(listing, "\n") {
		f := strings.Fields(line)
		if !hasComment(f, comment) {
			continue
		}
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "-c" {
				n, err := strconv.ParseUint(f[i+1], 10, 64)
				if err != nil {
					return 0, true, fmt.Errorf("packet counter %q: %w", f[i+1], err)
				}
				return n, true, nil
			}
		}
		return 0, true, fmt.Errorf("rule %q has no counter: %s", comment, line)
	}
	return 0, false, nil
}

func hasComment(fields []string, comment string) bool {
	for i := 0; i+1 < len(fields); i++ {
		if fields[i] == "--comment" && strings.Trim(fields[i+1], `"`) == comment {
			return true
		}
	}
	return false
}

// Remove deletes the guard's rules; safe to call more than once.
func (g *Guard) Remove(ctx context.Context) error {
	var errs []error
	for _, r := range g.rules {
		if _, err := iptables(ctx, r.tool, concat([]string{"-D", "OUTPUT"}, r.spec)...); err != nil {
			errs = append(errs, err)
		}
	}
	g.rules = nil
	return errors.Join(errs...)
}
