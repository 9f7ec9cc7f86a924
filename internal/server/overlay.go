package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/policyfile"
	"github.com/wardenhq/warden/internal/record"
)

// Policy overlays: changes laid over the served policy (revoke an MCP
// server fleet-wide, move repositories to a stricter tier). They are kept
// in the store; the policy served at /v1/policy and used for central
// decisions is the configured one with every overlay applied, stored as a
// new policy version, so its ETag changes and every hook picks it up at
// its next refresh. Replicas pick up each other's overlays within
// overlayRefresh.

// overlayRefresh is how often a server checks the store for overlays
// another replica added or removed.
const overlayRefresh = 10 * time.Second

type overlayState struct {
	mu     sync.Mutex // serializes applying
	bundle atomic.Pointer[record.PolicyBundle]
	// pauses are the pause overlays applied with bundle, expired ones
	// included (GET /v1/pauses leaves those out).
	pauses atomic.Pointer[[]record.PolicyOverlay]
	key    string // the overlay IDs applied, joined
}

// servePolicyWithOverlays applies the stored overlays to the configured
// policy, validates the result, stores it as the current bundle and swaps
// the central decision engines. On any error the policy in force stays.
func (s *Server) servePolicyWithOverlays(ctx context.Context) (*record.PolicyBundle, error) {
	s.overlays.mu.Lock()
	defer s.overlays.mu.Unlock()
	list, err := s.store.ListOverlays(ctx)
	if err != nil {
		return nil, fmt.Errorf("list policy overlays: %w", err)
	}
	return s.applyOverlays(ctx, list)
}

// applyOverlays does servePolicyWithOverlays' work for list; the caller
// holds s.overlays.mu.
func (s *Server) applyOverlays(ctx context.Context, list []record.PolicyOverlay) (*record.PolicyBundle, error) {
	key := overlayKey(list)
	if b := s.overlays.bundle.Load(); b != nil && key == s.overlays.key {
		return b, nil
	}
	// Without overlays that edit it, the configured document is served
	// as it is (it may be a compiled policy, which ApplyOverlays does not
	// edit). Pauses do not edit it: they are served signed, apart
	// (GET /v1/pauses).
	docs, pauses := splitPauses(list)
	yaml, p := s.yaml, s.policy
	if len(docs) > 0 {
		var err error
		if yaml, p, err = policyfile.ApplyOverlays(s.policy.Name, s.yaml, toPolicyOverlays(docs)); err != nil {
			return nil, err
		}
	}
	eng, err := newEngines(p, s.cfg.Tier, s.now)
	if err != nil {
		return nil, fmt.Errorf("policy %s with its overlays: %w", s.policy.Name, err)
	}
	b, err := s.store.PutPolicy(ctx, s.policy.Name, yaml, sha256Hex(yaml))
	if err != nil {
		return nil, fmt.Errorf("store policy %s: %w", s.policy.Name, err)
	}
	s.engines.Store(eng)
	s.overlays.bundle.Store(b)
	s.overlays.pauses.Store(&pauses)
	if s.overlays.key != key {
		s.log.Info("serving policy with overlays", "policy", s.policy.Name, "overlays", len(list), "policy_version", b.Version)
	}
	s.overlays.key = key
	return b, nil
}

func overlayKey(list []record.PolicyOverlay) string {
	ids := make([]string, len(list))
	for i, o := range list {
		ids[i] = o.ID
	}
	return strings.Join(ids, ",")
}

// splitPauses separates the pause overlays from the ones that edit the
// policy document.
func splitPauses(list []record.PolicyOverlay) (docs, pauses []record.PolicyOverlay) {
	for _, o := range list {
		if o.Kind == policy.OverlayPause {
			pauses = append(pauses, o)
		} else {
			docs = append(docs, o)
		}
	}
	return docs, pauses
}

func toPolicyOverlays(list []record.PolicyOverlay) []policy.Overlay {
	out := make([]policy.Overlay, len(list))
	for i, o := range list {
		out[i] = policy.Overlay{Kind: o.Kind, Target: o.Target, Tier: o.Tier}
	}
	return out
}

// overlayLoop applies overlays other replicas changed until ctx ends.
func (s *Server) overlayLoop(ctx context.Context) {
	every(ctx, overlayRefresh, func(int) {
		if _, err := s.servePolicyWithOverlays(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("policy overlays not applied; the policy in force stays", LogKeyError, err)
		}
	})
}

// OverlayList is the answer to GET /api/v1/overlays.
type OverlayList struct {
	Overlays []record.PolicyOverlay `json:"overlays"`
	// PolicyVersion and PolicySHA256 name the policy served with them.
	PolicyVersion int64  `json:"policy_version"`
	PolicySHA256  string `json:"policy_sha256"`
}

// OverlayRequest is the body of POST /api/v1/overlays.
type OverlayRequest struct {
	Kind   string `json:"kind"`
	Target string `json:"target"`
	Tier   string `json:"tier,omitempty"`
	// Until is when a pause ends (kind pause: required, in the future
	// and at most record.MaxPauseDuration away).
	Until  time.Time `json:"until,omitzero"`
	Reason string    `json:"reason"`
}

func (s *Server) overlayList(ctx context.Context) (OverlayList, error) {
	list, err := s.store.ListOverlays(ctx)
	if err != nil {
		return OverlayList{}, err
	}
	out := OverlayList{Overlays: list}
	if b := s.overlays.bundle.Load(); b != nil {
		out.PolicyVersion, out.PolicySHA256 = b.Version, b.SHA256
	}
	return out, nil
}

// serveOverlays is GET /api/v1/overlays.
func (s *Server) serveOverlays(w http.ResponseWriter, r *http.Request) error {
	out, err := s.overlayList(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// serveOverlayAdd is POST /api/v1/overlays (scope admin): the overlay is
// applied to the policy first; one that would make it invalid (an unknown
// tier) is refused and nothing is stored. A pause (kind pause) is checked
// by checkPause, and raises an alert once stored.
func (s *Server) serveOverlayAdd(w http.ResponseWriter, r *http.Request) error {
	var req OverlayRequest
	if err := s.decodeJSON(r, &req); err != nil {
		return err
	}
	if !policy.ValidOverlayKind(req.Kind) {
		return Errorf(EInvalid, "kind %q: want one of %s", truncate(req.Kind, 64), strings.Join(policy.OverlayKinds, ", "))
	}
	if req.Kind == policy.OverlayPause {
		if err := s.checkPause(&req); err != nil {
			return err
		}
	} else if !req.Until.IsZero() {
		return Errorf(EInvalid, "until goes with kind %s, and only with it", policy.OverlayPause)
	}
	o := record.PolicyOverlay{Kind: req.Kind, Target: req.Target, Tier: req.Tier, Until: req.Until, Reason: req.Reason, By: actor(r.Context())}
	if _, err := s.addOverlay(r.Context(), o); err != nil {
		return err
	}
	out, err := s.overlayList(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// addOverlay stores an overlay and serves the policy with it (the API's
// POST /api/v1/overlays and the console's responses to an alert): one
// that would make the policy invalid (an unknown tier) is refused with
// EInvalid and nothing is stored. A pause, checked by the caller, raises
// an alert once stored.
func (s *Server) addOverlay(ctx context.Context, o record.PolicyOverlay) (*record.PolicyOverlay, error) {
	if !policy.ValidOverlayKind(o.Kind) {
		return nil, Errorf(EInvalid, "kind %q: want one of %s", truncate(o.Kind, 64), strings.Join(policy.OverlayKinds, ", "))
	}
	if o.Kind != policy.OverlayPause && (o.Kind == policy.OverlayRepositoryTier) != (o.Tier != "") {
		return nil, Errorf(EInvalid, "tier goes with kind %s or %s, and only with them", policy.OverlayRepositoryTier, policy.OverlayPause)
	}
	s.overlays.mu.Lock()
	defer s.overlays.mu.Unlock()
	list, err := s.store.ListOverlays(ctx)
	if err != nil {
		return nil, err
	}
	if o.Kind != policy.OverlayPause {
		docs, _ := splitPauses(append(list, o))
		if _, _, err := policyfile.ApplyOverlays(s.policy.Name, s.yaml, toPolicyOverlays(docs)); err != nil {
			return nil, Errorf(EInvalid, "overlay refused: %s", truncate(err.Error(), 2048))
		}
	}
	added, err := s.store.AddOverlay(ctx, o)
	if err != nil {
		return nil, err
	}
	if _, err := s.applyOverlays(ctx, append(list, *added)); err != nil {
		return nil, err
	}
	s.log.Warn("policy overlay added", "overlay", added.ID, "kind", added.Kind, "target", added.Target, "tier", added.Tier, "by", o.By)
	if added.Kind == policy.OverlayPause {
		s.pauseAlert(ctx, *added, record.OverlayAdded, o.By, added.Reason)
	}
	return added, nil
}

// actor names the token of the request for the overlay log: the name the
// server knows it by, never what the client says.
func actor(ctx context.Context) string {
	if t := tokenFrom(ctx); t != nil {
		return "token:" + t.Name
	}
	return "token:unknown"
}

// serveOverlayRemove is DELETE /api/v1/overlays/{id}?reason=WHY (scope
// admin). The removal is logged with the token and the reason; removing
// a pause raises an alert like lifting it (POST /api/v1/pauses/resume).
func (s *Server) serveOverlayRemove(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	by, reason := actor(ctx), r.URL.Query().Get("reason")
	s.overlays.mu.Lock()
	defer s.overlays.mu.Unlock()
	removed, err := s.store.RemoveOverlay(ctx, r.PathValue("id"), by, reason)
	if err != nil {
		return err
	}
	list, err := s.store.ListOverlays(ctx)
	if err != nil {
		return err
	}
	if _, err := s.applyOverlays(ctx, list); err != nil {
		return err
	}
	s.log.Warn("policy overlay removed", "overlay", removed.ID, "kind", removed.Kind, "by", by)
	if removed.Kind == policy.OverlayPause {
		s.pauseAlert(ctx, *removed, record.OverlayRemoved, by, reason)
	}
	out, err := s.overlayList(ctx)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
