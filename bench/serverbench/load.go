package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/proto"
)

// seq numbers every generated log record, so no two are duplicates.
var seq atomic.Int64

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func integer(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

// logsBody is an OTLP/protobuf logs request of n tool_result records as
// Claude Code sends them (about 600 bytes each), spread over 256 sessions.
func logsBody(n int) []byte {
	t0 := time.Now()
	recs := make([]*logspb.LogRecord, n)
	for i := range recs {
		s := seq.Add(1)
		session := fmt.Sprintf("bench-%08x-%04d", s/4096, s%256)
		at := t0.Add(time.Duration(i) * time.Microsecond)
		recs[i] = &logspb.LogRecord{
			TimeUnixNano: uint64(at.UnixNano()),
			Body:         &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "claude_code.tool_result"}},
			Attributes: []*commonpb.KeyValue{
				str("user.id", "3cf1f9d337a2921a649c56db0c6c04093dda1d253dd39eea49faed64990cd393"),
				str("session.id", session), str("anthropic.provider", "firstParty"), str("terminal.type", "tmux"),
				str("event.name", "tool_result"), str("event.timestamp", at.UTC().Format(time.RFC3339Nano)),
				integer("event.sequence", s), str("prompt.id", fmt.Sprintf("prompt-%d", s/20)),
				str("tool_name", "Bash"), str("tool_use_id", fmt.Sprintf("toolu_%016d", s)), str("success", "true"),
				str("duration_ms", "1234"), str("tool_input_size_bytes", "88"), str("tool_result_size_bytes", "4096"),
			},
		}
	}
	req := &logspb.LogsData{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
			str("service.name", "claude-code"), str("service.version", "2.1.330"), str("os.type", "linux"), str("host.arch", "amd64"),
		}},
		ScopeLogs: []*logspb.ScopeLogs{{Scope: &commonpb.InstrumentationScope{Name: "com.anthropic.claude_code.events", Version: "2.1.330"}, LogRecords: recs}},
	}}}
	b, err := proto.Marshal(req)
	if err != nil {
		panic(err)
	}
	return b
}

// post sends one request and returns its status and the time it took.
func post(c *http.Client, s *server, path, contentType string, body []byte) (int, time.Duration, error) {
	req, err := http.NewRequest("POST", s.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", contentType)
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start), nil
}

// ingest runs clients exporters until stop says so, each sending bodies of
// batch records, and returns the records acknowledged and the latencies.
func ingest(s *server, clients, batch int, stop func(sent int64) bool) (int64, []time.Duration, error) {
	var (
		acked  atomic.Int64
		mu     sync.Mutex
		lat    []time.Duration
		first  error
		wg     sync.WaitGroup
		issued atomic.Int64
	)
	c := newClient(clients)
	for range clients {
		wg.Go(func() {
			for !stop(issued.Add(int64(batch)) - int64(batch)) {
				code, d, err := post(c, s, "/v1/logs", "application/x-protobuf", logsBody(batch))
				if err == nil && code != http.StatusOK {
					err = fmt.Errorf("POST /v1/logs: %d", code)
				}
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				lat = append(lat, d)
				mu.Unlock()
				if err != nil {
					return
				}
				acked.Add(int64(batch))
			}
		})
	}
	wg.Wait()
	return acked.Load(), lat, first
}

func benchOTLP(ctx context.Context, s *server, o options) error {
	fmt.Printf("otlp: %d exporters, %d records per request, %s\n", o.clients, o.batch, o.duration)
	// Warm up: connections, the server's first transactions.
	if _, _, err := ingest(s, o.clients, o.batch, func(sent int64) bool { return sent >= int64(4*o.batch*o.clients) }); err != nil {
		return err
	}
	deadline := time.Now().Add(o.duration)
	start, cpu0, gen0 := time.Now(), s.cpu(), selfCPU()
	n, lat, err := ingest(s, o.clients, o.batch, func(int64) bool { return time.Now().After(deadline) })
	elapsed, cpu, gen := time.Since(start), s.cpu()-cpu0, selfCPU()-gen0
	if err != nil {
		return err
	}
	fmt.Printf("  %d records in %s: %.0f records/s, %.1f requests/s; request p50 %s p99 %s\n",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), float64(len(lat))/elapsed.Seconds(),
		pct(lat, 50), pct(lat, 99))
	if cpu > 0 {
		fmt.Printf("  server CPU %s: %.1f µs per record, %.2f cores busy\n", cpu, float64(cpu.Microseconds())/float64(n), cpu.Seconds()/elapsed.Seconds())
	}
	fmt.Printf("  load generator CPU %s, %.2f cores busy\n", gen.Round(10*time.Millisecond), gen.Seconds()/elapsed.Seconds())
	return nil
}

// corpusInputs builds PreToolUse inputs from the corpus cases' inputs.
func corpusInputs(dir string) ([][]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no corpus files under %s", dir)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var cases []struct {
			Input map[string]any `yaml:"input"`
		}
		if err := yaml.Unmarshal(b, &cases); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, c := range cases {
			if c.Input == nil || c.Input["tool_name"] == nil {
				continue
			}
			i := len(out)
			in := map[string]any{
				"session_id":      fmt.Sprintf("bench-decide-%03d", i%64),
				"transcript_path": "/home/dev/.claude/projects/-home-dev-app/s.jsonl",
				"cwd":             "/home/dev/app", "hook_event_name": "PreToolUse", "permission_mode": "default",
				"tool_use_id": "toolu_" + strconv.Itoa(i),
			}
			for k, v := range c.Input {
				in[k] = v
			}
			b, err := json.Marshal(in)
			if err != nil {
				continue // YAML maps with non-string keys: skip
			}
			out = append(out, b)
		}
	}
	return out, nil
}

func benchDecide(ctx context.Context, s *server, o options) error {
	inputs, err := corpusInputs(o.inputs)
	if err != nil {
		return err
	}
	fmt.Printf("decide: %d clients, %d corpus inputs, %s\n", o.decideClients, len(inputs), o.duration)
	reqs, pool, err := decideRequests(s, inputs)
	if err != nil {
		return err
	}
	defer pool.close()
	run := func(d time.Duration) ([]time.Duration, map[string]int, error) {
		var (
			mu       sync.Mutex
			lat      []time.Duration
			verdicts = map[string]int{}
			first    error
			next     atomic.Int64
			wg       sync.WaitGroup
		)
		deadline := time.Now().Add(d)
		for range o.decideClients {
			wg.Go(func() {
				var local []time.Duration
				for time.Now().Before(deadline) {
					req := reqs[int(next.Add(1))%len(reqs)]
					start := time.Now()
					code, v, err := pool.do(req, "X-Warden-Decision")
					if err == nil && code != http.StatusOK {
						err = fmt.Errorf("decision answered %d", code)
					}
					if err != nil {
						mu.Lock()
						if first == nil {
							first = err
						}
						mu.Unlock()
						return
					}
					local = append(local, time.Since(start))
					mu.Lock()
					verdicts[v]++
					mu.Unlock()
				}
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			})
		}
		wg.Wait()
		return lat, verdicts, first
	}
	if _, _, err := run(time.Second); err != nil {
		return err
	}
	start, cpu0, gen0 := time.Now(), s.cpu(), selfCPU()
	lat, verdicts, err := run(o.duration)
	elapsed, cpu, gen := time.Since(start), s.cpu()-cpu0, selfCPU()-gen0
	if err != nil {
		return err
	}
	fmt.Printf("  %d decisions in %s: %.0f decisions/s; latency p50 %s p90 %s p99 %s max %s\n",
		len(lat), elapsed.Round(time.Millisecond), float64(len(lat))/elapsed.Seconds(),
		pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 100))
	if cpu > 0 {
		fmt.Printf("  server CPU %s: %.0f µs per decision, %.2f cores busy\n", cpu, float64(cpu.Microseconds())/float64(len(lat)), cpu.Seconds()/elapsed.Seconds())
	}
	fmt.Printf("  load generator CPU %s, %.2f cores busy\n", gen.Round(10*time.Millisecond), gen.Seconds()/elapsed.Seconds())
	fmt.Printf("  verdicts: %v\n", verdicts)
	if o.decideRate > 0 {
		return benchDecideRate(s, o, reqs, pool)
	}
	return nil
}

// benchDecideRate offers o.decideRate decisions per second for o.duration
// on a fixed schedule, whatever the answers take (open loop), and times
// each from its scheduled start: a call that waits for a free connection
// or behind a stall counts that wait. This is the latency a fleet of hooks
// sees at that rate; the closed-loop run measures capacity, and its
// latency only says how long 16 hooks queue at saturation.
func benchDecideRate(s *server, o options, reqs [][]byte, pool *rawPool) error {
	const conns = 64 // calls in flight at most; more wait, and that counts
	fmt.Printf("decide at a fixed rate: %d decisions/s offered for %s, up to %d in flight\n", o.decideRate, o.duration, conns)
	interval := time.Second / time.Duration(o.decideRate)
	total := int(o.duration / interval)
	sched := make(chan time.Time, total)
	var (
		mu    sync.Mutex
		lat   = make([]time.Duration, 0, total)
		first error
		wg    sync.WaitGroup
		next  atomic.Int64
	)
	for range conns {
		wg.Go(func() {
			for at := range sched {
				code, _, err := pool.do(reqs[int(next.Add(1))%len(reqs)], "")
				if err == nil && code != http.StatusOK {
					err = fmt.Errorf("decision answered %d", code)
				}
				d := time.Since(at)
				mu.Lock()
				lat = append(lat, d)
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	start, cpu0, gen0 := time.Now(), s.cpu(), selfCPU()
	for i := range total {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		sched <- at
	}
	close(sched)
	wg.Wait()
	elapsed, cpu, gen := time.Since(start), s.cpu()-cpu0, selfCPU()-gen0
	if first != nil {
		return first
	}
	fmt.Printf("  %d decisions in %s: %.0f decisions/s; latency p50 %s p90 %s p99 %s max %s\n",
		len(lat), elapsed.Round(time.Millisecond), float64(len(lat))/elapsed.Seconds(),
		pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 100))
	if cpu > 0 {
		fmt.Printf("  server CPU %s: %.0f µs per decision, %.2f cores busy\n", cpu, float64(cpu.Microseconds())/float64(len(lat)), cpu.Seconds()/elapsed.Seconds())
	}
	fmt.Printf("  load generator CPU %s, %.2f cores busy\n", gen.Round(10*time.Millisecond), gen.Seconds()/elapsed.Seconds())
	return nil
}

// decideRequests encodes a central-decision request per input, for the
// raw client (see rawPool).
func decideRequests(s *server, inputs [][]byte) ([][]byte, *rawPool, error) {
	pool, err := newRawPool(s.url)
	if err != nil {
		return nil, nil, err
	}
	reqs := make([][]byte, len(inputs))
	for i, body := range inputs {
		reqs[i] = rawRequest(pool.addr, "/v1/hooks/claude-code", s.token, "application/json", body)
	}
	return reqs, pool, nil
}

// selfCPU is the CPU time this process has used, user and system.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchFill(ctx context.Context, s *server, o options) error {
	fmt.Printf("fill: %d events over OTLP, %d exporters, %d per request\n", o.fill, o.clients, o.batch)
	rss0, _, err := s.rss()
	if err != nil {
		return err
	}
	start := time.Now()
	n, _, err := ingest(s, o.clients, o.batch, func(sent int64) bool { return sent >= int64(o.fill) })
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	rss1, hwm1, _ := s.rss()
	// A few reads, as a dashboard would make after the fill.
	c := newClient(1)
	for _, path := range []string{"/api/v1/sessions?limit=100", "/api/v1/sessions?limit=1000"} {
		req, _ := http.NewRequest("GET", s.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+s.token)
		if resp, err := c.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	time.Sleep(5 * time.Second) // let the server's GC return what it can
	rss2, hwm2, _ := s.rss()
	fmt.Printf("  stored %d events in %s (%.0f/s)\n", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	fmt.Printf("  server RSS: %.1f MiB at start, %.1f MiB after the fill (peak %.1f MiB), %.1f MiB 5 s later (peak %.1f MiB)\n",
		mib(rss0), mib(rss1), mib(hwm1), mib(rss2), mib(hwm2))
	if s.dir != "" {
		if fi, err := os.Stat(filepath.Join(s.dir, "warden.db")); err == nil {
			fmt.Printf("  SQLite file %.1f MiB\n", float64(fi.Size())/(1<<20))
		}
	}
	runtime.KeepAlive(ctx)
	return nil
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

// pct is the nearest-rank p-th percentile (100 is the maximum).
func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	rank := int(float64(len(s))*p/100 + 0.9999)
	rank = min(max(rank, 1), len(s))
	return s[rank-1].Round(10 * time.Microsecond)
}
