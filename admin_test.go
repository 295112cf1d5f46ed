package vlens

// Tests of Login, RefreshAdminToken, CreateInvitation and the admin token
// sources, against an httptest server that plays Vlens's admin endpoints.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vlens-go/vlens/internal/faultserver"
)

var testCreds = AdminCredentials{TenancyName: "acme", UserNameOrEmailAddress: "admin@acme.example", Password: "s3cret-pass-w0rd"}

// adminVlens plays Vlens's Login, RefreshToken and CreateInvitation. Access
// tokens are "access-N", refresh tokens "refresh-N"; it records the
// requests it saw by path. Its fields set how it fails, as the platform
// does: set them before the first request.
type adminVlens struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	seen        map[string]int // path -> requests
	bodies      map[string][]string
	headers     map[string][]http.Header
	issued      int
	valid       map[string]bool           // access tokens Vlens accepts
	refreshable map[string]bool           // refresh tokens Vlens accepts
	loginGate   chan struct{}             // when set, logins wait until it is closed
	login       func() (int, string)      // when set, the answer to every login
	lifetimes   string                    // expireInSeconds and refreshTokenExpireInSeconds, as JSON members
	invitation  func(n int) (int, string) // status and body for invitation n (from 1)
	refusal     func() (int, string)      // when set, the answer to every refresh; it spends the token
	lostRefresh bool                      // refreshes spend the token, then the connection resets
	keyRevoked  bool                      // every request is refused with 401
}

func newAdminVlens(t *testing.T) *adminVlens {
	v := &adminVlens{t: t, seen: map[string]int{}, bodies: map[string][]string{}, headers: map[string][]http.Header{},
		valid: map[string]bool{}, refreshable: map[string]bool{}, lifetimes: `"expireInSeconds":86400,"refreshTokenExpireInSeconds":604800`}
	v.srv = httptest.NewServer(http.HandlerFunc(v.serve))
	t.Cleanup(v.srv.Close)
	return v
}

func (v *adminVlens) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v.mu.Lock()
	v.seen[r.URL.Path]++
	n := v.seen[r.URL.Path]
	v.bodies[r.URL.Path] = append(v.bodies[r.URL.Path], string(body))
	v.headers[r.URL.Path] = append(v.headers[r.URL.Path], r.Header.Clone())
	gate, login, refusal, lost, revoked := v.loginGate, v.login, v.refusal, v.lostRefresh, v.keyRevoked
	v.mu.Unlock()
	if revoked {
		w.WriteHeader(401)
		_, _ = io.WriteString(w, errorBody(401, "bad API key"))
		return
	}
	switch r.URL.Path {
	case LoginPath:
		if gate != nil {
			<-gate
		}
		var c AdminCredentials
		switch {
		case login != nil:
			status, b := login()
			w.WriteHeader(status)
			_, _ = io.WriteString(w, b)
		case json.Unmarshal(body, &c) != nil || c != testCreds || r.Header.Get("TenancyName") != testCreds.TenancyName:
			w.WriteHeader(401)
			_, _ = io.WriteString(w, errorBody(401, "bad credentials"))
		default:
			_, _ = io.WriteString(w, v.issue(v.lifetimes, false))
		}
	case RefreshTokenPath:
		var req struct{ RefreshToken string }
		_ = json.Unmarshal(body, &req)
		v.mu.Lock()
		ok := v.refreshable[req.RefreshToken]
		delete(v.refreshable, req.RefreshToken)
		v.mu.Unlock()
		switch {
		case lost:
			conn, _, err := http.NewResponseController(w).Hijack()
			require.NoError(v.t, err)
			_ = conn.(*net.TCPConn).SetLinger(0)
			_ = conn.Close()
		case refusal != nil:
			status, b := refusal()
			w.WriteHeader(status)
			_, _ = io.WriteString(w, b)
		case !ok:
			w.WriteHeader(401)
			_, _ = io.WriteString(w, errorBody(401, "bad refresh token"))
		default:
			_, _ = io.WriteString(w, v.issue(`"expireInSeconds":86400`, true))
		}
	case CreateInvitationPath:
		v.mu.Lock()
		ok := v.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		answer := v.invitation
		v.mu.Unlock()
		if !ok {
			w.WriteHeader(401)
			_, _ = io.WriteString(w, errorBody(401, "bad token"))
			return
		}
		status, b := 200, tokenBody("invite-"+strconv.Itoa(n))
		if answer != nil {
			status, b = answer(n)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, b)
	default:
		w.WriteHeader(404)
	}
}

// set changes v's behaviour under its lock.
func (v *adminVlens) set(f func(v *adminVlens)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f(v)
}

// issue mints a token pair and answers with it and extra fields, and with
// an encryptedAccessToken "enc-access-N" when encrypted is set.
func (v *adminVlens) issue(extra string, encrypted bool) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.issued++
	n := strconv.Itoa(v.issued)
	access, refresh := "access-"+n, "refresh-"+n
	v.valid[access], v.refreshable[refresh] = true, true
	if encrypted {
		extra += `,"encryptedAccessToken":"enc-access-` + n + `"`
	}
	return `{"data":{"accessToken":"` + access + `","refreshToken":"` + refresh + `",` + extra + `},"error_code":null}`
}

// header is the i-th request's headers on path.
func (v *adminVlens) header(path string, i int) http.Header {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.headers[path][i]
}

// body is the i-th request's body on path.
func (v *adminVlens) body(path string, i int) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.bodies[path][i]
}

func (v *adminVlens) count(path string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.seen[path]
}

func (v *adminVlens) revokeAll() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.valid, v.refreshable = map[string]bool{}, map[string]bool{}
}

func (v *adminVlens) client(t *testing.T, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(testAPIKey, append([]Option{WithBaseURL(v.srv.URL), WithAdminCredentials(testCreds),
		WithRetryWait(time.Millisecond, 2*time.Millisecond)}, opts...)...)
	require.NoError(t, err)
	return c
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (k *fakeClock) Now() time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.t
}

func (k *fakeClock) Advance(d time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.t = k.t.Add(d)
}

// useClock makes c's admin token source read the time from a fake clock,
// before c has made any call.
func useClock(c *Client) *fakeClock {
	k := &fakeClock{t: time.Now()}
	src := c.admin.(*LoginSource)
	src.mu.Lock()
	defer src.mu.Unlock()
	src.now = k.Now
	return k
}

// cachedToken is the access token c's admin token source holds.
func cachedToken(c *Client) string {
	src := c.admin.(*LoginSource)
	src.mu.Lock()
	defer src.mu.Unlock()
	if src.token == nil {
		return ""
	}
	return src.token.AccessToken
}

var invitationInput = CreateInvitationInput{
	PhoneNumber:         "+201234567890",
	SessionPermissions:  &SessionPermissions{AllowedContractTypeIDs: []int{414}, MinimalSignatureFlow: true},
	RequestFieldsValues: map[int]map[string]string{414: {"fullName": "Ahmed Mohamed", "monthlyIncome": "5000"}},
}

func TestAdminEndpointsSendExactBodiesAndHeaders(t *testing.T) {
	t.Parallel()
	v := newAdminVlens(t)
	c := v.client(t, WithUserAgent("app/1"))
	s, err := c.CreateInvitation(context.Background(), invitationInput)
	require.NoError(t, err)
	assert.Equal(t, "invite-1", s.Token)

	login := v.header(LoginPath, 0)
	assert.Equal(t, testAPIKey, login.Get("ApiKey"))
	assert.Equal(t, "acme", login.Get("TenancyName"))
	assert.Equal(t, "application/json", login.Get("Content-Type"))
	assert.JSONEq(t, `{"tenancyName":"acme","userNameOrEmailAddress":"admin@acme.example","password":"s3cret-pass-w0rd"}`, v.body(LoginPath, 0))

	inv := v.header(CreateInvitationPath, 0)
	assert.Equal(t, testAPIKey, inv.Get("ApiKey"))
	assert.Equal(t, "Bearer access-1", inv.Get("Authorization"))
	assert.Empty(t, inv.Get("TenancyName"))
	assert.Contains(t, inv.Get("User-Agent"), " app/1")
	assert.Equal(t, `{"SessionInput":{"phoneNumber":"+201234567890","sessionPermissions":{"allowedContractTypeIds":[414],"minimalSignatureFlow":true,"DigitalIdentityOnly":false},"RequestFieldsValues":{"414":{"fullName":"Ahmed Mohamed","monthlyIncome":"5000"}}}}`,
		v.body(CreateInvitationPath, 0), "byte for byte as Vlens documents it")

	tok, err := c.RefreshAdminToken(context.Background(), "refresh-1")
	require.NoError(t, err)
	assert.JSONEq(t, `{"refreshToken":"refresh-1"}`, v.body(RefreshTokenPath, 0))
	assert.Equal(t, testAPIKey, v.header(RefreshTokenPath, 0).Get("ApiKey"))
	assert.Equal(t, "access-2", tok.AccessToken)
	assert.Equal(t, "refresh-2", tok.RefreshToken)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), tok.ExpiresAt, time.Minute)
	assert.True(t, tok.RefreshTokenExpiresAt.IsZero(), "the refresh answer does not say")
}

func TestRefreshKeepsTheRightRefreshToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ data, want string }{
		{`{"accessToken":"a","expireInSeconds":60,"refreshToken":"r-old-echo","newRefreshToken":"r-new"}`, "r-new"},
		{`{"accessToken":"a","expireInSeconds":60,"refreshToken":"r-new","newRefreshToken":""}`, "r-new"},
		{`{"accessToken":"a","expireInSeconds":60}`, "r-given"},
	} {
		mt, c := setup(t)
		mt.RegisterResponder(http.MethodPost, DefaultBaseURL+RefreshTokenPath, reply(200, `{"data":`+tc.data+`,"error_code":null}`))
		tok, err := c.RefreshAdminToken(context.Background(), "r-given")
		require.NoError(t, err)
		assert.Equal(t, tc.want, tok.RefreshToken, tc.data)
	}
}

func TestLoginAnswerWithoutTokenOrLifetimeIsMalformed(t *testing.T) {
	t.Parallel()
	for _, data := range []string{`{"accessToken":"","expireInSeconds":60}`, `{"accessToken":"a"}`, `{"accessToken":"a","expireInSeconds":-1}`, `"a"`} {
		mt, c := setup(t)
		mt.RegisterResponder(http.MethodPost, DefaultBaseURL+LoginPath, reply(200, `{"data":`+data+`,"error_code":null}`))
		_, err := c.Login(context.Background(), testCreds)
		assert.ErrorIs(t, err, ErrMalformedResponse, data)
	}
}

func TestOneLoginForManyConcurrentFirstCalls(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	v := newAdminVlens(t)
	v.loginGate = make(chan struct{})
	c := v.client(t)
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.CreateInvitation(context.Background(), invitationInput)
			assert.NoError(t, err)
		}()
	}
	require.Eventually(t, func() bool { return v.count(LoginPath) == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(5 * time.Millisecond) // let the other callers queue behind the login
	close(v.loginGate)
	wg.Wait()
	assert.Equal(t, 1, v.count(LoginPath))
	assert.Equal(t, 64, v.count(CreateInvitationPath))
	c.CloseIdleConnections()
	v.srv.Close()
	goleak.VerifyNone(t, leaks)
}

func TestNearExpiryRefreshesAndExpiredRefreshTokenLogsIn(t *testing.T) {
	t.Parallel()
	v := newAdminVlens(t)
	c := v.client(t)
	clock := useClock(c)
	ctx := context.Background()
	_, err := c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	require.Equal(t, 1, v.count(LoginPath))

	// 23h in, the token has an hour left (under 10% of 24h): it is still
	// used, and renewed by a refresh in the background.
	clock.Advance(23 * time.Hour)
	_, err = c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	assert.Equal(t, "Bearer access-1", v.header(CreateInvitationPath, 1).Get("Authorization"))
	require.Eventually(t, func() bool { return cachedToken(c) == "access-2" }, 5*time.Second, time.Millisecond)
	assert.Equal(t, 1, v.count(RefreshTokenPath))
	_, err = c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	assert.Equal(t, "Bearer access-2", v.header(CreateInvitationPath, 2).Get("Authorization"))
	assert.Equal(t, 1, v.count(LoginPath), "a refresh, not a login")

	// Eight days after a login, access and refresh tokens have both
	// expired: the caller waits for a login, and the refresh token is not
	// even tried.
	c = v.client(t)
	clock = useClock(c)
	_, err = c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	require.Equal(t, 2, v.count(LoginPath))
	clock.Advance(8 * 24 * time.Hour)
	_, err = c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	assert.Equal(t, 3, v.count(LoginPath))
	assert.Equal(t, 1, v.count(RefreshTokenPath), "an expired refresh token is not tried")
	assert.Equal(t, "Bearer access-4", v.header(CreateInvitationPath, 4).Get("Authorization"))
}

// TestFailedBackgroundRenewalIsNotRepeatedAtOnce: while the cached token
// works, a renewal that failed without an answer is tried again only after
// a pause, not on every call.
func TestFailedBackgroundRenewalIsNotRepeatedAtOnce(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there: every dial fails
	v := newAdminVlens(t)
	c := v.client(t, WithMaxRetries(0))
	clock := useClock(c)
	ctx := context.Background()
	_, err = c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	down, err := NewClient(testAPIKey, WithBaseURL("http://"+addr), WithMaxRetries(0))
	require.NoError(t, err)
	src := c.admin.(*LoginSource)
	src.mu.Lock()
	src.client = down // renewals go nowhere; invitations still reach v
	src.mu.Unlock()

	clock.Advance(23 * time.Hour)
	_, err = c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	waitIdle := func() {
		require.Eventually(t, func() bool {
			src.mu.Lock()
			defer src.mu.Unlock()
			return src.inflight == nil
		}, 5*time.Second, time.Millisecond)
	}
	waitIdle()
	assert.Equal(t, "refresh-1", src.token.RefreshToken, "a refresh that never connected spent nothing")
	for i := 0; i < 5; i++ {
		_, err = c.CreateInvitation(ctx, invitationInput)
		require.NoError(t, err, "the cached token still works")
	}
	src.mu.Lock()
	renewAt := src.renewAt
	src.mu.Unlock()
	assert.Equal(t, clock.Now().Add(renewRetryAfter), renewAt, "the next try waits")
}

func TestRevokedTokenRecoversWithOneExtraCall(t *testing.T) {
	t.Parallel()
	v := newAdminVlens(t)
	c := v.client(t)
	ctx := context.Background()
	_, err := c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	v.revokeAll()

	s, err := c.CreateInvitation(ctx, invitationInput)
	require.NoError(t, err)
	assert.Equal(t, "invite-3", s.Token)
	assert.Equal(t, 3, v.count(CreateInvitationPath), "the refused call and exactly one more")
	assert.Equal(t, 1, v.count(RefreshTokenPath), "the refresh token is tried first, and refused")
	assert.Equal(t, 2, v.count(LoginPath))
}

func TestSecondUnauthorizedIsReturned(t *testing.T) {
	t.Parallel()
	var asked atomic.Int32
	mt, c := setup(t, WithAdminTokenSource(tokenSourceFunc(func(context.Context) (string, error) {
		asked.Add(1)
		return "static-admin-token", nil
	})))
	mt.RegisterResponder(http.MethodPost, DefaultBaseURL+CreateInvitationPath, reply(401, errorBody(1, "no")))
	_, err := c.CreateInvitation(context.Background(), invitationInput)
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, 2, mt.GetTotalCallCount())
	assert.EqualValues(t, 2, asked.Load())
}

type tokenSourceFunc func(context.Context) (string, error)

func (f tokenSourceFunc) AccessToken(ctx context.Context) (string, error) { return f(ctx) }

func TestAWaitingCallerGivesUpWithoutCancellingTheLogin(t *testing.T) {
	t.Parallel()
	v := newAdminVlens(t)
	v.loginGate = make(chan struct{})
	c := v.client(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.CreateInvitation(ctx, invitationInput)
		done <- err
	}()
	require.Eventually(t, func() bool { return v.count(LoginPath) == 1 }, 5*time.Second, time.Millisecond)
	other := make(chan error, 1)
	go func() {
		_, err := c.CreateInvitation(context.Background(), invitationInput)
		other <- err
	}()
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	close(v.loginGate)
	assert.NoError(t, <-other, "the login the other caller waits on goes on")
	assert.Equal(t, 1, v.count(LoginPath))
}

func TestCreateInvitationWithoutAdminOptionSendsNothing(t *testing.T) {
	t.Parallel()
	mt, c := setup(t)
	_, err := c.CreateInvitation(context.Background(), invitationInput)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithAdminCredentials or WithAdminTokenSource")
	assert.Zero(t, mt.GetTotalCallCount())
}

// TestCreateInvitationRetriesOnlyWhatWasNotProcessed: 429 and a refused
// connection are retried; 503, 500, 502, 504 and a reset after the request was
// sent are not.
func TestCreateInvitationRetriesOnlyWhatWasNotProcessed(t *testing.T) {
	t.Parallel()
	static := WithAdminTokenSource(tokenSourceFunc(func(context.Context) (string, error) { return "admin-tok", nil }))
	for _, tc := range []struct {
		status   int
		attempts int
	}{{503, 1}, {429, 3}, {500, 1}, {502, 1}, {504, 1}} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			t.Parallel()
			mt, c := setup(t, static)
			mt.RegisterResponder(http.MethodPost, DefaultBaseURL+CreateInvitationPath, reply(tc.status, ""))
			_, err := c.CreateInvitation(context.Background(), invitationInput)
			assert.Equal(t, tc.attempts, requireAPIError(t, err).Attempts)
			assert.Equal(t, tc.attempts, mt.GetTotalCallCount())
		})
	}
	t.Run("reset after the request was sent", func(t *testing.T) {
		t.Parallel()
		srv, err := faultserver.Start(func(_ int, ex *faultserver.Exchange) bool {
			faultserver.Reset(ex.Conn)
			return false
		})
		require.NoError(t, err)
		t.Cleanup(srv.Close)
		c, err := NewClient(testAPIKey, WithBaseURL(srv.URL()), static, WithRetryWait(time.Millisecond, time.Millisecond))
		require.NoError(t, err)
		_, err = c.CreateInvitation(context.Background(), invitationInput)
		require.Error(t, err)
		assert.Equal(t, 1, srv.Requests(), "not retried: Vlens may have processed it")
	})
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close()) // nothing listens there now
		var logs syncBuffer
		c, err := NewClient(testAPIKey, WithBaseURL("http://"+addr), static, WithRetryWait(time.Millisecond, time.Millisecond),
			WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		require.NoError(t, err)
		_, err = c.CreateInvitation(context.Background(), invitationInput)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "3 attempt(s) failed", "a dial that failed sent nothing: retried")
	})
}

func TestInvitationAndCredentialsValidation(t *testing.T) {
	t.Parallel()
	bad := CreateInvitationInput{
		Email:               "ann@example.com",
		RequestFieldsValues: map[int]map[string]string{-1: {"a": "b"}, 7: {"": "x"}},
	}
	err := bad.Validate()
	var vErr *ValidationError
	require.ErrorAs(t, err, &vErr)
	assert.Equal(t, []FieldError{
		{Field: "RequestFieldsValues[-1]", Message: "must be keyed by a positive contract type ID"},
		{Field: "RequestFieldsValues[7]", Message: "field keys must not be empty"},
	}, vErr.Fields)
	assert.True(t, strings.HasPrefix(err.Error(), "vlens: invalid CreateInvitationInput: "))
	assert.ErrorIs(t, CreateInvitationInput{}.Validate(), ErrInvalidRequest)

	for _, creds := range []AdminCredentials{
		{UserNameOrEmailAddress: "u", Password: "p"},
		{TenancyName: "t", Password: "p"},
		{TenancyName: "t", UserNameOrEmailAddress: "u"},
		{TenancyName: strings.Repeat("t", 257), UserNameOrEmailAddress: "u", Password: "p"},
		{TenancyName: "t", UserNameOrEmailAddress: strings.Repeat("u", 257), Password: "p"},
		{TenancyName: "t", UserNameOrEmailAddress: "u", Password: strings.Repeat("p", 33)},
		{TenancyName: "t\r\nX: y", UserNameOrEmailAddress: "u", Password: "p"},
	} {
		_, err := NewClient(testAPIKey, WithAdminCredentials(creds))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "WithAdminCredentials")
		assert.NotContains(t, err.Error(), "ppp")
	}
	_, err = NewClient(testAPIKey, WithAdminCredentials(AdminCredentials{TenancyName: strings.Repeat("é", 256),
		UserNameOrEmailAddress: strings.Repeat("u", 256), Password: strings.Repeat("p", 32)}))
	assert.NoError(t, err, "limits count characters")
}

// TestAdminSecretsNeverLeak: the password, tokens and pre-filled values are
// never printed, logged, or let through from an echo.
func TestAdminSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	secrets := []string{testCreds.Password, testCreds.UserNameOrEmailAddress, "access-1", "refresh-1", "access-2", "refresh-2",
		"Ahmed Mohamed", "Cairo Street 7", "invite-leaked"}
	in := CreateInvitationInput{Email: "ann@example.com", RequestFieldsValues: map[int]map[string]string{414: {"fullName": "Ahmed Mohamed", "address": "Cairo Street 7"}}}
	v := newAdminVlens(t)
	v.invitation = func(int) (int, string) {
		b, _ := json.Marshal(map[string]any{"data": "invite-leaked", "error_code": 12,
			"error_message":      "bad access-1 for Ahmed%20Mohamed at Cairo&#32;Street&#32;7, password s3cret-pass-w0rd",
			"error_descriptions": map[string]any{"fullName": "Ahmed Mohamed", "auth": "Bearer access-1", "issued": "invite-leaked"}})
		return 422, string(b)
	}
	var logs syncBuffer
	c := v.client(t, WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	_, err := c.CreateInvitation(context.Background(), in)
	apiErr := requireAPIError(t, err)
	tok, lerr := c.Login(context.Background(), testCreds)
	require.NoError(t, lerr)

	var out strings.Builder
	out.WriteString(everythingPrinted(t, err) + logs.String())
	for _, v := range []any{testCreds, &testCreds, in, &in, *tok, tok} {
		out.WriteString(printed(v))
	}
	var jl strings.Builder
	for _, h := range []slog.Handler{slog.NewJSONHandler(&jl, nil), slog.NewTextHandler(&jl, nil)} {
		slog.New(h).Info("x", "creds", testCreds, "token", tok, "tokenValue", *tok, "input", in, "inputPtr", &in)
	}
	out.WriteString(jl.String())
	for _, s := range secrets {
		assert.NotContains(t, out.String(), s)
	}
	assert.Contains(t, fmt.Sprint(in), `"fullName":[redacted]`, "keys show, values do not")
	assert.Equal(t, 12, apiErr.Code)
}
