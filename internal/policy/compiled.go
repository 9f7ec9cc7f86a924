package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// The compiled form of a policy is what `warden compile` writes beside the
// managed settings for the hook to read: the Policy as Parse decoded and
// validated it, in JSON, with the format it is written in and the SHA-256
// of its content. The hook then pays a JSON decode on every call instead
// of the YAML parse and validation, which ran once, at compile time. A file
// of another format, or whose content does not match its checksum, is
// refused rather than read in part: it is stale or damaged.

// CompiledFormat is the compiled form's version: the one this build writes
// and the only one it reads. It changes whenever the JSON form of Policy
// does (TestCompiled_Shape fails until it is changed).
const CompiledFormat = 1

// CompiledFileName is the file name of the compiled policy `warden
// compile` writes.
const CompiledFileName = "warden-policy.json"

// IsCompiledPath reports whether path names a compiled policy (a .json
// file) rather than a YAML policy document.
func IsCompiledPath(path string) bool { return strings.EqualFold(filepath.Ext(path), ".json") }

// The compiled form's document is an object whose members come in this
// order: format, source, sha256, then policy, written on one line last so
// that the loader reads the few header fields as tokens, checks the
// policy's bytes against sha256 as they are, and decodes them once.
//
//	{
//	  "format": 1,
//	  "source": "policy.yaml",
//	  "sha256": "…",
//	  "policy": {"version":1,"name":"acme",…}
//	}

// CompiledError is a compiled policy this build does not load: written in
// another format, edited or damaged.
type CompiledError struct {
	File string
	// Reason says what is wrong ("its checksum does not match its content").
	Reason string
}

func (e *CompiledError) Error() string {
	return e.File + ": stale or damaged compiled policy (" + e.Reason + "): recompile with warden compile"
}

// EncodeCompiled returns the compiled form of p, which must be valid: as
// Parse returns it, or the baseline. The output is deterministic.
func EncodeCompiled(p *Policy) ([]byte, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode compiled policy %s: %w", p.Name, err)
	}
	source, err := json.Marshal(p.File)
	if err != nil {
		return nil, fmt.Errorf("encode compiled policy %s: %w", p.Name, err)
	}
	sum := sha256.Sum256(body)
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"format\": %d,\n  \"source\": %s,\n  \"sha256\": \"%x\",\n  \"policy\": ", CompiledFormat, source, sum)
	b.Write(body)
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}

// LoadCompiled reads the compiled policy at path (see DecodeCompiled).
func LoadCompiled(path string) (*Policy, error) {
	data, err := ReadFile(path, 2*MaxFileSize)
	if err != nil {
		return nil, err
	}
	return DecodeCompiled(path, data)
}

// DecodeCompiled decodes a compiled policy; name becomes its File. It
// parses no YAML and does not validate again: the checksum vouches that
// the policy is what `warden compile` validated. A document of another
// format, one whose policy does not match its checksum, or one with a
// field this build does not know fails with a *CompiledError.
func DecodeCompiled(name string, data []byte) (*Policy, error) {
	refuse := func(format string, args ...any) (*Policy, error) {
		return nil, &CompiledError{File: name, Reason: fmt.Sprintf(format, args...)}
	}
	format, sum, body, err := splitCompiled(data)
	switch {
	case err != nil:
		return refuse("not a compiled policy: %v", err)
	case format == 0:
		return refuse("not a compiled policy: no format")
	case format != CompiledFormat:
		return refuse("compiled format %d, this Warden reads format %d", format, CompiledFormat)
	}
	got := sha256.Sum256(body)
	if !strings.EqualFold(sum, hex.EncodeToString(got[:])) {
		return refuse("its checksum does not match its content")
	}
	p := &Policy{}
	if err := strictJSON(body, p); err != nil {
		return refuse("its policy does not decode: %v", err)
	}
	if p.Version != FormatVersion || p.Name == "" || len(p.Tiers) == 0 {
		return refuse("no valid policy in it")
	}
	p.File = name
	return p, nil
}

// splitCompiled reads the header of a compiled policy and returns its
// format, checksum and the policy's bytes as written.
func splitCompiled(data []byte) (format int, sum string, body []byte, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil {
		return 0, "", nil, err
	} else if t != json.Delim('{') {
		return 0, "", nil, errors.New("not a JSON object")
	}
	for _, key := range []string{"format", "source", "sha256", "policy"} {
		t, err := dec.Token()
		if err != nil {
			return 0, "", nil, err
		}
		if t != key {
			return 0, "", nil, fmt.Errorf("member %v where %q belongs", t, key)
		}
		switch key {
		case "format":
			if err = dec.Decode(&format); err == nil && format != CompiledFormat {
				// Another format may lay out the rest otherwise.
				return format, "", nil, nil
			}
		case "source":
			var s string
			err = dec.Decode(&s)
		case "sha256":
			err = dec.Decode(&sum)
		}
		if err != nil {
			return 0, "", nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	// The policy is what follows its key, up to the document's closing
	// brace: ': {...}\n}'.
	rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")
	rest, ok := bytes.CutPrefix(rest, []byte(":"))
	end := bytes.TrimRight(rest, " \t\r\n")
	if !ok || !bytes.HasSuffix(end, []byte("}")) {
		return 0, "", nil, errors.New("no policy member")
	}
	body = bytes.TrimSpace(end[:len(end)-1])
	if len(body) == 0 {
		return 0, "", nil, errors.New("no policy member")
	}
	return format, sum, body, nil
}

// strictJSON decodes the single JSON value in data into v, refusing
// fields v does not have.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the document")
	}
	return nil
}

// ReadFile reads the policy file at path, refusing one over max bytes.
func ReadFile(path string, max int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load policy %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("load policy %s: %w", path, err)
	}
	if len(data) > max {
		return nil, fmt.Errorf("load policy %s: file larger than %d bytes", path, max)
	}
	return data, nil
}
