package settings

import (
	"encoding/json"
	"fmt"
	"sort"
)

// SettingChange is one difference between two settings documents.
type SettingChange struct {
	// Path names the value: "permissions.deny[]" for an item of a list,
	// "env.HTTPS_PROXY" for a value.
	Path string `json:"path"`
	// Op is "added", "removed" or "changed".
	Op  string `json:"op"`
	Old any    `json:"old,omitempty"`
	New any    `json:"new,omitempty"`
}

func (c SettingChange) String() string {
	switch c.Op {
	case "added":
		return fmt.Sprintf("+ %s %s", c.Path, compactJSON(c.New))
	case "removed":
		return fmt.Sprintf("- %s %s", c.Path, compactJSON(c.Old))
	}
	return fmt.Sprintf("~ %s %s -> %s", c.Path, compactJSON(c.Old), compactJSON(c.New))
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// DiffSettings lists the differences from a to b: keys added, removed or
// changed, and list items added or removed (lists are compared as sets,
// since order carries no meaning in the settings Warden writes). The
// result is sorted by path.
func DiffSettings(a, b map[string]any) []SettingChange {
	var out []SettingChange
	diffValue("", normalize(a), normalize(b), &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func diffValue(p string, a, b any, out *[]SettingChange) {
	am, aMap := a.(map[string]any)
	bm, bMap := b.(map[string]any)
	if aMap && bMap {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			av, inA := am[k]
			bv, inB := bm[k]
			switch {
			case !inA:
				*out = append(*out, SettingChange{Path: join(p, k), Op: "added", New: bv})
			case !inB:
				*out = append(*out, SettingChange{Path: join(p, k), Op: "removed", Old: av})
			default:
				diffValue(join(p, k), av, bv, out)
			}
		}
		return
	}
	al, aList := a.([]any)
	bl, bList := b.([]any)
	if aList && bList {
		in := func(x any, l []any) bool {
			cx := compactJSON(x)
			for _, y := range l {
				if compactJSON(y) == cx {
					return true
				}
			}
			return false
		}
		for _, x := range al {
			if !in(x, bl) {
				*out = append(*out, SettingChange{Path: p + "[]", Op: "removed", Old: x})
			}
		}
		for _, x := range bl {
			if !in(x, al) {
				*out = append(*out, SettingChange{Path: p + "[]", Op: "added", New: x})
			}
		}
		return
	}
	if compactJSON(a) != compactJSON(b) {
		*out = append(*out, SettingChange{Path: p, Op: "changed", Old: a, New: b})
	}
}
