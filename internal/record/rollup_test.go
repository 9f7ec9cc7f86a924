package record

import (
	"encoding/json"
	"math"
	"testing"
)

func TestAddFinite(t *testing.T) {
	tests := []struct {
		name   string
		sum, v float64
		want   float64
	}{
		{"Plain", 1.5, 2, 3.5},
		{"Overflow", 1e308, 1e308, math.MaxFloat64},
		{"NegativeOverflow", -1e308, -1e308, -math.MaxFloat64},
		{"NaN", 2, math.NaN(), 2},
		{"Inf", 2, math.Inf(1), 2},
		{"AtMax", math.MaxFloat64, 1e308, math.MaxFloat64},
	}
	for _, tt := range tests {
		if got := AddFinite(tt.sum, tt.v); got != tt.want {
			t.Errorf("%s: AddFinite(%g, %g) = %g, want %g", tt.name, tt.sum, tt.v, got, tt.want)
		}
	}
}

// TestRollup_AddHostile: two cost points of 1e308 and a NaN leave a rollup
// that encodes as JSON.
func TestRollup_AddHostile(t *testing.T) {
	var r Rollup
	for _, v := range []float64{1e308, 1e308, math.NaN(), math.Inf(-1)} {
		r.Add(RollupCostUSD, v)
		r.Add(RollupTokensInput, -v)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatalf("rollup %+v does not encode: %v", r, err)
	}
	if r.CostUSD != math.MaxFloat64 || r.Tokens.Input != -math.MaxFloat64 {
		t.Errorf("rollup %+v, want the sums saturated", r)
	}
}
