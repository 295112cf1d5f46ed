package vlens

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"
)

// AdminTokenSource supplies the admin bearer token that endpoints needing
// one (CreateInvitation) send. AdminToken must return a valid access token
// or an error, honouring ctx; it is called once per such call (twice when
// Vlens refuses the first token with 401), from many goroutines at once.
type AdminTokenSource interface {
	AdminToken(ctx context.Context) (string, error)
}

// WithAdminCredentials makes the client log in with creds when it first
// needs an admin token, cache the token, refresh it ahead of expiry with its
// refresh token, and log in again when the refresh token has expired or is
// refused. However many goroutines need a token at once, one login or
// refresh is in flight; each waits within its own context, and one that
// gives up does not cancel the fetch the others wait on. The credentials are
// validated here (see AdminCredentials.Validate). Client only; it replaces
// an earlier WithAdminTokenSource.
func WithAdminCredentials(creds AdminCredentials) Option {
	return clientOption(func(s *settings) error {
		if err := creds.Validate(); err != nil {
			return fmt.Errorf("vlens: WithAdminCredentials: %w", err)
		}
		s.adminCreds, s.adminSource = &creds, nil
		return nil
	})
}

// WithAdminTokenSource makes the client take admin tokens from src (a token
// shared by replicas through a secret store, say) instead of logging in
// itself. When Vlens refuses a token with 401, the client asks src once more
// and repeats the call once. Client only; it replaces an earlier
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

// Renewal timing of the built-in admin token source.
const (
	// renewAheadMin and renewAheadShare: a token is renewed when less than
	// 10% of its lifetime or 5 minutes remain, whichever is more, but never
	// in the first half of its life (test servers issue tokens that last a
	// second).
	renewAheadMin   = 5 * time.Minute
	renewAheadShare = 10
	// renewTimeout bounds one login or refresh, which runs on its own
	// context so that no single caller's cancellation stops it.
	renewTimeout = time.Minute
	// renewRetryAfter spaces renewals that failed while the cached token
	// still works, so that a failing login endpoint is not called once per
	// request.
	renewRetryAfter = 10 * time.Second
)

// credentialsSource is the AdminTokenSource WithAdminCredentials installs,
// after x/oauth2's ReuseTokenSource: it hands out the cached token while it
// is fresh, renews it in the background once it is near its expiry, and has
// callers wait only when there is no usable token; one renewal is in flight
// at a time.
type credentialsSource struct {
	client *Client
	creds  AdminCredentials
	now    func() time.Time // time.Now; tests move it on

	mu       sync.Mutex
	token    *AdminToken
	renewAt  time.Time // when to start renewing token
	inflight *renewal  // the renewal under way, or nil
}

// renewal is one login or refresh in flight; done is closed when token and
// err are set.
type renewal struct {
	done  chan struct{}
	token *AdminToken
	err   error
}

// AdminToken returns a usable access token: the cached one while it has not
// expired (starting a background renewal once it is near expiry), or else
// the result of the renewal under way, waited for within ctx.
func (s *credentialsSource) AdminToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	now := s.now()
	if t := s.token; t != nil && t.AccessToken != "" && now.Before(t.ExpiresAt) {
		if !now.Before(s.renewAt) {
			s.renewLocked()
		}
		s.mu.Unlock()
		return t.AccessToken, nil
	}
	r := s.renewLocked()
	s.mu.Unlock()
	select {
	case <-r.done:
		if r.err != nil {
			return "", r.err
		}
		return r.token.AccessToken, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// renewLocked returns the renewal in flight, starting one if there is none.
// s.mu must be held.
func (s *credentialsSource) renewLocked() *renewal {
	if s.inflight == nil {
		s.inflight = &renewal{done: make(chan struct{})}
		go s.renew(s.inflight, s.token)
	}
	return s.inflight
}

// renew refreshes old when it has a refresh token that has not expired,
// and logs in when it has none, or when Vlens refuses it (401 or 403).
func (s *credentialsSource) renew(r *renewal, old *AdminToken) {
	ctx, cancel := context.WithTimeout(context.Background(), renewTimeout)
	defer cancel()
	start := time.Now()
	var token *AdminToken
	var err error
	if old != nil && old.RefreshToken != "" && (old.RefreshTokenExpiresAt.IsZero() || s.now().Before(old.RefreshTokenExpiresAt)) {
		token, err = s.client.RefreshAdminToken(ctx, old.RefreshToken)
		if err == nil && token.RefreshToken == old.RefreshToken {
			token.RefreshTokenExpiresAt = old.RefreshTokenExpiresAt
		}
		if errors.Is(err, ErrUnauthorized) {
			token, err = nil, nil
		}
	}
	if token == nil && err == nil {
		token, err = s.client.Login(ctx, s.creds)
	}
	s.mu.Lock()
	if err == nil {
		s.token = token
		s.renewAt = renewAt(start, token.ExpiresAt)
	} else if s.token != nil {
		s.renewAt = s.now().Add(renewRetryAfter)
	}
	s.inflight = nil
	s.mu.Unlock()
	r.token, r.err = token, err
	close(r.done)
}

// renewAt is when a token obtained at start and expiring at expires should
// be renewed.
func renewAt(start, expires time.Time) time.Time {
	life := expires.Sub(start)
	ahead := max(life/renewAheadShare, renewAheadMin)
	return expires.Add(-min(ahead, life/2))
}

// dropAdminToken forgets token after Vlens refused it, keeping its refresh
// token: the next AdminToken renews (and logs in if that is refused too).
func (s *credentialsSource) dropAdminToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != nil && s.token.AccessToken == token {
		dropped := *s.token
		dropped.AccessToken, dropped.ExpiresAt = "", time.Time{}
		s.token = &dropped
	}
}
