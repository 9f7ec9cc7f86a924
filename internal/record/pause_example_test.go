package record_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// The server signs the pauses in force; a machine verifies them with the
// key it pinned at enrollment before honouring any.
func ExampleVerifyPauses() {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	signed, err := record.SignPauses(key, record.PauseListV1{IssuedAt: now, Pauses: []record.Pause{
		{ID: "7", Tier: "ci", Until: now.Add(2 * time.Hour), Reason: "INC-42", By: "token:alice", Time: now},
	}})
	if err != nil {
		panic(err)
	}
	list, err := record.VerifyPauses(key.Public().(ed25519.PublicKey), signed)
	if err != nil {
		panic(err)
	}
	p := list.Active("ci", now.Add(time.Hour))
	fmt.Println(p.Tier, p.Until.Format(time.RFC3339), p.By)

	forged := bytes.Replace(signed, []byte(`"payload":"`), []byte(`"payload":"e`), 1)
	_, err = record.VerifyPauses(key.Public().(ed25519.PublicKey), forged)
	fmt.Println(err != nil)
	// Output:
	// ci 2026-12-07T14:00:00Z token:alice
	// true
}
