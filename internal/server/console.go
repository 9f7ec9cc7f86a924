package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/wardenhq/warden/internal/console"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// newConsole builds the web console on the server's store, token checks
// and quarantine, so that a console sign-in is checked as a bearer token
// is (failure limits and metrics included) and a quarantine from the
// console takes effect for central decisions at once.
func (s *Server) newConsole() (*console.Console, error) {
	c, err := console.New(console.Options{
		Store: s.store,
		Authenticate: func(ctx context.Context, addr, secret string) (*record.Token, error) {
			t, err := s.authorize(ctx, addr, "Bearer "+secret, scopesRead)
			var e *Error
			if errors.As(err, &e) && e.Code == ETooManyRequests {
				return nil, fmt.Errorf("%w: %s", console.ErrTooManyAttempts, e.Message)
			}
			return t, err
		},
		Quarantine: s.setQuarantine,
		Release:    s.release,
		AddOverlay: func(ctx context.Context, o record.PolicyOverlay) (*record.PolicyOverlay, error) {
			added, err := s.addOverlay(ctx, o)
			var e *Error
			if errors.As(err, &e) && e.Code == EInvalid {
				// The console shows an invalid request as such.
				return nil, store.Errorf(store.EInvalid, "%s", e.Message)
			}
			return added, err
		},
		RevokeDevice: func(ctx context.Context, id, by string) (*record.Device, error) {
			return s.revokeDevice(ctx, id, by, "")
		},
		Sync:       s.writer.sync,
		Policy:     s.policy,
		PolicyYAML: s.yaml,
		PolicyDiff: s.pdiff,
		Secure:     s.tls != nil,
		Now:        s.now,
		Rand:       s.rand,
		Logger:     s.log.With(LogKeyComponent, "console"),
	})
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	return c, nil
}
