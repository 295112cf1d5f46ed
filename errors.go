package vlens

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors, matched with errors.Is. The HTTP-status sentinels are
// derived from the status of Vlens's answer; the envelope's own error_code is
// exposed as APIError.Code, since Vlens publishes no list of codes.
var (
	// ErrUnauthorized matches answers with HTTP 401 or 403: the API key is
	// missing, wrong or not allowed to call the endpoint. From
	// CreateInvitation it means one of two things. When the error also
	// matches ErrNoAdminToken (its *APIError's Operation is "login"), the
	// admin login was refused (a wrong password, a locked-out user, a
	// revoked API key) and no invitation was sent. Otherwise (Operation
	// "create invitation") Vlens refused the invitation itself, after the
	// client had already replaced a refused admin token once.
	ErrUnauthorized = errors.New("vlens: unauthorized")
	// ErrRateLimited matches answers with HTTP 429.
	ErrRateLimited = errors.New("vlens: rate limited")
	// ErrServer matches answers with an HTTP 5xx status.
	ErrServer = errors.New("vlens: server error")
	// ErrInvalidRequest matches answers with HTTP 400 or 422, and every
	// *ValidationError (input rejected before anything was sent).
	ErrInvalidRequest = errors.New("vlens: invalid request")
	// ErrMalformedResponse matches a 2xx answer whose body is not a valid
	// envelope, or that carries no token.
	ErrMalformedResponse = errors.New("vlens: malformed response")
	// ErrResponseTooLarge matches an answer whose body exceeds the limit set
	// by WithMaxResponseBytes.
	ErrResponseTooLarge = errors.New("vlens: response too large")
	// ErrAttemptTimeout matches a call whose last attempt ran past its own
	// bound (WithAttemptTimeout, or the Timeout of the client given with
	// WithHTTPClient) while the caller's context was still alive. The error
	// is also a net.Error whose Timeout reports true. It never matches
	// context.DeadlineExceeded, which is kept for the caller's own context.
	ErrAttemptTimeout = errors.New("vlens: attempt timed out")
	// ErrNoAdminToken matches the error of a call that needed an admin token
	// and could not get one, so nothing was sent: the admin login was
	// refused or failed, the source of WithAdminTokenSource returned an
	// error, or the caller's context ended while waiting. When Vlens
	// answered the login, errors.As also finds its *APIError, with
	// Operation "login" (or "refresh admin token").
	ErrNoAdminToken = errors.New("vlens: no admin token")
	// ErrClosed matches calls made on a Client after its Close, and token
	// requests to a LoginSource after its Close (or waiting on a login that
	// Close stopped).
	ErrClosed = errors.New("vlens: closed")
	// ErrRenewalTimeout matches a LoginSource login or refresh that ran past
	// the source's own bound (one minute) while the caller's context was
	// still alive. It is a timeout (Timeout() reports true) but, the
	// caller's deadline not being the cause, never context.DeadlineExceeded.
	ErrRenewalTimeout = errors.New("vlens: admin token renewal timed out")
	// ErrNotSent matches the error of a call that surely never reached
	// Vlens, so that repeating it cannot do anything twice, even for an
	// invitation: no connection could be made (refused, DNS failure, a dial
	// that timed out), the rate limiter refused, the caller's context ended
	// before anything went out, or no admin token could be had
	// (ErrNoAdminToken). It never matches once an attempt of the call may
	// have been written: an answer of any kind (a 401 that made the call
	// renew its admin token included), or a reset, an EOF or a timeout
	// after a connection was made. Failures found before sending was
	// tried (a *ValidationError, ErrClosed) have sentinels of their own and
	// do not match it.
	ErrNotSent = errors.New("vlens: not sent")
	// ErrUnreachable matches a call whose last attempt got no answer at all
	// from Vlens: a transport failure (refused, DNS failure, reset, EOF, a
	// TLS failure, ErrAttemptTimeout) while the caller's context was alive.
	// A handler answers it with 502 or 503. It never matches an *APIError,
	// the caller's context ending or the rate limiter's refusal. Whether
	// Vlens may have the request is ErrNotSent's to say.
	ErrUnreachable = errors.New("vlens: unreachable")
)

// APIError is returned (as *APIError) for every answer from Vlens that is not
// a session token: an envelope whose error_code is set (even on HTTP 200), a
// non-2xx status, a 2xx that is malformed or too large, and retries that ran
// out on 429 or 5xx (the last answer is described). Use errors.As to read it
// and errors.Is with the sentinels to branch on its kind.
//
// Message, Descriptions and Header come from Vlens, redacted: any echo of
// the caller's secrets and personal values in them is replaced with
// "[redacted]" (see "Secrets" in the package documentation).
type APIError struct {
	// Operation names the call that failed ("create auth session"); it
	// also begins Error().
	Operation string
	// StatusCode is the HTTP status of the (last) answer.
	StatusCode int
	// Code is the envelope's error_code, or 0 when there was none.
	Code int
	// Message is the envelope's error_message, its first 4 KiB kept and
	// a note of how many bytes were cut (" [1044480 bytes cut]"); for an
	// answer that is not an envelope, at most 512 bytes of its body (never
	// for a 2xx, whose body may hold a token) or a description of the
	// problem.
	Message string
	// Descriptions is the envelope's error_descriptions as raw JSON (often
	// field-level validation details; Vlens does not document its shape), or
	// nil. FieldErrors decodes the common shapes. It is always valid JSON:
	// over 4 KiB, or when a replacement would break its syntax (a phone
	// number echoed as a JSON number), it is a JSON string of its text, cut
	// like Message.
	Descriptions json.RawMessage
	// RetryAfter is the wait the server asked for in Retry-After, in full,
	// even when the client declined to wait that long; 0 when absent.
	RetryAfter time.Duration
	// Attempts is how many attempts the call made.
	Attempts int
	// Header holds the last answer's response headers, for support tickets
	// and the request IDs proxies add; each name and value is redacted and
	// cut like Message.
	Header http.Header

	// kind is ErrMalformedResponse or ErrResponseTooLarge when the SDK, not
	// Vlens, judged the answer unusable.
	kind error
}

// Error describes the answer without any secret or user data.
func (e *APIError) Error() string {
	if e == nil {
		return "<nil>"
	}
	var b strings.Builder
	b.WriteString("vlens: ")
	if e.Operation != "" {
		b.WriteString(e.Operation)
		b.WriteString(": ")
	}
	b.WriteString("HTTP ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if e.Code != 0 {
		b.WriteString(", error_code ")
		b.WriteString(strconv.Itoa(e.Code))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(safeText(e.Message))
	}
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after ")
		b.WriteString(e.RetryAfter.String())
		b.WriteString(")")
	}
	if e.Attempts > 1 {
		b.WriteString(" (after ")
		b.WriteString(strconv.Itoa(e.Attempts))
		b.WriteString(" attempts)")
	}
	return b.String()
}

// Is reports whether the error is of the kind a sentinel names. The status
// sentinels follow StatusCode, so an APIError built by hand in a test matches
// them too.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == 401 || e.StatusCode == 403
	case ErrRateLimited:
		return e.StatusCode == 429
	case ErrServer:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	case ErrInvalidRequest:
		return e.StatusCode == 400 || e.StatusCode == 422
	case ErrMalformedResponse, ErrResponseTooLarge:
		return e.kind == target
	}
	return false
}

// FieldErrors decodes Descriptions when it has one of the shapes validation
// errors commonly take: an object mapping field names to a message or a list
// of messages ({"email": ["is invalid"]}), or a list of objects with a field
// and a message ([{"field": "email", "message": "is invalid"}]). It returns
// nil when Descriptions is empty or has another shape; the raw JSON stays
// available in Descriptions. Like Message, the text is made one line.
func (e *APIError) FieldErrors() []FieldError {
	if len(e.Descriptions) == 0 {
		return nil
	}
	var byField map[string]json.RawMessage
	if json.Unmarshal(e.Descriptions, &byField) == nil {
		var out []FieldError
		for _, field := range slices.Sorted(maps.Keys(byField)) {
			raw := byField[field]
			var one string
			var many []string
			switch {
			case json.Unmarshal(raw, &one) == nil:
				out = append(out, FieldError{Field: safeText(field), Message: safeText(one)})
			case json.Unmarshal(raw, &many) == nil:
				for _, m := range many {
					out = append(out, FieldError{Field: safeText(field), Message: safeText(m)})
				}
			default:
				return nil
			}
		}
		return out
	}
	var list []struct {
		Field, Name, Key    string
		Message, Error, Msg string
	}
	if json.Unmarshal(e.Descriptions, &list) != nil {
		return nil
	}
	out := make([]FieldError, 0, len(list))
	for _, d := range list {
		fe := FieldError{Field: safeText(firstNonEmpty(d.Field, d.Name, d.Key)), Message: safeText(firstNonEmpty(d.Message, d.Error, d.Msg))}
		if fe.Field == "" && fe.Message == "" {
			return nil
		}
		out = append(out, fe)
	}
	return out
}

// FieldError names one input field and the rule it breaks. Field is the
// field's name as on the wire ("phoneNumber",
// "sessionPermissions.allowedContractTypeIds[1]").
type FieldError struct {
	// Field is the field's wire name.
	Field string
	// Message states the rule the field breaks, never its value.
	Message string
}

// ValidationError is returned by the inputs' Validate methods, and by every
// endpoint method before anything is sent, when the input breaks the rules
// Vlens documents. It lists every bad field, names each rule, and never
// repeats the rejected values. It matches ErrInvalidRequest.
type ValidationError struct {
	// Fields lists every bad field, in the order of the input's fields.
	Fields []FieldError

	// input names what was validated ("CreateAuthSessionInput").
	input string
}

// Error lists every bad field and its rule.
func (e *ValidationError) Error() string {
	if e == nil {
		return "<nil>"
	}
	var b strings.Builder
	b.WriteString("vlens: invalid ")
	b.WriteString(firstNonEmpty(e.input, "input"))
	b.WriteString(": ")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidRequest) hold for validation failures.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidRequest }

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
