package console

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/store"
)

// ExpiringSoon is how near an exception's expiry must be for the policy
// page to flag it.
const ExpiringSoon = 14 * 24 * time.Hour

type policyPage struct {
	Name, Revision, SHA256, Description, DefaultTier string
	Version                                          string
	Tiers                                            []tierRow
	Exceptions                                       []exceptionRow
	Rules                                            []ruleRow
	Days                                             int
	Periods                                          []int
	YAML                                             string
}

type tierRow struct {
	Name, Description, Inherits, Failure string
	Default                              bool
}

type exceptionRow struct {
	ID, Rule, Decision, Owner, Reason, Tiers, Repositories short
	Expires                                                string
	Expired, Soon                                          bool
	Anchor                                                 string
	end                                                    time.Time
}

type ruleRow struct {
	Rule   short
	Anchor string
	N      int64
	Deny   int64
	Ask    int64
}

func (c *Console) servePolicy(w http.ResponseWriter, r *http.Request, s *session) error {
	pol := c.opts.Policy
	sum := sha256.Sum256(c.opts.PolicyYAML)
	p := policyPage{Name: Visible(pol.Name), Revision: Visible(pol.Revision), SHA256: hex.EncodeToString(sum[:]),
		Description: Visible(pol.Description), DefaultTier: Visible(pol.DefaultTier), Periods: Periods, Days: DefaultPeriod,
		YAML: Visible(string(c.opts.PolicyYAML))}
	if b, err := c.opts.Store.CurrentPolicy(r.Context()); err == nil && b.SHA256 == p.SHA256 {
		p.Version = strconv.Itoa(int(b.Version))
	}
	for _, t := range pol.Tiers {
		p.Tiers = append(p.Tiers, tierRow{Name: Visible(t.Name), Description: Visible(t.Description),
			Inherits: Visible(strings.Join(t.Inherits, ", ")), Failure: Visible(t.Failure), Default: t.Name == pol.DefaultTier})
	}
	now := c.opts.Now()
	for _, e := range pol.Exceptions {
		end := e.Expires.End()
		p.Exceptions = append(p.Exceptions, exceptionRow{ID: shorten(e.ID), Rule: shorten(e.Rule), Decision: shorten(e.Decision.String()),
			Owner: shorten(e.Owner), Reason: shorten(e.Reason), Tiers: shorten(strings.Join(e.Tiers, ", ")),
			Repositories: shorten(strings.Join(e.Repositories, ", ")), Expires: e.Expires.String(),
			Expired: e.Expired(now), Soon: !e.Expired(now) && end.Sub(now) <= ExpiringSoon, Anchor: "rule-" + anchor(e.Rule), end: end})
	}
	// Expiring soonest first; expired ones (no longer in force) last.
	slices.SortStableFunc(p.Exceptions, func(a, b exceptionRow) int {
		if a.Expired != b.Expired {
			if a.Expired {
				return 1
			}
			return -1
		}
		return a.end.Compare(b.end)
	})
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !slices.Contains(Periods, n) {
			return &pageError{status: http.StatusBadRequest, title: "Invalid period", detail: "Choose a period of 1, 7, 30 or 90 days."}
		}
		p.Days = n
	}
	until := now.UTC().Truncate(store.Day).Add(store.Day)
	if err := c.opts.Sync(r.Context()); err != nil {
		return err
	}
	st, err := c.opts.Store.Stats(r.Context(), store.StatsFilter{Since: until.Add(-time.Duration(p.Days) * store.Day), Until: until, Top: store.MaxLimit})
	if err != nil {
		return err
	}
	for _, tr := range st.TopRules {
		p.Rules = append(p.Rules, ruleRow{Rule: shorten(tr.Name), Anchor: "rule-" + anchor(tr.Name), N: tr.N})
	}
	c.render(w, r, http.StatusOK, "policy", s, p)
	return nil
}
