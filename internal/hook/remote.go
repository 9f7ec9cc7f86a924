package hook

import (
	"crypto/rand"
	"io"
	"time"

	"github.com/wardenhq/warden/internal/hookproto"
	"github.com/wardenhq/warden/internal/record"
)

// RemoteOptions describe a decision made on behalf of another machine: a
// central service answering Claude Code's "http" hooks, which receive the
// same JSON as command hooks but run nowhere near the files the call is
// about.
type RemoteOptions struct {
	// Now is the clock (time.Now when nil); the decision is stamped with
	// its first reading.
	Now func() time.Time
	// Rand is the source of event IDs (crypto/rand when nil).
	Rand io.Reader
	// Home is the client's home directory, for ~ in paths; when empty it
	// is read from the input's transcript_path (HomeFromTranscript).
	Home string
	// User and Host identify the client as far as the service knows it;
	// they are recorded as given, possibly empty.
	User, Host string
}

// env is the hookproto.Env of a remote decision: the client's identity as
// given, no repository, and every failure a deny.
func (o RemoteOptions) env(in *hookproto.Input) hookproto.Env {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	rnd := o.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	home := o.Home
	if home == "" && in != nil {
		home = hookproto.HomeFromTranscript(in.TranscriptPath)
	}
	return hookproto.Env{Start: now(), Now: now, Rand: rnd, Home: home, User: o.User, Host: o.Host, Fail: hookproto.FailDeny}
}

// DecideRemote is hookproto.Respond for a client on another machine: no
// repository is known (the Decider should be built on engine.NoFS) and a
// panic in dec becomes FailRemote's deny.
func DecideRemote(in *hookproto.Input, dec hookproto.Decider, meta hookproto.Meta, opts RemoteOptions) (answer []byte, events []record.AuditEventV1) {
	var resp hookproto.Response
	if p := catch(func() { resp = hookproto.Respond(in, hookproto.Policy{Decider: dec, Meta: meta}, opts.env(in)) }); p != nil {
		ans, ev := FailRemote(in, meta, record.FailurePanic,
			"Warden: internal error while checking this call, so it was blocked ("+oneLine(p.Error())+")", opts)
		return ans, []record.AuditEventV1{ev}
	}
	return resp.Answer, resp.Events
}

// FailRemote is the answer and audit event for an input a remote decision
// could not be made for: always a deny (hookproto.FailDeny). in may be nil
// when the input did not decode at all.
func FailRemote(in *hookproto.Input, meta hookproto.Meta, failure, reason string, opts RemoteOptions) (answer []byte, ev record.AuditEventV1) {
	resp := hookproto.Fail(in, meta, failure, reason, opts.env(in))
	return resp.Answer, resp.Events[0]
}
