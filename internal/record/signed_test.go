package record_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func signedEvent(id string) record.AuditEventV1 {
	return record.AuditEventV1{Schema: record.SchemaAuditV1, EventID: id, HookEvent: "PreToolUse",
		Time: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), SessionID: "s1", ToolUseID: "toolu_1",
		Tool: "Bash", Command: `echo "<a & b>"`, Decision: record.DecisionDeny, RuleID: "r1"}
}

// ExampleSignAudit signs two events of a device's chain and checks the
// second: its signature, and that it follows the first.
func ExampleSignAudit() {
	key := testKey(1)
	ev1, ev2 := signedEvent("e1"), signedEvent("e2")
	_, h1, _ := record.SignAudit(key, "dev_0a", 1, "", &ev1)
	line2, _, _ := record.SignAudit(key, "dev_0a", 2, h1, &ev2)

	env, msg, err := record.DecodeSignedAudit(line2)
	if err != nil {
		panic(err)
	}
	fmt.Println(env.Seq, env.Prev == h1, env.Verify(key.Public().(ed25519.PublicKey), msg))
	// Output: 2 true true
}

func TestSignAudit_RoundTrip(t *testing.T) {
	key := testKey(1)
	ev := signedEvent("e1")
	line, hash, err := record.SignAudit(key, "dev_0a", 7, strings.Repeat("ab", 32), &ev)
	if err != nil {
		t.Fatal(err)
	}
	if !record.IsSignedAudit(line) {
		t.Fatalf("IsSignedAudit(%s) = false", line)
	}
	env, msg, err := record.DecodeSignedAudit(line)
	if err != nil {
		t.Fatal(err)
	}
	if !env.Verify(key.Public().(ed25519.PublicKey), msg) {
		t.Error("signature does not verify")
	}
	if record.EventHash(msg) != hash {
		t.Errorf("hash of the decoded message %s, signer said %s", record.EventHash(msg), hash)
	}
	var got record.AuditEventV1
	if err := json.Unmarshal(env.Event, &got); err != nil || got.Command != ev.Command || got.Decision != ev.Decision {
		t.Errorf("event %+v (%v), want %+v", got, err, ev)
	}
	if env.Verify(testKey(2).Public().(ed25519.PublicKey), msg) {
		t.Error("verifies under another key")
	}
}

// TestSignAudit_Tamper changes each signed part of an envelope: none
// verifies.
func TestSignAudit_Tamper(t *testing.T) {
	key := testKey(1)
	pub := key.Public().(ed25519.PublicKey)
	ev := signedEvent("e1")
	line, _, err := record.SignAudit(key, "dev_0a", 2, strings.Repeat("ab", 32), &ev)
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(string) string{
		"Decision": func(s string) string { return strings.Replace(s, `"decision":"deny"`, `"decision":"allow"`, 1) },
		"Seq":      func(s string) string { return strings.Replace(s, `"seq":2`, `"seq":3`, 1) },
		"Prev":     func(s string) string { return strings.Replace(s, `"prev":"abab`, `"prev":"abac`, 1) },
		"Device":   func(s string) string { return strings.Replace(s, `"device_id":"dev_0a"`, `"device_id":"dev_0b"`, 1) },
		"Spacing":  func(s string) string { return strings.Replace(s, `"decision":"deny"`, `"decision": "deny"`, 1) },
		"EventID":  func(s string) string { return strings.Replace(s, `"event_id":"e1"`, `"event_id":"e2"`, 1) },
	} {
		t.Run(name, func(t *testing.T) {
			bad := edit(string(line))
			if bad == string(line) {
				t.Fatalf("edit did not apply to %s", line)
			}
			env, msg, err := record.DecodeSignedAudit([]byte(bad))
			if err != nil {
				return // refused as malformed: fine too
			}
			if env.Verify(pub, msg) {
				t.Errorf("tampered envelope verifies: %s", bad)
			}
		})
	}
}

func TestDecodeSignedAudit_Errors(t *testing.T) {
	key := testKey(1)
	ev := signedEvent("e1")
	good, _, err := record.SignAudit(key, "dev_0a", 1, "", &ev)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ line, want string }{
		"NotJSON":      {`{"schema":`, "unexpected end"},
		"Schema":       {strings.Replace(string(good), record.SchemaSignedAuditV1, "warden.signed_audit.v9", 1), "schema"},
		"DeviceID":     {strings.Replace(string(good), "dev_0a", "dev_0A\\n", 1), "device_id"},
		"SeqZero":      {strings.Replace(string(good), `"seq":1`, `"seq":0`, 1), "seq must be"},
		"Seq1WithPrev": {strings.Replace(string(good), `"prev":""`, `"prev":"`+strings.Repeat("0", 64)+`"`, 1), "seq 1 with a prev"},
		"PrevNotHash":  {strings.Replace(strings.Replace(string(good), `"seq":1`, `"seq":2`, 1), `"prev":""`, `"prev":"xyz"`, 1), "not a hex SHA-256"},
		"EventArray":   {strings.Replace(string(good), `"event":{`, `"event":[{`, 1), "invalid"},
		"Sig":          {strings.Replace(string(good), `"sig":"`, `"sig":"!!`, 1), "sig is not"},
		"Trailing":     {string(good) + `{}`, "after top-level value"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := record.DecodeSignedAudit([]byte(tc.line))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("DecodeSignedAudit(%s) = %v, want an error containing %q", tc.line, err, tc.want)
			}
		})
	}
}

// FuzzDecodeSignedAudit feeds arbitrary lines to the envelope decoder:
// it never panics, and whatever it accepts has a valid shape, a message
// that starts with the envelope's framing, and verifies only under the
// signing key when it is an unaltered signed line.
func FuzzDecodeSignedAudit(f *testing.F) {
	key := testKey(1)
	pub := key.Public().(ed25519.PublicKey)
	ev := signedEvent("e1")
	l1, h1, _ := record.SignAudit(key, "dev_0a", 1, "", &ev)
	l2, _, _ := record.SignAudit(key, "dev_0a", 2, h1, &ev)
	f.Add(l1)
	f.Add(l2)
	f.Add([]byte(`{"schema":"warden.signed_audit.v1","device_id":"dev_1","seq":1,"prev":"","event":{},"sig":""}`))
	f.Add([]byte(`{"schema":"warden.signed_audit.v1","event":{"a":1}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		env, msg, err := record.DecodeSignedAudit(line)
		if err != nil {
			return
		}
		if !record.ValidDeviceID(env.DeviceID) || env.Seq == 0 || len(env.Event) == 0 || env.Event[0] != '{' {
			t.Fatalf("accepted a malformed envelope: %+v", env)
		}
		if !bytes.Equal(msg, record.SignedMessage(env.DeviceID, env.Seq, env.Prev, env.Event)) {
			t.Fatal("message is not the envelope's SignedMessage")
		}
		if env.Verify(pub, msg) && !bytes.Equal(line, l1) && !bytes.Equal(line, l2) {
			// A different line may verify only if it carries the same
			// signed parts (re-encoded around them).
			if !bytes.Equal(msg, mustMsg(t, l1)) && !bytes.Equal(msg, mustMsg(t, l2)) {
				t.Fatalf("a line the key never signed verifies: %s", line)
			}
		}
	})
}

func mustMsg(t *testing.T, line []byte) []byte {
	_, msg, err := record.DecodeSignedAudit(line)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}
