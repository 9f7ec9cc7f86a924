// Command cel is ./lean plus cel.dev/cel-go (and the protobuf runtime it
// brings): the start-up cost of linking CEL into the hook, measured in
// docs/benchmarks.md. It only reads stdin.
package main

import (
	"io"
	"os"

	_ "cel.dev/cel-go/cel"
	_ "github.com/bmatcuk/doublestar/v4"
	_ "github.com/spf13/cobra"
	_ "go.yaml.in/yaml/v3"
	_ "mvdan.cc/sh/v3/syntax"
)

func main() { io.Copy(io.Discard, os.Stdin) }
