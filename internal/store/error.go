package store

import (
	"errors"
	"fmt"
)

// Error codes: stable snake_case strings a server maps to responses.
const (
	ENotFound = "not_found"
	EConflict = "conflict"
	EInvalid  = "invalid"
	EInternal = "internal"
)

// Sentinels for errors.Is: an *Error matches the sentinel of its code.
var (
	ErrNotFound = &Error{Code: ENotFound, Message: "not found"}
	ErrConflict = &Error{Code: EConflict, Message: "conflict"}
	ErrInvalid  = &Error{Code: EInvalid, Message: "invalid"}
)

// Error is a store error with a code and a message safe to show a client:
// it never carries SQL, a DSN or a path.
type Error struct {
	Code    string
	Message string
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, ErrNotFound) holds for every not_found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// ErrorCode returns err's code, EInternal for an error without one, and ""
// for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}
