package shell

// Split splits a command.
func Split(s string) []string { return nil }
