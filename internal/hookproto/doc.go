// Package hookproto is Claude Code's hook protocol and Warden's decision
// for one hook call, with no input or output of its own: Decode reads the
// JSON a hook receives, Respond turns it, a policy and an Env into the
// answer in the shape each event expects and the record.AuditEventV1 events
// of the call, and Fail does the same for a call Warden could not decide.
//
// Every path that decides calls Respond: `warden hook` and warden-hook
// through internal/hook, which adds stdin and stdout, the watchdog, the
// git metadata read from .git files, the local identity and the spool; and
// the central service's POST /v1/hooks/claude-code (internal/server), which
// knows the client only from the input. Everything Respond knows besides
// the input and the policy is in Env, which the caller fills: hookproto
// reads no clock, environment variable, file or process identity, so a
// service cannot record its own account as the client's.
//
// Boundaries: hookproto imports engine, policy and record, and no package
// that reaches the operating system (os, os/exec, net); internal/archtest
// holds it to that. It is linked into warden-hook, so nothing here does
// work at package init.
package hookproto
