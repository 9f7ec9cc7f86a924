package membudget

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits bound a request body.
type Limits struct {
	// MaxBody bounds the body as received; MaxDecoded after gzip.
	MaxBody, MaxDecoded int64
	// Overhead is how many bytes the caller will allocate per byte of the
	// uncompressed body to decode it, reserved with the body, so that a
	// request never waits for room while it holds part of the budget.
	Overhead int64
}

// LimitError is a body over one of its Limits.
type LimitError struct {
	What  string // "body" or "decompressed body"
	Limit int64
}

func (e *LimitError) Error() string { return fmt.Sprintf("%s larger than %d bytes", e.What, e.Limit) }

// EncodingError is a Content-Encoding ReadBody does not undo.
type EncodingError struct{ Encoding string }

func (e *EncodingError) Error() string {
	enc := e.Encoding
	if len(enc) > 32 {
		enc = enc[:32] + "…"
	}
	return fmt.Sprintf("unsupported content encoding %q, use gzip or none", enc)
}

// Errors of a body that cannot be read; test with errors.Is.
var (
	ErrUnreadable    = errors.New("unreadable body")
	ErrMalformedGzip = errors.New("malformed gzip body")
)

// errOver is readAll's answer to a stream longer than its limit.
var errOver = errors.New("over the limit")

// minGzip is the size of the smallest gzip stream: a 10-byte header and an
// 8-byte trailer.
const minGzip = 18

// ReadBody reads a request body, undoing Content-Encoding encoding ("",
// "identity" or "gzip"), within lim, and reserves from res every byte it
// holds before it allocates it:
//
//   - the body as received, contentLength bytes when known (-1 if not),
//     waiting for room;
//   - for gzip, the decompressed size the stream's trailer declares
//     (ISIZE, which an honest stream of at most 4 GiB states exactly),
//     capped at MaxDecoded, also waiting for room; a stream that inflates
//     to more than it declared reserves the rest without waiting (ErrBusy
//     when there is none). The compressed bytes are given back once
//     inflated.
//
// It returns the uncompressed body, or a *LimitError, an *EncodingError,
// ErrUnreadable, ErrMalformedGzip, ErrBusy or ErrOverBudget. The caller
// releases res when it no longer holds the body.
func ReadBody(ctx context.Context, body io.Reader, contentLength int64, encoding string, lim Limits, res *Reservation) ([]byte, error) {
	enc := strings.ToLower(strings.TrimSpace(encoding))
	if enc != "" && enc != "identity" && enc != "gzip" {
		return nil, &EncodingError{Encoding: enc}
	}
	if contentLength > lim.MaxBody {
		return nil, &LimitError{What: "body", Limit: lim.MaxBody}
	}
	hint := contentLength
	if hint < 0 {
		hint = 64 << 10
	}
	per := int64(1) // reserved per byte read
	if enc != "gzip" {
		per += max(lim.Overhead, 0)
	}
	raw, err := readAll(ctx, body, hint, lim.MaxBody, res, per)
	switch {
	case errors.Is(err, errOver):
		return nil, &LimitError{What: "body", Limit: lim.MaxBody}
	case errors.Is(err, ErrBusy), errors.Is(err, ErrOverBudget):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	if enc != "gzip" {
		return raw, nil
	}
	declared := int64(0)
	if len(raw) >= minGzip {
		declared = int64(binary.LittleEndian.Uint32(raw[len(raw)-4:]))
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedGzip, err)
	}
	data, err := readAll(ctx, zr, min(declared, lim.MaxDecoded+1), lim.MaxDecoded, res, 1+max(lim.Overhead, 0))
	res.Shrink(int64(cap(raw)))
	switch {
	case errors.Is(err, errOver):
		return nil, &LimitError{What: "decompressed body", Limit: lim.MaxDecoded}
	case errors.Is(err, ErrBusy), errors.Is(err, ErrOverBudget):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrMalformedGzip, err)
	}
	return data, nil
}

// readAll reads r to its end into one buffer of hint bytes, reserving per
// bytes from res for each (waiting for room) before it is allocated; a
// longer stream grows the buffer, reserving for what it adds without
// waiting. It fails with errOver past limit bytes.
func readAll(ctx context.Context, r io.Reader, hint, limit int64, res *Reservation, per int64) ([]byte, error) {
	size := min(max(hint, 512), limit+1)
	if err := res.Grow(ctx, per*size); err != nil {
		return nil, err
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			// Full: is there more? Probe before reserving for it.
			var one [1]byte
			n, err := io.ReadFull(r, one[:])
			if n == 0 {
				if errors.Is(err, io.EOF) {
					return checkLimit(buf, limit)
				}
				return nil, err
			}
			if int64(len(buf)) >= limit {
				return nil, errOver
			}
			grown := min(2*int64(cap(buf)), limit+1)
			if err := res.TryGrow(per * (grown - int64(cap(buf)))); err != nil {
				return nil, err
			}
			nb := make([]byte, len(buf), grown)
			copy(nb, buf)
			buf = append(nb, one[0])
			continue
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return checkLimit(buf, limit)
		}
		if err != nil {
			return nil, err
		}
	}
}

func checkLimit(buf []byte, limit int64) ([]byte, error) {
	if int64(len(buf)) > limit {
		return nil, errOver
	}
	return buf, nil
}
