// Package policyfile reads policy files: a YAML document parsed by
// internal/yamlfile and decoded and validated by internal/policy, or the
// compiled JSON form policy reads itself; and it lays a server's overlays
// over a policy document. It is where policies meet the YAML library, so
// that warden-hook, which links policy, does not link it: warden passes
// LoadFile to the hook command.
package policyfile

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/yamlfile"
)

// Parse decodes and validates one policy document (policy.Decode); name
// is the file name used in errors and kept as Policy.File. Problems in
// the document come back as *policy.Errors, every one found, sorted by
// position.
func Parse(name string, data []byte) (*policy.Policy, error) {
	root, err := yamlfile.Parse(data, "a policy file")
	return policy.Decode(name, data, root, err)
}

// LoadFile reads, decodes and validates the YAML policy file at path.
// Problems in the document come back as *policy.Errors (located as
// path:line:col); I/O problems as a wrapped error.
func LoadFile(path string) (*policy.Policy, error) {
	data, err := policy.ReadFile(path, policy.MaxFileSize)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Load loads the policy file at path: the compiled form when it is a
// .json file (policy.IsCompiledPath), else the YAML document.
func Load(path string) (*policy.Policy, error) {
	if policy.IsCompiledPath(path) {
		return policy.LoadCompiled(path)
	}
	return LoadFile(path)
}

// ApplyOverlays returns the policy document base with overlays applied, in
// order, and the policy it parses to. The result is validated like any
// policy: an overlay naming a tier the policy does not have fails, and
// nothing is returned.
func ApplyOverlays(name string, base []byte, overlays []policy.Overlay) ([]byte, *policy.Policy, error) {
	if len(overlays) == 0 {
		p, err := Parse(name, base)
		return base, p, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(base, &doc); err != nil {
		return nil, nil, fmt.Errorf("apply overlays to %s: %w", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("apply overlays to %s: not a policy mapping", name)
	}
	root := doc.Content[0]
	var repos []*yaml.Node
	var paused []string
	for _, o := range overlays {
		switch o.Kind {
		case policy.OverlayRevokeMCPServer:
			if o.Target == "" {
				return nil, nil, fmt.Errorf("overlay %s: no server", o.Kind)
			}
			revoke(root, o.Target, true)
			if tiers := yamlfile.Get(root, "tiers"); tiers != nil && tiers.Kind == yaml.SequenceNode {
				for _, t := range tiers.Content {
					revoke(t, o.Target, false)
				}
			}
		case policy.OverlayRepositoryTier:
			if o.Target == "" || o.Tier == "" {
				return nil, nil, fmt.Errorf("overlay %s: needs a repository remote and a tier", o.Kind)
			}
			repos = append(repos, mapping("remote", o.Target, "tier", o.Tier))
		case policy.OverlayPause:
			if o.Tier == "" {
				return nil, nil, fmt.Errorf("overlay %s: needs a tier", o.Kind)
			}
			paused = append(paused, o.Tier)
		default:
			return nil, nil, fmt.Errorf("unknown overlay kind %q (want one of %s)", o.Kind, strings.Join(policy.OverlayKinds, ", "))
		}
	}
	if len(repos) > 0 {
		seq := yamlfile.Get(root, "repositories")
		if seq == nil {
			seq = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			mapSet(root, "repositories", seq)
		}
		// The first mapping that matches wins: overlays go first.
		seq.Content = append(repos, seq.Content...)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, nil, fmt.Errorf("apply overlays to %s: %w", name, err)
	}
	out := buf.Bytes()
	p, err := Parse(name, out)
	if err != nil {
		return nil, nil, fmt.Errorf("policy %s with its overlays is invalid: %w", name, err)
	}
	for _, t := range paused {
		if _, err := p.Ruleset(t); err != nil {
			return nil, nil, fmt.Errorf("overlay %s: %w", policy.OverlayPause, err)
		}
	}
	return out, p, nil
}

// revoke sets server's read and write to deny in m's mcp.servers, adding
// the server when add is set and it is not listed.
func revoke(m *yaml.Node, server string, add bool) {
	if m.Kind != yaml.MappingNode {
		return
	}
	mcp := yamlfile.Get(m, "mcp")
	if mcp == nil {
		if !add {
			return
		}
		mcp = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		mapSet(m, "mcp", mcp)
	}
	servers := yamlfile.Get(mcp, "servers")
	if servers == nil {
		if !add {
			return
		}
		servers = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		mapSet(mcp, "servers", servers)
	}
	found := false
	for _, s := range servers.Content {
		if n := yamlfile.Get(s, "name"); n != nil && n.Value == server {
			mapSet(s, "read", scalar("deny"))
			mapSet(s, "write", scalar("deny"))
			found = true
		}
	}
	if !found && add {
		servers.Content = append(servers.Content, mapping("name", server, "read", "deny", "write", "deny"))
	}
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func mapping(kv ...string) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(kv); i += 2 {
		m.Content = append(m.Content, scalar(kv[i]), scalar(kv[i+1]))
	}
	return m
}

func mapSet(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, scalar(key), v)
}
