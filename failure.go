package vlens

import (
	"errors"
	"strconv"
	"strings"
)

// How a call that got no answer reports it, and how errors are wrapped.

// sendError is a call that ended without an answer from Vlens, as the caller
// sees it: the caller's context ended, the rate limiter refused, or the last
// attempt failed in the transport. It says whether any attempt may have
// reached Vlens (ErrNotSent) and whether the transport failed
// (ErrUnreachable); errors.Is and errors.As reach the cause.
type sendError struct {
	op          string
	attempts    int   // shown when the transport failed
	err         error // the context's error, or a textError with the cause redacted
	notSent     bool  // no attempt may have reached Vlens (see call.unsent)
	unreachable bool  // the last attempt failed in the transport
}

func (e *sendError) Error() string {
	if e.unreachable {
		return "vlens: " + e.op + ": " + strconv.Itoa(e.attempts) + " attempt(s) failed: " + e.err.Error()
	}
	return "vlens: " + e.op + ": " + e.err.Error()
}

func (e *sendError) Unwrap() error { return e.err }

// Is makes errors.Is(err, ErrNotSent) and errors.Is(err, ErrUnreachable)
// hold when they apply.
func (e *sendError) Is(target error) bool {
	return target == ErrNotSent && e.notSent || target == ErrUnreachable && e.unreachable
}

// answered returns err, the error of a call's second pass after Vlens
// answered its first with 401, made not to match ErrNotSent: an answer
// means the call reached Vlens, whatever the second pass did.
func answered(err error) error {
	var e *sendError
	if errors.As(err, &e) {
		e.notSent = false
	}
	return err
}

// textError is an error with a text of its own (redacted, or prefixed
// once), whose errors.Is and errors.As reach the original.
type textError struct {
	err  error
	text string
}

func (e *textError) Error() string { return e.text }

func (e *textError) Unwrap() error { return e.err }

// prefixed returns err under "vlens: what: ", without the "vlens: " err's
// own text may begin with, so that a wrapped error names the package once.
func prefixed(what string, err error) error {
	return &textError{err: err, text: "vlens: " + what + ": " + unprefixed(err)}
}

// unprefixed is err's text without a leading "vlens: ".
func unprefixed(err error) string {
	return strings.TrimPrefix(err.Error(), "vlens: ")
}
