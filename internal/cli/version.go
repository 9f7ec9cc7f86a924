package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X github.com/wardenhq/warden/internal/cli.Version=v1.2.3".
var Version = "dev"

func newVersionCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Warden's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(env.Stdout, "warden %s\n", resolvedVersion())
			return nil
		},
	}
}

// resolvedVersion is Version, or for a "dev" build the module version go
// install stamped (v1.2.3, a pseudo-version), which the shipper and scan
// reports name to the server.
func resolvedVersion() string {
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return v
}
