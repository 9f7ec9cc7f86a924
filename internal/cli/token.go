package cli

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/server"
	"github.com/wardenhq/warden/internal/store"
)

func newTokenCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke the server's API tokens",
		Long: `Token manages the bearer tokens of 'warden serve', in the server's store
(--data-dir or --database-url, as for serve). A token is shown once, when it
is created; the store keeps only its SHA-256.

Scopes: ingest (send telemetry, audit events, ask for central decisions,
fetch the policy), read (sessions, run records, metrics, policy), admin
(everything, and quarantine), enroll (a one-time token: 'warden enroll'
consumes it to enroll one device; admin does not imply it).`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newTokenCreateCmd(env), newTokenListCmd(env), newTokenRevokeCmd(env))
	return cmd
}

func newTokenCreateCmd(env *Env) *cobra.Command {
	var (
		f      serverFlags
		scopes []string
		name   string
	)
	cmd := &cobra.Command{
		Use:   "create --scope SCOPE [--scope SCOPE] [--name NAME]",
		Short: "Create a token and print it once, on the last line",
		Example: `  warden token create --scope enroll --name alice-laptop   # for 'warden enroll'
  warden token create --scope ingest --name laptops
  # in Claude Code's managed settings:
  #   OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer wdn_...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(scopes) == 0 {
				return fmt.Errorf("give at least one --scope (%s)", strings.Join(record.Scopes, ", "))
			}
			for _, s := range scopes {
				if !slices.Contains(record.Scopes, s) {
					return fmt.Errorf("unknown scope %q (want %s)", s, strings.Join(record.Scopes, ", "))
				}
			}
			if slices.Contains(scopes, record.ScopeEnroll) && len(slices.Compact(slices.Sorted(slices.Values(scopes)))) > 1 {
				return withCode(ExitUsage, errors.New("an enroll token is one-time and carries no other scope: give --scope enroll alone"))
			}
			st, err := storeFromFlags(cmd.Context(), env, &f, cmd.Flags())
			if err != nil {
				return err
			}
			defer st.Close()
			secret, t, err := server.NewToken(rand.Reader, name, scopes, time.Now())
			if err != nil {
				return withCode(ExitFailure, err)
			}
			if err := st.CreateToken(cmd.Context(), t); err != nil {
				return withCode(ExitFailure, fmt.Errorf("store token: %w", err))
			}
			label := t.ID
			if t.Name != "" {
				label += fmt.Sprintf(" (%s)", t.Name)
			}
			fmt.Fprintf(env.Stdout, "Created token %s with scopes %s.\n", label, strings.Join(t.Scopes, ", "))
			fmt.Fprintln(env.Stdout, "It is shown only now; the server keeps only its hash. Revoke it with 'warden token revoke "+t.ID+"'.")
			if t.HasScope(record.ScopeEnroll) {
				fmt.Fprintln(env.Stdout, "It enrolls one device, once: put it in a file and run 'warden enroll --server URL --token-file FILE' on the machine.")
			}
			fmt.Fprintln(env.Stdout, secret)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&scopes, "scope", nil, "scope to grant: ingest, read, admin or enroll (repeatable; enroll goes alone)")
	fl.StringVar(&name, "name", "", "a name to recognise the token by")
	f.addStoreFlags(fl)
	return cmd
}

func newTokenListCmd(env *Env) *cobra.Command {
	var (
		f      serverFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets), revoked ones too",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return listFromStore(cmd, env, &f, asJSON, store.Store.ListTokens,
				"ID\tNAME\tSCOPES\tCREATED\tREVOKED", func(w io.Writer, t record.Token) {
					revoked := "-"
					if t.Revoked() {
						revoked = t.RevokedAt.UTC().Format(time.RFC3339)
					}
					name := t.Name
					if name == "" {
						name = "-"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.ID, name, strings.Join(t.Scopes, ","),
						t.CreatedAt.UTC().Format(time.RFC3339), revoked)
				})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	f.addStoreFlags(cmd.Flags())
	return cmd
}

func newTokenRevokeCmd(env *Env) *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token (servers stop accepting it within 10 seconds)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return revokeInStore(cmd, env, &f, "token", args[0], store.Store.RevokeToken)
		},
	}
	f.addStoreFlags(cmd.Flags())
	return cmd
}
