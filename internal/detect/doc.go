// Package detect is Warden's detection layer: rules, written as YAML files,
// that watch the events of Claude Code sessions (record.Event: hook audit
// decisions and Claude Code's OpenTelemetry records, plus the evidence
// conflicts a run record finds) and raise alerts.
//
// A rule is one of four kinds: match (a CEL condition over one typed
// event), sequence (ordered steps within a time span, grouped by session,
// user, device or repository, with values bound in one step required in a
// later one), threshold (a count, distinct count or sum of matching events
// per group within a window) and absence (an expected event that did not
// come within a window of a trigger, such as a tool Claude Code ran with
// no Warden decision for it). A rule names its response (quarantine the
// session, notify) and may carry suppressions with an owner and an expiry.
// Every rule file carries its own tests: events in, expected alerts out.
//
// Evaluation is a pure function of the events and a watermark: it reads
// event time, never the wall clock, so the same events always give the
// same alerts, offline in `warden rules test` as in the server. Each alert
// has a fingerprint (its rule and the events that matched), which is what
// lets a store record a firing exactly once however often, and on however
// many replicas, a session is evaluated.
//
// The package speaks record types and CEL. It knows nothing of HTTP,
// storage or the policy engine, and the hook-only binary must not link it
// (it links cel-go).
package detect
