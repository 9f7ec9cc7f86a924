package record

import (
	"crypto/ed25519"
	"time"
)

// Device is a machine enrolled with the server (warden enroll): the public
// half of the key its hook signs audit events with, and the hash of the
// credential its shipper authenticates with (never the credential).
type Device struct {
	ID   string `json:"id"` // "dev_" and hex (ValidDeviceID)
	Name string `json:"name"`
	// PublicKey is the device's Ed25519 public key.
	PublicKey ed25519.PublicKey `json:"public_key"`
	// CredentialHash is the hash of the device credential (the server
	// picks the function; the store only compares).
	CredentialHash string `json:"-"`
	// EnrolledWith is the ID of the one-time enroll token consumed.
	EnrolledWith string    `json:"enrolled_with,omitempty"`
	EnrolledAt   time.Time `json:"enrolled_at"`
	// RevokedAt is zero while the device is live.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Revoked reports whether the device has been revoked.
func (d Device) Revoked() bool { return !d.RevokedAt.IsZero() }

// ChainLink is one signed audit event's place in its device's chain, as the
// server stores it beside the event: its sequence number and hash.
type ChainLink struct {
	DeviceID string `json:"device_id"`
	Seq      uint64 `json:"seq"`
	Hash     string `json:"hash"`
	Prev     string `json:"prev,omitempty"`
	EventID  string `json:"event_id"`
	// Status is the event's Verification.Reason ("" when verified): the
	// event after a forked one inherits the fork.
	Status string `json:"status,omitempty"`
}

// Reasons an audit event is not verified (Verification.Reason).
const (
	// UnverifiedUnsigned: a bare AuditEventV1, from a machine not enrolled
	// or a forger holding an ingest token.
	UnverifiedUnsigned = "unsigned"
	// UnverifiedBadSignature: the signature is not the device key's.
	UnverifiedBadSignature = "bad_signature"
	// UnverifiedUnknownDevice: no device with the envelope's ID.
	UnverifiedUnknownDevice = "unknown_device"
	// UnverifiedRevokedDevice: the device was revoked.
	UnverifiedRevokedDevice = "revoked_device"
	// UnverifiedDeviceMismatch: a device credential posted another
	// device's event.
	UnverifiedDeviceMismatch = "device_mismatch"
	// UnverifiedChainGap: the event before it in the chain (Seq-1 with
	// the hash Prev) was never received.
	UnverifiedChainGap = "chain_gap"
	// UnverifiedChainFork: another event of the device already holds its
	// place (same seq) or follows the same previous event (same prev).
	UnverifiedChainFork = "chain_fork"
)

// UnverifiedReasons lists every Verification.Reason, for metrics and docs.
var UnverifiedReasons = []string{
	UnverifiedUnsigned, UnverifiedBadSignature, UnverifiedUnknownDevice, UnverifiedRevokedDevice,
	UnverifiedDeviceMismatch, UnverifiedChainGap, UnverifiedChainFork,
}

// Verification is what the server established about a hook audit event
// when it arrived: whether it is signed by a live enrolled device and
// continues that device's chain. It is set by the server, never taken from
// a sender.
type Verification struct {
	Verified bool `json:"verified"`
	// Central marks a central decision: made and recorded by the server
	// itself, verified without a device.
	Central bool `json:"central,omitempty"`
	// Reason is an Unverified* code when not Verified.
	Reason   string `json:"reason,omitempty"`
	DeviceID string `json:"device_id,omitempty"`
	Seq      uint64 `json:"seq,omitempty"`
	// Hash is the event's chain hash (EventHash), Prev its predecessor's.
	Hash string `json:"hash,omitempty"`
	Prev string `json:"prev,omitempty"`
}

// Link returns the chain link of a signed event stored as id, or nil for
// an event with no device chain (unsigned, or a signature that did not
// verify: a forged envelope must not take a place in the chain).
func (v *Verification) Link(id string) *ChainLink {
	if v == nil || v.DeviceID == "" || v.Hash == "" || v.Reason == UnverifiedBadSignature ||
		v.Reason == UnverifiedUnknownDevice {
		return nil
	}
	return &ChainLink{DeviceID: v.DeviceID, Seq: v.Seq, Hash: v.Hash, Prev: v.Prev, EventID: id, Status: v.Reason}
}
