package console

import (
	"context"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// maxUnprotectedAlerts bounds the alerts the overview reads to list where
// protection did not apply; past it the list says there are more.
const maxUnprotectedAlerts = 500

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
	// More: there were more such alerts than the overview reads.
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
	for i := len(record.AlertSeverities) - 1; i >= 0; i-- {
		sc := severityCount{Severity: record.AlertSeverities[i]}
		for _, n := range counts {
			if n.Severity != sc.Severity {
				continue
			}
			switch n.Status {
			case record.AlertOpen:
				sc.Open += n.N
			case record.AlertAcknowledged:
				sc.Acknowledged += n.N
			}
		}
		a.Open += sc.Open + sc.Acknowledged
		a.Severities = append(a.Severities, sc)
	}
	byHost := map[string]*unprotectedHost{}
	sessions := map[string]map[string]bool{}
	read := 0
	for _, status := range []string{record.AlertOpen, record.AlertAcknowledged} {
		f := store.AlertFilter{Status: status, Rule: NoDecisionRule, Limit: store.MaxLimit}
		for {
			page, err := c.opts.Store.ListAlerts(ctx, f)
			if err != nil {
				return a, err
			}
			for _, al := range page.Alerts {
				if read == maxUnprotectedAlerts {
					a.More = true
					break
				}
				read++
				h := byHost[al.Device]
				if h == nil {
					h = &unprotectedHost{Host: al.Device}
					byHost[al.Device] = h
					sessions[al.Device] = map[string]bool{}
				}
				h.Alerts++
				h.Calls += al.Count
				if al.SessionID != "" && !sessions[al.Device][al.SessionID] {
					sessions[al.Device][al.SessionID] = true
					h.Sessions++
				}
			}
			if page.Next == "" || a.More {
				break
			}
			f.Cursor = page.Next
		}
	}
	for _, h := range byHost {
		a.Unprotected = append(a.Unprotected, *h)
	}
	slices.SortFunc(a.Unprotected, func(x, y unprotectedHost) int {
		if x.Alerts != y.Alerts {
			return y.Alerts - x.Alerts
		}
		return strings.Compare(x.Host, y.Host)
	})
	return a, nil
}
