package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/wardenhq/warden/internal/store"
)

// The pieces of a list page's query shared by the alert queue and the
// session list: the 400 page of a filter that does not parse, the check
// for unknown keys, the page size and the links between pages.

// badFilter is the error page of a list query that does not parse.
func badFilter(detail string) error {
	return &pageError{status: http.StatusBadRequest, title: "Invalid filter", detail: detail}
}

// checkFilterKeys rejects a query key that is not one of known, quoting it
// (cut and made visible: it is whatever the requester sent).
func checkFilterKeys(q url.Values, known []string) error {
	for k := range q {
		if !slices.Contains(known, k) {
			return badFilter("Unknown filter " + strconv.Quote(Visible(truncate(k, 64))) + "; use the form.")
		}
	}
	return nil
}

// parseLimit reads the query's page size: def when absent, else a number
// from 1 to store.MaxLimit.
func parseLimit(q url.Values, def int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > store.MaxLimit {
		return def, badFilter("limit is a number from 1 to " + strconv.Itoa(store.MaxLimit) + ".")
	}
	return n, nil
}

// pageLinks makes a list page's links at path under the filter query q:
// next is the URL of the page after the store's cursor next ("" on the
// last page), first the URL of the first page ("" when the request, with
// cursor, is on it).
func pageLinks(path string, q url.Values, next, cursor string) (nextURL, first string) {
	if next != "" {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("cursor", next)
		nextURL = path + "?" + nq.Encode()
	}
	if cursor != "" {
		first = path
		if e := q.Encode(); e != "" {
			first += "?" + e
		}
	}
	return nextURL, first
}
