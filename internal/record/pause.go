package record

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// A pause is an administrator's emergency stop: while it is in force the
// hook of every machine in its tier gives no opinion on tool calls (Claude
// Code's own permission system decides), except that it keeps protecting
// Warden itself. Because a pause switches the hook's decisions off, the
// hook honours one only when it is signed by the server's pause key,
// which the machine learnt when it enrolled: a pause list written into
// the client's cache by anyone else is ignored.

// Schemas of the pause list and its signed envelope.
const (
	SchemaPauseListV1   = "warden.pause_list.v1"
	SchemaSignedPauseV1 = "warden.signed_pause_list.v1"
)

// MaxPauseDuration bounds a pause: an emergency stop, not a way of turning
// Warden off for good.
const MaxPauseDuration = 7 * 24 * time.Hour

// MaxSignedPauseBytes bounds a signed pause list, as served and as
// cached: the hook reads it on every call while one is cached.
const MaxSignedPauseBytes = 256 << 10

// MaxPauses bounds the pauses in one list (one per tier is the use).
const MaxPauses = 100

// pauseSigContext separates the pause signature from every other message
// an Ed25519 key of Warden's signs.
const pauseSigContext = "warden pause list v1\x00"

// Pause is one pause in force: Warden's decisions for Tier are paused
// until Until.
type Pause struct {
	// ID is the policy overlay's ID on the server.
	ID     string    `json:"id"`
	Tier   string    `json:"tier"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
	// By is the administrator's token, as the server authenticated it.
	By   string    `json:"by"`
	Time time.Time `json:"time"`
}

// PauseListV1 is the list of pauses in force the server signs.
type PauseListV1 struct {
	Schema string `json:"schema"`
	// Server is the base URL the list was served for.
	Server string `json:"server,omitempty"`
	// PolicySHA256 is the digest of the policy served with it: a list is
	// honoured only together with that policy.
	PolicySHA256 string    `json:"policy_sha256"`
	IssuedAt     time.Time `json:"issued_at"`
	Pauses       []Pause   `json:"pauses"`
}

// SignedPauseV1 is a PauseListV1 as served and cached: the exact JSON
// that was signed (Payload, base64) and its Ed25519 signature, so that
// verifying never depends on re-encoding.
type SignedPauseV1 struct {
	Schema string `json:"schema"`
	// KeyID names the signing key: the first 16 hex digits of the
	// SHA-256 of its public key (PauseKeyID).
	KeyID     string `json:"key_id"`
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

// PauseKeyID is the ID of a pause signing key.
func PauseKeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// SignPauses encodes list and signs it with key, returning the envelope's
// JSON.
func SignPauses(key ed25519.PrivateKey, list PauseListV1) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("sign pause list: not an Ed25519 private key")
	}
	list.Schema = SchemaPauseListV1
	if list.Pauses == nil {
		list.Pauses = []Pause{}
	}
	payload, err := json.Marshal(list)
	if err != nil {
		return nil, fmt.Errorf("sign pause list: %w", err)
	}
	env := SignedPauseV1{
		Schema:    SchemaSignedPauseV1,
		KeyID:     PauseKeyID(key.Public().(ed25519.PublicKey)),
		Payload:   base64.StdEncoding.EncodeToString(payload),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, pauseMessage(payload))),
	}
	out, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("sign pause list: %w", err)
	}
	if len(out) > MaxSignedPauseBytes {
		return nil, fmt.Errorf("sign pause list: %d bytes, more than %d", len(out), MaxSignedPauseBytes)
	}
	return out, nil
}

func pauseMessage(payload []byte) []byte {
	return append([]byte(pauseSigContext), payload...)
}

// Errors of VerifyPauses.
var (
	// ErrPauseSignature: the envelope is not signed by the key given.
	ErrPauseSignature = errors.New("pause list signature does not verify")
	// ErrPauseMalformed: the envelope or the list does not decode or
	// breaks the list's bounds.
	ErrPauseMalformed = errors.New("malformed pause list")
)

// VerifyPauses checks a signed pause list (untrusted bytes: from the
// network or from a cache file anyone with the user's rights could
// write) against the server's pause key pub, and only then decodes the
// list. It returns an error wrapping ErrPauseSignature when the
// signature is not pub's, ErrPauseMalformed when the bytes or the list
// are not of the expected form.
func VerifyPauses(pub ed25519.PublicKey, data []byte) (*PauseListV1, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: no Ed25519 server key to verify it with", ErrPauseSignature)
	}
	if len(data) > MaxSignedPauseBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrPauseMalformed, len(data), MaxSignedPauseBytes)
	}
	var env SignedPauseV1
	if err := decodeStrict(data, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPauseMalformed, err)
	}
	if env.Schema != SchemaSignedPauseV1 {
		return nil, fmt.Errorf("%w: schema %q, want %q", ErrPauseMalformed, Truncate(env.Schema, 64), SchemaSignedPauseV1)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: payload is not base64", ErrPauseMalformed)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature is not a base64 Ed25519 signature", ErrPauseMalformed)
	}
	if !ed25519.Verify(pub, pauseMessage(payload), sig) {
		return nil, fmt.Errorf("%w with server key %s (the list names key %s)", ErrPauseSignature, PauseKeyID(pub), Truncate(env.KeyID, 32))
	}
	var list PauseListV1
	if err := decodeStrict(payload, &list); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrPauseMalformed, err)
	}
	if err := list.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPauseMalformed, err)
	}
	return &list, nil
}

func (l *PauseListV1) validate() error {
	if l.Schema != SchemaPauseListV1 {
		return fmt.Errorf("schema %q, want %q", Truncate(l.Schema, 64), SchemaPauseListV1)
	}
	if len(l.Pauses) > MaxPauses {
		return fmt.Errorf("%d pauses, more than %d", len(l.Pauses), MaxPauses)
	}
	for i, p := range l.Pauses {
		switch {
		case p.Tier == "":
			return fmt.Errorf("pause %d has no tier", i)
		case p.Until.IsZero():
			return fmt.Errorf("pause %d has no until", i)
		case p.Time.IsZero():
			return fmt.Errorf("pause %d has no time", i)
		case p.Until.Sub(p.Time) > MaxPauseDuration+time.Minute:
			return fmt.Errorf("pause %d lasts longer than %s", i, MaxPauseDuration)
		}
	}
	return nil
}

// decodeStrict decodes one JSON object into v, refusing unknown fields
// and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the object")
	}
	return nil
}

// Active returns the pause of tier in force at now (now before Until),
// the one lasting longest when several are; nil when there is none.
func (l *PauseListV1) Active(tier string, now time.Time) *Pause {
	if l == nil {
		return nil
	}
	var best *Pause
	for i := range l.Pauses {
		p := &l.Pauses[i]
		if p.Tier != tier || !now.Before(p.Until) {
			continue
		}
		if best == nil || p.Until.After(best.Until) {
			best = p
		}
	}
	if best == nil {
		return nil
	}
	out := *best
	return &out
}
