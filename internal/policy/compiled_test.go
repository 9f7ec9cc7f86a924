package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func mustEncodeCompiled(tb testing.TB, p *Policy) []byte {
	tb.Helper()
	b, err := EncodeCompiled(p)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestCompiled_RoundTrip: a policy decoded from its compiled form is the
// policy that was compiled, field for field, and rules resolve alike.
func TestCompiled_RoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/good/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good fixtures: %v", err)
	}
	policies := map[string]*Policy{BaselineFile: Baseline()}
	for _, f := range files {
		p, err := LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		policies[f] = p
	}
	for name, p := range policies {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data := mustEncodeCompiled(t, p)
			got, err := DecodeCompiled("warden-policy.json", data)
			if err != nil {
				t.Fatal(err)
			}
			if got.File != "warden-policy.json" {
				t.Errorf("File = %q", got.File)
			}
			a, _ := json.Marshal(p)
			b, _ := json.Marshal(got)
			if !bytes.Equal(a, b) {
				t.Errorf("decoded policy differs:\n%s\nwant\n%s", b, a)
			}
			if again := mustEncodeCompiled(t, got); !bytes.Equal(bytes.Replace(again, []byte(`"warden-policy.json"`), []byte(`"`+p.File+`"`), 1), data) {
				t.Error("encoding the decoded policy gives other bytes")
			}
			for _, tier := range p.TierNames() {
				want, err1 := p.Ruleset(tier)
				rs, err2 := got.Ruleset(tier)
				if err1 != nil || err2 != nil {
					t.Fatalf("tier %s: %v, %v", tier, err1, err2)
				}
				if !reflect.DeepEqual(rs.Rules(), want.Rules()) {
					t.Errorf("tier %s resolves to other rules", tier)
				}
			}
		})
	}
}

// TestDecodeCompiled_Refused: a compiled policy of another format, edited,
// damaged or not compiled at all is refused, saying why and what to do.
func TestDecodeCompiled_Refused(t *testing.T) {
	good := mustEncodeCompiled(t, Baseline())
	body, err := json.Marshal(Baseline())
	if err != nil {
		t.Fatal(err)
	}
	policy := string(body)
	// doc lays out a compiled policy as EncodeCompiled does, with a
	// checksum of its own or (sum "") the right one.
	doc := func(format, sum, policy string) []byte {
		if sum == "" {
			s := sha256.Sum256([]byte(policy))
			sum = hex.EncodeToString(s[:])
		}
		return fmt.Appendf(nil, "{\n  \"format\": %s,\n  \"source\": \"p.yaml\",\n  \"sha256\": %q,\n  \"policy\": %s\n}\n", format, sum, policy)
	}
	if !bytes.Equal(doc("1", "", policy), bytes.Replace(good, []byte(`"builtin:baseline"`), []byte(`"p.yaml"`), 1)) {
		t.Fatalf("the test lays out the document otherwise than EncodeCompiled:\n%s", good)
	}
	edited := strings.Replace(policy, `"egress":"deny"`, `"egress":"allow"`, 1)
	if edited == policy {
		t.Fatal("the baseline no longer denies egress: pick another edit")
	}
	sum := sha256.Sum256(body)
	goodSum := hex.EncodeToString(sum[:])
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"OtherFormat", doc(fmt.Sprint(CompiledFormat+1), "", policy), fmt.Sprintf("compiled format %d, this Warden reads format %d", CompiledFormat+1, CompiledFormat)},
		{"OtherFormatLayout", []byte(`{"format": 2, "policies": []}`), "compiled format 2, this Warden reads format 1"},
		{"NoFormat", doc("0", "", policy), "not a compiled policy: no format"},
		{"Edited", doc("1", goodSum, edited), "its checksum does not match its content"},
		{"BadChecksum", doc("1", "00", policy), "its checksum does not match its content"},
		{"Reformatted", doc("1", goodSum, strings.ReplaceAll(policy, ",", ", ")), "its checksum does not match its content"},
		{"UnknownField", doc("1", "", strings.Replace(policy, `{`, `{"egres":"deny",`, 1)), `its policy does not decode: json: unknown field "egres"`},
		{"MembersReordered", []byte(`{"sha256": "` + goodSum + `", "format": 1, "source": "", "policy": ` + policy + `}`), `not a compiled policy: member sha256 where "format" belongs`},
		{"ExtraMember", bytes.Replace(good, []byte(`"sha256"`), []byte(`"by": "me", "sha256"`), 1), `not a compiled policy: member by where "sha256" belongs`},
		{"NullPolicy", doc("1", "", "null"), "no valid policy in it"},
		{"EmptyPolicy", doc("1", "", "{}"), "no valid policy in it"},
		{"Truncated", good[:len(good)/2], "not a compiled policy: no policy member"},
		{"TruncatedAtBrace", append(good[:bytes.LastIndexByte(good[:len(good)-4], '}')], "}\n}"...), "its checksum does not match its content"},
		{"TrailingData", doc("1", "", policy+"{}"), "its policy does not decode: data after the document"},
		{"NotAnObject", []byte(`[1]`), "not a compiled policy: not a JSON object"},
		{"YAML", BaselineYAML(), "not a compiled policy"},
		{"Empty", nil, "not a compiled policy: EOF"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := DecodeCompiled("/etc/claude-code/warden-policy.json", tt.data)
			var ce *CompiledError
			if p != nil || !errors.As(err, &ce) {
				t.Fatalf("got %v, %v; want a *CompiledError", p, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.HasPrefix(msg, "/etc/claude-code/warden-policy.json: stale or damaged compiled policy (") ||
				!strings.HasSuffix(msg, "): recompile with warden compile") {
				t.Errorf("error %q; want the file, %q and what to do", msg, tt.want)
			}
		})
	}
}

// TestCompiled_Shape pins the JSON form of Policy against CompiledFormat: a
// field added, renamed, removed or retyped changes what a compiled file
// means, so the format must change with it, and a hook of another Warden
// then refuses the file instead of reading it in part.
func TestCompiled_Shape(t *testing.T) {
	var lines []string
	jsonShape(reflect.TypeFor[Policy](), "policy", &lines, map[reflect.Type]bool{})
	shape := strings.Join(lines, "\n") + "\n"
	got := fmt.Sprintf("format %d\n%s", CompiledFormat, shape)
	path := filepath.Join("testdata", "compiled-shape.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) == got {
		return
	}
	wantFormat, wantShape, _ := strings.Cut(string(want), "\n")
	if wantShape != shape && wantFormat == fmt.Sprintf("format %d", CompiledFormat) {
		t.Fatalf("the JSON form of Policy changed but CompiledFormat is still %d: increase it, then rerun with -update\ngot:\n%s", CompiledFormat, shape)
	}
	t.Fatalf("%s is out of date: rerun with -update\ngot:\n%s", path, got)
}

var textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
var jsonMarshaler = reflect.TypeFor[json.Marshaler]()

// jsonShape lists the JSON fields of t under prefix with their kinds, as
// encoding/json sees them.
func jsonShape(t reflect.Type, prefix string, out *[]string, seen map[reflect.Type]bool) {
	if t.Implements(jsonMarshaler) || t.Implements(textMarshaler) {
		*out = append(*out, prefix+": text "+t.Name())
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		jsonShape(t.Elem(), prefix, out, seen)
	case reflect.Slice:
		jsonShape(t.Elem(), prefix+"[]", out, seen)
	case reflect.Map:
		jsonShape(t.Elem(), prefix+"{"+t.Key().Kind().String()+"}", out, seen)
	case reflect.Struct:
		if seen[t] {
			*out = append(*out, prefix+": recursive "+t.Name())
			return
		}
		seen[t] = true
		defer delete(seen, t)
		fields(t, prefix, out, seen)
	default:
		*out = append(*out, prefix+": "+t.Kind().String())
	}
}

// fields lists a struct's fields, embedded structs without a name inline.
func fields(t reflect.Type, prefix string, out *[]string, seen map[reflect.Type]bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			fields(f.Type, prefix, out, seen)
			continue
		}
		if name == "" {
			name = f.Name
		}
		jsonShape(f.Type, prefix+"."+name, out, seen)
	}
}

// BenchmarkLoad compares what a hook call pays to load a policy: the YAML
// parse and validation against the compiled form's checked JSON decode.
func BenchmarkLoad(b *testing.B) {
	for _, name := range []string{"baseline", "full"} {
		data := BaselineYAML()
		if name != "baseline" {
			var err error
			if data, err = os.ReadFile("testdata/good/full.yaml"); err != nil {
				b.Fatal(err)
			}
		}
		p, err := Parse(name, data)
		if err != nil {
			b.Fatal(err)
		}
		compiled := mustEncodeCompiled(b, p)
		b.Run(name+"/YAML", func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse(name, data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/Compiled", func(b *testing.B) {
			for b.Loop() {
				if _, err := DecodeCompiled(name, compiled); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
