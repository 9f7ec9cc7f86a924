package membudget

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBudget_GrowRelease(t *testing.T) {
	b := New(100, time.Second)
	r := b.Reserve()
	if err := r.Grow(context.Background(), 60); err != nil {
		t.Fatal(err)
	}
	if err := b.Reserve().TryGrow(50); !errors.Is(err, ErrBusy) {
		t.Errorf("TryGrow past the budget: %v, want ErrBusy", err)
	}
	if err := r.Grow(context.Background(), 50); !errors.Is(err, ErrOverBudget) {
		t.Errorf("one reservation past the whole budget: %v, want ErrOverBudget", err)
	}
	r.Shrink(20)
	if got := b.Stats().InUse; got != 40 {
		t.Errorf("in use %d after shrinking, want 40", got)
	}
	r.Release()
	r.Release() // twice is safe
	st := b.Stats()
	if st.InUse != 0 || st.Peak != 60 || st.Refusals != 2 {
		t.Errorf("stats %+v, want nothing in use, peak 60, 2 refusals", st)
	}
}

// TestBudget_Waits: a reservation that does not fit waits for a release,
// and gives up as busy after the budget's wait or when its context ends.
func TestBudget_Waits(t *testing.T) {
	t.Run("Granted", func(t *testing.T) {
		b := New(100, 10*time.Second)
		first := b.Reserve()
		first.Grow(context.Background(), 80)
		done := make(chan error)
		go func() { done <- b.Reserve().Grow(context.Background(), 50) }()
		waitFor(t, func() bool { return b.Stats().Waits == 1 })
		first.Release()
		if err := <-done; err != nil {
			t.Fatalf("waiter: %v", err)
		}
		if got := b.Stats().InUse; got != 50 {
			t.Errorf("in use %d, want the waiter's 50", got)
		}
	})
	t.Run("TimesOut", func(t *testing.T) {
		b := New(100, 20*time.Millisecond)
		b.Reserve().Grow(context.Background(), 80)
		if err := b.Reserve().Grow(context.Background(), 50); !errors.Is(err, ErrBusy) {
			t.Errorf("%v, want ErrBusy", err)
		}
		if st := b.Stats(); st.InUse != 80 || st.Refusals != 1 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		b := New(100, time.Minute)
		b.Reserve().Grow(context.Background(), 80)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := b.Reserve().Grow(ctx, 50); !errors.Is(err, ErrBusy) || !errors.Is(err, context.Canceled) {
			t.Errorf("%v, want ErrBusy from the cancellation", err)
		}
	})
	t.Run("SmallPassesLarge", func(t *testing.T) {
		// A large waiter does not hold up a small request that fits.
		b := New(1000, time.Second)
		held := b.Reserve()
		held.Grow(context.Background(), 500)
		large := make(chan error)
		go func() { large <- b.Reserve().Grow(context.Background(), 400) }()
		waitFor(t, func() bool { return b.Stats().Waits == 1 })
		small := b.Reserve()
		if err := small.TryGrow(50); err != nil {
			t.Errorf("small request behind a large waiter: %v", err)
		}
		small.Release()
		held.Release()
		if err := <-large; err != nil {
			t.Errorf("large waiter: %v", err)
		}
	})
}

// TestBudget_Headroom: large reservations leave an eighth of the budget to
// small ones, so that a storm of large requests does not stop the small.
func TestBudget_Headroom(t *testing.T) {
	b := New(800, time.Millisecond)
	large := b.Reserve()
	if err := large.Grow(context.Background(), 700); err != nil {
		t.Fatal(err)
	}
	if err := b.Reserve().TryGrow(60); !errors.Is(err, ErrBusy) {
		t.Errorf("a second large reservation: %v, want ErrBusy", err)
	}
	for range 2 {
		if err := b.Reserve().TryGrow(50); err != nil {
			t.Errorf("small reservation in the headroom: %v", err)
		}
	}
	if err := large.Grow(context.Background(), 1); !errors.Is(err, ErrOverBudget) {
		t.Errorf("a large reservation past all but the headroom: %v, want ErrOverBudget", err)
	}
}

// TestBudget_Concurrent: many goroutines growing and releasing never hold
// more than the budget.
func TestBudget_Concurrent(t *testing.T) {
	b := New(1000, time.Second)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 200 {
				r := b.Reserve()
				if r.Grow(context.Background(), int64(50+i*10)) == nil {
					r.TryGrow(int64(j % 100))
				}
				r.Release()
			}
		})
	}
	wg.Wait()
	if st := b.Stats(); st.InUse != 0 || st.Peak > 1000 {
		t.Errorf("stats %+v: want nothing left and a peak within 1000", st)
	}
}

func TestBudget_Nil(t *testing.T) {
	var b *Budget
	r := b.Reserve()
	if err := r.Grow(context.Background(), 1<<40); err != nil {
		t.Fatal(err)
	}
	if err := r.TryGrow(1 << 40); err != nil {
		t.Fatal(err)
	}
	r.Release()
	if b.Total() != 0 || b.Stats() != (Stats{}) {
		t.Error("a nil budget has a size or stats")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached")
}

func gz(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// chunked hides a reader's length, as a chunked request body does.
type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestReadBody(t *testing.T) {
	lim := Limits{MaxBody: 1 << 20, MaxDecoded: 8 << 20, Overhead: 2}
	plain := bytes.Repeat([]byte("otlp "), 20000) // 100,000 bytes
	bomb := gz(t, bytes.Repeat([]byte{'a'}, 8<<20))
	liar := append([]byte{}, gz(t, plain)...)
	binary.LittleEndian.PutUint32(liar[len(liar)-4:], 10) // declares 10 bytes
	// Two gzip members: the trailer declares the second one's size only.
	members := append(gz(t, plain[:len(plain)/2]), gz(t, plain[len(plain)/2:])...)
	tests := []struct {
		name     string
		body     []byte
		length   int64 // -1: unknown
		encoding string
		budget   int64
		want     []byte
		wantErr  error
		wantRes  int64 // reserved when done
	}{
		{name: "Identity", body: plain, length: int64(len(plain)), want: plain, wantRes: 3 * int64(len(plain))},
		{name: "IdentityChunked", body: plain, length: -1, want: plain, wantRes: 3 * 131072},
		{name: "Gzip", body: gz(t, plain), length: -1, encoding: "gzip", want: plain, wantRes: 3 * int64(len(plain))},
		{name: "GzipBombWithinLimit", body: bomb, length: int64(len(bomb)), encoding: " GZIP ", want: bytes.Repeat([]byte{'a'}, 8<<20), wantRes: 3 * 8 << 20},
		{name: "GzipMembers", body: members, length: -1, encoding: "gzip", want: plain, wantRes: 3 * int64(len(plain))},
		{name: "GzipLyingSize", body: liar, length: -1, encoding: "gzip", wantErr: ErrMalformedGzip},
		{name: "BodyTooLarge", body: make([]byte, 2<<20), length: 2 << 20, wantErr: &LimitError{}},
		{name: "BodyTooLargeChunked", body: make([]byte, 2<<20), length: -1, wantErr: &LimitError{}},
		{name: "DecompressedTooLarge", body: gz(t, make([]byte, 9<<20)), length: -1, encoding: "gzip", wantErr: &LimitError{}},
		{name: "Encoding", body: plain, length: -1, encoding: "br", wantErr: &EncodingError{}},
		{name: "MalformedGzip", body: []byte("not gzip at all, really"), length: -1, encoding: "gzip", wantErr: ErrMalformedGzip},
		{name: "TruncatedGzip", body: gz(t, plain)[:100], length: -1, encoding: "gzip", wantErr: ErrMalformedGzip},
		// 8 MiB inflated with its overhead cannot fit in 16 MiB at all.
		{name: "OverBudget", body: bomb, length: -1, encoding: "gzip", budget: 16 << 20, wantErr: ErrOverBudget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total := tt.budget
			if total == 0 {
				total = 64 << 20
			}
			b := New(total, 10*time.Millisecond)
			res := b.Reserve()
			var r io.Reader = bytes.NewReader(tt.body)
			if tt.length < 0 {
				r = chunked{r}
			}
			got, err := ReadBody(context.Background(), r, tt.length, tt.encoding, lim, res)
			switch want := tt.wantErr.(type) {
			case nil:
				if err != nil || !bytes.Equal(got, tt.want) {
					t.Fatalf("%d bytes, %v; want %d bytes", len(got), err, len(tt.want))
				}
				if res.Size() != tt.wantRes {
					t.Errorf("reserved %d, want %d", res.Size(), tt.wantRes)
				}
			case *LimitError:
				var le *LimitError
				if !errors.As(err, &le) {
					t.Errorf("%v, want a LimitError", err)
				}
			case *EncodingError:
				var ee *EncodingError
				if !errors.As(err, &ee) || !strings.Contains(err.Error(), `"br"`) {
					t.Errorf("%v, want an EncodingError naming br", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Errorf("%v, want %v", err, want)
				}
			}
			res.Release()
			if st := b.Stats(); st.InUse != 0 || st.Peak > total {
				t.Errorf("stats %+v after release", st)
			}
		})
	}
}

// TestReadBody_Busy: a gzip body whose inflated size finds no room waits
// the budget's time, then fails busy, holding nothing.
func TestReadBody_Busy(t *testing.T) {
	b := New(32<<20, 10*time.Millisecond)
	other := b.Reserve()
	other.Grow(context.Background(), 24<<20)
	res := b.Reserve()
	body := gz(t, bytes.Repeat([]byte{'a'}, 4<<20))
	_, err := ReadBody(context.Background(), bytes.NewReader(body), int64(len(body)), "gzip",
		Limits{MaxBody: 1 << 20, MaxDecoded: 8 << 20, Overhead: 2}, res)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("%v, want ErrBusy", err)
	}
	res.Release()
	other.Release()
	if st := b.Stats(); st.InUse != 0 || st.Refusals != 1 {
		t.Errorf("stats %+v", st)
	}
}
