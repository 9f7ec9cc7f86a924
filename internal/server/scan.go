package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// ScansPath is where warden scan --report posts a scan report.
const ScansPath = "/api/v1/scans"

// MaxScanBodyBytes bounds a scan report as received and after gzip.
const MaxScanBodyBytes = 2 << 20

// ScanReceipt is the answer to a stored scan report.
type ScanReceipt struct {
	Reporter   string         `json:"reporter"`
	DeviceID   string         `json:"device_id,omitempty"`
	Verified   bool           `json:"verified"`
	ReceivedAt time.Time      `json:"received_at"`
	Counts     map[string]int `json:"counts"`
}

// ScanList is the answer of GET /api/v1/scans and
// GET /api/v1/devices/{id}/scans.
type ScanList struct {
	Scans []record.DeviceScan `json:"scans"`
}

// DecodeScanReport decodes and checks a scan report body: exactly one
// JSON object with only the fields of record.ScanReportV1, which passes
// its Validate (schema, known severities, every field within its limit).
func DecodeScanReport(body []byte) (record.ScanReportV1, error) {
	var rep record.ScanReportV1
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		return record.ScanReportV1{}, fmt.Errorf("scan report: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return record.ScanReportV1{}, errors.New("scan report: data after the object")
	}
	if rep.Findings == nil {
		rep.Findings = []record.ScanFindingV1{}
	}
	if err := rep.Validate(); err != nil {
		return record.ScanReportV1{}, fmt.Errorf("scan report: %w", err)
	}
	return rep, nil
}

// serveScanReport is POST /api/v1/scans: it stores the report as the
// latest of its reporter (the device of a device credential, else the
// token), host and repository.
func (s *Server) serveScanReport(w http.ResponseWriter, r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return Errorf(EUnsupportedMedia, "content type must be application/json")
	}
	mem := s.budget.Reserve()
	defer mem.Release()
	body, err := readBody(r, MaxScanBodyBytes, MaxScanBodyBytes, mem)
	if err != nil {
		return err
	}
	rep, err := DecodeScanReport(body)
	if err != nil {
		return Errorf(EInvalid, "%s", err.Error())
	}
	t := tokenFrom(r.Context())
	ds := record.DeviceScan{Reporter: t.ID, Report: rep}
	if t.DeviceID != "" {
		ds.Reporter, ds.DeviceID = t.DeviceID, t.DeviceID
	}
	got, err := s.store.PutScan(r.Context(), ds)
	if err != nil {
		return err
	}
	s.noteContact(r)
	s.log.Info("scan report stored", "reporter", got.Reporter, "findings", len(rep.Findings),
		LogKeyToken, t.ID, LogKeyRequestID, requestID(r.Context()))
	return writeJSON(w, http.StatusOK, ScanReceipt{Reporter: got.Reporter, DeviceID: got.DeviceID, Verified: got.Verified,
		ReceivedAt: got.ReceivedAt, Counts: rep.Counts()})
}

// serveScans is GET /api/v1/scans: the latest scans of every reporter,
// most recent first (?limit=N, at most store.MaxLimit).
func (s *Server) serveScans(w http.ResponseWriter, r *http.Request) error {
	f := store.ScanFilter{}
	for k := range r.URL.Query() {
		if k != "limit" {
			return Errorf(EInvalid, "unknown parameter %q; use limit", sanitizePath(k))
		}
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxLimit {
			return Errorf(EInvalid, "limit is a number from 1 to %d", store.MaxLimit)
		}
		f.Limit = n
	}
	list, err := s.store.ListScans(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ScanList{Scans: list})
}

// serveDeviceScans is GET /api/v1/devices/{id}/scans: the latest scan of
// each repository (and of the machine) the device reported.
func (s *Server) serveDeviceScans(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !record.ValidDeviceID(id) {
		return Errorf(EInvalid, "%q is not a device ID (dev_ and hex)", sanitizePath(id))
	}
	if _, err := s.store.Device(r.Context(), id); err != nil {
		return err
	}
	list, err := s.store.ListScans(r.Context(), store.ScanFilter{DeviceID: id, Limit: store.MaxScansPerReporter})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ScanList{Scans: list})
}

// contactEvery is how often a device's contact is written at most: last
// contact is shown to the minute, and an audit post must not cost a
// write each.
const contactEvery = time.Minute

// contactNotes remembers what this server last wrote of each device's
// contact.
type contactNotes struct {
	mu sync.Mutex
	m  map[string]contactNote
}

type contactNote struct {
	version string
	at      time.Time
}

// clientVersion is the Warden version a request's User-Agent names
// ("warden/VERSION", as the shipper and the CLI send), "" when it names
// none or one a store would not keep.
func clientVersion(ua string) string {
	v, ok := strings.CutPrefix(ua, "warden/")
	if !ok || !store.ValidVersion(v) {
		return ""
	}
	return v
}

// noteContact records that the request's device credential was used, at
// most once per contactEvery per device unless its version changed. It is
// best-effort: a failure is logged and the request, already stored,
// succeeds (losing a last-seen stamp is not worth refusing evidence).
func (s *Server) noteContact(r *http.Request) {
	t := tokenFrom(r.Context())
	if t == nil || t.DeviceID == "" {
		return
	}
	v, now := clientVersion(r.UserAgent()), s.now()
	s.contacts.mu.Lock()
	last, ok := s.contacts.m[t.DeviceID]
	due := !ok || last.version != v || now.Sub(last.at) >= contactEvery
	if due {
		if s.contacts.m == nil || len(s.contacts.m) >= tokenCacheMax {
			s.contacts.m = map[string]contactNote{}
		}
		s.contacts.m[t.DeviceID] = contactNote{version: v, at: now}
	}
	s.contacts.mu.Unlock()
	if !due {
		return
	}
	if err := s.store.NoteDeviceContact(r.Context(), t.DeviceID, v); err != nil {
		s.log.Warn("note device contact", "device_id", t.DeviceID, LogKeyError, err, LogKeyRequestID, requestID(r.Context()))
	}
}
