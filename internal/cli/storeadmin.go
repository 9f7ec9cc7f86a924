package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/store"
)

// listFromStore is the body of the "list" subcommands that administer the
// server's store (token list, device list): it opens the store from the
// command's flags, reads every item with list and prints them, as indented
// JSON (an empty array, never null) when asJSON, else as a table of header
// and one line per item written by row (tab-separated cells, ending in a
// newline).
func listFromStore[T any](cmd *cobra.Command, env *Env, f *serverFlags, asJSON bool,
	list func(store.Store, context.Context) ([]T, error), header string, row func(io.Writer, T)) error {
	st, err := storeFromFlags(cmd.Context(), env, f, cmd.Flags())
	if err != nil {
		return err
	}
	defer st.Close()
	items, err := list(st, cmd.Context())
	if err != nil {
		return withCode(ExitFailure, err)
	}
	if asJSON {
		if items == nil {
			items = []T{}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(items)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, it := range items {
		row(tw, it)
	}
	return tw.Flush()
}

// revokeInStore is the body of the "revoke" subcommands that administer the
// server's store: it opens the store from the command's flags, revokes the
// kind ("token", "device") with id, and says so; an unknown id is a failure
// that points at 'warden KIND list'. A caller that can check id's form
// does so first, so that a usage error needs no store.
func revokeInStore(cmd *cobra.Command, env *Env, f *serverFlags, kind, id string,
	revoke func(store.Store, context.Context, string) error) error {
	st, err := storeFromFlags(cmd.Context(), env, f, cmd.Flags())
	if err != nil {
		return err
	}
	defer st.Close()
	if err := revoke(st, cmd.Context(), id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return withCode(ExitFailure, fmt.Errorf("no %s %q; see 'warden %s list'", kind, id, kind))
		}
		return withCode(ExitFailure, err)
	}
	fmt.Fprintf(env.Stdout, "Revoked %s %s.\n", kind, id)
	return nil
}
