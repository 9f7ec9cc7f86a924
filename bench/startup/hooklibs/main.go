// Command hooklibs is a start-up reference for docs/benchmarks.md: a
// program that links the third-party libraries warden-hook itself links
// (mvdan.cc/sh, doublestar; no cobra, no YAML parser) and only reads
// stdin. The difference between it and the stdin-only baseline is the
// floor those libraries set under warden-hook.
package main

import (
	"io"
	"os"

	_ "github.com/bmatcuk/doublestar/v4"
	_ "mvdan.cc/sh/v3/syntax"
)

func main() { io.Copy(io.Discard, os.Stdin) }
