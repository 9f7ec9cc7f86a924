package store_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/wardenhq/warden/internal/store"
)

func TestErrorCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"Nil", nil, ""},
		{"Plain", errors.New("disk on fire"), store.EInternal},
		{"Coded", store.Errorf(store.ENotFound, "session %q not found", "s1"), store.ENotFound},
		{"Wrapped", fmt.Errorf("append: %w", store.Errorf(store.EInvalid, "empty id")), store.EInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := store.ErrorCode(tc.err); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestError_Is(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", store.Errorf(store.EConflict, "token t1 exists"))
	if !errors.Is(err, store.ErrConflict) {
		t.Error("errors.Is(conflict, ErrConflict) is false")
	}
	if errors.Is(err, store.ErrNotFound) {
		t.Error("errors.Is(conflict, ErrNotFound) is true")
	}
	if got, want := store.Errorf(store.EInvalid, "empty id").Error(), "invalid: empty id"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
