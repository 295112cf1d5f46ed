package vlens

// Tests of the admin token path against a Vlens that fails the way the
// platform does: refusals as HTTP 200 or 400, lockouts, proxies that answer
// 503 after the server processed the request, answers lost on the way.

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vlens-go/vlens/internal/faultserver"
)

// answer is a fixed status and body, for adminVlens's login and refresh
// hooks.
func answer(status int, body string) func() (int, string) {
	return func() (int, string) { return status, body }
}

// hangLogins makes v's logins wait until the test ends.
func hangLogins(t *testing.T, v *adminVlens) {
	gate := make(chan struct{})
	v.set(func(v *adminVlens) { v.loginGate = gate })
	t.Cleanup(func() { close(gate) }) // before the server's Close, which waits for handlers
}

// refusals are the ways the platform refuses a login or a refresh.
var refusals = []struct {
	name   string
	answer func() (int, string)
}{
	{"HTTP 200 with error_code", answer(200, errorBody(1001, "Invalid user name or password"))},
	{"HTTP 400", answer(400, errorBody(400, "Invalid request"))},
	{"HTTP 401", answer(401, errorBody(401, "Unauthorized"))},
	{"HTTP 500", answer(500, errorBody(500, "An internal error occurred"))},
}

// TestRefusedLoginIsSentOncePerWindow: however many calls and goroutines,
// a refused login is sent once per back-off window, and each caller gets
// the refusal as the login's *APIError.
func TestRefusedLoginIsSentOncePerWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := newAdminVlens(t)
			v.login = tc.answer
			c := v.client(t)
			clock := useClock(c)
			invite := func() {
				t.Helper()
				_, err := c.CreateInvitation(context.Background(), invitationInput)
				assert.Equal(t, "login", requireAPIError(t, err).Operation)
				assert.ErrorIs(t, err, ErrNoAdminToken)
			}
			var wg sync.WaitGroup
			for range 10 {
				wg.Add(1)
				go func() { defer wg.Done(); invite() }()
			}
			wg.Wait()
			for range 10 {
				invite()
			}
			assert.Equal(t, 1, v.count(LoginPath), "20 calls, 1 login")
			clock.Advance(loginBackoffMin)
			invite()
			invite()
			assert.Equal(t, 2, v.count(LoginPath), "1 more in the next window")
			assert.Zero(t, v.count(CreateInvitationPath))
		})
	}
}

// TestLoginBackoffDoublesToFiveMinutesAndSuccessResetsIt walks the windows
// with an injected clock.
func TestLoginBackoffDoublesToFiveMinutesAndSuccessResetsIt(t *testing.T) {
	t.Parallel()
	v := newAdminVlens(t)
	v.login = answer(401, errorBody(401, "Invalid user name or password"))
	c := v.client(t)
	clock := useClock(c)
	ctx := context.Background()
	_, err := c.CreateInvitation(ctx, invitationInput)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "(no new login before "+clock.Now().Add(30*time.Second).UTC().Format(time.RFC3339)+")")
	logins := 1
	for _, window := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute} {
		clock.Advance(window - time.Second)
		_, err = c.CreateInvitation(ctx, invitationInput)
		require.Error(t, err)
		require.Equal(t, logins, v.count(LoginPath), "within the %s window", window)
		clock.Advance(time.Second)
		_, err = c.CreateInvitation(ctx, invitationInput)
		require.Error(t, err)
		logins++
		require.Equal(t, logins, v.count(LoginPath), "after the %s window", window)
	}

	// The password is fixed: the next window's login succeeds, and resets
	// the back-off.
	v.set(func(v *adminVlens) { v.login = nil })
	clock.Advance(5 * time.Minute)
	_, err = c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	v.set(func(v *adminVlens) { v.login = answer(401, errorBody(401, "locked out")) })
	v.revokeAll()
	_, err = c.CreateInvitation(ctx, invitationInput)
	require.Error(t, err)
	assert.Equal(t, logins+2, v.count(LoginPath))
	clock.Advance(30 * time.Second)
	_, _ = c.CreateInvitation(ctx, invitationInput)
	assert.Equal(t, logins+3, v.count(LoginPath), "the window is 30s again")
}

// TestRefusedRefreshLogsInOnce: a refresh refused in any way leads to one
// login, and the invitations go through.
func TestRefusedRefreshLogsInOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := newAdminVlens(t)
			c := v.client(t)
			clock := useClock(c)
			ctx := context.Background()
			_, err := c.CreateInvitation(ctx, invitationInput)
			require.NoError(t, err)
			v.set(func(v *adminVlens) { v.refusal = tc.answer })
			clock.Advance(24 * time.Hour) // the access token expired, the refresh token has 6 days left
			for range 5 {
				_, err = c.CreateInvitation(ctx, invitationInput)
				require.NoError(t, err)
			}
			assert.Equal(t, 1, v.count(RefreshTokenPath))
			assert.Equal(t, 2, v.count(LoginPath))
			assert.Equal(t, 6, v.count(CreateInvitationPath))
		})
	}
}

// TestRefreshTokenKeepsTheLoginsExpiryAcrossRotations: the refresh answer
// gives no lifetime, so the login's 7 days still hold after a rotation.
func TestRefreshTokenKeepsTheLoginsExpiryAcrossRotations(t *testing.T) {
	t.Parallel()
	v := newAdminVlens(t)
	c := v.client(t)
	clock := useClock(c)
	ctx := context.Background()
	_, err := c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	clock.Advance(24 * time.Hour)
	_, err = c.CreateInvitation(ctx, invitationInput) // refresh-1 rotated to refresh-2
	require.NoError(t, err)
	require.Equal(t, 1, v.count(RefreshTokenPath))
	clock.Advance(7 * 24 * time.Hour)
	_, err = c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	assert.Equal(t, 1, v.count(RefreshTokenPath), "refresh-2 expired with the login's 7 days: not sent")
	assert.Equal(t, 2, v.count(LoginPath))
}

// TestInvitationAnswered503AfterRecordingIsNotRepeated: a proxy answered 503
// after the server recorded the invitation.
func TestInvitationAnswered503AfterRecordingIsNotRepeated(t *testing.T) {
	t.Parallel()
	v := newAdminVlens(t)
	v.invitation = func(int) (int, string) { return 503, "upstream connect error or disconnect/reset before headers" }
	c := v.client(t)
	_, err := c.CreateInvitation(context.Background(), invitationInput)
	apiErr := requireAPIError(t, err)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Equal(t, "create invitation", apiErr.Operation)
	assert.NotErrorIs(t, err, ErrNoAdminToken)
	assert.Equal(t, 1, v.count(CreateInvitationPath))
}

// TestLostRefreshAnswerIsNotResent: the server spent the refresh token, then
// the connection reset. The spent token is sent neither again in the call
// nor in a later renewal: the next call logs in.
func TestLostRefreshAnswerIsNotResent(t *testing.T) {
	t.Parallel()
	v := newAdminVlens(t)
	c := v.client(t)
	clock := useClock(c)
	ctx := context.Background()
	_, err := c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	v.set(func(v *adminVlens) { v.lostRefresh = true })
	clock.Advance(24 * time.Hour)
	_, err = c.CreateInvitation(ctx, invitationInput)
	require.ErrorIs(t, err, ErrNoAdminToken)
	assert.False(t, errors.As(err, new(*APIError)), "no answer came: %v", err)
	assert.Equal(t, 1, v.count(RefreshTokenPath), "not retried")

	_, err = c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	assert.Equal(t, 1, v.count(RefreshTokenPath), "the spent token is not sent again")
	assert.Equal(t, 2, v.count(LoginPath))
}

// TestCloseStopsAHungLoginAndLeavesNoGoroutine: not parallel, since goleak
// looks at every goroutine of the process.
func TestCloseStopsAHungLoginAndLeavesNoGoroutine(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	v := newAdminVlens(t)
	hangLogins(t, v)
	c := v.client(t)
	done := make(chan error, 1)
	go func() {
		_, err := c.CreateInvitation(context.Background(), invitationInput)
		done <- err
	}()
	require.Eventually(t, func() bool { return v.count(LoginPath) == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, c.Close())
	select {
	case err := <-done:
		assert.ErrorIs(t, err, ErrClosed)
		assert.NotErrorIs(t, err, context.Canceled, "the caller's context did not end")
	case <-time.After(prompt):
		t.Fatal("the waiting caller did not return after Close")
	}
	goleak.VerifyNone(t, leaks,
		goleak.IgnoreAnyFunction("github.com/vlens-go/vlens.(*adminVlens).serve"), // the server's hung handler
		goleak.IgnoreAnyFunction("net/http/httptest.(*Server).goServe.func1"))

	_, err := c.CreateInvitation(context.Background(), invitationInput)
	assert.ErrorIs(t, err, ErrClosed)
	_, err = c.CreateAuthSession(context.Background(), validInput())
	assert.ErrorIs(t, err, ErrClosed)
	_, err = c.Login(context.Background(), testCreds)
	assert.ErrorIs(t, err, ErrClosed)
	assert.Equal(t, 1, v.count(LoginPath))
	assert.Zero(t, v.count(CreateInvitationPath))
	assert.NoError(t, c.Close(), "twice is harmless")
}

// TestSharedLoginSource: clients of one tenant share one login; closing a
// client leaves the shared source alone, closing the source stops it.
func TestSharedLoginSource(t *testing.T) {
	t.Parallel()
	v := newAdminVlens(t)
	base, err := NewClient(testAPIKey, WithBaseURL(v.srv.URL))
	require.NoError(t, err)
	_, err = NewLoginSource(base, AdminCredentials{TenancyName: "acme"})
	require.ErrorIs(t, err, ErrInvalidRequest)
	src, err := NewLoginSource(base, testCreds)
	require.NoError(t, err)
	var clients []*Client
	for range 3 {
		c, err := NewClient(testAPIKey, WithBaseURL(v.srv.URL), WithAdminTokenSource(src))
		require.NoError(t, err)
		_, err = c.CreateInvitation(context.Background(), invitationInput)
		require.NoError(t, err)
		clients = append(clients, c)
	}
	assert.Equal(t, 1, v.count(LoginPath))
	require.NoError(t, clients[0].Close())
	_, err = clients[1].CreateInvitation(context.Background(), invitationInput)
	require.NoError(t, err, "a client's Close does not close a source it was given")
	require.NoError(t, src.Close())
	_, err = clients[1].CreateInvitation(context.Background(), invitationInput)
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, err, ErrNoAdminToken)
}

// TestHugeLifetimesAreCappedNotOverflowed: 1e10 or MaxInt64 seconds would
// overflow into a date in the past, making every call log in.
func TestHugeLifetimesAreCappedNotOverflowed(t *testing.T) {
	t.Parallel()
	for _, secs := range []int64{1e10, math.MaxInt64} {
		t.Run(strconv.FormatInt(secs, 10), func(t *testing.T) {
			t.Parallel()
			v := newAdminVlens(t)
			n := strconv.FormatInt(secs, 10)
			v.lifetimes = `"expireInSeconds":` + n + `,"refreshTokenExpireInSeconds":` + n
			c := v.client(t)
			for range 5 {
				_, err := c.CreateInvitation(context.Background(), invitationInput)
				require.NoError(t, err)
			}
			assert.Equal(t, 1, v.count(LoginPath))
			tok, err := c.Login(context.Background(), testCreds)
			require.NoError(t, err)
			for _, at := range []time.Time{tok.ExpiresAt, tok.RefreshTokenExpiresAt} {
				assert.WithinDuration(t, time.Now().Add(365*24*time.Hour), at, time.Minute, "capped at a year")
			}

			// A long-lived refresh token is used, not taken for expired.
			v = newAdminVlens(t)
			v.lifetimes = `"expireInSeconds":60,"refreshTokenExpireInSeconds":` + n
			c = v.client(t)
			clock := useClock(c)
			_, err = c.CreateInvitation(context.Background(), invitationInput)
			require.NoError(t, err)
			clock.Advance(2 * time.Minute)
			_, err = c.CreateInvitation(context.Background(), invitationInput)
			require.NoError(t, err)
			assert.Equal(t, 1, v.count(LoginPath))
			assert.Equal(t, 1, v.count(RefreshTokenPath))
		})
	}
}

// TestAccessTokenNoHeaderCanCarryIsMalformedAndNotCached: each call logs in
// again rather than reuse (or send) it, and the back-off does not apply,
// since Vlens did not refuse the login.
func TestAccessTokenNoHeaderCanCarryIsMalformedAndNotCached(t *testing.T) {
	t.Parallel()
	for _, token := range []string{`tok\r\nX-Evil: 1`, `tok\n`, `tok\u0000`, `tok\u001b[0m`, `tok\u007f`} {
		t.Run(strconv.Quote(token), func(t *testing.T) {
			t.Parallel()
			v := newAdminVlens(t)
			v.login = answer(200, `{"data":{"accessToken":"`+token+`","expireInSeconds":86400,"refreshToken":"r-1"},"error_code":null}`)
			c := v.client(t)
			for i := 1; i <= 2; i++ {
				_, err := c.CreateInvitation(context.Background(), invitationInput)
				assert.ErrorIs(t, err, ErrMalformedResponse)
				assert.ErrorIs(t, err, ErrNoAdminToken)
				assert.Empty(t, cachedToken(c))
				assert.Equal(t, i, v.count(LoginPath))
			}
			_, err := c.Login(context.Background(), testCreds)
			assert.ErrorIs(t, err, ErrMalformedResponse)
			assert.Zero(t, v.count(CreateInvitationPath))
		})
	}
}

// TestTokenInItsLastTenSecondsIsNotSent: neither the access token nor the
// refresh token is sent when it would expire within 10 seconds.
func TestTokenInItsLastTenSecondsIsNotSent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		refreshLifetime  string
		refreshes, login int
	}{
		{"access token: refreshed first", "604800", 1, 1},
		{"refresh token too: logged in", "60", 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v := newAdminVlens(t)
			v.lifetimes = `"expireInSeconds":60,"refreshTokenExpireInSeconds":` + tc.refreshLifetime
			c := v.client(t)
			clock := useClock(c)
			ctx := context.Background()
			_, err := c.CreateInvitation(ctx, invitationInput)
			require.NoError(t, err)
			clock.Advance(51 * time.Second) // 9s left
			_, err = c.CreateInvitation(ctx, invitationInput)
			require.NoError(t, err)
			assert.Equal(t, "Bearer access-2", v.header(CreateInvitationPath, 1).Get("Authorization"), "access-1 is not sent")
			assert.Equal(t, tc.refreshes, v.count(RefreshTokenPath))
			assert.Equal(t, tc.login, v.count(LoginPath))
		})
	}
}

// TestRevokedAPIKeyIsOneRoundPerWindow: with the key revoked, the invitation,
// the refresh and the login are each refused with 401; that round happens
// once per window, not once per call.
func TestRevokedAPIKeyIsOneRoundPerWindow(t *testing.T) {
	t.Parallel()
	v := newAdminVlens(t)
	c := v.client(t)
	clock := useClock(c)
	ctx := context.Background()
	_, err := c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	v.set(func(v *adminVlens) { v.keyRevoked = true })
	for range 20 {
		_, err = c.CreateInvitation(ctx, invitationInput)
		assert.ErrorIs(t, err, ErrUnauthorized)
	}
	assert.Equal(t, 2, v.count(CreateInvitationPath))
	assert.Equal(t, 1, v.count(RefreshTokenPath))
	assert.Equal(t, 2, v.count(LoginPath))
	clock.Advance(30 * time.Second)
	for range 20 {
		_, err = c.CreateInvitation(ctx, invitationInput)
		assert.ErrorIs(t, err, ErrUnauthorized)
	}
	assert.Equal(t, 2, v.count(CreateInvitationPath))
	assert.Equal(t, 3, v.count(LoginPath), "one login in the next window")
}

// TestRenewalBoundIsNotTheCallersDeadline: the source's own bound on a
// login reports as ErrRenewalTimeout, a timeout but not
// context.DeadlineExceeded, while the caller's context is alive; the
// caller's own deadline still reports as context.DeadlineExceeded.
func TestRenewalBoundIsNotTheCallersDeadline(t *testing.T) {
	t.Parallel()
	v := newAdminVlens(t)
	hangLogins(t, v)
	c := v.client(t)
	src := c.admin.(*LoginSource)
	src.mu.Lock()
	src.timeout = 20 * time.Millisecond
	src.mu.Unlock()
	_, err := c.CreateInvitation(context.Background(), invitationInput)
	assert.ErrorIs(t, err, ErrRenewalTimeout)
	assert.ErrorIs(t, err, ErrNoAdminToken)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	var timeout interface{ Timeout() bool }
	require.ErrorAs(t, err, &timeout)
	assert.True(t, timeout.Timeout())

	src.mu.Lock()
	src.timeout = renewTimeout
	src.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = c.CreateInvitation(ctx, invitationInput)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, ErrRenewalTimeout)
}

// TestLoginRefusalIsToldApartFromInvitationRefusal: both match
// ErrUnauthorized; the Operation and ErrNoAdminToken say which refused.
func TestLoginRefusalIsToldApartFromInvitationRefusal(t *testing.T) {
	t.Parallel()
	v := newAdminVlens(t)
	wrong := testCreds
	wrong.Password = "not-the-password"
	_, err := v.client(t, WithAdminCredentials(wrong)).CreateInvitation(context.Background(), invitationInput)
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.ErrorIs(t, err, ErrNoAdminToken)
	assert.Equal(t, "login", requireAPIError(t, err).Operation)

	v.invitation = func(int) (int, string) { return 403, errorBody(403, "not allowed for this tenant") }
	_, err = v.client(t).CreateInvitation(context.Background(), invitationInput)
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.NotErrorIs(t, err, ErrNoAdminToken)
	assert.Equal(t, "create invitation", requireAPIError(t, err).Operation)
}

// TestInvitationErrorRedactsTheSourcesTokens: an invitation error that
// echoes the cached refresh token or the encrypted access token shows
// neither.
func TestInvitationErrorRedactsTheSourcesTokens(t *testing.T) {
	t.Parallel()
	v := newAdminVlens(t)
	c := v.client(t)
	clock := useClock(c)
	ctx := context.Background()
	_, err := c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	clock.Advance(24 * time.Hour)
	_, err = c.CreateInvitation(ctx, invitationInput) // refreshed: access-2, refresh-2, enc-access-2
	require.NoError(t, err)
	v.set(func(v *adminVlens) {
		v.invitation = func(int) (int, string) {
			return 422, errorBody(7, "session refresh-2 (enc-access-2) of access-2 may not invite")
		}
	})
	_, err = c.CreateInvitation(ctx, invitationInput)
	out := everythingPrinted(t, err)
	for _, secret := range []string{"refresh-2", "enc-access-2", "access-2"} {
		assert.NotContains(t, out, secret)
	}
	assert.Contains(t, out, "may not invite")
}

// TestRetryPolicyOfEachAdminEndpoint: Login is retried on 429 and 503 only;
// RefreshAdminToken on 429 only; neither on 500 or a refusal.
func TestRetryPolicyOfEachAdminEndpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path     string
		status   int
		attempts int
	}{
		{LoginPath, 429, 3}, {LoginPath, 503, 3}, {LoginPath, 500, 1}, {LoginPath, 502, 1}, {LoginPath, 504, 1},
		{LoginPath, 400, 1}, {LoginPath, 401, 1},
		{RefreshTokenPath, 429, 3}, {RefreshTokenPath, 503, 1}, {RefreshTokenPath, 500, 1}, {RefreshTokenPath, 401, 1},
	} {
		t.Run(tc.path+" "+strconv.Itoa(tc.status), func(t *testing.T) {
			t.Parallel()
			mt, c := setup(t)
			mt.RegisterResponder(http.MethodPost, DefaultBaseURL+tc.path, reply(tc.status, errorBody(tc.status, "no")))
			var err error
			if tc.path == LoginPath {
				_, err = c.Login(context.Background(), testCreds)
			} else {
				_, err = c.RefreshAdminToken(context.Background(), "refresh-token-1")
			}
			assert.Equal(t, tc.attempts, requireAPIError(t, err).Attempts)
			assert.Equal(t, tc.attempts, mt.GetTotalCallCount())
		})
	}
}

// TestWriteRetriedOnlyWhenTheConnectionWasNotMade: a dial that the attempt
// timeout cut short sent nothing and is retried; a timeout once the request
// was written is not.
func TestWriteRetriedOnlyWhenTheConnectionWasNotMade(t *testing.T) {
	t.Parallel()
	static := WithAdminTokenSource(tokenSourceFunc(func(context.Context) (string, error) { return "admin-tok", nil }))
	t.Run("dial timed out", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-release:
				return nil, errors.New("test over")
			}
		}}
		var attempts atomic.Int32
		counting := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			attempts.Add(1)
			return tr.RoundTrip(req)
		})
		c, err := NewClient(testAPIKey, WithBaseURL("http://127.0.0.1:9"), WithHTTPClient(&http.Client{Transport: counting}),
			static, WithRetryWait(time.Millisecond, time.Millisecond), WithAttemptTimeout(20*time.Millisecond))
		require.NoError(t, err)
		_, err = c.CreateInvitation(context.Background(), invitationInput)
		require.Error(t, err)
		assert.EqualValues(t, 3, attempts.Load(), "no connection was made: retried")
	})
	t.Run("timed out after the request was written", func(t *testing.T) {
		t.Parallel()
		srv, err := faultserver.Start(faultserver.Hang)
		require.NoError(t, err)
		t.Cleanup(srv.Close)
		c, err := NewClient(testAPIKey, WithBaseURL(srv.URL()), static,
			WithRetryWait(time.Millisecond, time.Millisecond), WithAttemptTimeout(20*time.Millisecond))
		require.NoError(t, err)
		_, err = c.CreateInvitation(context.Background(), invitationInput)
		require.Error(t, err)
		assert.Equal(t, 1, srv.Requests(), "Vlens may have processed it: not retried")
	})
}
