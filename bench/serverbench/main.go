// Command serverbench is a load generator for `warden serve` on loopback:
// it starts a server (SQLite in a fresh directory, or PostgreSQL in a
// fresh schema of -database-url), creates a token, and measures
//
//   - otlp:   OTLP/HTTP log records ingested per second (protobuf bodies of
//     -batch records, -clients concurrent exporters);
//   - decide: central decisions over the policy corpus's tool calls: first
//     capacity, -decide-clients hooks each sending its next call as soon as
//     the last is answered (closed loop); then latency at a fixed offered
//     rate, -decide-rate calls per second sent on schedule whatever the
//     answers take (open loop), timed from each call's scheduled start so
//     that a stall counts against every call queued behind it;
//   - fill:   the server's resident memory after -fill events are stored
//     (VmRSS and its peak VmHWM, from /proc).
//
// The load generator shares the machine with the server, so on a small
// machine it takes CPU the server would use; the load average is printed
// before and after. Figures are measured, never asserted.
//
//	go build -o bin/warden ./cmd/warden
//	go run ./bench/serverbench -warden bin/warden
//	go run ./bench/serverbench -warden bin/warden -database-url postgres://warden@127.0.0.1:55432/warden
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

type options struct {
	warden        string
	databaseURL   string
	addr, token   string
	scenarios     string
	duration      time.Duration
	clients       int
	batch         int
	decideClients int
	decideRate    int
	inputs        string
	fill          int
	keep          bool
}

func main() {
	var o options
	flag.StringVar(&o.warden, "warden", "bin/warden", "the warden binary to start as `warden serve`")
	flag.StringVar(&o.databaseURL, "database-url", "", "PostgreSQL server to bench on (a fresh schema is created and dropped); SQLite when empty")
	flag.StringVar(&o.addr, "addr", "", "bench an already running server at host:port instead of starting one (with -token)")
	flag.StringVar(&o.token, "token", "", "admin token of the server given by -addr")
	flag.StringVar(&o.scenarios, "scenarios", "otlp,decide,fill", "comma-separated: otlp, decide, fill")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured time of the otlp and decide scenarios")
	flag.IntVar(&o.clients, "clients", 4, "concurrent OTLP exporters")
	flag.IntVar(&o.batch, "batch", 512, "log records per OTLP request (Claude Code batches up to 512)")
	flag.IntVar(&o.decideClients, "decide-clients", 16, "concurrent central-decision clients of the capacity run")
	flag.IntVar(&o.decideRate, "decide-rate", 5000, "decisions per second offered in the latency run (0: no latency run)")
	flag.StringVar(&o.inputs, "inputs", "testdata/corpus", "policy corpus whose tool calls the decide scenario sends")
	flag.IntVar(&o.fill, "fill", 1_000_000, "events the fill scenario stores before reading the server's RSS")
	flag.BoolVar(&o.keep, "keep", false, "keep the data directory or schema")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "serverbench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx := context.Background()
	fmt.Printf("serverbench %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Printf("machine: %s, %d CPUs, %s, load average %s\n", cpuModel(), runtime.NumCPU(), runtime.Version(), loadavg())

	srv := &server{url: "http://" + o.addr, token: o.token}
	if o.addr == "" {
		var err error
		if srv, err = startServer(ctx, o); err != nil {
			return err
		}
		defer srv.stop(o.keep)
		fmt.Printf("server: %s, store %s, pid %d\n", o.warden, srv.backend, srv.cmd.Process.Pid)
	} else if o.token == "" {
		return fmt.Errorf("-addr needs -token")
	}

	for _, sc := range strings.Split(o.scenarios, ",") {
		start := loadavg()
		var err error
		switch strings.TrimSpace(sc) {
		case "otlp":
			err = benchOTLP(ctx, srv, o)
		case "decide":
			err = benchDecide(ctx, srv, o)
		case "fill":
			err = benchFill(ctx, srv, o)
		case "":
			continue
		default:
			err = fmt.Errorf("unknown scenario %q", sc)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", sc, err)
		}
		fmt.Printf("  load average before %s, after %s\n", start, loadavg())
	}
	return nil
}

// loadavg is the first three fields of /proc/loadavg.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
