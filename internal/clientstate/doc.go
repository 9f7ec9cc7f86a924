// Package clientstate owns the files Warden keeps on a developer's machine
// and the environment variables that point at them: the audit spool the
// hook appends to and the shipper reads, the server's policy as the
// shipper caches it and the hook loads it, the client configuration, the
// device identity warden enroll gives the machine (its Ed25519 key, device
// file and signing chain head, with which the hook signs and chains its
// audit: SigningSpool), and the per-user state directory holding them.
//
// The hook (internal/hookcmd), the shipper (internal/ship) and the command
// line share these formats through this package alone, so none of them
// needs another's code to read what the other wrote. It is linked into
// warden-hook, so nothing here does work at package init.
package clientstate
