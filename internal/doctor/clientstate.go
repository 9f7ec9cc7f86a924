package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/ship"
)

// connection is the server the client state points at.
func (s *state) connection() clientstate.Connection {
	return clientstate.Connect(s.cfg.getenv, s.cfg.Home)
}

// checkEnrollment reports the machine's device identity (warden enroll):
// its key and device files in the state directory, which sign the hook's
// audit, and the device credential in the client configuration, which the
// shipper sends.
func checkEnrollment(_ context.Context, s *state) Result {
	conn := s.connection()
	if conn.Err != nil {
		return Result{Status: Fail, Evidence: conn.Err.Error(), Fix: "fix or replace the client configuration (warden install --server URL ...)"}
	}
	dir := clientstate.Dir(s.cfg.getenv, s.cfg.Home)
	dev, err := clientstate.LoadDevice(dir)
	switch {
	case errors.Is(err, clientstate.ErrNotEnrolled):
		ev := "not enrolled: no device identity in " + dir
		if conn.Server == "" {
			return Result{Status: Warn, Evidence: ev + "; no server configured (standalone machine)",
				Fix: "to report to a Warden server, install with --server URL and enroll this device (warden enroll)"}
		}
		return Result{Status: Warn, Evidence: ev + " (server " + conn.Server + " from " + conn.Source + "): its audit is stored unverified",
			Fix: "enroll this device: warden enroll --server " + conn.Server + " --token-file FILE (an enroll token from an admin)"}
	case err != nil:
		return Result{Status: Fail, Evidence: "the device identity does not load, so the hook's audit is not signed: " + err.Error(),
			Fix: "re-enroll: warden enroll --force --server URL --token-file FILE (a new enroll token)"}
	}
	ev := fmt.Sprintf("enrolled as %s (%s) with %s", oneLine(dev.DeviceID), oneLine(dev.Name), oneLine(dev.Server))
	if conn.Source != "" && conn.Source != "env" {
		c, err := clientstate.LoadClientConfig(conn.Source)
		if err == nil && c.DeviceID != "" && c.DeviceID != dev.DeviceID {
			return Result{Status: Fail, Evidence: ev + ", but " + conn.Source + " names device " + oneLine(c.DeviceID),
				Fix: "re-enroll so the two agree: warden enroll --force --server URL --token-file FILE"}
		}
	}
	return Result{Status: Pass, Evidence: ev}
}

func checkServer(ctx context.Context, s *state) Result {
	conn := s.connection()
	if conn.Err != nil {
		return Result{Status: Fail, Evidence: conn.Err.Error(), Fix: "fix or replace the client configuration"}
	}
	if conn.Server == "" {
		return Result{Status: Skip, Evidence: "no server configured ($" + clientstate.EnvServer + " unset, no " + clientstate.ClientConfigName + ")"}
	}
	hc := s.cfg.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	url := clientstate.ServerURL(conn.Server) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Result{Status: Fail, Evidence: fmt.Sprintf("server URL %q from %s: %v", conn.Server, conn.Source, err), Fix: "fix the server URL in " + conn.Source}
	}
	start := s.cfg.now()
	resp, err := hc.Do(req)
	if err != nil {
		return Result{Status: Fail, Evidence: fmt.Sprintf("GET %s: %v", url, err),
			Fix: "check the network path to the server and that warden serve runs; audit waits in the spool meanwhile"}
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return Result{Status: Fail, Evidence: fmt.Sprintf("GET %s: %s", url, resp.Status), Fix: "check the server's logs (warden serve)"}
	}
	return Result{Status: Pass, Evidence: fmt.Sprintf("GET %s: 200 in %s (from %s)", url, s.cfg.now().Sub(start).Round(time.Millisecond), conn.Source)}
}

// spoolStatus reads the spool's status once per run.
func (s *state) spoolStatus() (*ship.Status, error) {
	if s.spool != nil || s.spoolErr != nil {
		return s.spool, s.spoolErr
	}
	path := clientstate.SpoolPath(s.cfg.getenv, s.cfg.Home, s.cfg.Spool)
	if path == "" {
		s.spoolErr = errors.New("no spool file: set --spool, $WARDEN_SPOOL or $HOME")
		return nil, s.spoolErr
	}
	conn := s.connection()
	s.spool, s.spoolErr = ship.ReadStatus(path, clientstate.Dir(s.cfg.getenv, s.cfg.Home), conn.Server)
	return s.spool, s.spoolErr
}

// stuckAfter is how long undelivered events may wait before the spool is
// said not to drain.
const stuckAfter = 15 * time.Minute

func checkSpool(_ context.Context, s *state) Result {
	st, err := s.spoolStatus()
	if err != nil {
		return Result{Status: Fail, Evidence: "read spool status: " + err.Error(), Fix: "warden spool status shows the details"}
	}
	ev := fmt.Sprintf("%s: %d events pending (%d bytes), %d delivered, %d dropped by rotation", st.Spool, st.Pending, st.PendingBytes, st.Delivered, st.Drops)
	if fi, err := os.Stat(st.Spool + ".1"); err == nil {
		ev += fmt.Sprintf(", rotated file %s.1 (%d bytes)", st.Spool, fi.Size())
	}
	if st.Server == "" {
		return Result{Status: Skip, Evidence: ev + "; no server to drain to"}
	}
	now := s.cfg.now()
	if st.Pending > 0 && st.LastError != "" && now.Sub(st.LastSuccess) > stuckAfter {
		last := "never"
		if !st.LastSuccess.IsZero() {
			last = st.LastSuccess.Format(time.RFC3339)
		}
		return Result{Status: Fail, Evidence: fmt.Sprintf("%s; not draining: last delivery %s, last error %s", ev, last, oneLine(st.LastError)),
			Fix: "fix the error above (server reachable, token valid), then warden spool ship delivers the backlog"}
	}
	if st.Drops > 0 || st.Rejected > 0 {
		return Result{Status: Warn, Evidence: fmt.Sprintf("%s, %d rejected by the server", ev, st.Rejected),
			Fix: "events were lost: keep the server reachable (the spool rotates when it grows); see warden spool status"}
	}
	return Result{Status: Pass, Evidence: ev}
}

// staleAfter is how many refresh intervals a cached policy may go
// unchecked before it is called stale.
const staleAfter = 10

func checkPolicyCache(_ context.Context, s *state) Result {
	st, err := s.spoolStatus()
	if err != nil {
		return Result{Status: Skip, Evidence: "spool status unreadable: " + err.Error()}
	}
	p := st.Policy
	if st.Server == "" || p == nil {
		return Result{Status: Skip, Evidence: "no server: the hook decides with the installed policy"}
	}
	interval := ship.DefaultPolicyInterval
	switch {
	case p.LastLoadError != "":
		return Result{Status: Fail, Evidence: "cached policy unreadable (hooks deny every call): " + oneLine(p.LastLoadError),
			Fix: "warden spool ship replaces it from the server"}
	case !p.Cached:
		return Result{Status: Warn, Evidence: "no policy cached from " + st.Server + " yet: hooks decide with the built-in baseline",
			Fix: "warden spool ship fetches it (the hook starts the shipper after its first call)"}
	}
	checked := p.CheckedAt
	if checked.IsZero() || p.FetchedAt.After(checked) {
		checked = p.FetchedAt
	}
	age := s.cfg.now().Sub(checked)
	ev := fmt.Sprintf("%s %s, fetched %s, last checked %s ago (refresh every %s)", p.Name, p.Revision, p.FetchedAt.Format(time.RFC3339), age.Round(time.Second), interval)
	if age > staleAfter*interval {
		e := ev
		if p.Error != "" {
			e += "; last refresh error: " + oneLine(p.Error)
		}
		return Result{Status: Warn, Evidence: "stale: " + e, Fix: "the policy refreshes while Claude Code runs hooks; check the server (server check above) and warden spool status"}
	}
	return Result{Status: Pass, Evidence: ev}
}
