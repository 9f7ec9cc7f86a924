package record

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// auditPlain is AuditEventV1 without methods: json.Marshal encodes it by
// reflection, the encoding AppendJSON must reproduce.
type auditPlain AuditEventV1

// fillAudit sets every field of ev from r: each string from a set with
// the characters JSON escapes, each slice, bool, number and pointer set
// or left empty at random.
func fillAudit(ev *AuditEventV1, r *rand.Rand) {
	strs := []string{"", "x", "<script>&amp;</script>", "tab\tnew\nline\r\"q\"\\", "\x00\x1f\x7f", "é✓😀", "bad\xffutf8\xc3", "\u2028\u2029", "a b"}
	v := reflect.ValueOf(ev).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(strs[r.IntN(len(strs))])
		case reflect.Bool:
			f.SetBool(r.IntN(2) == 1)
		case reflect.Int, reflect.Int64:
			f.SetInt([]int64{0, 1, -7, 1 << 40}[r.IntN(4)])
		case reflect.Slice:
			n := r.IntN(3)
			s := make([]string, n)
			for j := range s {
				s[j] = strs[r.IntN(len(strs))]
			}
			if n == 0 && r.IntN(2) == 0 {
				s = nil
			}
			f.Set(reflect.ValueOf(s))
		case reflect.Pointer:
			if r.IntN(2) == 1 {
				n := r.IntN(1000) - 10
				f.Set(reflect.ValueOf(&n))
			}
		case reflect.Struct: // time.Time
			ts := []time.Time{{}, time.Date(2026, 12, 7, 16, 0, 0, 123456789, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))}
			f.Set(reflect.ValueOf(ts[r.IntN(len(ts))]))
		default:
			panic("fillAudit: field kind " + f.Kind().String() + " not handled; extend it and AppendJSON")
		}
	}
}

// TestAuditJSON_Marshal: AppendJSON writes what json.Marshal writes, for
// events with every field set, every field empty, and mixes.
func TestAuditJSON_Marshal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	events := []AuditEventV1{{}, {Schema: SchemaAuditV1, Decision: DecisionNone}}
	for range 2000 {
		var ev AuditEventV1
		fillAudit(&ev, r)
		events = append(events, ev)
	}
	for _, ev := range events {
		want, werr := json.Marshal((*auditPlain)(&ev))
		got, gerr := ev.AppendJSON(nil)
		if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON differs from json.Marshal:\n got %s (%v)\nwant %s (%v)", got, gerr, want, werr)
		}
	}
	// A time json.Marshal refuses is refused.
	bad := AuditEventV1{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := bad.AppendJSON(nil); err == nil {
		t.Error("AppendJSON encoded a year json.Marshal refuses")
	}
}

// FuzzAuditJSON: any string in any field encodes as json.Marshal encodes it.
func FuzzAuditJSON(f *testing.F) {
	f.Add("<&>", "\u2028", "\xff", uint64(1))
	f.Fuzz(func(t *testing.T, a, b, c string, seed uint64) {
		var ev AuditEventV1
		fillAudit(&ev, rand.New(rand.NewPCG(seed, 0)))
		ev.Command, ev.Reason, ev.Cwd = a, b, c
		ev.Reads = []string{a, b, c}
		want, _ := json.Marshal((*auditPlain)(&ev))
		got, _ := ev.AppendJSON(nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON differs from json.Marshal:\n got %s\nwant %s", got, want)
		}
	})
}
