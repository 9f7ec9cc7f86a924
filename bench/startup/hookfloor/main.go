// Command hookfloor is a start-up reference for docs/benchmarks.md: a
// program that links every package warden-hook links (so it pays the same
// package initialisation and loads a binary of about the same size) and
// only reads stdin. warden-hook minus hookfloor is the work of deciding;
// hookfloor minus the stdin-only baseline is the cost of what it links.
package main

import (
	"io"
	"os"

	_ "github.com/wardenhq/warden/internal/hook"
	_ "github.com/wardenhq/warden/internal/hookcmd"
)

func main() { io.Copy(io.Discard, os.Stdin) }
