// Package record holds Warden's domain records and their versioned wire
// forms, shared by the hook (which writes them to a local spool) and by the
// server (which will receive, store and query them).
//
// Records are metadata-first: they name who did what where (user, host,
// repository, tool, normalised and redacted command, path, URL, MCP tool) and
// what Warden decided, never file contents, tool responses, prompt text or the
// text of writes and edits. Redact masks secrets in the strings that are kept.
//
// The package does no I/O and imports only the standard library, so every
// layer can depend on it.
package record
