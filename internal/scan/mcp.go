package scan

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/wardenhq/warden/internal/policy"
)

// mcpFile is the project-scoped MCP configuration.
const mcpFile = ".mcp.json"

// packageRunners are the programs that download and run a package named by
// their first operand, with the options that take a value before it.
var packageRunners = map[string][]string{
	"npx":  {"-p", "--package", "-c", "--call"},
	"bunx": {"-p", "--package"},
	"pnpx": {"-p", "--package"},
}

// checkMCPServers reports .mcp.json servers outside the policy's catalogue
// and unpinned package runners.
func checkMCPServers(c *scanCtx) {
	d, ok := c.jsonFile(mcpFile)
	if !ok {
		return
	}
	c.mcpSeen = true
	servers := d.root.Get("mcpServers")
	if servers == nil || servers.Kind != KindObject {
		return
	}
	for _, m := range servers.Members {
		srv := m.Value
		url := ""
		if u := srv.Get("url"); u != nil && u.Kind == KindString {
			url = u.Str
		}
		var argv []string
		if cmd := srv.Get("command"); cmd != nil && cmd.Kind == KindString {
			argv = append(argv, cmd.Str)
			for _, a := range srv.Get("args").Elems() {
				if a.Kind == KindString {
					argv = append(argv, a.Str)
				}
			}
		}
		desc := "no url or command"
		switch {
		case url != "":
			desc = "url " + quoteEvidence(url)
		case len(argv) > 0:
			desc = "command " + quoteEvidence(strings.Join(argv, " "))
		}
		if cat, why := c.catalogued(m.Key, url, argv); !cat {
			f := at(mcpFile, m.KeyPos)
			f.Severity = SeverityHigh
			f.Evidence = desc
			f.Message = fmt.Sprintf("MCP server %q (%s) is not in the MCP catalogue of tier %s%s", m.Key, desc, c.tier, why)
			c.add(IDMCPUncatalogued, f)
		}
		if pkg, unpinned := unpinnedPackage(argv); unpinned {
			pos := m.KeyPos
			if cmd := srv.Get("command"); cmd != nil {
				pos = cmd.Pos
			}
			f := at(mcpFile, pos)
			f.Severity = SeverityMedium
			f.Evidence = strings.Join(argv, " ")
			f.Message = fmt.Sprintf("MCP server %q runs package %q with %s and no pinned version: every start runs whatever the registry serves", m.Key, pkg, path.Base(argv[0]))
			c.add(IDMCPUnpinned, f)
		}
	}
}

// catalogued reports whether a server is in the tier's catalogue by URL or
// exact command, and otherwise why not (a name that matches a catalogued
// server but a different binding is a look-alike).
func (c *scanCtx) catalogued(name, url string, argv []string) (bool, string) {
	var sameName *policy.MCPServer
	for i := range c.rs.MCP.Servers {
		s := &c.rs.MCP.Servers[i]
		if url != "" && s.URL != "" && wildcardMatch(s.URL, url) {
			return true, ""
		}
		if len(argv) > 0 && len(s.Command) > 0 && slices.Equal(s.Command, argv) {
			return true, ""
		}
		if s.Name == name {
			sameName = s
		}
	}
	if sameName != nil {
		if sameName.URL == "" && len(sameName.Command) == 0 {
			return false, fmt.Sprintf(": the catalogue lists %q by name only, which any server can borrow; bind it by url or command", name)
		}
		return false, fmt.Sprintf(": its name matches catalogue server %q, but not its url or command (a look-alike)", name)
	}
	if len(c.rs.MCP.Servers) == 0 {
		return false, " (the catalogue is empty)"
	}
	return false, ""
}

// wildcardMatch matches s against a pattern whose * matches any run of
// characters (Claude Code's serverUrl patterns).
func wildcardMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// unpinnedPackage finds the package a package runner (npx, bunx) would
// download and reports whether it carries no exact version.
func unpinnedPackage(argv []string) (string, bool) {
	if len(argv) < 2 {
		return "", false
	}
	valued, ok := packageRunners[path.Base(argv[0])]
	if !ok {
		return "", false
	}
	var pkg string
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			if i+1 < len(argv) {
				pkg = argv[i+1]
			}
			break
		}
		if name, val, eq := strings.Cut(a, "="); eq && slices.Contains(valued, name) && (name == "-p" || name == "--package") {
			pkg = val
			break
		}
		if slices.Contains(valued, a) {
			if (a == "-p" || a == "--package") && i+1 < len(argv) {
				pkg = argv[i+1]
				break
			}
			i++
			continue
		}
		if strings.HasPrefix(a, "-") {
			continue
		}
		pkg = a
		break
	}
	if pkg == "" {
		return "", false
	}
	return pkg, !pinned(pkg)
}

// pinned reports whether a package spec names an exact version
// (pkg@1.2.3, @scope/pkg@1.2.3), a tarball or a local path.
func pinned(spec string) bool {
	if strings.HasPrefix(spec, ".") || strings.HasPrefix(spec, "/") || strings.HasPrefix(spec, "file:") {
		return true
	}
	at := strings.LastIndex(spec, "@")
	if at <= 0 {
		return false
	}
	v := spec[at+1:]
	if v == "" || v[0] < '0' || v[0] > '9' {
		return false // a tag (latest, next) or a range
	}
	return !strings.ContainsAny(v, "^~*xX<> |")
}
