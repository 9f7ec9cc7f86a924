// Package ship delivers the hook's audit spool to a Warden server and keeps
// the hook's copy of the server's policy fresh, outside the decision path.
//
// `warden hook` never waits on the network. After answering, it calls Start,
// which takes the spool's lock file without waiting (flock) and, when it got
// it, starts `warden spool ship` as a detached process (own session,
// stdin/stdout/stderr on /dev/null, not waited for) that inherits the locked
// descriptor. While a shipper holds the lock, hooks start none; the kernel
// drops the lock when the shipper exits, however it exits, so a lock is
// never stale.
//
// The Shipper reads the spool from offsets persisted in a state file beside
// it, POSTs batches of lines to /v1/audit and advances an offset only after
// a 200, so delivery is at least once (the server deduplicates by
// event_id). It follows the spool's rotation by file identity (device,
// inode and a digest of the first line), ships the rotated file before the
// current one, counts events rotation deleted before they were shipped as
// drops, backs off exponentially on failure, refreshes the policy cache
// (clientstate.PolicyCache) with a conditional GET of /v1/policy, and exits
// once it has caught up and no new event arrived for a short while.
//
// Boundaries: ship speaks HTTP and files; it imports clientstate for the
// spool and policy-cache formats and policy (through clientstate) for
// validation, never the hook protocol, engine, store or server packages.
package ship
