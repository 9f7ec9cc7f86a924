package server

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// Pauses: an administrator stops Warden's decisions for a tier, fleet-wide,
// until a time (policy.OverlayPause). A pause is a policy overlay, kept,
// logged and lifted like the others, but it does not edit the policy
// document: GET /v1/pauses serves the pauses in force as a list signed
// with the server's pause key (record.SignedPauseV1), whose public half a
// machine learns when it enrolls (EnrollResponse.ServerKey). The shipper
// caches the signed list; the hook honours a pause only when the
// signature verifies with that key, so nothing written into a client's
// cache by anyone but the server can pause it. Creating and lifting a
// pause each raise an alert.

// PausesPath is the signed list of pauses in force hooks cache.
const PausesPath = "/v1/pauses"

// Alert rules the server raises itself when a pause is created or lifted.
const (
	RulePolicyPaused  = "response.policy-paused"
	RulePolicyResumed = "response.policy-resumed"
)

// pauseSlack is how far beyond MaxPauseDuration a requested until may
// reach: a client's clock and the request's travel.
const pauseSlack = time.Minute

// pauseKey is the server's pause signing key, loaded from the store (or
// created there) on first use and kept.
type pauseKey struct {
	mu  sync.Mutex
	key ed25519.PrivateKey
}

// pauseSigner returns the pause signing key: the seed stored under
// store.PauseKeyName, which the first replica to need it generates, so
// that every replica signs with one key.
func (s *Server) pauseSigner(ctx context.Context) (ed25519.PrivateKey, error) {
	s.pkey.mu.Lock()
	defer s.pkey.mu.Unlock()
	if s.pkey.key != nil {
		return s.pkey.key, nil
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(s.rand, seed); err != nil {
		return nil, fmt.Errorf("generate pause key: %w", err)
	}
	got, err := s.store.ServerKey(ctx, store.PauseKeyName, seed)
	if err != nil {
		return nil, fmt.Errorf("load pause key: %w", err)
	}
	if len(got) != ed25519.SeedSize {
		return nil, fmt.Errorf("load pause key: stored seed has %d bytes, want %d", len(got), ed25519.SeedSize)
	}
	s.pkey.key = ed25519.NewKeyFromSeed(got)
	return s.pkey.key, nil
}

// PauseKey returns the public half of the server's pause signing key,
// base64: what warden enroll pins.
func (s *Server) PauseKey(ctx context.Context) (string, error) {
	k, err := s.pauseSigner(ctx)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey)), nil
}

// checkPause checks a pause request and fills its target: a tier of the
// policy, an until in the future and at most record.MaxPauseDuration
// away, and a reason.
func (s *Server) checkPause(req *OverlayRequest) error {
	now := s.now()
	switch {
	case req.Tier == "":
		return Errorf(EInvalid, "a pause needs the tier to pause")
	case req.Target != "" && req.Target != req.Tier:
		return Errorf(EInvalid, "a pause's target is its tier; leave target empty")
	case strings.TrimSpace(req.Reason) == "":
		return Errorf(EInvalid, "a pause needs a reason: it is shown in the console, the alert and every paused call's audit")
	case req.Until.IsZero():
		return Errorf(EInvalid, "a pause needs until, the time it ends (at most %s away)", record.MaxPauseDuration)
	case !req.Until.After(now):
		return Errorf(EInvalid, "until %s is not in the future", req.Until.UTC().Format(time.RFC3339))
	case req.Until.Sub(now) > record.MaxPauseDuration+pauseSlack:
		return Errorf(EInvalid, "until %s is more than %s away; pause again when it ends", req.Until.UTC().Format(time.RFC3339), record.MaxPauseDuration)
	}
	if _, err := s.policy.Ruleset(req.Tier); err != nil {
		return Errorf(EInvalid, "pause refused: %s", truncate(err.Error(), 1024))
	}
	req.Target = req.Tier
	req.Until = req.Until.UTC().Truncate(time.Second)
	return nil
}

// pauseAlert raises the alert of a pause created (action add) or lifted
// (remove). A store failure is logged: the pause itself stands and is in
// the overlay log.
func (s *Server) pauseAlert(ctx context.Context, o record.PolicyOverlay, action, by, reason string) {
	now := s.now().UTC()
	hit := record.AlertHit{GroupBy: "tier", Group: o.Tier, EventIDs: []string{"overlay:" + o.ID + ":" + action},
		First: now, Last: now, Fingerprint: "overlay:" + o.ID + ":" + action}
	if action == record.OverlayAdded {
		hit.Rule, hit.Severity = RulePolicyPaused, "high"
		hit.Title = fmt.Sprintf("Warden's decisions paused for tier %s until %s by %s: %s",
			o.Tier, o.Until.UTC().Format(time.RFC3339), by, oneLine(reason))
	} else {
		hit.Rule, hit.Severity = RulePolicyResumed, "medium"
		hit.Title = fmt.Sprintf("Warden's decisions resumed for tier %s by %s: %s", o.Tier, by, oneLine(reason))
	}
	hit.Title = truncate(hit.Title, 240)
	res, err := s.store.RecordAlert(ctx, hit)
	if err != nil {
		s.log.Error("pause alert not recorded", "rule", hit.Rule, "overlay", o.ID, LogKeyError, err)
		return
	}
	s.log.Warn("alert opened", "alert", res.Alert.ID, "rule", hit.Rule, "severity", hit.Severity, "tier", o.Tier)
}

// PauseList is the list of pauses in force at now of the policy bundle
// served now: what GET /v1/pauses signs.
func (s *Server) pauseList(now time.Time) record.PauseListV1 {
	list := record.PauseListV1{Schema: record.SchemaPauseListV1, IssuedAt: now.UTC(), Pauses: []record.Pause{}}
	if b := s.overlays.bundle.Load(); b != nil {
		list.PolicySHA256 = b.SHA256
	}
	if ps := s.overlays.pauses.Load(); ps != nil {
		for _, o := range *ps {
			if now.Before(o.Until) && len(list.Pauses) < record.MaxPauses {
				list.Pauses = append(list.Pauses, record.Pause{ID: o.ID, Tier: o.Tier, Until: o.Until, Reason: o.Reason, By: o.By, Time: o.Time})
			}
		}
	}
	return list
}

// servePauses is GET /v1/pauses (scope read or ingest, like /v1/policy):
// the pauses in force, signed with the server's pause key. The list names
// the digest of the policy served with it; the hook honours it only with
// that policy cached.
func (s *Server) servePauses(w http.ResponseWriter, r *http.Request) error {
	key, err := s.pauseSigner(r.Context())
	if err != nil {
		return err
	}
	if s.overlays.bundle.Load() == nil {
		return Errorf(EUnavailable, "policy not stored yet")
	}
	body, err := record.SignPauses(key, s.pauseList(s.now()))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return nil
}

// ResumeRequest is the body of POST /api/v1/pauses/resume.
type ResumeRequest struct {
	Tier   string `json:"tier"`
	Reason string `json:"reason"`
}

// ResumeResponse is its answer: the pauses lifted and the overlays left.
type ResumeResponse struct {
	Lifted []record.PolicyOverlay `json:"lifted"`
	OverlayList
}

// serveResume is POST /api/v1/pauses/resume (scope admin): every pause
// of the tier, in force or expired, is removed, each logged with the
// token and the reason and raising an alert. No pause of the tier is
// ENotFound.
func (s *Server) serveResume(w http.ResponseWriter, r *http.Request) error {
	var req ResumeRequest
	if err := s.decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Tier == "" {
		return Errorf(EInvalid, "resume needs the tier whose pause to lift")
	}
	if strings.TrimSpace(req.Reason) == "" {
		return Errorf(EInvalid, "resume needs a reason: it goes into the overlay log and the alert")
	}
	ctx := r.Context()
	by := actor(ctx)
	s.overlays.mu.Lock()
	defer s.overlays.mu.Unlock()
	list, err := s.store.ListOverlays(ctx)
	if err != nil {
		return err
	}
	out := ResumeResponse{Lifted: []record.PolicyOverlay{}}
	for _, o := range list {
		if o.Kind != policy.OverlayPause || o.Tier != req.Tier {
			continue
		}
		removed, err := s.store.RemoveOverlay(ctx, o.ID, by, req.Reason)
		if store.ErrorCode(err) == store.ENotFound {
			continue // another replica lifted it
		}
		if err != nil {
			return err
		}
		out.Lifted = append(out.Lifted, *removed)
	}
	if len(out.Lifted) == 0 {
		return Errorf(ENotFound, "tier %s is not paused", truncate(req.Tier, 64))
	}
	if list, err = s.store.ListOverlays(ctx); err != nil {
		return err
	}
	if _, err := s.applyOverlays(ctx, list); err != nil {
		return err
	}
	for _, o := range out.Lifted {
		s.log.Warn("pause lifted", "overlay", o.ID, "tier", o.Tier, "by", by)
		s.pauseAlert(ctx, o, record.OverlayRemoved, by, req.Reason)
	}
	if out.OverlayList, err = s.overlayList(ctx); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// serveOverlayLog is GET /api/v1/overlays/log (scope read): the last
// overlay changes, newest first.
func (s *Server) serveOverlayLog(w http.ResponseWriter, r *http.Request) error {
	log, err := s.store.OverlayLog(r.Context(), store.MaxOverlayLog)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"changes": log})
}
