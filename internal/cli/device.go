package cli

import (
	"encoding/base64"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/store"
)

func newDeviceCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "device",
		Short: "List and revoke the devices enrolled with the server",
		Long: `Device manages the machines enrolled with 'warden enroll', in the server's
store (--data-dir or --database-url, as for serve). A revoked device's
credential stops authenticating (within 10 seconds on every replica) and
its further audit events are stored unverified (revoked_device).`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newDeviceListCmd(env), newDeviceRevokeCmd(env))
	return cmd
}

func newDeviceListCmd(env *Env) *cobra.Command {
	var (
		f      serverFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List enrolled devices, revoked ones too",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return listFromStore(cmd, env, &f, asJSON, store.Store.ListDevices,
				"ID\tNAME\tKEY\tENROLLED\tREVOKED", func(w io.Writer, d record.Device) {
					revoked := "-"
					if d.Revoked() {
						revoked = d.RevokedAt.UTC().Format(time.RFC3339)
					}
					key := base64.StdEncoding.EncodeToString(d.PublicKey)
					if len(key) > 12 {
						key = key[:12] + "…"
					}
					// The name came from the device: shown quoted, so that
					// control characters cannot dress up the table.
					fmt.Fprintf(w, "%s\t%q\t%s\t%s\t%s\n", d.ID, d.Name, key, d.EnrolledAt.UTC().Format(time.RFC3339), revoked)
				})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	f.addStoreFlags(cmd.Flags())
	return cmd
}

func newDeviceRevokeCmd(env *Env) *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a device: its credential stops working, its further audit is unverified",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !record.ValidDeviceID(args[0]) {
				return withCode(ExitUsage, fmt.Errorf("%q is not a device ID (dev_ and hex); see 'warden device list'", args[0]))
			}
			return revokeInStore(cmd, env, &f, "device", args[0], store.Store.RevokeDevice)
		},
	}
	f.addStoreFlags(cmd.Flags())
	return cmd
}
