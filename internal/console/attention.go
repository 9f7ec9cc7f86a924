package console

import (
	"context"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// attention is what the overview shows first, whatever the period: the
// alerts not dealt with yet, by severity, and the machines where
// protection did not apply.
type attention struct {
	// Severities are the open and acknowledged alerts per severity, most
	// severe first.
	Severities []severityCount
	Open       int64
	// Unprotected are the hosts with open or acknowledged
	// protection.no-decision alerts, most alerts first.
	Unprotected []unprotectedHost
	// More: there were more such alerts than one store page per status.
	More bool
}

type severityCount struct {
	Severity           string
	Open, Acknowledged int64
}

type unprotectedHost struct {
	Host     string // "" when the sessions named none
	Alerts   int
	Sessions int
	Calls    int64 // the alerts' firings: tool calls with no decision
}

func (c *Console) attention(ctx context.Context) (attention, error) {
	var a attention
	counts, err := c.opts.Store.AlertCounts(ctx)
	if err != nil {
		return a, err
	}
	n := map[[2]string]int64{}
	for _, x := range counts {
		n[[2]string{x.Severity, x.Status}] = x.N
	}
	for _, sev := range severitiesDown() {
		sc := severityCount{Severity: sev, Open: n[[2]string{sev, record.AlertOpen}],
			Acknowledged: n[[2]string{sev, record.AlertAcknowledged}]}
		a.Open += sc.Open + sc.Acknowledged
		a.Severities = append(a.Severities, sc)
	}
	byHost, more, err := c.noDecisionAlerts(ctx)
	if err != nil {
		return a, err
	}
	a.More = more
	for host, alerts := range byHost {
		h := unprotectedHost{Host: host, Alerts: len(alerts)}
		seen := map[string]bool{}
		for _, al := range alerts {
			h.Calls += al.Count
			if al.SessionID != "" && !seen[al.SessionID] {
				seen[al.SessionID] = true
				h.Sessions++
			}
		}
		a.Unprotected = append(a.Unprotected, h)
	}
	slices.SortFunc(a.Unprotected, func(x, y unprotectedHost) int {
		if x.Alerts != y.Alerts {
			return y.Alerts - x.Alerts
		}
		return strings.Compare(x.Host, y.Host)
	})
	return a, nil
}

// noDecisionAlerts returns the open and acknowledged protection.no-decision
// alerts by the host they name ("" when none), the first store page of
// each status; more reports that there were further pages. The overview
// and the devices pages both read them.
func (c *Console) noDecisionAlerts(ctx context.Context) (map[string][]record.Alert, bool, error) {
	byHost := map[string][]record.Alert{}
	more := false
	for _, status := range []string{record.AlertOpen, record.AlertAcknowledged} {
		page, err := c.opts.Store.ListAlerts(ctx, store.AlertFilter{Rule: NoDecisionRule, Status: status, Limit: store.MaxLimit})
		if err != nil {
			return nil, false, err
		}
		for _, al := range page.Alerts {
			byHost[al.Device] = append(byHost[al.Device], al)
		}
		more = more || page.Next != ""
	}
	return byHost, more, nil
}
