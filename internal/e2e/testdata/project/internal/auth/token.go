package auth

import "errors"

// ErrExpired is an expired token.
var ErrExpired = errors.New("expired")

func check(expired bool) error {
	if expired {
		return ErrExpired
	}
	return nil
}
