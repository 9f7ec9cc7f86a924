package server

import (
	"context"
	"time"
)

// retentionLoop enforces retention_days every retention_interval, first
// one minute after start (so a restart loop does not hammer the store).
func (s *Server) retentionLoop(ctx context.Context) {
	t := time.NewTimer(min(time.Minute, s.cfg.RetentionInterval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.EnforceRetention(ctx)
		t.Reset(s.cfg.RetentionInterval)
	}
}

// EnforceRetention deletes the sessions (with their events and metric
// points) whose last activity is more than retention_days before now, and
// returns how many events and points went. With retention_days 0 it does
// nothing. Errors are logged and counted, not returned: the next run
// retries.
func (s *Server) EnforceRetention(ctx context.Context) int {
	if s.cfg.RetentionDays <= 0 {
		return 0
	}
	cutoff := s.now().Add(-time.Duration(s.cfg.RetentionDays) * 24 * time.Hour)
	start := time.Now()
	n, err := s.store.DeleteBefore(ctx, cutoff)
	if err != nil {
		if ctx.Err() == nil {
			s.metrics.retentionRuns.WithLabelValues("error").Inc()
			s.metrics.storeErrors.WithLabelValues("retention").Inc()
			s.log.Error("retention failed", "cutoff", cutoff, LogKeyError, err)
		}
		return 0
	}
	s.metrics.retentionRuns.WithLabelValues("ok").Inc()
	s.metrics.retentionDelete.Add(float64(n))
	s.log.Info("retention", "cutoff", cutoff, "deleted", n, LogKeyDuration, time.Since(start).Milliseconds())
	return n
}
