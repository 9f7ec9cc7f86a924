package hook

// Repo returns the repository around dir and its origin (else first)
// remote URL, credentials stripped, read from the .git files as the audit
// events read them: for callers that pick a policy tier by repository
// before a hook call is decided. Both are "" outside a repository.
func Repo(dir string) (root, remote string) {
	g := readGit(FindRepo(dir))
	return g.Root, g.Remote
}
