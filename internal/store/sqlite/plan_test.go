package sqlite_test

import (
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/sqlite"
)

// TestStatsQueryPlans: the overview's queries read indexes only, never a
// table scan, so their cost follows the rows of the range and not the
// size of the tables.
func TestStatsQueryPlans(t *testing.T) {
	db := mustOpen(t, t.TempDir(), store.Options{})
	for name, q := range map[string]string{
		"Sessions": sqlite.StatsQueries.Sessions,
		"Rollups":  sqlite.StatsQueries.Rollups,
	} {
		plan, err := sqlite.QueryPlan(db, q, int64(0), int64(1))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s:\n%s", name, plan)
		for _, line := range strings.Split(strings.TrimSpace(plan), "\n") {
			if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "COVERING INDEX") {
				t.Errorf("%s scans a table: %s", name, line)
			}
			if strings.HasPrefix(line, "SEARCH ") && !strings.Contains(line, "COVERING INDEX") && !strings.Contains(line, "PRIMARY KEY") {
				t.Errorf("%s reads table rows beside its index: %s", name, line)
			}
		}
	}
}
