package settings

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/policy"
)

// Format is a delivery format for managed settings.
type Format string

// Delivery formats.
const (
	// FormatLinux is the file tree of the managed-settings directory
	// (/etc/claude-code on Linux and WSL; the same files work in
	// /Library/Application Support/ClaudeCode on macOS and
	// C:\Program Files\ClaudeCode on Windows).
	FormatLinux Format = "linux"
	// FormatMacOS is a configuration profile for MDM (Jamf, Kandji,
	// Intune) with the com.anthropic.claudecode preference domain, plus the
	// bare preference plist for MDMs that take custom settings.
	FormatMacOS Format = "macos"
	// FormatWindows is a .reg file for HKLM\SOFTWARE\Policies\ClaudeCode
	// (Group Policy, Intune, reg import).
	FormatWindows Format = "windows"
)

// Formats lists the delivery formats.
var Formats = []Format{FormatLinux, FormatMacOS, FormatWindows}

// ManagedDir is the managed-settings directory of the operating system a
// format is delivered to, where Claude Code reads managed-settings.json
// and CLAUDE.md and the hooks read the compiled policy.
func ManagedDir(f Format) string {
	switch f {
	case FormatMacOS:
		return "/Library/Application Support/ClaudeCode"
	case FormatWindows:
		return `C:\Program Files\ClaudeCode`
	}
	return "/etc/claude-code"
}

// ManagedPath is the path of the file name in ManagedDir(f), written with
// that operating system's separator.
func ManagedPath(f Format, name string) string {
	if f == FormatWindows {
		return ManagedDir(f) + `\` + name
	}
	return ManagedDir(f) + "/" + name
}

// File names of the delivered files.
const (
	SettingsFile  = "managed-settings.json"
	FragmentsDir  = "managed-settings.d"
	GuidanceFile  = "CLAUDE.md"
	ReportFile    = "warden-compile-report.txt"
	ProfileFile   = "com.anthropic.claudecode.mobileconfig"
	PlistFile     = "com.anthropic.claudecode.plist"
	RegistryFile  = "ClaudeCode.reg"
	PreferenceKey = "com.anthropic.claudecode"
)

// File is one file of a delivery: Path is slash-separated and relative to
// the output directory.
type File struct {
	Path string
	Data []byte
	Mode fs.FileMode
}

// fragments assigns every top-level key of the settings to one file of
// managed-settings.d, so that separate teams can own separate parts.
// Claude Code merges the directory's files in name order with the main
// file; env stays in one file so that no merge of its keys is relied on.
var fragments = []struct {
	name string
	keys []string
}{
	{"10-permissions.json", []string{"permissions", "allowManagedPermissionRulesOnly"}},
	{"20-hooks.json", []string{"hooks", "allowManagedHooksOnly", "allowedHttpHookUrls", "httpHookAllowedEnvVars"}},
	{"30-mcp.json", []string{"allowManagedMcpServersOnly", "allowedMcpServers", "deniedMcpServers"}},
	{"40-env.json", []string{"env", "otelHeadersHelper"}},
	{"50-network.json", []string{"sandbox"}},
	{"60-organisation.json", []string{"forceRemoteSettingsRefresh", "cleanupPeriodDays", "companyAnnouncements",
		"availableModels", "forceLoginMethod", "forceLoginOrgUUID", "blockedMarketplaces", "strictKnownMarketplaces",
		"enabledPlugins", "pluginTrustMessage"}},
}

// Fragments splits the settings into managed-settings.d files, in name
// order; empty fragments are left out.
func (r *Result) Fragments() ([]File, error) {
	var out []File
	placed := 0
	for _, f := range fragments {
		doc := map[string]any{}
		for _, k := range f.keys {
			if v, ok := r.Settings[k]; ok {
				doc[k] = v
			}
		}
		if len(doc) == 0 {
			continue
		}
		placed += len(doc)
		b, err := Marshal(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, File{Path: FragmentsDir + "/" + f.name, Data: b, Mode: 0o644})
	}
	if placed != len(r.Settings) {
		return nil, fmt.Errorf("settings keys without a fragment: %d of %d placed", placed, len(r.Settings))
	}
	return out, nil
}

// Files renders the result in a delivery format. Fragments are a feature
// of the file delivery (FormatLinux) only.
func (r *Result) Files(f Format, withFragments bool) ([]File, error) {
	if withFragments && f != FormatLinux {
		return nil, fmt.Errorf("fragments (managed-settings.d) are a file delivery; format %s delivers one document", f)
	}
	var out []File
	switch f {
	case FormatLinux:
		if withFragments {
			fr, err := r.Fragments()
			if err != nil {
				return nil, err
			}
			out = append(out, fr...)
		} else {
			b, err := Marshal(r.Settings)
			if err != nil {
				return nil, err
			}
			out = append(out, File{Path: SettingsFile, Data: b, Mode: 0o644})
		}
	case FormatMacOS:
		profile, plist, err := r.macOS()
		if err != nil {
			return nil, err
		}
		out = append(out, File{Path: ProfileFile, Data: profile, Mode: 0o644}, File{Path: PlistFile, Data: plist, Mode: 0o644})
	case FormatWindows:
		b, err := r.registry()
		if err != nil {
			return nil, err
		}
		out = append(out, File{Path: RegistryFile, Data: b, Mode: 0o644})
	default:
		return nil, fmt.Errorf("unknown format %q (want linux, macos or windows)", f)
	}
	if r.Guidance != "" {
		out = append(out, File{Path: GuidanceFile, Data: []byte(r.Guidance), Mode: 0o644})
	}
	if r.CompiledPolicy != nil {
		out = append(out, File{Path: policy.CompiledFileName, Data: r.CompiledPolicy, Mode: 0o644})
	}
	if r.ClientConfig != nil {
		// Readable by the users whose hooks read it, as the managed
		// settings are; the baseline policy denies the agent reading it.
		out = append(out, File{Path: clientstate.ClientConfigName, Data: r.ClientConfig, Mode: 0o644})
	}
	return out, nil
}

// stableUUID derives a UUID from parts, so that the same input gives the
// same profile (goldens, and MDM diffs that only show real changes).
func stableUUID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	h[6] = h[6]&0x0f | 0x50 // version 5 layout (name-based, here SHA-256)
	h[8] = h[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%X-%X-%X-%X-%X", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// macOS renders the configuration profile and the bare preference plist.
//
// Claude Code reads managed preferences of the com.anthropic.claudecode
// domain from /Library/Managed Preferences (device and per-user), where MDM
// puts them, and converts the plist to JSON (plutil -convert json): the
// keys and value shapes are those of managed-settings.json. Sources:
// https://www.mintlify.com/jackdog668/claude-code/advanced/enterprise ("MDM
// managed settings"), and anthropics/claude-code examples/mdm/README.md,
// whose templates are a Jamf/Kandji custom-settings plist for the domain
// and a full .mobileconfig whose payload type is the domain.
func (r *Result) macOS() (profile, plist []byte, err error) {
	settingsJSON, err := Marshal(r.Settings)
	if err != nil {
		return nil, nil, err
	}
	sum := fmt.Sprintf("%x", sha256.Sum256(settingsJSON))
	ident := "dev.warden.claudecode." + identPart(r.Policy) + "." + identPart(r.Tier)

	payload := map[string]any{}
	for k, v := range r.Settings {
		payload[k] = v
	}
	payload["PayloadDisplayName"] = "Claude Code managed settings"
	payload["PayloadIdentifier"] = ident + ".settings"
	payload["PayloadType"] = PreferenceKey
	payload["PayloadUUID"] = stableUUID("payload", r.Policy, r.Tier, sum)
	payload["PayloadVersion"] = 1
	outer := map[string]any{
		"PayloadContent":     []any{payload},
		"PayloadDescription": fmt.Sprintf("Claude Code managed settings compiled by Warden from policy %s revision %s, tier %s.", r.Policy, r.Revision, r.Tier),
		"PayloadDisplayName": fmt.Sprintf("Claude Code: %s (%s)", r.Policy, r.Tier),
		"PayloadIdentifier":  ident,
		"PayloadScope":       "System",
		"PayloadType":        "Configuration",
		"PayloadUUID":        stableUUID("profile", r.Policy, r.Tier, sum),
		"PayloadVersion":     1,
	}
	if profile, err = encodePlist(outer); err != nil {
		return nil, nil, err
	}
	if plist, err = encodePlist(r.Settings); err != nil {
		return nil, nil, err
	}
	return profile, plist, nil
}

// identPart makes s usable in a reverse-DNS payload identifier.
func identPart(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// encodePlist writes v as an XML property list (keys sorted, tab-indented,
// as plutil writes them).
func encodePlist(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString(`<plist version="1.0">` + "\n")
	if err := plistValue(&b, v, 0); err != nil {
		return nil, err
	}
	b.WriteString("</plist>\n")
	return b.Bytes(), nil
}

func plistValue(b *bytes.Buffer, v any, depth int) error {
	ind := strings.Repeat("\t", depth)
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString(ind + "<dict/>\n")
			return nil
		}
		b.WriteString(ind + "<dict>\n")
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.WriteString(ind + "\t<key>" + xmlEscape(k) + "</key>\n")
			if err := plistValue(b, x[k], depth+1); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		b.WriteString(ind + "</dict>\n")
	case []any:
		if len(x) == 0 {
			b.WriteString(ind + "<array/>\n")
			return nil
		}
		b.WriteString(ind + "<array>\n")
		for _, e := range x {
			if err := plistValue(b, e, depth+1); err != nil {
				return err
			}
		}
		b.WriteString(ind + "</array>\n")
	case string:
		b.WriteString(ind + "<string>" + xmlEscape(x) + "</string>\n")
	case bool:
		if x {
			b.WriteString(ind + "<true/>\n")
		} else {
			b.WriteString(ind + "<false/>\n")
		}
	case int:
		b.WriteString(ind + "<integer>" + strconv.Itoa(x) + "</integer>\n")
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			b.WriteString(ind + "<integer>" + strconv.FormatInt(int64(x), 10) + "</integer>\n")
		} else {
			b.WriteString(ind + "<real>" + strconv.FormatFloat(x, 'g', -1, 64) + "</real>\n")
		}
	default:
		return fmt.Errorf("cannot write %T to a property list", v)
	}
	return nil
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Registry location of Claude Code's managed settings on Windows.
const (
	RegistryKey   = `HKEY_LOCAL_MACHINE\SOFTWARE\Policies\ClaudeCode`
	RegistryValue = "Settings"
)

// registry renders a .reg file that sets the Settings value.
//
// Claude Code reads HKLM\SOFTWARE\Policies\ClaudeCode (admin-only; HKCU
// only when no admin source exists), value name "Settings", holding the
// whole settings document as one JSON string (REG_SZ, single-line JSON).
// The key is on the WOW64 shared list, so 32- and 64-bit processes read the
// same value. Sources:
// https://www.mintlify.com/jackdog668/claude-code/advanced/enterprise ("The
// registry value name is Settings and must contain a JSON blob matching the
// Claude Code settings schema"), and anthropics/claude-code
// examples/mdm/README.md (the ADMX writes "Settings (REG_SZ, single-line
// JSON)").
//
// The JSON is compact, with every non-ASCII character escaped, so the file
// is plain ASCII with CRLF line ends, which regedit and reg import read.
func (r *Result) registry() ([]byte, error) {
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.Settings); err != nil {
		return nil, err
	}
	compact := asciiJSON(strings.TrimRight(js.String(), "\n"))
	value := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(compact)
	lines := []string{
		"Windows Registry Editor Version 5.00",
		"",
		fmt.Sprintf("; Claude Code managed settings compiled by Warden: policy %s revision %s, tier %s.", asciiJSON(r.Policy), asciiJSON(r.Revision), asciiJSON(r.Tier)),
		"; Claude Code reads the Settings value (REG_SZ, one line of JSON) of this key.",
		"",
		"[" + RegistryKey + "]",
		`"` + RegistryValue + `"="` + value + `"`,
		"",
	}
	return []byte(strings.Join(lines, "\r\n")), nil
}

// asciiJSON escapes every non-ASCII rune of a JSON text as \uXXXX (with
// surrogate pairs), which keeps its meaning.
func asciiJSON(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}
