package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// ScanReport returns a valid scan report of repository (machine-only when
// "") from host, with one high and one low finding.
func ScanReport(host, repository string) record.ScanReportV1 {
	return record.ScanReportV1{
		Schema: record.SchemaScanV1, Host: host, Repository: repository, WardenVersion: "v1.2.3",
		Policy: "baseline", PolicyRevision: "r7", Tier: "standard", Machine: repository == "",
		ScannedAt: T0,
		Findings: []record.ScanFindingV1{
			{RuleID: "WS101", Severity: "high", Message: "broad allow rule Bash(*)", File: ".claude/settings.json", Line: 5, Column: 7, Evidence: "Bash(*)"},
			{RuleID: "WS140", Severity: "low", Message: "a git hook is committed", File: ".githooks/pre-commit", Line: 1},
		},
	}
}

func testFleet(t *testing.T, open opener) {
	t.Run("PutScanReplacesLatest", func(t *testing.T) {
		s, clock := open(t)
		first := record.DeviceScan{Reporter: "dev_01", DeviceID: "dev_01", Report: ScanReport("laptop", "https://github.com/org/app.git")}
		got, err := s.PutScan(ctx(), first)
		if err != nil {
			t.Fatal(err)
		}
		if !got.ReceivedAt.Equal(clock.Now()) || !got.Verified {
			t.Errorf("PutScan = received %v verified %v; want the store's clock %v, verified", got.ReceivedAt, got.Verified, clock.Now())
		}
		clock.Set(T0.Add(time.Hour))
		second := first
		second.Report.Findings = second.Report.Findings[:1]
		second.Report.PolicyRevision = "r8"
		if _, err := s.PutScan(ctx(), second); err != nil {
			t.Fatal(err)
		}
		clock.Set(T0.Add(2 * time.Hour))
		machine := record.DeviceScan{Reporter: "dev_01", DeviceID: "dev_01", Report: ScanReport("laptop", "")}
		if _, err := s.PutScan(ctx(), machine); err != nil {
			t.Fatal(err)
		}
		clock.Set(T0.Add(3 * time.Hour))
		byToken := record.DeviceScan{Reporter: "tok_aa", Report: ScanReport("ci-runner", "https://github.com/org/app.git")}
		if _, err := s.PutScan(ctx(), byToken); err != nil {
			t.Fatal(err)
		}

		list, err := s.ListScans(ctx(), store.ScanFilter{DeviceID: "dev_01"})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 {
			t.Fatalf("ListScans(dev_01) = %d scans, want the machine's and the repository's latest", len(list))
		}
		if list[0].Report.Repository != "" || !list[0].Report.Machine || !list[0].ReceivedAt.Equal(T0.Add(2*time.Hour)) {
			t.Errorf("newest first: got %+v", list[0])
		}
		if r := list[1].Report; r.PolicyRevision != "r8" || len(r.Findings) != 1 || r.Findings[0].RuleID != "WS101" ||
			r.Findings[0].Line != 5 || r.Findings[0].Evidence != "Bash(*)" || !r.ScannedAt.Equal(T0) {
			t.Errorf("the repository's scan was not replaced by the later one: %+v", r)
		}
		all, err := s.ListScans(ctx(), store.ScanFilter{})
		if err != nil || len(all) != 3 || all[0].Reporter != "tok_aa" || all[0].Verified || all[0].DeviceID != "" {
			t.Errorf("ListScans() = %+v, %v; want 3, the token's first and unverified", all, err)
		}
		one, err := s.ListScans(ctx(), store.ScanFilter{Reporter: "tok_aa", Limit: 1})
		if err != nil || len(one) != 1 || one[0].Report.Host != "ci-runner" {
			t.Errorf("ListScans(reporter tok_aa) = %+v, %v", one, err)
		}
		none, err := s.ListScans(ctx(), store.ScanFilter{DeviceID: "dev_99"})
		if err != nil || none == nil || len(none) != 0 {
			t.Errorf("ListScans(unknown device) = %#v, %v; want an empty list", none, err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		s, _ := open(t)
		good := record.DeviceScan{Reporter: "dev_01", DeviceID: "dev_01", Report: ScanReport("laptop", "repo")}
		for name, mutate := range map[string]func(*record.DeviceScan){
			"NoReporter":  func(d *record.DeviceScan) { d.Reporter = "" },
			"BadDeviceID": func(d *record.DeviceScan) { d.DeviceID = "laptop" },
			"BadSchema":   func(d *record.DeviceScan) { d.Report.Schema = "warden.scan.v0" },
			"NoHost":      func(d *record.DeviceScan) { d.Report.Host = "" },
			"UnknownSev":  func(d *record.DeviceScan) { d.Report.Findings[0].Severity = "severe" },
			"LongMessage": func(d *record.DeviceScan) {
				d.Report.Findings[0].Message = strings.Repeat("m", record.MaxScanMessageBytes+1)
			},
			"NULInEvidence":  func(d *record.DeviceScan) { d.Report.Findings[0].Evidence = "a\x00b" },
			"BadRuleID":      func(d *record.DeviceScan) { d.Report.Findings[0].RuleID = "<script>" },
			"NeitherRepoNor": func(d *record.DeviceScan) { d.Report.Repository, d.Report.Machine = "", false },
		} {
			t.Run(name, func(t *testing.T) {
				d := good
				d.Report.Findings = append([]record.ScanFindingV1(nil), good.Report.Findings...)
				mutate(&d)
				_, err := s.PutScan(ctx(), d)
				wantCode(t, err, store.EInvalid)
			})
		}
		if list, err := s.ListScans(ctx(), store.ScanFilter{}); err != nil || len(list) != 0 {
			t.Errorf("refused scans stored: %+v, %v", list, err)
		}
	})
	t.Run("BoundPerReporter", func(t *testing.T) {
		s, clock := open(t)
		for i := range store.MaxScansPerReporter + 5 {
			clock.Set(T0.Add(time.Duration(i) * time.Second))
			d := record.DeviceScan{Reporter: "tok_flood", Report: ScanReport("h", fmt.Sprintf("repo-%03d", i))}
			if _, err := s.PutScan(ctx(), d); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.PutScan(ctx(), record.DeviceScan{Reporter: "dev_01", DeviceID: "dev_01", Report: ScanReport("h", "")}); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListScans(ctx(), store.ScanFilter{Reporter: "tok_flood", Limit: store.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != store.MaxScansPerReporter {
			t.Fatalf("a reporter keeps %d scans, want %d", len(list), store.MaxScansPerReporter)
		}
		if last := list[len(list)-1].Report.Repository; last != "repo-005" {
			t.Errorf("oldest kept is %s, want repo-005 (the first five dropped)", last)
		}
		if other, _ := s.ListScans(ctx(), store.ScanFilter{DeviceID: "dev_01"}); len(other) != 1 {
			t.Errorf("another reporter's scan was dropped: %+v", other)
		}
	})
	t.Run("DeviceActivity", func(t *testing.T) {
		s, _ := open(t)
		link := func(id, dev string, seq uint64, status, version string) record.Event {
			e := HookEvent(id, "s-"+dev, time.Duration(seq)*time.Minute, record.DecisionAllow)
			e.Audit.Host, e.Audit.Policy, e.Audit.PolicyVersion, e.Audit.Tier = "host-"+dev, "acme", version, "standard"
			e.Verification = &record.Verification{Verified: status == "", Reason: status, DeviceID: dev, Seq: seq,
				Hash: "h" + id, Prev: "p" + id}
			return e
		}
		unsigned := HookEvent("u1", "s-x", 0, record.DecisionAllow)
		unsigned.Verification = &record.Verification{Reason: record.UnverifiedUnsigned}
		forged := link("f1", "dev_01", 9, record.UnverifiedBadSignature, "forged")
		mustAppend(t, s,
			link("a1", "dev_01", 1, "", "r1"), link("a2", "dev_01", 2, "", "r1"),
			link("a3", "dev_01", 3, record.UnverifiedChainGap, "r2"),
			link("b1", "dev_02", 1, record.UnverifiedRevokedDevice, "r5"),
			unsigned, forged)
		got, err := s.DeviceActivity(ctx())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("DeviceActivity = %+v, want dev_01 and dev_02", got)
		}
		a := got["dev_01"]
		if a.Verified != 2 || a.Unverified != 1 || a.PolicyVersion != "r2" || a.Policy != "acme" || a.Host != "host-dev_01" ||
			!a.LastSeen.Equal(T0.Add(3*time.Minute)) {
			t.Errorf("dev_01 = %+v; want 2 verified, 1 unverified, latest r2 at T0+3m (the forged event is not its)", a)
		}
		if b := got["dev_02"]; b.Verified != 0 || b.Unverified != 1 || b.PolicyVersion != "r5" {
			t.Errorf("dev_02 = %+v", b)
		}
		// Retention deletes the events, the chain stays: counts remain,
		// last seen is unknown.
		if _, err := s.DeleteBefore(ctx(), T0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, err = s.DeviceActivity(ctx())
		if err != nil {
			t.Fatal(err)
		}
		if a := got["dev_01"]; a.Verified != 2 || !a.LastSeen.IsZero() || a.PolicyVersion != "" {
			t.Errorf("after retention dev_01 = %+v; want the counts and no last event", a)
		}
	})
	t.Run("NoteDeviceContact", func(t *testing.T) {
		s, clock := open(t)
		clock.Set(T0.Add(time.Hour))
		if err := s.NoteDeviceContact(ctx(), "dev_01", "v1.2.3"); err != nil {
			t.Fatal(err)
		}
		clock.Set(T0.Add(2 * time.Hour))
		if err := s.NoteDeviceContact(ctx(), "dev_01", "v1.3.0"); err != nil {
			t.Fatal(err)
		}
		// A clock that went back does not move last contact back.
		clock.Set(T0)
		if err := s.NoteDeviceContact(ctx(), "dev_02", ""); err != nil {
			t.Fatal(err)
		}
		if err := s.NoteDeviceContact(ctx(), "dev_01", "v1.3.0"); err != nil {
			t.Fatal(err)
		}
		for _, bad := range [][2]string{{"laptop", "v1"}, {"dev_01", "v1 <script>"}, {"dev_01", strings.Repeat("9", store.MaxVersionBytes+1)}} {
			wantCode(t, s.NoteDeviceContact(ctx(), bad[0], bad[1]), store.EInvalid)
		}
		got, err := s.DeviceActivity(ctx())
		if err != nil {
			t.Fatal(err)
		}
		if a := got["dev_01"]; a.DeviceID != "dev_01" || a.Version != "v1.3.0" || !a.LastContact.Equal(T0.Add(2*time.Hour)) || a.Verified != 0 {
			t.Errorf("dev_01 = %+v; want version v1.3.0, last contact T0+2h, no events", a)
		}
		if a, ok := got["dev_02"]; !ok || a.Version != "" || !a.LastContact.Equal(T0) {
			t.Errorf("dev_02 = %+v (%v)", a, ok)
		}
	})
}
