package console

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
	"github.com/wardenhq/warden/internal/record"
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
	Versions                                         []versionRow
	Diff                                             *policyDiff
	// Pauses are the pauses of Warden's decisions in force (warden
	// policy pause), shown first: while one is, the hooks of its tier
	// decide almost nothing.
	Pauses []pauseRow
}

type pauseRow struct {
	Tier, Until, By, Since string
	Reason                 short
}

type versionRow struct {
	Version                 int64
	Name, SHA256, CreatedAt string
	From, To                bool
}

// policyDiff compares two stored revisions as `warden policy diff` does
// for settings: each tier's compiled managed settings, and the YAML.
type policyDiff struct {
	From, To int64
	Tiers    []tierChanges
	YAML     string
	Error    string
}

type tierChanges struct {
	Tier    string
	OnlyIn  string
	Changes []string
}

// PolicyDiff is how the policy page compares two revisions, given by the
// server's caller (warden serve: the settings compiler's DiffSettings and
// unified diff, what `warden policy diff` shows), so that neither the
// console nor the server links the settings compiler. Nil fields leave
// their half out.
type PolicyDiff struct {
	// Tier lists the changes of one tier's compiled managed settings.
	Tier func(old, new *policy.Policy, tier string) ([]string, error)
	// Text is a unified diff of two texts, "" when equal.
	Text func(oldName, newName, old, new string) string
}

// MaxDiffLines bounds the YAML the revision diff compares line by line.
const MaxDiffLines = 3000

// diffRevisions compiles both revisions' tiers and compares them.
func diffRevisions(pd PolicyDiff, a, b record.PolicyBundle) *policyDiff {
	d := &policyDiff{From: a.Version, To: b.Version}
	pa, err := policyfile.Parse(fmt.Sprintf("version %d", a.Version), a.YAML)
	if err != nil {
		d.Error = Visible(fmt.Sprintf("version %d does not parse: %v", a.Version, err))
		return d
	}
	pb, err := policyfile.Parse(fmt.Sprintf("version %d", b.Version), b.YAML)
	if err != nil {
		d.Error = Visible(fmt.Sprintf("version %d does not parse: %v", b.Version, err))
		return d
	}
	tiers := pa.TierNames()
	for _, t := range pb.TierNames() {
		if !slices.Contains(tiers, t) {
			tiers = append(tiers, t)
		}
	}
	for _, tier := range tiers {
		tc := tierChanges{Tier: Visible(tier)}
		inA, inB := slices.Contains(pa.TierNames(), tier), slices.Contains(pb.TierNames(), tier)
		switch {
		case !inA:
			tc.OnlyIn = "new"
		case !inB:
			tc.OnlyIn = "old"
		default:
			if pd.Tier == nil {
				tc.Changes = []string{"(the settings comparison is not available in this server)"}
				break
			}
			changes, err := pd.Tier(pa, pb, tier)
			if err != nil {
				tc.Changes = []string{Visible(fmt.Sprintf("cannot compare: %v", err))}
				break
			}
			for _, c := range changes {
				tc.Changes = append(tc.Changes, Visible(c))
			}
		}
		d.Tiers = append(d.Tiers, tc)
	}
	if strings.Count(string(a.YAML), "\n") > MaxDiffLines || strings.Count(string(b.YAML), "\n") > MaxDiffLines {
		d.YAML = fmt.Sprintf("(more than %d lines: compare the files with warden policy diff)", MaxDiffLines)
	} else if pd.Text != nil {
		d.YAML = Visible(pd.Text(fmt.Sprintf("version %d", a.Version), fmt.Sprintf("version %d", b.Version), string(a.YAML), string(b.YAML)))
	}
	return d
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
	bundles, err := c.opts.Store.Policies(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	var fromB, toB *record.PolicyBundle
	for i, b := range bundles {
		v := strconv.FormatInt(b.Version, 10)
		if b.SHA256 == p.SHA256 && p.Version == "" {
			p.Version = v
		}
		row := versionRow{Version: b.Version, Name: Visible(b.Name), SHA256: b.SHA256[:min(12, len(b.SHA256))],
			CreatedAt: b.CreatedAt.UTC().Format("2006-01-02 15:04Z"), From: v == from, To: v == to}
		if row.From {
			fromB = &bundles[i]
		}
		if row.To {
			toB = &bundles[i]
		}
		p.Versions = append(p.Versions, row)
	}
	if from != "" || to != "" {
		if fromB == nil || toB == nil {
			return &pageError{status: http.StatusBadRequest, title: "Unknown revision", detail: "Choose two stored versions from the lists."}
		}
		p.Diff = diffRevisions(c.opts.PolicyDiff, *fromB, *toB)
	}
	for _, t := range pol.Tiers {
		p.Tiers = append(p.Tiers, tierRow{Name: Visible(t.Name), Description: Visible(t.Description),
			Inherits: Visible(strings.Join(t.Inherits, ", ")), Failure: Visible(t.Failure), Default: t.Name == pol.DefaultTier})
	}
	now := c.opts.Now()
	overlays, err := c.opts.Store.ListOverlays(r.Context())
	if err != nil {
		return err
	}
	for _, o := range overlays {
		if o.Kind == policy.OverlayPause && now.Before(o.Until) {
			p.Pauses = append(p.Pauses, pauseRow{Tier: Visible(o.Tier), Until: o.Until.UTC().Format("2006-01-02 15:04Z"),
				By: Visible(o.By), Since: o.Time.UTC().Format("2006-01-02 15:04Z"), Reason: shorten(o.Reason)})
		}
	}
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
