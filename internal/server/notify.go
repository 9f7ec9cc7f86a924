package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/record"
)

// Webhook delivery.
const (
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA256, keyed by
	// the webhook secret, of HeaderTimestamp's value, a ".", and the body.
	HeaderSignature = "X-Warden-Signature"
	// HeaderTimestamp is the delivery's Unix time in seconds; a receiver
	// should refuse old ones (replays).
	HeaderTimestamp = "X-Warden-Timestamp"
	// notifyQueue bounds alerts waiting for delivery; beyond it the
	// newest are dropped (and counted), never waited for.
	notifyQueue = 1000
	// notifyAttempts is how many times one delivery is tried.
	notifyAttempts = 6
	notifyTimeout  = 10 * time.Second
)

// WebhookPayload is the JSON body of an alert notification: Text for
// Slack-compatible receivers (incoming webhooks render it), the alert for
// the rest (a SIEM, a ticketing bridge).
type WebhookPayload struct {
	Text  string       `json:"text"`
	Alert record.Alert `json:"alert"`
}

// notifier delivers alerts to one destination (a webhook, an OTLP
// collector) in the background: an enqueue never blocks, a failed delivery
// is retried with exponential backoff.
type notifier struct {
	action  string // the responses metric's action label: notify, otlp
	send    func(ctx context.Context, a record.Alert) error
	log     *slog.Logger
	m       *detectMetrics
	backoff time.Duration // first retry delay; doubles each attempt
	queue   chan record.Alert
}

func newNotifier(action string, send func(context.Context, record.Alert) error, log *slog.Logger, m *detectMetrics) *notifier {
	return &notifier{action: action, send: send, log: log, m: m, backoff: time.Second, queue: make(chan record.Alert, notifyQueue)}
}

// webhookSender posts alerts to url as WebhookPayload, signed with secret.
func webhookSender(url string, secret []byte, now func() time.Time) func(context.Context, record.Alert) error {
	client := &http.Client{Timeout: notifyTimeout}
	return func(ctx context.Context, a record.Alert) error {
		body, err := json.Marshal(WebhookPayload{Text: alertText(a), Alert: a})
		if err != nil {
			return err
		}
		ts := strconv.FormatInt(now().Unix(), 10)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(HeaderTimestamp, ts)
		if len(secret) > 0 {
			req.Header.Set(HeaderSignature, Sign(secret, ts, body))
		}
		return do(client, req)
	}
}

func do(client *http.Client, req *http.Request) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}

// enqueue queues an alert for delivery, or drops it when the queue is
// full. A nil notifier (none configured) does nothing.
func (n *notifier) enqueue(a record.Alert) {
	if n == nil {
		return
	}
	select {
	case n.queue <- a:
	default:
		n.m.responses.WithLabelValues(n.action, "dropped").Inc()
		n.log.Warn("alert delivery dropped: queue full", "action", n.action, "alert", a.ID)
	}
}

// run delivers queued alerts until ctx ends.
func (n *notifier) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-n.queue:
			n.deliver(ctx, a)
		}
	}
}

func (n *notifier) deliver(ctx context.Context, a record.Alert) {
	delay := n.backoff
	for attempt := 1; attempt <= notifyAttempts; attempt++ {
		err := n.send(ctx, a)
		if err == nil {
			n.m.responses.WithLabelValues(n.action, "ok").Inc()
			return
		}
		n.log.Warn("alert delivery failed", "action", n.action, "alert", a.ID, "attempt", attempt, LogKeyError, err)
		if attempt == notifyAttempts {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay *= 2
	}
	n.m.responses.WithLabelValues(n.action, "error").Inc()
}

// alertText is the alert as one line of text for chat. Group, rule and
// title come from rules and agent-reachable data: they are quoted, never
// interpreted as markup by us (Slack renders text; <, > and & are escaped
// as its docs ask).
func alertText(a record.Alert) string {
	s := fmt.Sprintf("[%s] Warden alert %s: %s (rule %s, %s %s, %d firing(s))",
		a.Severity, a.ID, a.Title, a.Rule, a.GroupBy, strconv.Quote(a.Group), a.Count)
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Sign returns the signature header value of body sent at ts.
func Sign(secret []byte, ts string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// jsonlExport appends each new alert as one JSON line to a file, for a
// SIEM's file collector (Splunk, Sentinel, Elastic agents tail it).
type jsonlExport struct {
	mu  sync.Mutex
	f   *os.File
	log *slog.Logger
	m   *detectMetrics
}

func openJSONLExport(path string, log *slog.Logger, m *detectMetrics) (*jsonlExport, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open alert export %s: %w", path, err)
	}
	return &jsonlExport{f: f, log: log, m: m}, nil
}

func (e *jsonlExport) write(a record.Alert) {
	if e == nil {
		return
	}
	b, err := json.Marshal(a)
	if err == nil {
		e.mu.Lock()
		_, err = e.f.Write(append(b, '\n'))
		e.mu.Unlock()
	}
	if err != nil {
		e.m.responses.WithLabelValues("export", "error").Inc()
		e.log.Error("alert export failed", "alert", a.ID, LogKeyError, err)
		return
	}
	e.m.responses.WithLabelValues("export", "ok").Inc()
}

func (e *jsonlExport) close() error {
	if e == nil {
		return nil
	}
	return e.f.Close()
}
