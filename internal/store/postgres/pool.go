package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// pool is a small bounded pool of pgx connections. It stands in for
// pgxpool, whose dependency (puddle) the module does not require: the store
// needs only acquire, release and close.
type pool struct {
	cfg  *pgx.ConnConfig
	slot chan struct{}  // one token per open or opening connection
	idle chan *pgx.Conn // connections ready for use

	mu     sync.Mutex
	closed bool
}

var errPoolClosed = errors.New("store closed")

func newPool(cfg *pgx.ConnConfig, size int) *pool {
	return &pool{cfg: cfg, slot: make(chan struct{}, size), idle: make(chan *pgx.Conn, size)}
}

// acquire returns an idle connection or dials one, waiting while all size
// connections are in use.
func (p *pool) acquire(ctx context.Context) (*pgx.Conn, error) {
	for {
		if p.isClosed() {
			return nil, errPoolClosed
		}
		select { // an idle connection first, before dialing
		case c := <-p.idle:
			if !c.IsClosed() {
				return c, nil
			}
			<-p.slot
			continue
		default:
		}
		select {
		case c := <-p.idle:
			if !c.IsClosed() {
				return c, nil
			}
			<-p.slot // a dead connection gives its slot back
		case p.slot <- struct{}{}:
			c, err := pgx.ConnectConfig(ctx, p.cfg)
			if err != nil {
				<-p.slot
				return nil, err
			}
			return c, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// release returns c to the pool, or closes it when it is broken, left in a
// transaction, or the pool is closed.
func (p *pool) release(c *pgx.Conn) {
	if c.IsClosed() || c.PgConn().IsBusy() || c.PgConn().TxStatus() != 'I' || p.isClosed() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c.Close(ctx)
		cancel()
		<-p.slot
		return
	}
	p.idle <- c
}

func (p *pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// close closes the idle connections; busy ones close on release.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	for {
		select {
		case c := <-p.idle:
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			c.Close(ctx)
			cancel()
			<-p.slot
		default:
			return
		}
	}
}
