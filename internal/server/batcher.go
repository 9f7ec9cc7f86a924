package server

import (
	"context"
	"errors"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// batcher is the decision writer on PostgreSQL, whose group commit gains
// from concurrent transactions: each request waits until its events are
// durable, but requests that arrive while a commit runs share the next
// one, so a stream of small writes costs a few transactions instead of one
// each. It adds no delay when idle: a batch is whatever is queued when a
// writer is free.
type batcher struct {
	store   store.Store
	workers int
	in      chan *batchReq
	// onCommit, when set, is told each commit's size and result (metrics).
	onCommit func(events, inserted int, err error)
}

type batchReq struct {
	events []record.Event
	done   chan error
}

// Bounds of one commit.
const (
	maxBatchEvents = 512
	commitTimeout  = 30 * time.Second
)

var errWriterStopped = errors.New("decision writer stopped")

func newBatcher(s store.Store, workers int) *batcher {
	return &batcher{store: s, workers: workers, in: make(chan *batchReq, 4*maxBatchEvents)}
}

// open implements decisionWriter: nothing to prepare.
func (b *batcher) open(context.Context) error { return nil }

// sync implements decisionWriter: append returns only once stored.
func (b *batcher) sync(context.Context) error { return nil }

// append stores events and returns when they are durable, or with the
// store's error, or ctx's.
func (b *batcher) append(ctx context.Context, events []record.Event) error {
	req := &batchReq{events: events, done: make(chan error, 1)}
	select {
	case b.in <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run commits batches with b.workers writers until ctx ends. The server
// cancels it only after the HTTP server has drained, so nothing should be
// queued then; anything that is gets errWriterStopped rather than waiting
// forever.
func (b *batcher) run(ctx context.Context) {
	done := make(chan struct{})
	for range b.workers {
		go func() {
			defer func() { done <- struct{}{} }()
			b.work(ctx)
		}()
	}
	for range b.workers {
		<-done
	}
	// Drain: nothing should be left, but never leave a caller waiting.
	for {
		select {
		case req := <-b.in:
			req.done <- errWriterStopped
		default:
			return
		}
	}
}

func (b *batcher) work(ctx context.Context) {
	for {
		var first *batchReq
		select {
		case first = <-b.in:
		case <-ctx.Done():
			return
		}
		batch := []*batchReq{first}
		n := len(first.events)
	fill:
		for n < maxBatchEvents {
			select {
			case req := <-b.in:
				batch = append(batch, req)
				n += len(req.events)
			default:
				break fill
			}
		}
		events := make([]record.Event, 0, n)
		for _, req := range batch {
			events = append(events, req.events...)
		}
		cctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
		inserted, err := b.store.AppendEvents(cctx, events)
		cancel()
		if b.onCommit != nil {
			b.onCommit(len(events), inserted, err)
		}
		for _, req := range batch {
			req.done <- err
		}
	}
}
