package vlens

import "strings"

// How errors are wrapped.

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
