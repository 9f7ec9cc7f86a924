package policy

import "github.com/wardenhq/warden/internal/yamlfile"

// Parse and LoadFile are policyfile's, for this package's tests: they
// cannot import policyfile, which imports this package.
func Parse(name string, data []byte) (*Policy, error) {
	root, err := yamlfile.Parse(data, "a policy file")
	return Decode(name, data, root, err)
}

func LoadFile(path string) (*Policy, error) {
	data, err := ReadFile(path, MaxFileSize)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}
