package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

// Tokens are TokenPrefix followed by TokenBytes random bytes in unpadded
// base64url: "wdn_" and 43 characters.
const (
	TokenPrefix = "wdn_"
	TokenBytes  = 32
)

// tokenLen is the length of a token: the prefix and unpadded base64.
const tokenLen = len(TokenPrefix) + (TokenBytes*8+5)/6

// DeviceCredentialPrefix starts a device credential (the secret an
// enrolled device's shipper sends), which has a token's shape otherwise.
const DeviceCredentialPrefix = "wdd_"

// NewDeviceCredential returns a new device credential read from rnd and
// the hash the server keeps of it (HashToken).
func NewDeviceCredential(rnd io.Reader) (secret, hash string, err error) {
	var b [TokenBytes]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", "", fmt.Errorf("new device credential: %w", err)
	}
	secret = DeviceCredentialPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashToken(secret), nil
}

// NewToken returns a new secret token read from rnd and the record to
// store for it (ID, hash, scopes, creation time; never the secret). The
// secret is shown once; the server keeps only its SHA-256.
func NewToken(rnd io.Reader, name string, scopes []string, now time.Time) (secret string, t record.Token, err error) {
	var b [TokenBytes]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", t, fmt.Errorf("new token: %w", err)
	}
	var id [6]byte
	if _, err := io.ReadFull(rnd, id[:]); err != nil {
		return "", t, fmt.Errorf("new token: %w", err)
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	t = record.Token{
		ID:        "tok_" + hex.EncodeToString(id[:]),
		Name:      name,
		Hash:      HashToken(secret),
		Scopes:    slices.Compact(slices.Sorted(slices.Values(scopes))),
		CreatedAt: now.UTC(),
	}
	if err := store.ValidateToken(&t); err != nil {
		return "", record.Token{}, err
	}
	return secret, t, nil
}

// HashToken is how a token is stored and looked up: hex SHA-256 of the
// secret. Tokens are 256 random bits, so a fast hash suffices.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// wellFormed reports whether s has a token's shape, so garbage is refused
// without a store lookup.
// A device credential has the same shape with its own prefix.
func wellFormed(s string) bool {
	if len(s) != tokenLen || !strings.HasPrefix(s, TokenPrefix) && !strings.HasPrefix(s, DeviceCredentialPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s[len(TokenPrefix):])
	return err == nil
}

// deviceToken is how an enrolled device's credential authenticates: as a
// token of scope ingest that names the device, so its audit posts are
// checked against its key. A revoked device's credential is not found.
func deviceToken(d *record.Device) *record.Token {
	return &record.Token{ID: d.ID, Name: d.Name, Hash: d.CredentialHash, Scopes: []string{record.ScopeIngest},
		CreatedAt: d.EnrolledAt, DeviceID: d.ID}
}

// bearer extracts the token of an Authorization header value
// ("Bearer <token>", scheme case-insensitive).
func bearer(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// tokenCacheTTL bounds how long a token found in the store is trusted
// without asking again: a revocation takes effect within it on every
// replica.
const tokenCacheTTL = 10 * time.Second

// tokenCacheMax bounds the cache; past it the cache starts over.
const tokenCacheMax = 10_000

// authenticator looks tokens up by hash, with a short positive cache so
// that a stream of hook calls does not cost a store read each, and limits
// failed attempts per source address (failLimiter).
type authenticator struct {
	store store.Store
	now   func() time.Time
	fails *failLimiter

	mu    sync.Mutex
	cache map[string]cachedToken
	// good holds the hashes of tokens accepted in the last goodTTL: a
	// request carrying one is never throttled, so a client behind the same
	// address as a misconfigured or hostile one keeps working.
	good map[string]time.Time
}

// goodTTL is how long an accepted token exempts its requests from the
// failure limit.
const goodTTL = 10 * time.Minute

type cachedToken struct {
	token   *record.Token
	expires time.Time
}

func newAuthenticator(s store.Store, now func() time.Time) *authenticator {
	return &authenticator{store: s, now: now, fails: newFailLimiter(now),
		cache: map[string]cachedToken{}, good: map[string]time.Time{}}
}

// authenticate returns the live token an Authorization header from
// source address addr carries, or an *Error: unauthorized for a missing,
// malformed, unknown or revoked token, too_many_requests when addr has
// failed too often (and the token is not one accepted lately), unavailable
// when the store cannot say. Only a failure of the token itself counts
// against addr.
func (a *authenticator) authenticate(ctx context.Context, addr, header string) (*record.Token, error) {
	secret, ok := bearer(header)
	if !ok || !wellFormed(secret) {
		if err := a.fails.check(addr); err != nil {
			return nil, err
		}
		a.fails.fail(addr)
		if header == "" {
			return nil, Errorf(EUnauthorized, "missing bearer token (Authorization: Bearer wdn_...)")
		}
		return nil, Errorf(EUnauthorized, "malformed bearer token")
	}
	hash := HashToken(secret)
	now := a.now()
	a.mu.Lock()
	c, cached := a.cache[hash]
	goodUntil, good := a.good[hash]
	a.mu.Unlock()
	if cached && now.Before(c.expires) {
		return c.token, nil
	}
	if !good || !now.Before(goodUntil) {
		// Throttled before the store is asked: a flood of made-up tokens
		// costs a map lookup each, not a query.
		if err := a.fails.check(addr); err != nil {
			return nil, err
		}
	}
	var t *record.Token
	var err error
	if strings.HasPrefix(secret, DeviceCredentialPrefix) {
		var d *record.Device
		if d, err = a.store.DeviceByCredential(ctx, hash); err == nil {
			t = deviceToken(d)
		}
	} else {
		t, err = a.store.TokenByHash(ctx, hash)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.fails.fail(addr)
		return nil, Errorf(EUnauthorized, "unknown or revoked token")
	case err != nil:
		return nil, &Error{Code: EUnavailable, Message: "cannot check the token now, retry later", Cause: err}
	}
	// The store matched on the hash; compare again in constant time so a
	// store that matched loosely (collation, prefix) cannot let a token in.
	if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) != 1 || t.Revoked() {
		a.fails.fail(addr)
		return nil, Errorf(EUnauthorized, "unknown or revoked token")
	}
	a.mu.Lock()
	if len(a.cache) >= tokenCacheMax {
		clear(a.cache)
	}
	if len(a.good) >= tokenCacheMax {
		clear(a.good)
	}
	a.cache[hash] = cachedToken{token: t, expires: now.Add(tokenCacheTTL)}
	a.good[hash] = now.Add(goodTTL)
	a.mu.Unlock()
	return t, nil
}

// forget drops a token or credential hash from the cache, so that a
// revocation on this replica takes effect at once (other replicas within
// tokenCacheTTL).
func (a *authenticator) forget(hash string) {
	a.mu.Lock()
	delete(a.cache, hash)
	delete(a.good, hash)
	a.mu.Unlock()
}

// Defaults of a failLimiter: a burst of failBurst failed attempts per
// source address, then one per failEvery (5 a second, where an attacker
// was accepted about 2,700 times a second).
const (
	failBurst = 50
	failEvery = 200 * time.Millisecond
	// failAddrsMax bounds the addresses tracked; past it the fully
	// recovered ones are forgotten, or all of them.
	failAddrsMax = 10_000
)

// failLimiter is a token bucket of failed authentications per source
// address (an IPv6 address counts by its /64, which one host usually has
// whole).
type failLimiter struct {
	now func() time.Time

	mu sync.Mutex
	m  map[string]*failBucket
}

type failBucket struct {
	tokens float64
	last   time.Time
}

func newFailLimiter(now func() time.Time) *failLimiter {
	return &failLimiter{now: now, m: map[string]*failBucket{}}
}

// addrKey is the limiter's key of a remote address (host:port or host).
func addrKey(addr string) string {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// refill brings b up to now; l.mu is held.
func (l *failLimiter) refill(b *failBucket, now time.Time) {
	if now.After(b.last) {
		b.tokens = min(failBurst, b.tokens+float64(now.Sub(b.last))/float64(failEvery))
		b.last = now
	}
}

// check returns a too_many_requests *Error when addr has no failed
// attempt left, saying when to retry.
func (l *failLimiter) check(addr string) error {
	key := addrKey(addr)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.m[key]
	if !ok {
		return nil
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		return nil
	}
	wait := time.Duration((1 - b.tokens) * float64(failEvery))
	return &Error{Code: ETooManyRequests, RetryAfter: wait,
		Message: "too many failed authentications from this address; retry later"}
}

// fail counts a failed attempt from addr.
func (l *failLimiter) fail(addr string) {
	key := addrKey(addr)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.m[key]
	if !ok {
		if len(l.m) >= failAddrsMax {
			for k, x := range l.m {
				if l.refill(x, now); x.tokens >= failBurst {
					delete(l.m, k)
				}
			}
			if len(l.m) >= failAddrsMax {
				clear(l.m)
			}
		}
		b = &failBucket{tokens: failBurst, last: now}
		l.m[key] = b
	}
	l.refill(b, now)
	b.tokens = max(b.tokens-1, 0)
}

// allows reports whether t grants one of scopes; admin grants all.
func allows(t *record.Token, scopes []string) bool {
	if t.HasScope(record.ScopeAdmin) {
		return true
	}
	return slices.ContainsFunc(scopes, t.HasScope)
}

// authorize checks the token a request from source address addr carries
// against scopes (any one suffices) and returns it, or an *Error
// (unauthorized, forbidden, too_many_requests, unavailable).
func (s *Server) authorize(ctx context.Context, addr, header string, scopes []string) (*record.Token, error) {
	t, err := s.auth.authenticate(ctx, addr, header)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			if e.Code == ETooManyRequests {
				s.metrics.authThrottled.Inc()
			} else {
				s.metrics.authFailures.WithLabelValues(e.Code).Inc()
			}
		}
		return nil, err
	}
	if !allows(t, scopes) {
		s.metrics.authFailures.WithLabelValues(EForbidden).Inc()
		return nil, Errorf(EForbidden, "token %s lacks scope %s", t.ID, strings.Join(scopes, " or "))
	}
	return t, nil
}

// requireScope wraps a handler so that it runs only for a token with one
// of scopes, which it finds in the request context (tokenFrom).
func (s *Server) requireScope(route string, scopes []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := s.authorize(r.Context(), r.RemoteAddr, r.Header.Get("Authorization"), scopes)
		if err != nil {
			e := apiError(err)
			if e.Code == EUnavailable {
				s.log.Error("token check failed", LogKeyRequestID, requestID(r.Context()), LogKeyRoute, route, LogKeyError, err)
			}
			writeError(w, r, e)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyToken, t)))
	})
}

func tokenFrom(ctx context.Context) *record.Token {
	t, _ := ctx.Value(keyToken).(*record.Token)
	return t
}
