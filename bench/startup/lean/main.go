// Command lean is a start-up reference for docs/benchmarks.md: a program
// that links what `warden hook` uses to parse its flags, YAML and Bash
// (cobra, go.yaml.in/yaml, mvdan.cc/sh, doublestar; warden-hook links
// only the last two) and only reads stdin. The
// difference between it and the stdin-only baseline is the cost of those
// libraries' start-up; the difference between it and ./cel is cel-go's.
package main

import (
	"io"
	"os"

	_ "github.com/bmatcuk/doublestar/v4"
	_ "github.com/spf13/cobra"
	_ "go.yaml.in/yaml/v3"
	_ "mvdan.cc/sh/v3/syntax"
)

func main() { io.Copy(io.Discard, os.Stdin) }
