package ship

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/record"
)

// The server's API, as the shipper uses it.
const (
	AuditPath  = "/v1/audit"
	PolicyPath = "/v1/policy"
	// HeaderDrops carries State.Drops, the events of this spool that
	// rotation deleted before they were shipped, with every audit batch: a
	// running total, so the server keeps the latest value it saw.
	HeaderDrops = "X-Warden-Spool-Drops"
	// HeaderPolicySHA256 is the hex SHA-256 of the policy the server
	// served.
	HeaderPolicySHA256 = "X-Warden-Policy-Sha256"
	// ContentTypeNDJSON is the media type of an audit batch.
	ContentTypeNDJSON = "application/x-ndjson"
)

// MaxRequestBytes is the server's limit on one audit request.
const MaxRequestBytes = 8 << 20

// AuditResult is the server's answer to an audit batch.
type AuditResult struct {
	Accepted   int64 `json:"accepted"`
	Duplicates int64 `json:"duplicates"`
	Rejected   int64 `json:"rejected"`
}

// StatusError is an unexpected HTTP status from the server.
type StatusError struct {
	Method, URL string
	Code        int
	Body        string // the start of the body, on one line
	// RetryAfter is the server's Retry-After, when it gave one.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Code, http.StatusText(e.Code))
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// client talks to one Warden server.
type client struct {
	http    *http.Client
	server  string // normalised base URL
	token   string
	gzipMin int
	agent   string
}

func (c *client) newRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.server+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", c.agent)
	return req, nil
}

// postAudit sends one batch of spool lines.
func (c *client) postAudit(ctx context.Context, body []byte, drops int64) (*AuditResult, error) {
	encoding := ""
	if c.gzipMin >= 0 && len(body) >= c.gzipMin {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(body)
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("compress audit batch: %w", err)
		}
		body, encoding = buf.Bytes(), "gzip"
	}
	req, err := c.newRequest(ctx, http.MethodPost, AuditPath, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", ContentTypeNDJSON)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	req.Header.Set(HeaderDrops, strconv.FormatInt(drops, 10))
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(req, resp)
	}
	// A 200 that is not the server's answer (a proxy's page, say) must not
	// advance the offset.
	var res AuditResult
	var raw map[string]json.RawMessage
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("read answer of POST %s: %w", req.URL, err)
	}
	if err := json.Unmarshal(data, &raw); err != nil || raw["accepted"] == nil {
		return nil, fmt.Errorf("POST %s: 200 without an audit result: %q", req.URL, snippet(data))
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("POST %s: decode audit result: %w", req.URL, err)
	}
	return &res, nil
}

// QuarantinesPath is the server's list of active quarantines (GET).
const QuarantinesPath = "/v1/quarantines"

// maxQuarantineList bounds the list read from the server.
const maxQuarantineList = clientstate.MaxQuarantineCacheBytes

// errNoQuarantines is fetchQuarantines' answer to a 404: a server that
// lists no quarantines (older than the list).
var errNoQuarantines = errors.New("server lists no quarantines")

// fetchQuarantines GETs the server's list of active quarantines.
func (c *client) fetchQuarantines(ctx context.Context) (*record.QuarantineListV1, error) {
	data, url, err := c.getList(ctx, QuarantinesPath, "quarantine list", maxQuarantineList, errNoQuarantines)
	if err != nil {
		return nil, err
	}
	var list record.QuarantineListV1
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("GET %s: decode quarantine list: %w (%q)", url, err, snippet(data))
	}
	return &list, nil
}

// getList GETs a list the server publishes for hooks (quarantines,
// pauses), at most limit bytes; a 404 (a server older than the list)
// answers notServed. It returns the body and the URL it came from.
func (c *client) getList(ctx context.Context, path, what string, limit int, notServed error) ([]byte, string, error) {
	req, err := c.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, "", notServed
	default:
		return nil, "", statusError(req, resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return nil, "", fmt.Errorf("read %s from %s: %w", what, req.URL, err)
	}
	if len(data) > limit {
		return nil, "", fmt.Errorf("%s from %s is larger than %d bytes", what, req.URL, limit)
	}
	return data, req.URL.String(), nil
}

// PausesPath is the server's signed list of pauses in force (GET).
const PausesPath = "/v1/pauses"

// errNoPauses is fetchPauses' answer to a 404: a server that serves no
// pause list (older than pauses).
var errNoPauses = errors.New("server serves no pause list")

// fetchPauses GETs the server's signed pause list, as bytes: the cache
// keeps exactly what was signed.
func (c *client) fetchPauses(ctx context.Context) ([]byte, error) {
	data, _, err := c.getList(ctx, PausesPath, "pause list", record.MaxSignedPauseBytes, errNoPauses)
	return data, err
}

// errNotModified is fetchPolicy's answer to a 304.
var errNotModified = errors.New("policy not modified")

// fetchedPolicy is a policy document with the digest and entity tag the
// server sent with it.
type fetchedPolicy struct {
	doc    []byte
	etag   string
	sha256 string
}

// fetchPolicy GETs the server's policy, conditionally on etag.
func (c *client) fetchPolicy(ctx context.Context, etag string) (*fetchedPolicy, error) {
	req, err := c.newRequest(ctx, http.MethodGet, PolicyPath, nil)
	if err != nil {
		return nil, err
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return nil, errNotModified
	case http.StatusOK:
	default:
		return nil, statusError(req, resp)
	}
	doc, err := io.ReadAll(io.LimitReader(resp.Body, policy.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read policy from %s: %w", req.URL, err)
	}
	if len(doc) > policy.MaxFileSize {
		return nil, fmt.Errorf("policy from %s is larger than %d bytes", req.URL, policy.MaxFileSize)
	}
	fp := &fetchedPolicy{doc: doc, etag: resp.Header.Get("ETag"), sha256: strings.TrimSpace(resp.Header.Get(HeaderPolicySHA256))}
	tag := etagValue(fp.etag)
	switch {
	case fp.sha256 == "" && tag == "":
		return nil, fmt.Errorf("policy from %s has neither %s nor ETag to check it against", req.URL, HeaderPolicySHA256)
	case fp.sha256 == "":
		fp.sha256 = tag
	case tag != "" && !strings.EqualFold(tag, fp.sha256):
		return nil, fmt.Errorf("%w: policy from %s has ETag %s but %s %s", clientstate.ErrPolicyDigest, req.URL, fp.etag, HeaderPolicySHA256, fp.sha256)
	}
	return fp, nil
}

// etagValue returns the opaque part of an entity tag: without W/ and
// quotes.
func etagValue(etag string) string {
	etag = strings.TrimPrefix(strings.TrimSpace(etag), "W/")
	return strings.Trim(etag, `"`)
}

func statusError(req *http.Request, resp *http.Response) *StatusError {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	e := &StatusError{Method: req.Method, URL: req.URL.String(), Code: resp.StatusCode, Body: snippet(data)}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			e.RetryAfter = time.Duration(n) * time.Second
		} else if t, err := http.ParseTime(s); err == nil {
			e.RetryAfter = time.Until(t)
		}
	}
	return e
}

// snippet is the start of a body on one line, for messages.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
