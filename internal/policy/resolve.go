package policy

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// Defaults the resolved Ruleset fills in where a policy says nothing.
const (
	DefaultUnknownTool = Ask
	DefaultMCPRead     = Allow
	DefaultMCPWrite    = Ask
)

// Failure modes of a tier.
const (
	FailureClosed = "closed"
	FailureOpen   = "open"
)

// Ruleset resolves one tier (tier "" is the policy's default_tier) for the
// engine. Rules merge in this order: the top level, then the inherited tiers
// depth-first in inherits order (each tier once, parents before children),
// then the tier's own rules; later wins:
//
//   - permissions: the deny, ask and allow lists are appended, duplicates dropped;
//   - commands.classes: a later decision for a class replaces the earlier one;
//   - commands.members: appended (a repeated class-only member once);
//   - paths, conditions: a rule with the id of an earlier one replaces it in place;
//   - mcp.servers: a server with the name of an earlier one replaces it in place;
//   - mcp.default, web.default: a later decision other than none replaces it;
//   - web.allow, web.ask, web.deny: appended, lower-cased, duplicates dropped;
//   - failure, unknown_tool, block_config_change, settings keys: inherited
//     unless the tier sets them (defaults: failure closed, unknown_tool ask);
//     settings at the top level apply first.
//
// MCP servers get their defaults (read allow, write ask); their write_words
// add to the engine's verb vocabulary.
// Exceptions are kept when they list no tiers or list this one.
//
// The Ruleset shares slices with the Policy: treat both as read-only.
func (p *Policy) Ruleset(tier string) (*Ruleset, error) {
	if tier == "" {
		tier = p.DefaultTier
	}
	i := p.tierIndex(tier)
	if i < 0 {
		names := make([]string, len(p.Tiers))
		for j, t := range p.Tiers {
			names[j] = t.Name
		}
		return nil, fmt.Errorf("policy %s: unknown tier %q (tiers: %s)", p.Name, tier, strings.Join(names, ", "))
	}
	m := p.merge(i)
	if len(m.errs) > 0 {
		return nil, fmt.Errorf("policy %s tier %s: %w", p.Name, tier, errors.Join(m.errs...))
	}
	return m.rs, nil
}

// TierNames lists the tier names in document order.
func (p *Policy) TierNames() []string {
	names := make([]string, len(p.Tiers))
	for i, t := range p.Tiers {
		names[i] = t.Name
	}
	return names
}

func (p *Policy) tierIndex(name string) int {
	for i, t := range p.Tiers {
		if t.Name == name {
			return i
		}
	}
	return -1
}

// resolve merges leniently (invalid rules skipped) for validation; i < 0
// resolves the top level alone.
func (p *Policy) resolve(i int) *Ruleset { return p.merge(i).rs }

// lineage lists the tiers that make up tier i, parents first, each once.
// Unknown parents and cycles are skipped (Validate reports them).
func (p *Policy) lineage(i int) []int {
	var order []int
	seen := map[int]bool{}
	var visit func(int)
	visit = func(j int) {
		if seen[j] {
			return
		}
		seen[j] = true
		for _, parent := range p.Tiers[j].Inherits {
			if k := p.tierIndex(parent); k >= 0 {
				visit(k)
			}
		}
		order = append(order, j)
	}
	visit(i)
	return order
}

type merger struct {
	rs   *Ruleset
	errs []error
	seen map[string]bool // dedupe keys for appended lists
}

func (p *Policy) merge(i int) *merger {
	m := &merger{
		rs: &Ruleset{
			Policy:      p.Name,
			Revision:    p.Revision,
			UnknownTool: DefaultUnknownTool,
			Classes:     map[string]Verdict{},
		},
		seen: map[string]bool{},
	}
	m.settings(p.Settings)
	m.rules(p.Rules)
	if i >= 0 {
		failure := ""
		for _, j := range p.lineage(i) {
			t := p.Tiers[j]
			at := fmt.Sprintf("tiers[%d].", j)
			if t.Failure != "" {
				failure = t.Failure
			}
			if t.UnknownTool != None || p.meta.written(at+"unknown_tool") {
				m.rs.UnknownTool = t.UnknownTool
			}
			if t.BlockConfigChange || p.meta.written(at+"block_config_change") {
				m.rs.BlockConfigChange = t.BlockConfigChange
			}
			m.settings(t.Settings)
			m.rules(t.Rules)
		}
		m.rs.Tier = p.Tiers[i].Name
		m.rs.FailOpen = failure == FailureOpen
		for _, e := range p.Exceptions {
			if len(e.Tiers) == 0 || slices.Contains(e.Tiers, m.rs.Tier) {
				m.rs.Exceptions = append(m.rs.Exceptions, e)
			}
		}
	}
	for k, s := range m.rs.MCP.Servers {
		if s.Read == None {
			s.Read = DefaultMCPRead
		}
		if s.Write == None {
			s.Write = DefaultMCPWrite
		}
		m.rs.MCP.Servers[k] = s
	}
	return m
}

// settings merges a settings map into the Ruleset's, key by key.
func (m *merger) settings(s map[string]any) {
	for k, v := range s {
		if m.rs.Settings == nil {
			m.rs.Settings = map[string]any{}
		}
		m.rs.Settings[k] = v
	}
}

// once reports whether key is new, remembering it.
func (m *merger) once(key string) bool {
	if m.seen[key] {
		return false
	}
	m.seen[key] = true
	return true
}

func (m *merger) rules(r Rules) {
	rs := m.rs
	for _, l := range []struct {
		v     Verdict
		rules []string
	}{{Deny, r.Permissions.Deny}, {Ask, r.Permissions.Ask}, {Allow, r.Permissions.Allow}} {
		for _, raw := range l.rules {
			if !m.once("native\x00" + l.v.String() + "\x00" + raw) {
				continue
			}
			n, err := ParseNativeRule(raw)
			if err != nil {
				m.errs = append(m.errs, err)
				continue
			}
			n.Verdict = l.v
			rs.Native = append(rs.Native, n)
		}
	}
	for c, v := range r.Commands.Classes {
		rs.Classes[c] = v
	}
	for _, mem := range r.Commands.Members {
		// A member with grammar is kept whatever it repeats: its options
		// and operands are not part of the key.
		if mem.HasGrammar() || m.once("member\x00"+mem.Class+"\x00"+mem.Command) {
			rs.Members = append(rs.Members, mem)
		}
	}
	for _, pr := range r.Paths {
		rs.Paths = replaceOrAppend(rs.Paths, pr, func(a PathRule) bool { return a.ID == pr.ID })
	}
	if r.MCP.Default != None {
		rs.MCP.Default = r.MCP.Default
	}
	for _, s := range r.MCP.Servers {
		rs.MCP.Servers = replaceOrAppend(rs.MCP.Servers, s, func(a MCPServer) bool { return a.Name == s.Name })
	}
	rs.Web.Allow = m.hosts(rs.Web.Allow, r.Web.Allow, "allow")
	rs.Web.Ask = m.hosts(rs.Web.Ask, r.Web.Ask, "ask")
	rs.Web.Deny = m.hosts(rs.Web.Deny, r.Web.Deny, "deny")
	if r.Web.Default != None {
		rs.Web.Default = r.Web.Default
	}
	for _, c := range r.Conditions {
		rs.Conditions = replaceOrAppend(rs.Conditions, c, func(a Condition) bool { return a.ID == c.ID })
	}
}

func (m *merger) hosts(dst, src []string, list string) []string {
	for _, h := range src {
		h = strings.ToLower(h)
		if m.once("web\x00" + list + "\x00" + h) {
			dst = append(dst, h)
		}
	}
	return dst
}

func replaceOrAppend[T any](s []T, x T, same func(T) bool) []T {
	if i := slices.IndexFunc(s, same); i >= 0 {
		s[i] = x
		return s
	}
	return append(s, x)
}

// TierFor returns the tier for a repository from the policy's repositories
// list: the first entry whose path glob matches repoPath and whose remote
// glob matches remote (an entry may give either or both), else default_tier.
// Path globs are doublestar patterns over the absolute, slash-separated path.
// Remotes and remote globs are compared in a normal form without scheme,
// user and ".git" suffix, with scp-style "host:path" read as "host/path", so
// "github.com/acme/*" matches git@github.com:acme/api.git and
// https://github.com/acme/api.
func (p *Policy) TierFor(repoPath, remote string) string {
	for _, r := range p.Repositories {
		if r.Path == "" && r.Remote == "" {
			continue
		}
		if r.Path != "" && !matchRepoPath(r.Path, repoPath) {
			continue
		}
		if r.Remote != "" && !matchRemote(r.Remote, remote) {
			continue
		}
		return r.Tier
	}
	return p.DefaultTier
}

func matchRepoPath(pattern, repoPath string) bool {
	if repoPath == "" {
		return false
	}
	ok, err := doublestar.Match(pattern, path.Clean(strings.ReplaceAll(repoPath, "\\", "/")))
	return err == nil && ok
}

func matchRemote(pattern, remote string) bool {
	if remote == "" {
		return false
	}
	ok, err := doublestar.Match(NormalizeRemote(pattern), NormalizeRemote(remote))
	return err == nil && ok
}

// NormalizeRemote returns a git remote in the form TierFor compares:
// "git@github.com:acme/api.git", "ssh://git@github.com/acme/api" and
// "https://github.com/acme/api.git" all become "github.com/acme/api".
func NormalizeRemote(s string) string {
	s = strings.TrimSpace(s)
	scheme := false
	if i := strings.Index(s, "://"); i >= 0 {
		s, scheme = s[i+3:], true
	}
	if at := strings.IndexByte(s, '@'); at >= 0 && !strings.ContainsRune(s[:at], '/') {
		s = s[at+1:]
	}
	if !scheme {
		if colon := strings.IndexByte(s, ':'); colon >= 0 && !strings.ContainsRune(s[:colon], '/') {
			s = s[:colon] + "/" + s[colon+1:]
		}
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
	if host, rest, ok := strings.Cut(s, "/"); ok {
		return strings.ToLower(host) + "/" + rest
	}
	return strings.ToLower(s)
}

// Matches reports whether the exception covers the repository: it lists no
// repositories, or one of its globs matches repoPath (doublestar) or remote
// (compared like TierFor's remote globs).
func (e Exception) Matches(repoPath, remote string) bool {
	if len(e.Repositories) == 0 {
		return true
	}
	for _, g := range e.Repositories {
		if matchRepoPath(g, repoPath) || matchRemote(g, remote) {
			return true
		}
	}
	return false
}

// Exception returns the first exception of the Ruleset for ruleID that is
// not expired at now and covers the repository, or nil. The engine applies
// its Decision in place of the rule's when it is weaker.
func (rs *Ruleset) Exception(ruleID, repoPath, remote string, now time.Time) *Exception {
	for i := range rs.Exceptions {
		e := &rs.Exceptions[i]
		if e.Rule == ruleID && !e.Expired(now) && e.Matches(repoPath, remote) {
			return e
		}
	}
	return nil
}
