package rows

import (
	"slices"
	"strings"
)

// Scopes encodes token scopes for a column: sorted, without repeats,
// space-separated.
func Scopes(scopes []string) string {
	s := slices.Clone(scopes)
	slices.Sort(s)
	return strings.Join(slices.Compact(s), " ")
}

// ParseScopes decodes Scopes' output.
func ParseScopes(s string) []string { return strings.Fields(s) }
