package vlens

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Timing of LoginSource.
const (
	// expiryDelta: a cached token is not sent in its last 10 seconds, so
	// that it does not expire on its way (x/oauth2's expiryDelta). It
	// applies to the refresh token too.
	expiryDelta = 10 * time.Second
	// renewAheadMin and renewAheadShare: a token is renewed when less than
	// 10% of its lifetime or 5 minutes remain, whichever is more, but never
	// in the first half of its life (test servers issue tokens that last a
	// second).
	renewAheadMin   = 5 * time.Minute
	renewAheadShare = 10
	// renewTimeout bounds one login or refresh, which runs on its own
	// context so that no single caller's cancellation stops it.
	renewTimeout = time.Minute
	// renewRetryAfter spaces renewals that failed without an answer while
	// the cached token still works, so that an unreachable endpoint is not
	// called once per request.
	renewRetryAfter = 10 * time.Second
	// loginBackoffMin and loginBackoffMax bound the wait after a refused
	// login, doubling from one to the other: the platform locks a user out
	// after 5 failed logins.
	loginBackoffMin = 30 * time.Second
	loginBackoffMax = 5 * time.Minute
)

// LoginSource is the built-in AdminTokenSource, after x/oauth2's
// ReuseTokenSource: it logs in with a tenant admin's credentials, hands out
// the cached token while it is fresh (not in its last 10 seconds), renews it
// in the background once it is near expiry, and has callers wait only when
// there is no usable token. However many goroutines need a token, one login
// or refresh is in flight; each waits within its own context, and one that
// gives up does not cancel the renewal the others wait on. A renewal is
// bounded by a minute of its own (ErrRenewalTimeout).
//
// A refresh refused in any way (an answer of any status, including HTTP 200
// with an error_code) leads to a login. A refused login (any error answer,
// 429 and 5xx included) is remembered: for 30 seconds, doubling up to 5
// minutes and reset by a success, every caller gets the refusal at once and
// no login is sent, so that a wrong password does not lock the admin out.
// A failure with no answer (a connection lost, a timeout) keeps the cached
// tokens for a later try, except a refresh token that may have reached
// Vlens: refreshing spends it, so it is never sent twice.
//
// Build one with NewLoginSource to share a login among several clients of a
// tenant (WithAdminTokenSource), or let WithAdminCredentials build one per
// client. Close it when done. Its methods are safe for concurrent use.
type LoginSource struct {
	client  *Client
	creds   AdminCredentials
	now     func() time.Time // every time the source reads comes from it
	timeout time.Duration    // renewTimeout; tests shorten it

	ctx    context.Context // ended by Close; renewals run under it
	cancel context.CancelFunc
	wg     sync.WaitGroup // renewals running

	mu        sync.Mutex
	closed    bool
	token     *AdminToken // nil before the first login
	encrypted string      // the last refresh answer's encryptedAccessToken
	renewAt   time.Time   // when to start renewing token
	inflight  *renewal    // the renewal under way, or nil
	refusal   error       // the last login's refusal, repeated until loginAt
	loginAt   time.Time   // no login before this
	backoff   time.Duration
}

// renewal is one login or refresh in flight; done is closed when token and
// err are set.
type renewal struct {
	done  chan struct{}
	token string
	err   error
}

// NewLoginSource returns a LoginSource that logs in with creds and renews
// through c (its base URL, API key and call options; c needs no admin option
// itself). The credentials are validated first. Give it to any number of
// clients of the same tenant with WithAdminTokenSource; they then share one
// login and one refresh. Closing c makes the source's renewals fail.
func NewLoginSource(c *Client, creds AdminCredentials) (*LoginSource, error) {
	if c == nil {
		return nil, errors.New("vlens: NewLoginSource: client must not be nil")
	}
	if err := creds.Validate(); err != nil {
		return nil, prefixed("NewLoginSource", err)
	}
	return newLoginSource(c, creds), nil
}

func newLoginSource(c *Client, creds AdminCredentials) *LoginSource {
	s := &LoginSource{client: c, creds: creds, now: time.Now, timeout: renewTimeout}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// AccessToken returns a usable access token: the cached one while it is
// fresh (starting a background renewal once it is near expiry), or else the
// result of the renewal under way, waited for within ctx. During the
// back-off after a refused login it returns that refusal at once; errors.As
// finds its *APIError.
func (s *LoginSource) AccessToken(ctx context.Context) (string, error) {
	if s == nil || s.client == nil {
		return "", errors.New("vlens: LoginSource: build it with NewLoginSource")
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return "", ErrClosed
	}
	now := s.now()
	if t := s.token; t != nil && t.AccessToken != "" && now.Before(t.ExpiresAt.Add(-expiryDelta)) {
		if !now.Before(s.renewAt) {
			s.renewLocked(now)
		}
		s.mu.Unlock()
		return t.AccessToken, nil
	}
	if s.inflight == nil && s.refusal != nil && s.needsLogin(now) && now.Before(s.loginAt) {
		err := &loginRefusedError{err: s.refusal, retry: s.loginAt}
		s.mu.Unlock()
		return "", err
	}
	r := s.renewLocked(now)
	s.mu.Unlock()
	select {
	case <-r.done:
		return r.token, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// InvalidateAccessToken forgets token after Vlens refused it, keeping its
// refresh token: the next AccessToken renews (and logs in if the refresh is
// refused too).
func (s *LoginSource) InvalidateAccessToken(token string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != nil && s.token.AccessToken == token {
		dropped := *s.token
		dropped.AccessToken, dropped.ExpiresAt = "", time.Time{}
		s.token = &dropped
	}
}

// Close stops a login or refresh in flight, waits for it to end, and makes
// every later AccessToken fail with ErrClosed. Callers waiting on the
// stopped renewal get ErrClosed. It always returns nil.
func (s *LoginSource) Close() error {
	if s == nil || s.cancel == nil {
		return nil
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// needsLogin reports whether no refresh token can be sent at now. s.mu must
// be held.
func (s *LoginSource) needsLogin(now time.Time) bool {
	t := s.token
	return t == nil || t.RefreshToken == "" ||
		!t.RefreshTokenExpiresAt.IsZero() && !now.Before(t.RefreshTokenExpiresAt.Add(-expiryDelta))
}

// renewLocked returns the renewal in flight, starting one if there is none.
// s.mu must be held, and s not closed.
func (s *LoginSource) renewLocked(now time.Time) *renewal {
	if s.inflight == nil {
		s.inflight = &renewal{done: make(chan struct{})}
		refreshToken := ""
		if !s.needsLogin(now) {
			refreshToken = s.token.RefreshToken
		}
		s.wg.Add(1)
		go s.renew(s.inflight, refreshToken)
	}
	return s.inflight
}

// renew refreshes with refreshToken when there is one, and logs in when
// there is none or Vlens refuses it, then records the outcome.
func (s *LoginSource) renew(r *renewal, refreshToken string) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	start := s.now()
	var (
		d   *adminTokenData
		err error
		op  = "refresh admin token"
	)
	if refreshToken != "" {
		d, err = s.client.refresh(ctx, refreshToken, nil)
	}
	// A refresh token that was refused, or that may have reached Vlens
	// without an answer coming back, is spent: it is never sent again.
	spent := refreshToken != "" && err != nil && !dialFailed(err)
	var apiErr *APIError
	if refreshToken == "" || errors.As(err, &apiErr) {
		op = "login"
		d, err = s.client.login(ctx, s.creds, nil)
	}
	err = s.renewalError(ctx, op, err)

	s.mu.Lock()
	now := s.now()
	switch {
	case err == nil:
		t := d.token(start, refreshToken)
		if op != "login" && d.RefreshTokenExpireInSeconds <= 0 && s.token != nil {
			t.RefreshTokenExpiresAt = s.token.RefreshTokenExpiresAt // the login's, across rotations
		}
		s.token, s.encrypted = t, d.EncryptedAccessToken
		s.renewAt = renewAt(start, t.ExpiresAt)
		s.refusal, s.backoff = nil, 0
		r.token = t.AccessToken
	case op == "login" && errors.As(err, &apiErr) && !unusableAnswer(apiErr):
		s.backoff = min(max(2*s.backoff, loginBackoffMin), loginBackoffMax)
		s.refusal, s.loginAt = err, now.Add(s.backoff)
		s.renewAt = s.loginAt
		err = &loginRefusedError{err: err, retry: s.loginAt}
	default:
		s.renewAt = now.Add(renewRetryAfter)
	}
	if err != nil && spent {
		s.forgetRefreshToken()
	}
	s.inflight = nil
	s.mu.Unlock()
	r.err = err
	close(r.done)
}

// renewalError is what callers see of a renewal's failure: ErrClosed when
// Close stopped it, and ErrRenewalTimeout when the renewal's own bound
// ended it, since the caller's context did not.
func (s *LoginSource) renewalError(ctx context.Context, op string, err error) error {
	switch {
	case err == nil:
		return nil
	case s.ctx.Err() != nil:
		return prefixed(op+" stopped", ErrClosed)
	case ctx.Err() != nil:
		return &renewalTimeoutError{op: op, timeout: s.timeout}
	}
	return err
}

// forgetRefreshToken drops the cached refresh token, keeping the access
// token for the rest of its life. s.mu must be held.
func (s *LoginSource) forgetRefreshToken() {
	if s.token != nil {
		t := *s.token
		t.RefreshToken, t.RefreshTokenExpiresAt = "", time.Time{}
		s.token = &t
	}
}

// secrets are the credentials and every token the source holds, redacted
// from the answers of the calls that use it.
func (s *LoginSource) secrets() sensitive {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.creds.secrets()
	out.secrets = append(out.secrets, s.encrypted)
	if s.token != nil {
		out.secrets = append(out.secrets, s.token.AccessToken, s.token.RefreshToken)
	}
	return out
}
