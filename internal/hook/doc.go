// Package hook runs Warden's Claude Code command hook as a process: it
// reads the JSON a hook receives on stdin, loads the policy (Config.Load),
// reads the git metadata around the call's cwd and the local identity,
// asks hookproto.Respond for the answer and the audit events, writes the
// answer on stdout and appends the events to a Sink (the local spool,
// internal/clientstate).
//
// The real client lets a tool run whenever a hook crashes, exits 1, prints
// something that is not JSON or times out, so Run fails closed on its own:
// every error, panic and overrun becomes a deny answer (or exit 2) with a
// reason that says what to fix, unless fail-open is configured. The
// watchdog that answers when no decision is ready in time lives here too.
//
// Boundaries: hook imports engine, hookproto and record, never store,
// server or network packages; it reads git metadata from .git files
// directly and never starts a process. Policy loading is injected
// (Config.Load) so the command owns flags and files. A hook process runs
// once per tool call, so nothing here does work at package init.
package hook
