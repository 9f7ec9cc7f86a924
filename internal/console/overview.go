package console

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/store"
)

// Periods are the overview's choices of period, in days.
var Periods = []int{1, 7, 30, 90}

// DefaultPeriod is the overview's period when none is chosen.
const DefaultPeriod = 7

// Chart geometry, in SVG user units.
const (
	chartW, chartH = 720, 160
	chartPad       = 4
)

// verdictClasses are the decision verdicts in stacking order with their
// CSS classes.
var verdictClasses = []struct{ Verdict, Class string }{
	{"deny", "c-deny"}, {"ask", "c-ask"}, {"allow", "c-allow"}, {"none", "c-none"},
}

// chart is a stacked bar chart rendered as SVG by overview.html.
type chart struct {
	Title  string
	Desc   string // a text alternative for screen readers
	W, H   int
	Bars   []chartBar
	Legend []legend
	Max    float64
	Empty  bool
}

type chartBar struct {
	X, W  int
	Label string
	Segs  []chartSeg
}

type chartSeg struct {
	Y, H  int
	Class string
	Title string
}

type legend struct{ Label, Class string }

// series is one stack layer of a chart.
type series struct {
	Label, Class string
	Values       []float64
	Format       func(float64) string
}

// stacked lays out series (one value per day) as stacked bars.
func stacked(title string, days []store.DayStats, layers []series) chart {
	c := chart{Title: title, W: chartW, H: chartH}
	n := len(days)
	totals := make([]float64, n)
	for _, l := range layers {
		c.Legend = append(c.Legend, legend{l.Label, l.Class})
		for i, v := range l.Values {
			totals[i] += v
		}
	}
	for _, t := range totals {
		c.Max = max(c.Max, t)
	}
	c.Empty = c.Max == 0
	var desc []string
	if n == 0 {
		return c
	}
	slot := chartW / n
	bw := max(slot-2*chartPad, 1)
	for i, d := range days {
		b := chartBar{X: i*slot + (slot-bw)/2, W: bw, Label: d.Day.Format("Jan 2")}
		y := chartH
		var parts []string
		for _, l := range layers {
			v := l.Values[i]
			if v <= 0 {
				continue
			}
			f := l.Format
			if f == nil {
				f = func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
			}
			h := int(v / c.Max * float64(chartH-10))
			h = max(h, 1)
			y -= h
			b.Segs = append(b.Segs, chartSeg{Y: y, H: h, Class: l.Class, Title: b.Label + ": " + f(v) + " " + l.Label})
			parts = append(parts, f(v)+" "+l.Label)
		}
		if len(parts) > 0 {
			desc = append(desc, b.Label+": "+strings.Join(parts, ", "))
		}
		c.Bars = append(c.Bars, b)
	}
	if len(desc) == 0 {
		c.Desc = title + ": nothing in this period."
	} else {
		c.Desc = title + ". " + strings.Join(desc, "; ") + "."
	}
	return c
}

// ranked is a list with meters.
type ranked struct {
	Title, Empty string
	Rows         []rankedRow
	Max          int64
}

type rankedRow struct {
	Name short
	Link string
	N    int64
}

func rankList(title, empty string, counts []store.Count, label func(string) string, link func(string) string) ranked {
	r := ranked{Title: title, Empty: empty}
	for _, c := range counts {
		name := c.Name
		if label != nil {
			name = label(name)
		}
		row := rankedRow{Name: shorten(name), N: c.N}
		if link != nil {
			row.Link = link(c.Name)
		}
		r.Rows = append(r.Rows, row)
		r.Max = max(r.Max, c.N)
	}
	return r
}

type overviewPage struct {
	Days     int
	Periods  []int
	Since    time.Time
	Until    time.Time
	Totals   overviewTotals
	Charts   []chart
	Lists    []ranked
	Models   []store.ModelStats
	MCP      []store.Count
	ToolMix  toolMix
	RuleDays []store.RuleDay
	// Attention is not bound to the period: alerts still to deal with.
	Attention attention
}

type overviewTotals struct {
	Sessions, Denials, Asks, Allows, APIErrors, Retries int64
	CostUSD                                             float64
}

// toolMix is the share of the tools people ask about most.
type toolMix struct {
	Read, Edit, Bash, MCP, Other int64
}

// readTools, editTools classify tools for the mix.
var (
	readTools = []string{"Read", "Grep", "Glob", "LS", "NotebookRead", "WebFetch", "WebSearch"}
	editTools = []string{"Edit", "MultiEdit", "Write", "NotebookEdit"}
)

func (c *Console) serveOverview(w http.ResponseWriter, r *http.Request, s *session) error {
	days := DefaultPeriod
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !slices.Contains(Periods, n) {
			return &pageError{status: http.StatusBadRequest, title: "Invalid period",
				detail: "Choose a period of 1, 7, 30 or 90 days."}
		}
		days = n
	}
	until := c.opts.Now().UTC().Truncate(store.Day).Add(store.Day)
	since := until.Add(-time.Duration(days) * store.Day)
	if err := c.opts.Sync(r.Context()); err != nil {
		return err
	}
	st, err := c.opts.Store.Stats(r.Context(), store.StatsFilter{Since: since, Until: until})
	if err != nil {
		return err
	}
	p := overviewPage{Days: days, Periods: Periods, Since: since, Until: until.Add(-time.Nanosecond)}
	n := len(st.Days)
	sessions, users := make([]float64, n), make([]float64, n)
	verdicts := make(map[string][]float64)
	cost, errs, retries := make([]float64, n), make([]float64, n), make([]float64, n)
	for _, v := range verdictClasses {
		verdicts[v.Verdict] = make([]float64, n)
	}
	for i, d := range st.Days {
		sessions[i], users[i] = float64(d.Sessions), float64(d.Users)
		for _, v := range verdictClasses {
			verdicts[v.Verdict][i] = float64(d.Decisions[v.Verdict])
		}
		cost[i] = d.CostUSD
		errs[i] = float64(d.APIErrors - d.Retries)
		retries[i] = float64(d.Retries)
		p.Totals.Denials += d.Decisions["deny"]
		p.Totals.Asks += d.Decisions["ask"]
		p.Totals.Allows += d.Decisions["allow"]
		p.Totals.APIErrors += d.APIErrors
		p.Totals.Retries += d.Retries
		p.Totals.CostUSD += d.CostUSD
		p.Totals.Sessions = max(p.Totals.Sessions, d.Sessions)
	}
	usd := func(v float64) string { return "$" + strconv.FormatFloat(v, 'f', 2, 64) }
	var vl []series
	for _, v := range verdictClasses {
		vl = append(vl, series{Label: v.Verdict, Class: v.Class, Values: verdicts[v.Verdict]})
	}
	p.Charts = []chart{
		stacked("Active sessions per day", st.Days, []series{{Label: "sessions", Class: "c-sessions", Values: sessions}}),
		stacked("Active users per day", st.Days, []series{{Label: "users", Class: "c-users", Values: users}}),
		stacked("Warden decisions per day by verdict", st.Days, vl),
		stacked("Cost per day", st.Days, []series{{Label: "USD", Class: "c-cost", Values: cost, Format: usd}}),
		stacked("API errors and retries per day", st.Days, []series{
			{Label: "errors", Class: "c-deny", Values: errs}, {Label: "retries", Class: "c-ask", Values: retries}}),
	}
	ruleLink := func(rule string) string { return "/policy#rule-" + anchor(rule) }
	unknown := func(v string) string {
		if v == "" {
			return "(unknown)"
		}
		return v
	}
	repoLink := func(repo string) string {
		if repo == "" {
			return ""
		}
		return "/sessions?" + urlValues("repository", repo, "denials", "1")
	}
	teamLink := func(team string) string {
		if team == "" {
			return ""
		}
		return "/sessions?" + urlValues("team", team, "denials", "1")
	}
	p.Lists = []ranked{
		rankList("Rules that fire most (deny and ask)", "No rule denied or asked in this period.", st.TopRules, nil, ruleLink),
		rankList("Top tools (Claude Code telemetry)", "No tool_decision telemetry in this period.", st.Tools, nil, nil),
		rankList("Top tools (Warden hook)", "No PreToolUse audit in this period.", st.HookTools, nil, nil),
		rankList("Blocks per team", "Nothing was blocked in this period.", st.BlocksByTeam, unknown, teamLink),
		rankList("Blocks per repository", "Nothing was blocked in this period.", st.BlocksByRepository, unknown, repoLink),
	}
	tools := st.Tools
	if len(tools) == 0 {
		tools = st.HookTools
	}
	mcp := map[string]int64{}
	for _, t := range tools {
		switch {
		case slices.Contains(readTools, t.Name):
			p.ToolMix.Read += t.N
		case slices.Contains(editTools, t.Name):
			p.ToolMix.Edit += t.N
		case t.Name == "Bash":
			p.ToolMix.Bash += t.N
		case strings.HasPrefix(t.Name, "mcp__"):
			p.ToolMix.MCP += t.N
			server, _, _ := strings.Cut(strings.TrimPrefix(t.Name, "mcp__"), "__")
			mcp[server] += t.N
		default:
			p.ToolMix.Other += t.N
		}
	}
	for k, v := range mcp {
		p.MCP = append(p.MCP, store.Count{Name: k, N: v})
	}
	slices.SortFunc(p.MCP, func(a, b store.Count) int {
		if a.N != b.N {
			return int(b.N - a.N)
		}
		return strings.Compare(a.Name, b.Name)
	})
	p.Lists = append(p.Lists, rankList("MCP servers called", "No MCP tool was called in this period.", p.MCP, nil, nil))
	p.Models = st.Models
	p.RuleDays = st.DecisionsByRule
	if p.Attention, err = c.attention(r.Context()); err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "overview", s, p)
	return nil
}
