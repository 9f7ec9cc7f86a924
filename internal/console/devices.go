package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// NoDecisionRule is the detection rule that reports a tool that ran with
// no Warden decision (protection did not apply): its open alerts make a
// device's hook health bad.
const NoDecisionRule = "protection.no-decision"

// Hook health states of a device.
const (
	HealthOK          = "ok"
	HealthUnprotected = "unprotected" // open protection.no-decision alerts
	HealthNoAudit     = "no-audit"    // no signed audit stored
)

// fleet is what the devices pages read from the store at once.
type fleet struct {
	devices  []record.Device
	activity map[string]record.DeviceActivity
	scans    map[string][]record.DeviceScan // by device ID; "" for token reports
	// alerts are the open protection.no-decision alerts by the host
	// name they name ("" when unknown).
	alerts map[string][]record.Alert
}

func (c *Console) loadFleet(ctx context.Context) (*fleet, error) {
	f := &fleet{scans: map[string][]record.DeviceScan{}}
	var err error
	if f.devices, err = c.opts.Store.ListDevices(ctx); err != nil {
		return nil, err
	}
	if f.activity, err = c.opts.Store.DeviceActivity(ctx); err != nil {
		return nil, err
	}
	scans, err := c.opts.Store.ListScans(ctx, store.ScanFilter{Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	for _, s := range scans {
		f.scans[s.DeviceID] = append(f.scans[s.DeviceID], s)
	}
	if f.alerts, _, err = c.noDecisionAlerts(ctx); err != nil {
		return nil, err
	}
	return f, nil
}

// deviceRow is one device as the list and its page show it.
type deviceRow struct {
	ID, URL, RevokeURL   string
	Name                 short
	Revoked              bool
	RevokedAt            time.Time
	EnrolledAt, LastSeen time.Time
	// Version is the Warden version its client last named (the
	// shipper's User-Agent), else that of its latest scan report.
	Version short
	// Policy is the policy name and revision its latest audit event was
	// decided under.
	Policy               short
	Tier                 short
	Hosts                []string
	Verified, Unverified int64
	Health               string
	// NoDecision counts the tool calls of its open no-decision alerts.
	NoDecision int64
	Alerts     []deviceAlert
	Posture    posture
	Scans      []scanView
}

type deviceAlert struct {
	ID, Title, Severity string
	Session             short
	SessionURL          string
	Count               int64
	Last                time.Time
}

// newDeviceAlert is the line of alert al, its session shown as session
// and linked to al's.
func newDeviceAlert(al record.Alert, session string) deviceAlert {
	return deviceAlert{ID: al.ID, Title: al.Title, Severity: al.Severity, Session: shorten(session),
		SessionURL: sessionURL(al.SessionID), Count: al.Count, Last: al.LastSeen}
}

// posture sums a device's latest scans: findings (fail) and passed checks
// by severity, most severe first.
type posture struct {
	Scans      int
	Fail, Pass []sevCount
	Failing    int
	Worst      string // most severe failing severity, "" when none
}

type sevCount struct {
	Severity string
	N        int
}

type scanView struct {
	Repository              short
	Machine                 bool
	Host, Version, Policy   short
	Tier                    short
	ScannedAt, ReceivedAt   time.Time
	Verified                bool
	Reporter                string
	Fail, Pass              []sevCount
	Findings                []findingView
	Errors                  []short
	FailingN, PassN, Checks int
}

type findingView struct {
	RuleID, Severity string
	Message          short
	Where            short
	Evidence         short
}

// severitiesDesc is record.ScanSeverities, most severe first.
func severitiesDesc() []string {
	s := slices.Clone(record.ScanSeverities)
	slices.Reverse(s)
	return s
}

func counts(m map[string]int) []sevCount {
	out := make([]sevCount, 0, len(m))
	for _, s := range severitiesDesc() {
		out = append(out, sevCount{Severity: s, N: m[s]})
	}
	return out
}

func newScanView(s record.DeviceScan) scanView {
	r := &s.Report
	v := scanView{Repository: shorten(r.Repository), Machine: r.Repository == "", Host: shorten(r.Host),
		Version: shorten(r.WardenVersion), Policy: shorten(strings.TrimSpace(r.Policy + " " + r.PolicyRevision)),
		Tier: shorten(r.Tier), ScannedAt: r.ScannedAt, ReceivedAt: s.ReceivedAt, Verified: s.Verified, Reporter: s.Reporter,
		Fail: counts(r.Counts()), Pass: counts(r.Passed()), FailingN: len(r.Findings), Checks: len(r.Checks)}
	for _, c := range r.Checks {
		if c.Status == record.ScanPass {
			v.PassN++
		}
	}
	fs := slices.Clone(r.Findings)
	slices.SortStableFunc(fs, func(a, b record.ScanFindingV1) int {
		return slices.Index(record.ScanSeverities, b.Severity) - slices.Index(record.ScanSeverities, a.Severity)
	})
	for _, f := range fs {
		where := f.File
		if where != "" && f.Line > 0 {
			where += ":" + strconv.Itoa(f.Line)
		}
		v.Findings = append(v.Findings, findingView{RuleID: f.RuleID, Severity: f.Severity, Message: shorten(f.Message),
			Where: shorten(where), Evidence: shorten(f.Evidence)})
	}
	for _, e := range r.Errors {
		v.Errors = append(v.Errors, shorten(e))
	}
	return v
}

func deviceURL(id string) string { return "/devices/" + url.PathEscape(id) }

// row builds a device's row: its hosts are its enrolled name, the host
// of its latest audit event and those of its scan reports, which is how
// alerts (which name a host) are matched to it.
func (f *fleet) row(d record.Device) deviceRow {
	a := f.activity[d.ID]
	r := deviceRow{ID: d.ID, URL: deviceURL(d.ID), RevokeURL: deviceURL(d.ID) + "/revoke", Name: shorten(d.Name),
		Revoked: d.Revoked(), RevokedAt: d.RevokedAt, EnrolledAt: d.EnrolledAt, LastSeen: a.LastSeen,
		Verified: a.Verified, Unverified: a.Unverified, Tier: shorten(a.Tier)}
	if a.LastContact.After(r.LastSeen) {
		r.LastSeen = a.LastContact
	}
	if a.Version != "" {
		r.Version = shorten(a.Version)
	}
	if a.PolicyVersion != "" || a.Policy != "" {
		r.Policy = shorten(strings.TrimSpace(a.Policy + " " + a.PolicyVersion))
	}
	hosts := []string{d.Name, a.Host}
	scans := f.scans[d.ID]
	fail, pass := map[string]int{}, map[string]int{}
	for _, s := range scans {
		hosts = append(hosts, s.Report.Host)
		if s.ReceivedAt.After(r.LastSeen) {
			r.LastSeen = s.ReceivedAt
		}
		for k, n := range s.Report.Counts() {
			fail[k] += n
		}
		for k, n := range s.Report.Passed() {
			pass[k] += n
		}
		r.Posture.Failing += len(s.Report.Findings)
		r.Scans = append(r.Scans, newScanView(s))
	}
	r.Posture.Scans = len(scans)
	if len(scans) > 0 {
		// Without a version or policy from its audit, the newest scan's
		// (scans are newest first), as that scan's view shows them.
		if r.Version.Text == "" {
			r.Version = r.Scans[0].Version
		}
		if r.Policy.Text == "" {
			r.Policy = r.Scans[0].Policy
		}
		r.Posture.Fail, r.Posture.Pass = counts(fail), counts(pass)
		for _, sc := range r.Posture.Fail {
			if sc.N > 0 {
				r.Posture.Worst = sc.Severity
				break
			}
		}
	}
	slices.Sort(hosts)
	for _, h := range slices.Compact(hosts) {
		if h == "" {
			continue
		}
		r.Hosts = append(r.Hosts, h)
		for _, al := range f.alerts[h] {
			r.NoDecision += al.Count
			r.Alerts = append(r.Alerts, newDeviceAlert(al, al.SessionID))
		}
	}
	switch {
	case r.NoDecision > 0:
		r.Health = HealthUnprotected
	case a.Verified+a.Unverified == 0:
		r.Health = HealthNoAudit
	default:
		r.Health = HealthOK
	}
	return r
}

func sessionURL(id string) string {
	if id == "" {
		return ""
	}
	return "/sessions/" + url.PathEscape(id)
}

// devicesPage is the list.
type devicesPage struct {
	Devices []deviceRow
	// Unenrolled are the scans reported with a token by machines that are
	// not enrolled.
	Unenrolled []scanView
	// Elsewhere are the open no-decision alerts that name no enrolled
	// device's host.
	Elsewhere []deviceAlert
	Counts    struct{ Live, Revoked, Unprotected, Failing int }
}

func (c *Console) serveDevices(w http.ResponseWriter, r *http.Request, s *session) error {
	if len(r.URL.Query()) > 0 {
		return &pageError{status: http.StatusBadRequest, title: "Invalid request", detail: "The devices page takes no parameters."}
	}
	f, err := c.loadFleet(r.Context())
	if err != nil {
		return err
	}
	var p devicesPage
	matched := map[string]bool{}
	for _, d := range f.devices {
		row := f.row(d)
		for _, h := range row.Hosts {
			matched[h] = true
		}
		if row.Revoked {
			p.Counts.Revoked++
		} else {
			p.Counts.Live++
		}
		if row.Health == HealthUnprotected {
			p.Counts.Unprotected++
		}
		if row.Posture.Worst != "" {
			p.Counts.Failing++
		}
		p.Devices = append(p.Devices, row)
	}
	for _, sc := range f.scans[""] {
		p.Unenrolled = append(p.Unenrolled, newScanView(sc))
	}
	hosts := make([]string, 0, len(f.alerts))
	for h := range f.alerts {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	for _, h := range hosts {
		if matched[h] {
			continue
		}
		for _, al := range f.alerts[h] {
			p.Elsewhere = append(p.Elsewhere, newDeviceAlert(al, firstOf(h, "unknown host")+" · "+al.SessionID))
		}
	}
	c.render(w, r, http.StatusOK, "devices", s, p)
	return nil
}

// devicePage is one device.
type devicePage struct {
	Device deviceRow
	Notice string
}

// deviceFor loads the fleet and the row of the device in the path.
func (c *Console) deviceFor(r *http.Request) (*deviceRow, error) {
	id := r.PathValue("id")
	if !record.ValidDeviceID(id) {
		return nil, &pageError{status: http.StatusBadRequest, title: "Invalid device ID",
			detail: "A device ID is dev_ and hex; pick a device from the devices page."}
	}
	f, err := c.loadFleet(r.Context())
	if err != nil {
		return nil, err
	}
	for _, d := range f.devices {
		if d.ID == id {
			// The fleet holds the newest scans of all; the device's own
			// may be older than those.
			scans, err := c.opts.Store.ListScans(r.Context(), store.ScanFilter{DeviceID: id, Limit: store.MaxScansPerReporter})
			if err != nil {
				return nil, err
			}
			f.scans[id] = scans
			row := f.row(d)
			return &row, nil
		}
	}
	return nil, &pageError{status: http.StatusNotFound, title: "No such device",
		detail: "No device with this ID is enrolled. Pick one from the devices page."}
}

func (c *Console) serveDevice(w http.ResponseWriter, r *http.Request, s *session) error {
	row, err := c.deviceFor(r)
	if err != nil {
		return err
	}
	p := devicePage{Device: *row}
	if r.URL.Query().Get("done") == "revoked" && row.Revoked {
		p.Notice = "Device revoked: its credential no longer authenticates, and its further audit is stored unverified."
	}
	c.render(w, r, http.StatusOK, "device", s, p)
	return nil
}

// serveRevokeConfirm is the confirmation step of a revocation: a page
// that says what revoking does, with the form that does it.
func (c *Console) serveRevokeConfirm(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireAdmin(s); err != nil {
		return err
	}
	row, err := c.deviceFor(r)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "revoke", s, devicePage{Device: *row})
	return nil
}

// serveRevoke revokes a device once the confirmation was given.
func (c *Console) serveRevoke(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireAdmin(s); err != nil {
		return err
	}
	id := r.PathValue("id")
	if !record.ValidDeviceID(id) {
		return &pageError{status: http.StatusBadRequest, title: "Invalid device ID", detail: "A device ID is dev_ and hex."}
	}
	if r.PostForm.Get("confirm") != "yes" {
		return &pageError{status: http.StatusBadRequest, title: "Confirmation required",
			detail: "Tick the confirmation on the revoke page to revoke the device; go back and try again."}
	}
	var err error
	if c.opts.RevokeDevice != nil {
		_, err = c.opts.RevokeDevice(r.Context(), id, s.who())
	} else {
		err = c.opts.Store.RevokeDevice(r.Context(), id)
	}
	if store.ErrorCode(err) == store.ENotFound {
		return &pageError{status: http.StatusNotFound, title: "No such device", detail: "No device with this ID is enrolled."}
	}
	if err != nil {
		return err
	}
	c.opts.Logger.Info("device revoked from the console", "device_id", id, "by", s.who())
	http.Redirect(w, r, deviceURL(id)+"?done=revoked", http.StatusSeeOther)
	return nil
}
