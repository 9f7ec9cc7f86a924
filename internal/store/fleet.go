package store

import (
	"context"
	"encoding/json"

	"github.com/wardenhq/warden/internal/record"
)

// Fleet is the part of a store that keeps what the console's devices page
// shows beyond the devices themselves: the latest scan report per reporter,
// host and repository, each device's last contact, and the activity of its
// signed audit. Scan reports and contacts are control state: DeleteBefore
// keeps them.
type Fleet interface {
	// PutScan stores s as the latest scan of its reporter, host and
	// repository, replacing the one before, stamped with Options.Now as
	// ReceivedAt, and returns it. A reporter keeps at most
	// MaxScansPerReporter scans: storing one more deletes its least
	// recently received, in the same transaction. A report that fails
	// ValidateScan answers ErrInvalid and stores nothing.
	PutScan(ctx context.Context, s record.DeviceScan) (*record.DeviceScan, error)
	// ListScans returns the stored scans the filter selects, most recently
	// received first (then by reporter, host, repository), at most
	// MaxLimit (or the filter's Limit).
	ListScans(ctx context.Context, f ScanFilter) ([]record.DeviceScan, error)
	// DeviceActivity returns the activity of every device with a stored
	// chain link or a noted contact, by device ID.
	DeviceActivity(ctx context.Context) (map[string]record.DeviceActivity, error)
	// NoteDeviceContact records that the device's credential was used
	// now (Options.Now) by a client naming version ("" when it named
	// none); version must pass ValidVersion (else ErrInvalid).
	NoteDeviceContact(ctx context.Context, deviceID, version string) error
}

// MaxScansPerReporter bounds the scans one reporter (a device or a token)
// keeps: one per repository it scans, the machine's included.
const MaxScansPerReporter = 200

// ScanFilter selects scans for ListScans. Zero fields do not filter.
type ScanFilter struct {
	DeviceID string
	Reporter string
	// Limit is DefaultLimit when 0, at most MaxLimit.
	Limit int
}

// ValidateScan reports, with code invalid, why a store would refuse s: a
// reporter that is empty or too long, a device ID that is not one, or a
// report that fails record.ScanReportV1.Validate.
func ValidateScan(s *record.DeviceScan) error {
	if err := checkID("reporter", s.Reporter); err != nil {
		return err
	}
	if s.DeviceID != "" && !record.ValidDeviceID(s.DeviceID) {
		return Errorf(EInvalid, "scan: device_id %q is not a device ID", record.Truncate(s.DeviceID, 80))
	}
	if err := s.Report.Validate(); err != nil {
		return Errorf(EInvalid, "scan report: %v", err)
	}
	return nil
}

// MarshalScan encodes a scan report for storage.
func MarshalScan(s *record.DeviceScan) ([]byte, error) {
	b, err := json.Marshal(&s.Report)
	if err != nil {
		return nil, Errorf(EInvalid, "scan report: %v", err)
	}
	return b, nil
}

// ScanLimit applies ScanFilter.Limit's default and bound.
func ScanLimit(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return min(n, MaxLimit)
}

// MaxVersionBytes bounds a client's version.
const MaxVersionBytes = 64

// ValidVersion reports whether v is a version a store keeps: "" or up to
// MaxVersionBytes of letters, digits and . _ + - (a semantic version, a
// pseudo-version, "dev").
func ValidVersion(v string) bool {
	if len(v) > MaxVersionBytes {
		return false
	}
	for _, c := range []byte(v) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

// FillActivity sets a device's last-seen fields from its latest stored
// event.
func FillActivity(a *record.DeviceActivity, e *record.Event) {
	a.LastSeen = e.Time.UTC()
	if au := e.Audit; au != nil {
		a.Host, a.Policy, a.PolicyVersion, a.Tier = au.Host, au.Policy, au.PolicyVersion, au.Tier
	}
}
