package server

import (
	"net/http"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// QuarantinesPath is the list of active quarantines hooks cache.
const QuarantinesPath = "/v1/quarantines"

// quarantineWindow is how far back a session counts as active for the
// quarantine list: quarantined, or with an event, within it. It is the
// 30 days Claude Code keeps a session's transcript by default
// (cleanupPeriodDays), so a session that can still be resumed stays
// listed; one idle longer is not, its next events make it active again, and
// central decisions check the store whatever the list says.
const quarantineWindow = 30 * 24 * time.Hour

// serveQuarantines is GET /v1/quarantines (scope read or ingest, like
// /v1/policy): the quarantines of the sessions active within
// quarantineWindow, most recently active first, at most
// store.MaxActiveQuarantines, reasons cut to record.MaxListedReasonBytes.
// The shipper fetches it with the policy and caches it, and the hook
// denies every tool call of a listed session, so a quarantine reaches
// machines that decide locally within the policy refresh interval, and a
// release lifts it as fast.
func (s *Server) serveQuarantines(w http.ResponseWriter, r *http.Request) error {
	now := s.now().UTC()
	since := now.Add(-quarantineWindow)
	qs, err := s.store.ActiveQuarantines(r.Context(), since, store.MaxActiveQuarantines+1)
	if err != nil {
		s.metrics.storeErrors.WithLabelValues("quarantine").Inc()
		return err
	}
	list := record.QuarantineListV1{Schema: record.SchemaQuarantineListV1, GeneratedAt: now, ActiveSince: since, Sessions: qs}
	if len(qs) > store.MaxActiveQuarantines {
		list.Sessions, list.Truncated = qs[:store.MaxActiveQuarantines], true
	}
	for i := range list.Sessions {
		q := &list.Sessions[i]
		q.Reason = record.Truncate(q.Reason, record.MaxListedReasonBytes)
		q.By = record.Truncate(q.By, record.MaxListedReasonBytes)
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, list)
}
