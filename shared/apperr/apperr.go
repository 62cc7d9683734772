// Package apperr is Halyard's one error type: a kind that each HTTP adapter maps to a status in one place,
// a stable machine-readable code and a message safe to show a client.
//
// Internal errors keep their cause for the log and show clients only a generic message.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for transport mapping.
type Kind int

// The kinds of error Halyard reports.
const (
	Internal   Kind = iota
	BadRequest      // the request cannot be read: malformed JSON, unknown fields, bad parameters
	Invalid         // the request was read but its content is not acceptable (validation)
	NotFound
	Conflict
	Unauthorized
	Forbidden
	PreconditionFailed
	TooLarge
	Unavailable
)

// Error is a client-facing error.
type Error struct {
	Kind    Kind
	Code    string // stable, snake_case, e.g. "flag_not_found"
	Message string
	Details any   // optional structured details (e.g. validation problems)
	Err     error // the cause, for logs only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind k.
func New(k Kind, code, format string, args ...any) *Error {
	return &Error{Kind: k, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap marks err as internal; clients see only "internal error".
func Wrap(err error, op string) *Error {
	return &Error{Kind: Internal, Code: "internal", Message: "internal error", Err: fmt.Errorf("%s: %w", op, err)}
}

// As returns err as *Error, treating anything else as internal.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Code: "internal", Message: "internal error", Err: err}
}

// KindOf returns the kind of err (Internal for foreign errors).
func KindOf(err error) Kind { return As(err).Kind }
