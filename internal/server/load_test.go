package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/wardenhq/warden/internal/otlp"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/store/sqlite"
	"github.com/wardenhq/warden/internal/store/storetest"
)

// loadEnv carries the data directory to the load test's server child.
const loadEnv = "WARDEN_SERVER_LOAD_DIR"

// The load test's shape: as the issue reported it, 32 concurrent gzip
// bodies of about 64 KB that inflate to 64 MiB each (a quarter of them
// replaced by the body costliest to decode), twice over, while normal
// ingest runs.
const (
	loadBombs      = 32
	loadRounds     = 2
	loadBombBytes  = 64<<20 - 4<<10 // inflated, within MaxDecodedBytes
	loadNormal     = 4              // clients of normal ingest
	loadBudgetMiB  = DefaultMemoryBudgetMiB
	loadTimeBudget = 3 * time.Minute
)

// loadChild is the server under load: warden serve's defaults (memory
// budget, GOGC and memory limit as setServeGC sets them) on SQLite.
func loadChild(t *testing.T, dir string) {
	cfg := testConfig(dir)
	cfg.GRPCAddr = ""
	cfg.MemoryBudgetMiB = loadBudgetMiB
	debug.SetGCPercent(300)
	debug.SetMemoryLimit(cfg.MemoryLimit())
	st, err := sqlite.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := New(Options{Config: cfg, Store: st, Policy: policy.Baseline(), PolicyYAML: policy.BaselineYAML(),
		Logger:  slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		Journal: filepath.Join(dir, JournalFile)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signalContext()
	defer stop()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(os.Stdout, "warden-listening %s\n", s.Addr())
	wctx, cancel := context.WithTimeout(ctx, loadTimeBudget)
	defer cancel()
	s.Wait(wctx)
	s.Shutdown(context.Background())
}

// messagesBomb is a protobuf logs body of one record with as many empty
// attributes as the decoder allows, 2 bytes each on the wire: the body
// that costs the most per byte to decode, gzipped (about 1 KB).
func messagesBomb(t *testing.T) []byte {
	wrap := func(tag byte, inner []byte) []byte {
		return append(protowire.AppendVarint([]byte{tag}, uint64(len(inner))), inner...)
	}
	attrs := bytes.Repeat([]byte{0x32, 0x00}, otlp.DefaultMaxMessages-4)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(wrap(0x0a, wrap(0x12, wrap(0x12, attrs))))
	zw.Close()
	return buf.Bytes()
}

// bombBody is a protobuf logs body of one record whose attribute is
// loadBombBytes of one letter, gzipped: about 64 KB.
func bombBody(t *testing.T) []byte {
	data := &logspb.LogsData{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: &resourcepb.Resource{},
		ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{{TimeUnixNano: uint64(t0.UnixNano()),
			Attributes: []*commonpb.KeyValue{{Key: "error", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{}}}}}}}},
	}}}
	overhead := proto.Size(data)
	data.ResourceLogs[0].ScopeLogs[0].LogRecords[0].Attributes[0].Value.Value =
		&commonpb.AnyValue_StringValue{StringValue: strings.Repeat("a", loadBombBytes-overhead-16)}
	b, err := proto.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// procStatus reads a field of /proc/<pid>/status in bytes (VmRSS, VmHWM).
func procStatus(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return -1
}

// loadResult counts answers by status.
type loadResult struct {
	mu        sync.Mutex
	status    map[int]int
	latencies []time.Duration
	noRetry   int // 503 without Retry-After
	errs      []string
}

func (r *loadResult) add(status int, retryAfter string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status == nil {
		r.status = map[int]int{}
	}
	if err != nil {
		r.errs = append(r.errs, err.Error())
		return
	}
	r.status[status]++
	r.latencies = append(r.latencies, d)
	if (status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests) && retryAfter == "" {
		r.noRetry++
	}
}

func (r *loadResult) quantile(q float64) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.latencies) == 0 {
		return 0
	}
	l := slices.Clone(r.latencies)
	slices.Sort(l)
	return l[int(q*float64(len(l)-1))]
}

func sendOTLP(client *http.Client, url, token, ct string, gz bool, body []byte, res *loadResult) {
	req, err := http.NewRequest("POST", url+"/v1/logs", bytes.NewReader(body))
	if err != nil {
		res.add(0, "", 0, err)
		return
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ct)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		res.add(0, "", 0, err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	res.add(resp.StatusCode, resp.Header.Get("Retry-After"), time.Since(start), nil)
}

// TestLoad_GzipBombs sends, on loopback, 32 concurrent gzip bodies of
// about 64 KB that inflate to 64 MiB each (twice over) to a server with
// warden serve's default memory budget, while normal ingest runs: the
// server's peak resident memory stays under the budget, every bomb is
// answered (200 with its record refused as too large, or 503 with
// Retry-After), and normal ingest keeps flowing. The figures go to
// docs/benchmarks.md.
func TestLoad_GzipBombs(t *testing.T) {
	if dir := os.Getenv(loadEnv); dir != "" {
		loadChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("starts a server process and inflates 4 GiB")
	}
	dir, secret, read := loadDataDir(t)
	cmd, url, stderr := startChildCmd(t, storetest.ReexecCommand(t, loadEnv+"="+dir))
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	pid := cmd.Process.Pid
	startRSS := procStatus(pid, "VmRSS")
	bomb, many := bombBody(t), messagesBomb(t)
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	var peakRSS atomic.Int64
	stopSampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			if rss := procStatus(pid, "VmRSS"); rss > peakRSS.Load() {
				peakRSS.Store(rss)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})

	var bombs, normal loadResult
	bombsDone := make(chan struct{})
	var normalWG sync.WaitGroup
	var batches atomic.Int64
	for c := range loadNormal {
		normalWG.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-bombsDone:
					return
				default:
				}
				n := batches.Add(1)
				seqs := make([]int, 50)
				for j := range seqs {
					seqs[j] = int(n)*50 + j
				}
				sendOTLP(client, url, secret, "application/json", false, otlpLogs(fmt.Sprintf("normal-%d-%d", c, i), seqs...), &normal)
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	time.Sleep(200 * time.Millisecond) // normal ingest first
	start := time.Now()
	var bombWG sync.WaitGroup
	for i := range loadBombs {
		body := bomb
		if i%4 == 3 { // a quarter of them: the most messages
			body = many
		}
		bombWG.Go(func() {
			for range loadRounds {
				sendOTLP(client, url, secret, "application/x-protobuf", true, body, &bombs)
			}
		})
	}
	bombWG.Wait()
	elapsed := time.Since(start)
	close(bombsDone)
	normalWG.Wait()
	close(stopSampling)
	sampler.Wait()

	hwm := procStatus(pid, "VmHWM")
	metrics := scrape(t, client, url, read)
	budget := int64(loadBudgetMiB) << 20
	t.Logf("bombs: %d bytes gzip inflating to %d (and a quarter of %d bytes inflating to %d messages); %d sent in %s: %v (503 without Retry-After %d, errors %d)",
		len(bomb), loadBombBytes, len(many), otlp.DefaultMaxMessages, loadBombs*loadRounds, elapsed.Round(time.Millisecond), bombs.status, bombs.noRetry, len(bombs.errs))
	t.Logf("normal ingest: %v, p50 %s p99 %s max %s (50 records per request)", normal.status,
		normal.quantile(0.5).Round(time.Millisecond), normal.quantile(0.99).Round(time.Millisecond), normal.quantile(1).Round(time.Millisecond))
	t.Logf("server RSS: %d MiB at start, peak %d MiB sampled, VmHWM %d MiB; budget %d MiB (ingest %d MiB, Go limit %d MiB)",
		startRSS>>20, peakRSS.Load()>>20, hwm>>20, loadBudgetMiB, budget*3/8>>20, budget*3/4>>20)
	t.Logf("server metrics: ingest memory peak %s bytes, waits %s, refusals %s",
		metrics["warden_ingest_memory_peak_bytes"], metrics["warden_ingest_memory_waits_total"], metrics["warden_ingest_memory_refusals_total"])

	if hwm <= 0 || hwm >= budget {
		t.Errorf("peak RSS %d MiB, want under the %d MiB budget", hwm>>20, loadBudgetMiB)
	}
	if len(bombs.errs) > 0 || bombs.noRetry > 0 {
		t.Errorf("bombs: %d transport errors (%v), %d busy answers without Retry-After", len(bombs.errs), bombs.errs[:min(3, len(bombs.errs))], bombs.noRetry)
	}
	for status, n := range bombs.status {
		if status != http.StatusOK && status != http.StatusServiceUnavailable {
			t.Errorf("%d bombs answered %d, want 200 (record refused) or 503", n, status)
		}
	}
	ok := normal.status[http.StatusOK]
	total := ok + normal.status[http.StatusServiceUnavailable]
	if len(normal.errs) > 0 || total != len(normal.latencies) || ok < 20 || float64(ok) < 0.95*float64(total) {
		t.Errorf("normal ingest: %v, errors %v: want 95%% answered 200 while the bombs ran", normal.status, normal.errs)
	}
	if t.Failed() {
		t.Logf("server log:\n%s", stderr)
	}
}

// scrape reads the server's unlabelled metrics as name → value.
func scrape(t *testing.T, client *http.Client, url, token string) map[string]string {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if name, v, ok := strings.Cut(sc.Text(), " "); ok && !strings.HasPrefix(name, "#") {
			out[name] = v
		}
	}
	return out
}

// loadDataDir makes a data directory with an ingest and a read token.
func loadDataDir(t *testing.T) (dir, ingest, read string) {
	t.Helper()
	dir = t.TempDir()
	st, err := sqlite.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tok := range []struct {
		scope  string
		secret *string
	}{{record.ScopeIngest, &ingest}, {record.ScopeRead, &read}} {
		secret, tk, err := NewToken(randReader(), "load-"+tok.scope, []string{tok.scope}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(context.Background(), tk); err != nil {
			t.Fatal(err)
		}
		*tok.secret = secret
	}
	return dir, ingest, read
}
