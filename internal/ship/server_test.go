package ship

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const testToken = "wdn_test_token"

// fakeServer is a Warden server's audit and policy endpoints: it checks
// the token, decodes batches (gzip too), deduplicates by event_id as the
// real server does, and answers as told.
type fakeServer struct {
	*httptest.Server

	mu       sync.Mutex
	stored   map[string]int // event_id -> deliveries accepted
	order    []string       // event_ids in first-stored order
	requests []auditRequest
	// audit, when set, answers request i (from 0) instead of a 200; a
	// status of 0 means store the batch and answer 200.
	audit func(i int, w http.ResponseWriter, r *http.Request) (status int)
	// lose, when it returns true for request i, stores the batch and then
	// drops the connection without an answer: a commit whose 200 is lost.
	lose func(i int) bool

	policy       []byte // served at /v1/policy; nil answers 404
	policySHA    string // X-Warden-Policy-Sha256; "" uses the document's
	policyETag   string // ETag; "" uses the quoted digest
	policyGets   int
	policyIfNone []string
}

type auditRequest struct {
	events   []string // event_ids in the body
	encoding string
	drops    string
	status   int
}

func newFakeServer(tb testing.TB) *fakeServer {
	tb.Helper()
	fs := &fakeServer{stored: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/audit", fs.handleAudit)
	mux.HandleFunc("GET /v1/policy", fs.handlePolicy)
	fs.Server = httptest.NewServer(mux)
	tb.Cleanup(fs.Close)
	return fs
}

func (fs *fakeServer) handleAudit(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	if r.Header.Get("Content-Type") != ContentTypeNDJSON {
		http.Error(w, "bad content type", http.StatusUnsupportedMediaType)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	var ids []string
	sc := bufio.NewScanner(body)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var ev struct {
			EventID string `json:"event_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.EventID == "" {
			http.Error(w, "bad line", http.StatusBadRequest)
			return
		}
		ids = append(ids, ev.EventID)
	}
	fs.mu.Lock()
	i := len(fs.requests)
	fs.requests = append(fs.requests, auditRequest{events: ids, encoding: r.Header.Get("Content-Encoding"), drops: r.Header.Get(HeaderDrops)})
	answer := fs.audit
	fs.mu.Unlock()
	status := 0
	if answer != nil {
		status = answer(i, w, r)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.requests[i].status = status
	if status != 0 {
		return // answer wrote the response
	}
	var res AuditResult
	for _, id := range ids {
		if fs.stored[id] == 0 {
			fs.order = append(fs.order, id)
			res.Accepted++
		} else {
			res.Duplicates++
		}
		fs.stored[id]++
	}
	if fs.lose != nil && fs.lose(i) {
		fs.requests[i].status = -1
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	fs.requests[i].status = http.StatusOK
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(res)
}

func (fs *fakeServer) handlePolicy(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.policyGets++
	fs.policyIfNone = append(fs.policyIfNone, r.Header.Get("If-None-Match"))
	if fs.policy == nil {
		http.Error(w, "no policy", http.StatusNotFound)
		return
	}
	sum := sha256.Sum256(fs.policy)
	digest := hex.EncodeToString(sum[:])
	etag := `"` + digest + `"`
	if fs.policyETag != "" {
		etag = fs.policyETag
	}
	sha := digest
	if fs.policySHA != "" {
		sha = fs.policySHA
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set(HeaderPolicySHA256, sha)
	w.Header().Set("Content-Type", "application/yaml")
	w.Write(fs.policy)
}

// storedIDs returns the event_ids stored, in first-stored order.
func (fs *fakeServer) storedIDs() []string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]string(nil), fs.order...)
}

func (fs *fakeServer) auditRequests() []auditRequest {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]auditRequest(nil), fs.requests...)
}

func (fs *fakeServer) setAudit(f func(i int, w http.ResponseWriter, r *http.Request) int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.audit = f
}

// maxDeliveries is the largest number of times one event was stored:
// above 1 means a retry re-sent it (harmless to a deduplicating server).
func (fs *fakeServer) maxDeliveries() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := 0
	for _, c := range fs.stored {
		n = max(n, c)
	}
	return n
}

func (fs *fakeServer) String() string {
	var b bytes.Buffer
	for i, r := range fs.auditRequests() {
		fmt.Fprintf(&b, "request %d: %d events, status %d, encoding %q, drops %q\n", i, len(r.events), r.status, r.encoding, r.drops)
	}
	return strings.TrimSpace(b.String())
}
