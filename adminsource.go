package vlens

import (
	"context"
	"errors"
	"reflect"
	"time"
)

// AdminTokenSource supplies the admin bearer token that endpoints needing
// one (CreateInvitation) send. AccessToken must return a valid access token
// or an error, honouring ctx; it is called once per such call (twice when
// Vlens refuses the first token with 401), from many goroutines at once.
// A source that can also forget a refused token implements
// AdminTokenInvalidator. LoginSource is the built-in one.
type AdminTokenSource interface {
	AccessToken(ctx context.Context) (string, error)
}

// AdminTokenInvalidator is an AdminTokenSource that can be told Vlens
// refused one of its tokens. When CreateInvitation's answer is a 401, the
// client calls InvalidateAccessToken with the token it sent, then asks
// AccessToken once more and repeats the call once: the source should stop
// handing out that token (a source shared with other processes might mark
// it stale in its store). It must be safe for concurrent use and must not
// block.
type AdminTokenInvalidator interface {
	AdminTokenSource
	InvalidateAccessToken(token string)
}

// adminTokenError is an admin token source's failure, as the call that
// needed the token returns it: it matches ErrNoAdminToken, and ErrNotSent
// unless Vlens answered an earlier pass of the call (a 401 that made it
// renew the token), and reaches the source's error (a login's *APIError,
// the caller's context error).
type adminTokenError struct {
	op       string
	err      error
	answered bool // Vlens answered an earlier pass of the call
}

func (e *adminTokenError) Error() string {
	return "vlens: " + e.op + ": getting the admin token: " + unprefixed(e.err)
}

func (e *adminTokenError) Is(target error) bool { return target == ErrNotSent && !e.answered }

func (e *adminTokenError) Unwrap() []error { return []error{ErrNoAdminToken, e.err} }

// renewalTimeoutError is ErrRenewalTimeout with net.Error's Timeout.
type renewalTimeoutError struct {
	op      string
	timeout time.Duration
}

func (e *renewalTimeoutError) Error() string {
	return "vlens: " + e.op + ": no answer within the admin token renewal's bound of " + e.timeout.String()
}

func (e *renewalTimeoutError) Unwrap() error { return ErrRenewalTimeout }

// Timeout reports true, as net.Error timeouts do.
func (e *renewalTimeoutError) Timeout() bool { return true }

// loginRefusedError is a login refusal repeated, without a request, to every
// caller until the back-off allows another login.
type loginRefusedError struct {
	err   error // the refusal: an *APIError with Operation "login"
	retry time.Time
}

func (e *loginRefusedError) Error() string {
	return e.err.Error() + " (no new login before " + e.retry.UTC().Format(time.RFC3339) + ")"
}

func (e *loginRefusedError) Unwrap() error { return e.err }

// WithAdminCredentials makes the client log in with creds when it first
// needs an admin token, through a LoginSource of its own (see LoginSource
// for what it caches, renews and remembers); Client.Close stops it. To share
// one login among several clients of a tenant, build a LoginSource with
// NewLoginSource instead and give it to each with WithAdminTokenSource. The
// credentials are validated here (see AdminCredentials.Validate). Client
// only; it replaces an earlier WithAdminTokenSource.
func WithAdminCredentials(creds AdminCredentials) Option {
	return clientOption(func(s *settings) error {
		if err := creds.Validate(); err != nil {
			return prefixed("WithAdminCredentials", err)
		}
		s.adminCreds, s.adminSource = &creds, nil
		return nil
	})
}

// WithAdminTokenSource makes the client take admin tokens from src: a
// LoginSource shared with other clients of the tenant, or a source of your
// own (a token shared by replicas through a secret store, say). When Vlens
// refuses a token with 401, the client tells src (when it is an
// AdminTokenInvalidator), asks it once more and repeats the call once.
// Client.Close does not close src. Client only; it replaces an earlier
// WithAdminCredentials.
func WithAdminTokenSource(src AdminTokenSource) Option {
	return clientOption(func(s *settings) error {
		if v := reflect.ValueOf(src); src == nil || v.Kind() == reflect.Pointer && v.IsNil() {
			return errors.New("vlens: WithAdminTokenSource: source must not be nil")
		}
		s.adminSource, s.adminCreds = src, nil
		return nil
	})
}

// adminSecrets are the secrets src holds beyond the token it hands out (a
// LoginSource's password and refresh token), to redact from answers.
func adminSecrets(src AdminTokenSource) sensitive {
	if s, ok := src.(interface{ secrets() sensitive }); ok {
		return s.secrets()
	}
	return sensitive{}
}

// unusableAnswer reports whether a 2xx answer was judged unusable by the
// SDK (malformed, too large): not a refusal, so a login answered so is not
// held back by the back-off and the next call logs in again.
func unusableAnswer(e *APIError) bool {
	return e.StatusCode >= 200 && e.StatusCode <= 299 && e.kind != nil
}

// renewAt is when a token obtained at start and expiring at expires should
// be renewed.
func renewAt(start, expires time.Time) time.Time {
	life := expires.Sub(start)
	ahead := max(life/renewAheadShare, renewAheadMin)
	return expires.Add(-min(ahead, life/2))
}
