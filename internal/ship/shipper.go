package ship

import (
	"context"
	"errors"
	"fmt"
	"github.com/wardenhq/warden/internal/shiplaunch"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/policyfile"
)

// Defaults of Options.
const (
	DefaultMaxBatchBytes  = 4 << 20
	DefaultMaxBatchEvents = 10000
	DefaultMaxLineBytes   = 1 << 20
	DefaultGzipMin        = 32 << 10
	DefaultTimeout        = 30 * time.Second
	DefaultLinger         = 5 * time.Second
	DefaultIdleExit       = time.Minute
	DefaultPoll           = 250 * time.Millisecond
	DefaultBackoffMin     = time.Second
	DefaultBackoffMax     = 5 * time.Minute
	DefaultPolicyInterval = time.Minute
)

// Options configure a Shipper. Spool, Server and Token are required.
type Options struct {
	// Spool is the spool file (clientstate.SpoolPath); its rotated file is
	// Spool+".1", its state and lock files are beside it.
	Spool  string
	Server string // base URL of the Warden server
	Token  string
	// StateDir holds the policy cache (clientstate.Dir); "" disables the
	// policy refresh.
	StateDir string
	// Lock is the spool's lock, already held (passed by the hook); when
	// nil, Run takes it and returns ErrLocked if another shipper has it.
	Lock *os.File

	// HTTPClient sends the requests; by default one with Timeout.
	HTTPClient *http.Client
	// Timeout bounds one request (DefaultTimeout).
	Timeout time.Duration
	// UserAgent names the shipper to the server.
	UserAgent string

	// MaxBatchBytes bounds the uncompressed body of one request (at most
	// MaxRequestBytes); MaxBatchEvents its lines; a line longer than
	// MaxLineBytes is skipped and counted in State.Skipped.
	MaxBatchBytes  int
	MaxBatchEvents int
	MaxLineBytes   int
	// GzipMin is the body size from which requests are gzip-compressed;
	// negative never compresses.
	GzipMin int

	// Linger is how long Run waits for new events once everything is
	// delivered before it exits (DefaultLinger: tool calls of a busy
	// session come seconds apart, so one shipper serves a burst and hooks
	// rarely pay the 0.3 ms of starting one); IdleExit how long it waits
	// while backing off when no new event arrives. Poll is how often it
	// looks.
	Linger, IdleExit, Poll time.Duration
	// BackoffMin and BackoffMax bound the delay after a failed delivery:
	// it doubles with each consecutive failure.
	BackoffMin, BackoffMax time.Duration
	// PolicyInterval is how often the policy cache is revalidated.
	PolicyInterval time.Duration

	Logger *slog.Logger
	Now    func() time.Time
	// Rand returns a number in [0, 1) for backoff jitter.
	Rand func() float64
	// PID is recorded in the lock file (os.Getpid when 0).
	PID int
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: o.Timeout}
	}
	if o.UserAgent == "" {
		o.UserAgent = "warden-shipper"
	}
	if o.MaxBatchBytes <= 0 || o.MaxBatchBytes > MaxRequestBytes {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if o.MaxBatchEvents <= 0 {
		o.MaxBatchEvents = DefaultMaxBatchEvents
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.MaxLineBytes > o.MaxBatchBytes {
		o.MaxLineBytes = o.MaxBatchBytes
	}
	if o.GzipMin == 0 {
		o.GzipMin = DefaultGzipMin
	}
	if o.Linger < 0 {
		o.Linger = 0
	} else if o.Linger == 0 {
		o.Linger = DefaultLinger
	}
	if o.IdleExit <= 0 {
		o.IdleExit = DefaultIdleExit
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = DefaultBackoffMin
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = max(DefaultBackoffMax, o.BackoffMin)
	}
	if o.PolicyInterval <= 0 {
		o.PolicyInterval = DefaultPolicyInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.PID == 0 {
		o.PID = os.Getpid()
	}
	return o
}

// Validate checks the options a shipper cannot run without.
func (o Options) Validate() error {
	if o.Spool == "" {
		return errors.New("no spool file")
	}
	if o.Token == "" {
		return fmt.Errorf("no token (in %s: warden install --server --token-file; or $%s)", clientstate.ClientConfigName, clientstate.EnvToken)
	}
	return shiplaunch.ValidateServer(o.Server)
}

// Shipper delivers one spool to the server. Use it once: New, then Run.
type Shipper struct {
	opts    Options
	client  *client
	state   *State
	tracker *tracker
	log     *slog.Logger
	// batchBytes is the current batch limit: halved after a 413.
	batchBytes int
}

// New checks the options and builds a Shipper.
func New(opts Options) (*Shipper, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	s := &Shipper{
		opts: opts,
		client: &client{
			http:    opts.HTTPClient,
			server:  clientstate.ServerURL(opts.Server),
			token:   opts.Token,
			gzipMin: opts.GzipMin,
			agent:   opts.UserAgent,
		},
		log:        opts.Logger.With("component", "shipper", "spool", opts.Spool),
		batchBytes: opts.MaxBatchBytes,
	}
	return s, nil
}

// Run ships until the spool is delivered and no new event arrived for
// Linger, or, while the server fails, until no new event arrived for
// IdleExit, or until ctx ends. It returns ErrLocked when another shipper
// runs for the spool. Delivery failures are not errors: they are recorded
// in the state (LastError) and retried with backoff. Errors are local
// problems: the spool or the state cannot be read or written.
func (s *Shipper) Run(ctx context.Context) (err error) {
	lock := s.opts.Lock
	if lock == nil {
		if lock, err = shiplaunch.TryLock(shiplaunch.LockPath(s.opts.Spool)); err != nil {
			return err
		}
	}
	defer lock.Close()
	if err := shiplaunch.WritePID(lock, s.opts.PID); err != nil {
		return fmt.Errorf("record shipper pid: %w", err)
	}
	if s.state, err = LoadState(shiplaunch.StatePath(s.opts.Spool)); err != nil {
		// A corrupt state only costs a re-delivery the server absorbs.
		s.log.Warn("starting from a fresh state", "err", err)
		s.state = &State{Version: stateVersion}
	}
	s.tracker = newTracker(s.opts.Spool, s.state.Files)
	defer s.tracker.close()
	defer s.client.http.CloseIdleConnections()

	lastNew := s.opts.Now()
	for {
		drops, grew, err := s.tracker.sync()
		if err != nil {
			return err
		}
		s.state.Drops += drops
		if drops > 0 {
			s.log.Warn("events deleted by rotation before shipping", "drops", drops)
		}
		if grew {
			lastNew = s.opts.Now()
		}
		s.refreshPolicy(ctx)
		pending, _ := s.tracker.pending()
		if pending > 0 && !s.opts.Now().Before(s.state.NextAttempt) {
			if err := s.deliver(ctx); err != nil {
				return err
			}
			pending, _ = s.tracker.pending()
		}
		s.state.Files = s.tracker.states()
		if err := s.state.save(shiplaunch.StatePath(s.opts.Spool)); err != nil {
			return err
		}

		idle := s.opts.Now().Sub(lastNew)
		switch {
		case ctx.Err() != nil:
			return nil
		case pending == 0 && idle >= s.opts.Linger:
			return nil
		case pending > 0 && idle >= s.opts.IdleExit:
			// The server is failing and nothing new comes: the next hook
			// call starts a shipper again.
			return nil
		}
		wait := s.opts.Poll
		if pending > 0 {
			if d := s.state.NextAttempt.Sub(s.opts.Now()); d > 0 {
				wait = min(max(d, s.opts.Poll), s.opts.IdleExit)
			}
		}
		if !sleep(ctx, wait) {
			return nil
		}
	}
}

// deliver ships every counted line, oldest file first, until done or a
// delivery fails; a failure sets the backoff.
func (s *Shipper) deliver(ctx context.Context) error {
	for _, sf := range s.tracker.files {
		for sf.Shipped < sf.Scanned {
			if ctx.Err() != nil {
				return nil
			}
			b, err := sf.next(s.batchBytes, s.opts.MaxBatchEvents, s.opts.MaxLineBytes)
			if err != nil {
				return err
			}
			if b.events > 0 {
				ok, err := s.post(ctx, &b)
				if err != nil {
					if ctx.Err() == nil {
						s.failed(err)
					}
					return nil
				}
				if !ok {
					continue // retry with the smaller batch limit
				}
			}
			sf.Shipped = b.end
			sf.ShippedLines += b.lines
			s.state.Skipped += b.skip
			s.state.Files = s.tracker.states()
			if err := s.state.save(shiplaunch.StatePath(s.opts.Spool)); err != nil {
				return err
			}
		}
	}
	return nil
}

// post sends one batch. It returns ok false, without an error, when the
// server refused the batch as too large and a smaller one should be tried.
// A single line the server refuses as too large is skipped (b.skip) rather
// than left to stop the spool behind it.
func (s *Shipper) post(ctx context.Context, b *batch) (ok bool, err error) {
	res, err := s.client.postAudit(ctx, b.body, s.state.Drops)
	var se *StatusError
	if errors.As(err, &se) && se.Code == http.StatusRequestEntityTooLarge {
		if b.events > 1 {
			s.batchBytes = max(len(b.body)/2, 1)
			s.log.Info("server refused the batch size; halving it", "bytes", s.batchBytes)
			return false, nil
		}
		s.log.Warn("server refused one event as too large; skipping it", "bytes", len(b.body))
		b.skip++
		return true, nil
	}
	if err != nil {
		return false, err
	}
	s.state.Delivered += int64(b.events)
	s.state.Accepted += res.Accepted
	s.state.Duplicates += res.Duplicates
	s.state.Rejected += res.Rejected
	s.state.LastSuccess = s.opts.Now().UTC()
	s.state.Failures = 0
	s.state.NextAttempt = time.Time{}
	s.log.Info("delivered", "events", b.events, "accepted", res.Accepted, "duplicates", res.Duplicates, "rejected", res.Rejected)
	return true, nil
}

// failed records a failed delivery and the backoff it earns: BackoffMin
// doubled per consecutive failure up to BackoffMax, with the upper half
// jittered, and at least the server's Retry-After.
func (s *Shipper) failed(err error) {
	s.state.Failures++
	d := backoff(s.opts.BackoffMin, s.opts.BackoffMax, s.state.Failures, s.opts.Rand())
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter > d {
		d = min(se.RetryAfter, s.opts.BackoffMax)
	}
	now := s.opts.Now()
	s.state.LastError = err.Error()
	s.state.LastErrorTime = now.UTC()
	s.state.NextAttempt = now.Add(d).UTC()
	s.log.Warn("delivery failed", "err", err, "failures", s.state.Failures, "retry_in", d)
}

// backoff is the delay after n consecutive failures: lo·2^(n-1) capped
// at hi, of which the upper half is scaled by jitter in [0, 1).
func backoff(lo, hi time.Duration, n int, jitter float64) time.Duration {
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return d/2 + time.Duration(jitter*float64(d/2))
}

// refreshPolicy revalidates the policy cache when due. Its failures are
// recorded in the state and never stop the shipping.
func (s *Shipper) refreshPolicy(ctx context.Context) {
	if s.opts.StateDir == "" || s.opts.Now().Before(s.state.PolicyNextCheck) || ctx.Err() != nil {
		return
	}
	now := s.opts.Now()
	s.state.PolicyCheckedAt = now.UTC()
	err := errors.Join(
		revalidate(ctx, s.client, clientstate.PolicyCache{Dir: s.opts.StateDir}, now),
		refreshQuarantines(ctx, s.client, clientstate.QuarantineCache{Dir: s.opts.StateDir}, now),
		refreshPauses(ctx, s.client, s.opts.StateDir))
	if err != nil {
		s.state.PolicyFailures++
		s.state.PolicyError = err.Error()
		s.state.PolicyNextCheck = now.Add(backoff(s.opts.BackoffMin, s.opts.PolicyInterval, s.state.PolicyFailures, s.opts.Rand())).UTC()
		s.log.Warn("policy refresh failed", "err", err)
		return
	}
	s.state.PolicyFailures = 0
	s.state.PolicyError = ""
	s.state.PolicyNextCheck = now.Add(s.opts.PolicyInterval).UTC()
}

// refreshQuarantines replaces the cached quarantine list with the
// server's, for the hook to deny the calls of a quarantined session (and
// allow them again once released) within a refresh interval. A server
// that lists no quarantines (404) leaves no cache behind; a failed fetch
// keeps the cached list, so a quarantine holds while the server cannot
// be reached.
func refreshQuarantines(ctx context.Context, c *client, cache clientstate.QuarantineCache, now time.Time) error {
	list, err := c.fetchQuarantines(ctx)
	if errors.Is(err, errNoQuarantines) {
		if err := os.Remove(cache.Path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove quarantine cache: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("fetch quarantines: %w", err)
	}
	return cache.Store(c.server, *list, now)
}

// refreshPauses replaces the cached pause list with the server's signed
// one when it verifies with the server key pinned at enrollment, and
// removes it when no pause is in force, when the server serves no list
// (404), or when the machine has no pinned key for this server (the hook
// could not verify a pause then). A failed fetch keeps the cached list:
// its pauses end at their until without the server.
func refreshPauses(ctx context.Context, c *client, dir string) error {
	cache := clientstate.PauseCache{Dir: dir}
	pub, server, err := clientstate.ServerKey(dir)
	if errors.Is(err, clientstate.ErrNoServerKey) || (err == nil && clientstate.ServerURL(server) != c.server) {
		return cache.Remove()
	}
	if err != nil {
		return fmt.Errorf("pause list: %w", err)
	}
	data, err := c.fetchPauses(ctx)
	if errors.Is(err, errNoPauses) {
		return cache.Remove()
	}
	if err != nil {
		return fmt.Errorf("fetch pauses: %w", err)
	}
	if _, err := cache.Store(pub, data); err != nil {
		return err
	}
	return nil
}

// revalidate checks cache against the server: a conditional GET with the
// cached ETag; a new policy replaces the cache only when it parses and
// matches its announced digest (clientstate.PolicyCache.Store). A cache that does
// not load is fetched anew.
func revalidate(ctx context.Context, c *client, cache clientstate.PolicyCache, now time.Time) error {
	etag := ""
	if cp, err := cache.Load(c.server); err == nil {
		etag = cp.ETag
	}
	fp, err := c.fetchPolicy(ctx, etag)
	if errors.Is(err, errNotModified) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("fetch policy: %w", err)
	}
	if _, err := cache.Store(policyfile.Parse, c.server, fp.etag, fp.sha256, fp.doc, now); err != nil {
		return err
	}
	return nil
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
