package cli

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
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
			st, err := storeFromFlags(cmd.Context(), env, &f, cmd.Flags())
			if err != nil {
				return err
			}
			defer st.Close()
			devices, err := st.ListDevices(cmd.Context())
			if err != nil {
				return withCode(ExitFailure, err)
			}
			if asJSON {
				if devices == nil {
					devices = []record.Device{}
				}
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(devices)
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tKEY\tENROLLED\tREVOKED")
			for _, d := range devices {
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
				fmt.Fprintf(tw, "%s\t%q\t%s\t%s\t%s\n", d.ID, d.Name, key, d.EnrolledAt.UTC().Format(time.RFC3339), revoked)
			}
			return tw.Flush()
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
			st, err := storeFromFlags(cmd.Context(), env, &f, cmd.Flags())
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.RevokeDevice(cmd.Context(), args[0]); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return withCode(ExitFailure, fmt.Errorf("no device %q; see 'warden device list'", args[0]))
				}
				return withCode(ExitFailure, err)
			}
			fmt.Fprintf(env.Stdout, "Revoked device %s.\n", args[0])
			return nil
		},
	}
	f.addStoreFlags(cmd.Flags())
	return cmd
}
