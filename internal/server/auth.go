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
	"net/http"
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
func wellFormed(s string) bool {
	if len(s) != tokenLen || !strings.HasPrefix(s, TokenPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s[len(TokenPrefix):])
	return err == nil
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
// that a stream of hook calls does not cost a store read each.
type authenticator struct {
	store store.Store
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]cachedToken
}

type cachedToken struct {
	token   *record.Token
	expires time.Time
}

func newAuthenticator(s store.Store, now func() time.Time) *authenticator {
	return &authenticator{store: s, now: now, cache: map[string]cachedToken{}}
}

// authenticate returns the live token an Authorization header carries, or
// an *Error: unauthorized for a missing, malformed, unknown or revoked
// token, unavailable when the store cannot say.
func (a *authenticator) authenticate(ctx context.Context, header string) (*record.Token, error) {
	if header == "" {
		return nil, Errorf(EUnauthorized, "missing bearer token (Authorization: Bearer wdn_...)")
	}
	secret, ok := bearer(header)
	if !ok || !wellFormed(secret) {
		return nil, Errorf(EUnauthorized, "malformed bearer token")
	}
	hash := HashToken(secret)
	now := a.now()
	a.mu.Lock()
	c, ok := a.cache[hash]
	a.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.token, nil
	}
	t, err := a.store.TokenByHash(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, Errorf(EUnauthorized, "unknown or revoked token")
	case err != nil:
		return nil, &Error{Code: EUnavailable, Message: "cannot check the token now, retry later", Cause: err}
	}
	// The store matched on the hash; compare again in constant time so a
	// store that matched loosely (collation, prefix) cannot let a token in.
	if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) != 1 || t.Revoked() {
		return nil, Errorf(EUnauthorized, "unknown or revoked token")
	}
	a.mu.Lock()
	if len(a.cache) >= tokenCacheMax {
		clear(a.cache)
	}
	a.cache[hash] = cachedToken{token: t, expires: now.Add(tokenCacheTTL)}
	a.mu.Unlock()
	return t, nil
}

// allows reports whether t grants one of scopes; admin grants all.
func allows(t *record.Token, scopes []string) bool {
	if t.HasScope(record.ScopeAdmin) {
		return true
	}
	return slices.ContainsFunc(scopes, t.HasScope)
}

// authorize checks the request's token against scopes (any one suffices)
// and returns it, or an *Error (unauthorized, forbidden, unavailable).
func (s *Server) authorize(ctx context.Context, header string, scopes []string) (*record.Token, error) {
	t, err := s.auth.authenticate(ctx, header)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			s.metrics.authFailures.WithLabelValues(e.Code).Inc()
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
		t, err := s.authorize(r.Context(), r.Header.Get("Authorization"), scopes)
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
