// Package hook is Warden's side of Claude Code's command-hook protocol: it
// decodes the JSON a hook receives on stdin, turns a tool call into an
// engine.Action, asks a Decider, answers on stdout in the shape each event
// expects, and appends one record.AuditEventV1 per call to a Sink (the
// local spool, internal/clientstate).
//
// The real client lets a tool run whenever a hook crashes, exits 1, prints
// something that is not JSON or times out, so Run fails closed on its own:
// every error, panic and overrun becomes a deny answer (or exit 2) with a
// reason that says what to fix, unless fail-open is configured.
//
// Boundaries: hook imports engine, policy and record, never store, server or
// network packages; it reads git metadata from .git files directly and never
// starts a process. Policy loading is injected (Config.Load) so the CLI owns
// flags and files. A hook process runs once per tool call, so nothing here
// does work at package init.
package hook
