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
	"strconv"
	"strings"
)

// SchemaSignedAuditV1 is the schema tag of a SignedAuditV1 envelope.
const SchemaSignedAuditV1 = "warden.signed_audit.v1"

// SignedAuditV1 is one audit event signed by an enrolled device, as the
// hook writes it to the spool (one JSON object per line) and the server
// receives it at /v1/audit:
//
//	{"schema":"warden.signed_audit.v1","device_id":"dev_…","seq":7,
//	 "prev":"<hex SHA-256>","event":{…AuditEventV1…},"sig":"<base64>"}
//
// Seq counts the device's events from 1; Prev is the hash (EventHash) of
// the device's event Seq-1, empty for Seq 1. The signature is Ed25519 over
// SignedMessage: the schema, device ID, seq and prev on one line each,
// then the event's JSON exactly as it appears in the envelope. Signing
// the event's bytes as sent, not a re-encoding, leaves nothing to
// canonicalise: the verifier checks the bytes it was given and only then
// decodes them.
type SignedAuditV1 struct {
	Schema   string          `json:"schema"`
	DeviceID string          `json:"device_id"`
	Seq      uint64          `json:"seq"`
	Prev     string          `json:"prev"`
	Event    json.RawMessage `json:"event"`
	Sig      string          `json:"sig"`
}

// Limits of an envelope's fields.
const (
	maxDeviceIDBytes = 64
	hashHexLen       = 2 * sha256.Size
)

// SignedMessage returns the bytes a device signs for an envelope:
//
//	warden.signed_audit.v1\n<device_id>\n<seq in decimal>\n<prev>\n<event JSON>
//
// The device ID holds no newline (ValidDeviceID) and prev is hex or empty,
// so the framing is unambiguous; the event is last and runs to the end.
func SignedMessage(deviceID string, seq uint64, prev string, event []byte) []byte {
	b := make([]byte, 0, len(SchemaSignedAuditV1)+len(deviceID)+len(prev)+len(event)+24)
	b = append(b, SchemaSignedAuditV1...)
	b = append(b, '\n')
	b = append(b, deviceID...)
	b = append(b, '\n')
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, '\n')
	b = append(b, prev...)
	b = append(b, '\n')
	return append(b, event...)
}

// EventHash is the chain hash of a signed message: hex SHA-256. The next
// event of the device carries it as Prev.
func EventHash(msg []byte) string {
	sum := sha256.Sum256(msg)
	return hex.EncodeToString(sum[:])
}

// ValidDeviceID reports whether id has a device ID's shape: "dev_"
// followed by 1 to 60 lower-case hex digits.
func ValidDeviceID(id string) bool {
	rest, ok := strings.CutPrefix(id, "dev_")
	if !ok || len(rest) == 0 || len(id) > maxDeviceIDBytes {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// SignAudit encodes ev and signs it as the device's event seq following
// the event whose hash is prev. It returns the envelope's JSON line
// (without newline) and the new event's hash, the next Prev.
func SignAudit(key ed25519.PrivateKey, deviceID string, seq uint64, prev string, ev *AuditEventV1) (line []byte, hash string, err error) {
	if !ValidDeviceID(deviceID) {
		return nil, "", fmt.Errorf("sign audit event: invalid device ID %q", deviceID)
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, "", errors.New("sign audit event: not an Ed25519 private key")
	}
	body, err := ev.AppendJSON(nil)
	if err != nil {
		return nil, "", fmt.Errorf("sign audit event: %w", err)
	}
	msg := SignedMessage(deviceID, seq, prev, body)
	env := SignedAuditV1{
		Schema: SchemaSignedAuditV1, DeviceID: deviceID, Seq: seq, Prev: prev,
		Event: body, Sig: base64.StdEncoding.EncodeToString(ed25519.Sign(key, msg)),
	}
	line, err = json.Marshal(&env)
	if err != nil {
		return nil, "", fmt.Errorf("sign audit event: %w", err)
	}
	return line, EventHash(msg), nil
}

// signedPrefix is how SignAudit's lines start.
var signedPrefix = []byte(`{"schema":"` + SchemaSignedAuditV1 + `"`)

// IsSignedAudit reports whether a line (one JSON object) is a signed
// envelope rather than a bare AuditEventV1, by its schema. It only looks,
// cheaply (a line as SignAudit writes it is told by its first bytes);
// DecodeSignedAudit checks.
func IsSignedAudit(line []byte) bool {
	if bytes.HasPrefix(line, signedPrefix) {
		return true
	}
	if !bytes.Contains(line, []byte(SchemaSignedAuditV1)) {
		return false
	}
	var probe struct {
		Schema string `json:"schema"`
	}
	return json.Unmarshal(line, &probe) == nil && probe.Schema == SchemaSignedAuditV1
}

// DecodeSignedAudit decodes an envelope line and checks its shape (not its
// signature or chain: that needs the device's key, see Verify): schema,
// device ID, seq from 1, prev empty exactly for seq 1 and otherwise a hex
// SHA-256, an event that is a JSON object, a signature of Ed25519's size.
// It returns the envelope and its signed message.
func DecodeSignedAudit(line []byte) (*SignedAuditV1, []byte, error) {
	var env SignedAuditV1
	if err := json.Unmarshal(line, &env); err != nil {
		return nil, nil, fmt.Errorf("signed audit envelope: %w", err)
	}
	switch {
	case env.Schema != SchemaSignedAuditV1:
		return nil, nil, fmt.Errorf("signed audit envelope: schema %q, want %q", Truncate(env.Schema, 64), SchemaSignedAuditV1)
	case !ValidDeviceID(env.DeviceID):
		return nil, nil, fmt.Errorf("signed audit envelope: invalid device_id %q", Truncate(env.DeviceID, 80))
	case env.Seq == 0:
		return nil, nil, errors.New("signed audit envelope: seq must be 1 or more")
	case env.Seq == 1 && env.Prev != "":
		return nil, nil, errors.New("signed audit envelope: seq 1 with a prev hash")
	case env.Seq > 1 && !isHashHex(env.Prev):
		return nil, nil, fmt.Errorf("signed audit envelope: prev %q is not a hex SHA-256", Truncate(env.Prev, 80))
	case len(env.Event) == 0 || env.Event[0] != '{':
		return nil, nil, errors.New("signed audit envelope: event is not a JSON object")
	}
	sig, err := base64.StdEncoding.DecodeString(env.Sig)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, nil, errors.New("signed audit envelope: sig is not a base64 Ed25519 signature")
	}
	return &env, SignedMessage(env.DeviceID, env.Seq, env.Prev, env.Event), nil
}

// Verify reports whether the envelope's signature over msg (its
// SignedMessage, as DecodeSignedAudit returned it) is pub's.
func (e *SignedAuditV1) Verify(pub ed25519.PublicKey, msg []byte) bool {
	sig, err := base64.StdEncoding.DecodeString(e.Sig)
	if err != nil || len(sig) != ed25519.SignatureSize || len(pub) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.Verify(pub, msg, sig)
}

func isHashHex(s string) bool {
	if len(s) != hashHexLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
