package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// EnrollPath is where warden enroll registers a device.
const EnrollPath = "/v1/devices/enroll"

// MaxEnrollBodyBytes bounds an enrollment request.
const MaxEnrollBodyBytes = 4 << 10

// MaxDeviceNameBytes bounds a device's name.
const MaxDeviceNameBytes = 128

// EnrollRequest is the body of POST /v1/devices/enroll, sent with a
// one-time enroll token as the bearer.
type EnrollRequest struct {
	// Name names the device for people (warden enroll sends the
	// hostname).
	Name string `json:"name"`
	// PublicKey is the device's Ed25519 public key, standard base64.
	PublicKey string `json:"public_key"`
}

// EnrollResponse is the answer: the device's ID and its credential, shown
// this once (the server keeps only its hash).
type EnrollResponse struct {
	DeviceID   string    `json:"device_id"`
	Name       string    `json:"name"`
	Credential string    `json:"credential"`
	EnrolledAt time.Time `json:"enrolled_at"`
	// ServerKey is the server's pause signing key (Ed25519 public key,
	// standard base64): the device pins it and honours only pauses
	// signed with it (GET /v1/pauses).
	ServerKey string `json:"server_key"`
}

// DecodeEnrollRequest decodes and checks an enrollment request body: one
// JSON object with exactly the fields of EnrollRequest, a name of 1 to
// MaxDeviceNameBytes bytes of printable UTF-8 (it is shown to operators),
// and a public key that is 32 bytes of base64 and not all zero.
func DecodeEnrollRequest(body []byte) (name string, pub ed25519.PublicKey, err error) {
	var req EnrollRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return "", nil, fmt.Errorf("enrollment request: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", nil, errors.New("enrollment request: data after the object")
	}
	name = strings.TrimSpace(req.Name)
	switch {
	case name == "":
		return "", nil, errors.New("enrollment request: name is required")
	case len(name) > MaxDeviceNameBytes:
		return "", nil, fmt.Errorf("enrollment request: name longer than %d bytes", MaxDeviceNameBytes)
	case !utf8.ValidString(name) || strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return "", nil, errors.New("enrollment request: name must be printable text")
	}
	key, err := base64.StdEncoding.DecodeString(req.PublicKey)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return "", nil, errors.New("enrollment request: public_key must be a base64 Ed25519 public key (32 bytes)")
	}
	if subtle.ConstantTimeCompare(key, make([]byte, ed25519.PublicKeySize)) == 1 {
		return "", nil, errors.New("enrollment request: public_key is all zero")
	}
	return name, ed25519.PublicKey(key), nil
}

// serveEnroll is POST /v1/devices/enroll: it consumes the bearer's
// one-time enroll token and registers the device, answering its ID and
// credential.
func (s *Server) serveEnroll(w http.ResponseWriter, r *http.Request) error {
	t := tokenFrom(r.Context())
	if !t.HasScope(record.ScopeEnroll) {
		// allows lets admin through every route; enrollment takes a
		// one-time token so that every device is accounted for.
		s.metrics.enrollments.WithLabelValues("refused").Inc()
		return Errorf(EForbidden, "enrollment needs a one-time enroll token: create one with 'warden token create --scope enroll'")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxEnrollBodyBytes+1))
	if err != nil {
		return Errorf(EInvalid, "unreadable body")
	}
	if len(body) > MaxEnrollBodyBytes {
		return Errorf(ETooLarge, "enrollment request larger than %d bytes", MaxEnrollBodyBytes)
	}
	name, pub, err := DecodeEnrollRequest(body)
	if err != nil {
		s.metrics.enrollments.WithLabelValues("refused").Inc()
		return Errorf(EInvalid, "%s", err.Error())
	}
	// The key is loaded before the token is consumed: a store failure
	// here leaves the one-time token usable.
	serverKey, err := s.PauseKey(r.Context())
	if err != nil {
		return err
	}
	var id [8]byte
	if _, err := io.ReadFull(s.rand, id[:]); err != nil {
		return fmt.Errorf("new device id: %w", err)
	}
	secret, hash, err := NewDeviceCredential(s.rand)
	if err != nil {
		return err
	}
	d := record.Device{ID: "dev_" + hex.EncodeToString(id[:]), Name: name, PublicKey: pub,
		CredentialHash: hash, EnrolledAt: s.now().UTC()}
	got, err := s.store.EnrollDevice(r.Context(), t.Hash, d)
	if err != nil {
		s.metrics.enrollments.WithLabelValues("refused").Inc()
		if store.ErrorCode(err) == store.ENotFound {
			return Errorf(EUnauthorized, "this enroll token was already used or revoked; create a new one with 'warden token create --scope enroll'")
		}
		return err
	}
	s.auth.forget(t.Hash)
	s.metrics.enrollments.WithLabelValues("ok").Inc()
	s.log.Info("device enrolled", "device_id", got.ID, "device_name", got.Name, LogKeyToken, t.ID,
		LogKeyRequestID, requestID(r.Context()))
	return writeJSON(w, http.StatusOK, EnrollResponse{DeviceID: got.ID, Name: got.Name, Credential: secret, EnrolledAt: got.EnrolledAt, ServerKey: serverKey})
}

// serveDevices is GET /api/v1/devices: every enrolled device, revoked
// ones too.
func (s *Server) serveDevices(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.store.ListDevices(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"devices": ds})
}

// serveDeviceRevoke is POST /api/v1/devices/{id}/revoke: the device's
// credential stops authenticating and its further audit events are
// stored unverified.
func (s *Server) serveDeviceRevoke(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !record.ValidDeviceID(id) {
		return Errorf(EInvalid, "%q is not a device ID (dev_ and hex)", sanitizePath(id))
	}
	d, err := s.revokeDevice(r.Context(), id, tokenFrom(r.Context()).ID, requestID(r.Context()))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

// revokeDevice revokes a device for the API and the console: its
// credential is forgotten at once on this replica (within tokenCacheTTL on
// the others), and the revocation is logged with who asked.
func (s *Server) revokeDevice(ctx context.Context, id, by, reqID string) (*record.Device, error) {
	if err := s.store.RevokeDevice(ctx, id); err != nil {
		return nil, err
	}
	d, err := s.store.Device(ctx, id)
	if err != nil {
		return nil, err
	}
	s.auth.forget(d.CredentialHash)
	s.log.Info("device revoked", "device_id", id, "by", by, LogKeyRequestID, reqID)
	return d, nil
}

// ingestLine is one decoded line of an audit body.
type ingestLine struct {
	line int
	ev   record.AuditEventV1
	env  *record.SignedAuditV1 // nil when unsigned
	msg  []byte                // env's signed message
	v    record.Verification
}

// deviceLocks serialises the verification and storing of one device's
// events within this server, so two batches of a device cannot both take
// the same place in its chain. (Across replicas, the later one is marked
// a fork.)
type deviceLocks struct {
	mu sync.Mutex
	m  map[string]*deviceLock
}

type deviceLock struct {
	sync.Mutex
	refs int
}

// lock locks the devices in ids (sorted, so that batches naming several
// lock in one order) and returns the unlock.
func (l *deviceLocks) lock(ids []string) func() {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	locks := make([]*deviceLock, len(ids))
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*deviceLock{}
	}
	for i, id := range ids {
		dl := l.m[id]
		if dl == nil {
			dl = &deviceLock{}
			l.m[id] = dl
		}
		dl.refs++
		locks[i] = dl
	}
	l.mu.Unlock()
	for _, dl := range locks {
		dl.Lock()
	}
	return func() {
		for _, dl := range locks {
			dl.Unlock()
		}
		l.mu.Lock()
		for i, dl := range locks {
			if dl.refs--; dl.refs == 0 {
				delete(l.m, ids[i])
			}
		}
		l.mu.Unlock()
	}
}

// verifyAudit sets the verification of every line: unsigned, or the
// signature checked against the device's registered key and the event's
// place in the device's chain checked against the links stored and those
// earlier in the batch. poster is the token the batch came with. The
// caller holds the lock of every device named.
func (s *Server) verifyAudit(ctx context.Context, poster *record.Token, lines []ingestLine) error {
	byDevice := map[string][]*ingestLine{}
	for i := range lines {
		l := &lines[i]
		if l.env == nil {
			l.v = record.Verification{Reason: record.UnverifiedUnsigned}
			continue
		}
		byDevice[l.env.DeviceID] = append(byDevice[l.env.DeviceID], l)
	}
	for id, ls := range byDevice {
		if err := s.verifyDevice(ctx, poster, id, ls); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) verifyDevice(ctx context.Context, poster *record.Token, id string, ls []*ingestLine) error {
	d, err := s.store.Device(ctx, id)
	if store.ErrorCode(err) == store.ENotFound {
		for _, l := range ls {
			l.v = record.Verification{Reason: record.UnverifiedUnknownDevice, DeviceID: id, Seq: l.env.Seq, Prev: l.env.Prev}
		}
		return nil
	}
	if err != nil {
		return err
	}
	lo, hi := ls[0].env.Seq, ls[0].env.Seq
	for _, l := range ls {
		lo, hi = min(lo, l.env.Seq), max(hi, l.env.Seq)
	}
	stored, err := s.store.ChainLinks(ctx, id, max(lo, 2)-1, hi)
	if err != nil {
		return err
	}
	links := map[uint64][]record.ChainLink{}
	for _, k := range stored {
		links[k.Seq] = append(links[k.Seq], k)
	}
	authentic, hashes := authenticate(d.PublicKey, ls)
	for i, l := range ls {
		e := l.env
		l.v = record.Verification{DeviceID: id, Seq: e.Seq, Prev: e.Prev, Hash: hashes[i]}
		if !authentic[i] {
			l.v.Reason, l.v.Hash = record.UnverifiedBadSignature, ""
			continue
		}
		switch {
		case d.Revoked():
			l.v.Reason = record.UnverifiedRevokedDevice
		case poster != nil && poster.DeviceID != "" && poster.DeviceID != id:
			l.v.Reason = record.UnverifiedDeviceMismatch
		default:
			l.v.Reason = chainReason(links, e.Seq, e.Prev, l.v.Hash, SignedIDPrefix+l.ev.EventID)
		}
		l.v.Verified = l.v.Reason == ""
		if k := l.v.Link(SignedIDPrefix + l.ev.EventID); k != nil {
			links[e.Seq] = append(links[e.Seq], *k)
		}
	}
	return nil
}

// authenticate reports which of one device's signed lines are the
// device's: those whose signature checks under pub, and those followed in
// the batch by an authentic event of the next seq whose prev is their hash.
// A signature covers prev, the hash of the event before, which covers its
// prev in turn, so one valid signature at the end of a run of chained
// events authenticates the whole run (forging an event inside it would
// need a SHA-256 second preimage). A shipper's batch is such a run, so a
// batch costs about one Ed25519 verification instead of one per event.
// It also returns each line's hash (record.EventHash).
func authenticate(pub ed25519.PublicKey, ls []*ingestLine) (ok []bool, hash []string) {
	n := len(ls)
	hash = make([]string, n)
	byPrev := make(map[string][]int, n)
	for i, l := range ls {
		hash[i] = record.EventHash(l.msg)
		byPrev[l.env.Prev] = append(byPrev[l.env.Prev], i)
	}
	// Latest seq first, so that an event's successors are settled before
	// it.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpSeq(ls[b].env.Seq, ls[a].env.Seq) })
	ok = make([]bool, n)
	for _, i := range order {
		for _, j := range byPrev[hash[i]] {
			if ok[j] && ls[j].env.Seq == ls[i].env.Seq+1 {
				ok[i] = true
				break
			}
		}
		if !ok[i] {
			ok[i] = ls[i].env.Verify(pub, ls[i].msg)
		}
	}
	return ok, hash
}

func cmpSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// chainReason is the chain's verdict on an event at seq following prev
// with hash: "" when it continues the chain, chain_fork when another event
// holds its place or its predecessor is itself a fork, chain_gap when its
// predecessor was never received.
func chainReason(links map[uint64][]record.ChainLink, seq uint64, prev, hash, eventID string) string {
	for _, k := range links[seq] {
		if k.Hash != hash && k.EventID != eventID {
			return record.UnverifiedChainFork
		}
	}
	if seq == 1 {
		return ""
	}
	for _, k := range links[seq-1] {
		if k.Hash == prev {
			if k.Status == record.UnverifiedChainFork {
				return record.UnverifiedChainFork
			}
			return ""
		}
	}
	return record.UnverifiedChainGap
}

// countVerification counts stored audit events by verification.
func (s *Server) countVerification(events []record.Event) {
	for i := range events {
		v := events[i].Verification
		switch {
		case v == nil:
		case v.Verified:
			s.metrics.auditVerified.Inc()
		default:
			s.metrics.auditUnverified.WithLabelValues(v.Reason).Inc()
		}
	}
}
