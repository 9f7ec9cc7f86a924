package settings

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/policy"
)

// TestFormats_Golden pins each delivery format for the regulated tier of
// the baseline (sandbox, lockdown keys, hooks, MCP) with telemetry.
//
// linux-compiled is a policy file compiled for hooks that read it compiled:
// beside the settings, warden-policy.json, which is pinned too.
func TestFormats_Golden(t *testing.T) {
	baseline := mustCompile(t, policy.Baseline(), "regulated", goldenOptions)
	withPolicy := goldenOptions
	withPolicy.HookPolicy = ManagedPath(FormatLinux, policy.CompiledFileName)
	compiled := mustCompile(t, mustFullPolicy(t), "standard", withPolicy)
	for _, tt := range []struct {
		dir       string
		r         *Result
		format    Format
		fragments bool
	}{
		{"linux", baseline, FormatLinux, false},
		{"linux-fragments", baseline, FormatLinux, true},
		{"macos", baseline, FormatMacOS, false},
		{"windows", baseline, FormatWindows, false},
		{"linux-compiled", compiled, FormatLinux, false},
	} {
		t.Run(tt.dir, func(t *testing.T) {
			files, err := tt.r.Files(tt.format, tt.fragments)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range files {
				names = append(names, f.Path)
				golden(t, "formats/"+tt.dir+"/"+f.Path+".golden", f.Data)
			}
			golden(t, "formats/"+tt.dir+"/FILES.golden", []byte(strings.Join(names, "\n")+"\n"))
		})
	}
}

// TestFiles_CompiledPolicy: the compiled policy delivered beside the
// settings is the compiled policy, decoding to the policy compiled, and
// the hooks read it where the settings say.
func TestFiles_CompiledPolicy(t *testing.T) {
	full := mustFullPolicy(t)
	opts := goldenOptions
	opts.HookPolicy = "/etc/claude-code/" + policy.CompiledFileName
	r := mustCompile(t, full, "standard", opts)
	files, err := r.Files(FormatLinux, false)
	if err != nil {
		t.Fatal(err)
	}
	var data []byte
	for _, f := range files {
		if f.Path == policy.CompiledFileName {
			data = f.Data
		}
	}
	p, err := policy.DecodeCompiled(opts.HookPolicy, data)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(p)
	b, _ := json.Marshal(full)
	if !bytes.Equal(a, b) {
		t.Error("the delivered compiled policy is not the policy compiled")
	}
	hooks, _ := json.Marshal(r.Settings["hooks"])
	if !strings.Contains(string(hooks), "--policy /etc/claude-code/"+policy.CompiledFileName+`"`) {
		t.Errorf("hooks do not read it: %s", hooks)
	}
	// Hooks that read the YAML get no compiled policy.
	opts.HookPolicy = "/etc/warden/policy.yaml"
	if r := mustCompile(t, full, "standard", opts); r.CompiledPolicy != nil {
		t.Error("compiled policy for hooks that read the YAML")
	}
}

// TestFragments_MergeToWhole: the fragments hold every key once and
// together make up the single document.
func TestFragments_MergeToWhole(t *testing.T) {
	full := mustFullPolicy(t)
	for _, tier := range full.TierNames() {
		r := mustCompile(t, full, tier, goldenOptions)
		frs, err := r.Fragments()
		if err != nil {
			t.Fatal(err)
		}
		merged := map[string]any{}
		for _, f := range frs {
			var doc map[string]any
			if err := json.Unmarshal(f.Data, &doc); err != nil {
				t.Fatal(err)
			}
			if err := ValidateSettings(doc); err != nil {
				t.Errorf("%s does not validate alone: %v", f.Path, err)
			}
			for k, v := range doc {
				if _, dup := merged[k]; dup {
					t.Errorf("%s: key %s is in two fragments", f.Path, k)
				}
				merged[k] = v
			}
		}
		if !reflect.DeepEqual(normalize(merged), normalize(r.Settings)) {
			t.Errorf("tier %s: fragments merge to a different document", tier)
		}
	}
	// Every key the schema allows has a fragment.
	var sch struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(Schema(), &sch); err != nil {
		t.Fatal(err)
	}
	placed := map[string]bool{}
	for _, f := range fragments {
		for _, k := range f.keys {
			placed[k] = true
		}
	}
	for k := range sch.Properties {
		if !placed[k] {
			t.Errorf("schema key %s has no fragment", k)
		}
	}
}

func TestFiles_FragmentsOnlyForFiles(t *testing.T) {
	r := mustCompile(t, policy.Baseline(), "", Options{})
	for _, f := range []Format{FormatMacOS, FormatWindows} {
		if _, err := r.Files(f, true); err == nil {
			t.Errorf("%s with fragments: no error", f)
		}
	}
	if _, err := r.Files("solaris", false); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("unknown format: %v", err)
	}
}

// TestMacOS_PlistRoundTrip parses the profile as XML and reads the
// settings payload back into JSON values, as plutil -convert json would.
func TestMacOS_PlistRoundTrip(t *testing.T) {
	full := mustFullPolicy(t)
	r := mustCompile(t, full, "payments", goldenOptions)
	profile, plist, err := r.macOS()
	if err != nil {
		t.Fatal(err)
	}
	outer := decodePlist(t, profile).(map[string]any)
	if outer["PayloadType"] != "Configuration" {
		t.Errorf("PayloadType = %v", outer["PayloadType"])
	}
	payload := outer["PayloadContent"].([]any)[0].(map[string]any)
	if payload["PayloadType"] != PreferenceKey {
		t.Errorf("payload type = %v", payload["PayloadType"])
	}
	for k := range payload {
		if strings.HasPrefix(k, "Payload") {
			delete(payload, k)
		}
	}
	if !reflect.DeepEqual(normalize(payload), normalize(r.Settings)) {
		t.Error("the profile's payload is not the settings document")
	}
	if got := decodePlist(t, plist); !reflect.DeepEqual(normalize(got), normalize(r.Settings)) {
		t.Error("the preference plist is not the settings document")
	}
}

// decodePlist reads the XML property lists encodePlist writes.
func decodePlist(t *testing.T, data []byte) any {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	var value func(start xml.StartElement) any
	text := func() string {
		var b strings.Builder
		for {
			tok, err := d.Token()
			if err != nil {
				t.Fatal(err)
			}
			switch x := tok.(type) {
			case xml.CharData:
				b.Write(x)
			case xml.EndElement:
				return b.String()
			}
		}
	}
	next := func() (xml.StartElement, bool) {
		for {
			tok, err := d.Token()
			if err == io.EOF {
				return xml.StartElement{}, false
			}
			if err != nil {
				t.Fatal(err)
			}
			switch x := tok.(type) {
			case xml.StartElement:
				return x, true
			case xml.EndElement:
				return xml.StartElement{}, false
			}
		}
	}
	value = func(start xml.StartElement) any {
		switch start.Name.Local {
		case "dict":
			m := map[string]any{}
			for {
				k, ok := next()
				if !ok {
					return m
				}
				key := text()
				_ = k
				v, _ := next()
				m[key] = value(v)
			}
		case "array":
			l := []any{}
			for {
				v, ok := next()
				if !ok {
					return l
				}
				l = append(l, value(v))
			}
		case "string":
			return text()
		case "integer":
			var n float64
			if err := json.Unmarshal([]byte(text()), &n); err != nil {
				t.Fatal(err)
			}
			return n
		case "true", "false":
			text()
			return start.Name.Local == "true"
		}
		t.Fatalf("unexpected element %s", start.Name.Local)
		return nil
	}
	for {
		start, ok := next()
		if !ok {
			t.Fatal("no plist value")
		}
		if start.Name.Local == "plist" {
			v, _ := next()
			return value(v)
		}
	}
}

// TestWindows_RegistryValue reads the Settings value back: one line of
// ASCII JSON equal to the settings.
func TestWindows_RegistryValue(t *testing.T) {
	p := mustFullPolicy(t)
	p.Guidance = "Don’t copy secrets ✓"
	r := mustCompile(t, p, "standard", goldenOptions)
	r.Settings["companyAnnouncements"] = []any{"Café “quoted” \\ backslash 😀"}
	b, err := r.registry()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range b {
		if c >= 0x80 {
			t.Fatal("the .reg file is not ASCII")
		}
	}
	lines := strings.Split(string(b), "\r\n")
	if lines[0] != "Windows Registry Editor Version 5.00" || lines[5] != `[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\ClaudeCode]` {
		t.Fatalf("header = %q", lines[:6])
	}
	v, ok := strings.CutPrefix(lines[6], `"Settings"="`)
	if !ok || !strings.HasSuffix(v, `"`) {
		t.Fatalf("value line = %q", lines[6])
	}
	v = strings.TrimSuffix(v, `"`)
	v = strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(v)
	var doc map[string]any
	if err := json.Unmarshal([]byte(v), &doc); err != nil {
		t.Fatalf("Settings is not JSON: %v\n%s", err, v)
	}
	if !reflect.DeepEqual(doc, normalize(r.Settings)) {
		t.Error("the registry value is not the settings document")
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	files := []File{{Path: "managed-settings.d/10-permissions.json", Data: []byte("{}\n"), Mode: 0o644},
		{Path: "CLAUDE.md", Data: []byte("x\n"), Mode: 0o644}}
	if err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f.Path))
		if err != nil || !bytes.Equal(b, f.Data) {
			t.Errorf("%s: %q, %v", f.Path, b, err)
		}
	}
	t.Run("NothingHalfWritten", func(t *testing.T) {
		dir := t.TempDir()
		// The second file cannot be created: its directory is a file.
		if err := os.WriteFile(filepath.Join(dir, "blocker"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		err := Write(dir, []File{{Path: "a.json", Data: []byte("{}"), Mode: 0o644}, {Path: "blocker/b.json", Data: []byte("{}"), Mode: 0o644}})
		if err == nil {
			t.Fatal("no error")
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Errorf("left behind: %v", entries)
		}
	})
	t.Run("EscapingPath", func(t *testing.T) {
		if err := Write(t.TempDir(), []File{{Path: "../x", Data: nil}}); err == nil {
			t.Error("no error for ../x")
		}
	})
}
