package rows

import (
	"encoding/base64"
	"strconv"

	"github.com/wardenhq/warden/internal/store"
)

// AlertCursor encodes ListAlerts' position: the last alert ID returned.
func AlertCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("a" + strconv.FormatInt(id, 10)))
}

// DecodeAlertCursor parses AlertCursor's output; "" is the first page
// (math.MaxInt64).
func DecodeAlertCursor(s string) (int64, error) {
	if s == "" {
		return 1<<63 - 1, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || b[0] != 'a' {
		return 0, store.Errorf(store.EInvalid, "malformed cursor")
	}
	id, err := strconv.ParseInt(string(b[1:]), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.Errorf(store.EInvalid, "malformed cursor")
	}
	return id, nil
}

// AlertID parses an alert ID as the API shows it; a malformed one is not
// found.
func AlertID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, store.Errorf(store.ENotFound, "no alert %q", truncateID(s))
	}
	return id, nil
}

func truncateID(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
