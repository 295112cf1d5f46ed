package vlenstest_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens/vlenstest"
)

// Tests of the modes in which the fake behaves like the platform Vlens is
// built on (ASP.NET Boilerplate / ASP.NET Zero) where it differs from what
// the SDK first assumed: refusals on other statuses than 401, the login
// lockout, and proxies that answer 503 after the server has acted.

// wrongPassword is Login's body with the default user and a wrong password.
func wrongPassword(t *testing.T) string {
	t.Helper()
	creds := vlenstest.DefaultAdminCredentials()
	creds.Password = "not-the-password"
	return credentialsBody(t, creds)
}

// rightPassword is Login's body with the default credentials.
func rightPassword(t *testing.T) string {
	t.Helper()
	return credentialsBody(t, vlenstest.DefaultAdminCredentials())
}

// postLogin posts a login body over plain HTTP.
func postLogin(t *testing.T, srv *vlenstest.Server, body string) response {
	t.Helper()
	return post(t, srv.URL+vlenstest.LoginPath, loginHeader(), body)
}

// failLogins makes n logins with a wrong password, each refused as a wrong
// password.
func failLogins(t *testing.T, srv *vlenstest.Server, n int) {
	t.Helper()
	for i := range n {
		got := postLogin(t, srv, wrongPassword(t))
		require.Equal(t, 401, got.status, "failed login %d", i+1)
		got.isError(t, vlenstest.ErrorCodeUnauthorized, nil)
	}
}

func TestRefreshRefusal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   []vlenstest.ServerOption
		status int
	}{
		{"401 by default", nil, 401},
		{"200 with error_code, as the platform validates", []vlenstest.ServerOption{vlenstest.WithRefreshRefusal(200)}, 200},
		{"400, as the platform's validation exception", []vlenstest.ServerOption{vlenstest.WithRefreshRefusal(400)}, 400},
		{"500", []vlenstest.ServerOption{vlenstest.WithRefreshRefusal(500)}, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vlenstest.NewTestServer(t, tt.opts...)
			tokens := login(t, srv)
			require.Equal(t, 200, refresh(t, srv, tokens.refresh).status, "a good refresh token is honoured")

			for _, bad := range []string{tokens.refresh, tokens.access, vlenstest.RefreshTokenPrefix + "0"} {
				got := refresh(t, srv, bad)
				assert.Equal(t, tt.status, got.status)
				got.isError(t, vlenstest.ErrorCodeUnauthorized, nil)
			}
			assert.Equal(t, []int{200, tt.status, tt.status, tt.status}, statuses(srv.RequestsTo(vlenstest.RefreshTokenPath)))
			assert.Equal(t, 1, srv.Refreshes())

			blank := refresh(t, srv, " ")
			assert.Equal(t, 422, blank.status, "input that breaks the rules is still a 422")
		})
	}
}

func TestLoginLockout(t *testing.T) {
	t.Parallel()
	unknownUser := func(t *testing.T) string {
		creds := vlenstest.DefaultAdminCredentials()
		creds.UserNameOrEmailAddress = "eve@example.com"
		return credentialsBody(t, creds)
	}
	long := vlenstest.WithLoginLockout(3, time.Hour)
	tests := []struct {
		name   string
		opts   []vlenstest.ServerOption
		script func(t *testing.T, srv *vlenstest.Server)
		// locked is whether the right password is then refused as locked
		// out, rather than accepted.
		locked bool
	}{
		{"5 failures lock out by default, as the platform", nil,
			func(t *testing.T, srv *vlenstest.Server) { failLogins(t, srv, vlenstest.DefaultLockoutAttempts) }, true},
		{"4 failures do not lock out by default", nil,
			func(t *testing.T, srv *vlenstest.Server) { failLogins(t, srv, vlenstest.DefaultLockoutAttempts-1) }, false},
		{"the configured number of failures locks out", []vlenstest.ServerOption{long},
			func(t *testing.T, srv *vlenstest.Server) { failLogins(t, srv, 3) }, true},
		{"a success resets the count", []vlenstest.ServerOption{long},
			func(t *testing.T, srv *vlenstest.Server) {
				failLogins(t, srv, 2)
				require.Equal(t, 200, postLogin(t, srv, rightPassword(t)).status)
				failLogins(t, srv, 2)
			}, false},
		{"an unknown user's failures do not count", []vlenstest.ServerOption{long},
			func(t *testing.T, srv *vlenstest.Server) {
				failLogins(t, srv, 2)
				for range 5 {
					require.Equal(t, 401, postLogin(t, srv, unknownUser(t)).status)
				}
			}, false},
		{"Reset ends the lockout", []vlenstest.ServerOption{long},
			func(t *testing.T, srv *vlenstest.Server) {
				failLogins(t, srv, 3)
				srv.Reset()
			}, false},
		{"Reset clears the count", []vlenstest.ServerOption{long},
			func(t *testing.T, srv *vlenstest.Server) {
				failLogins(t, srv, 2)
				srv.Reset()
				failLogins(t, srv, 2)
			}, false},
		{"no lockout when turned off", []vlenstest.ServerOption{vlenstest.WithLoginLockout(0, 0)},
			func(t *testing.T, srv *vlenstest.Server) { failLogins(t, srv, 20) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vlenstest.NewTestServer(t, tt.opts...)
			tt.script(t, srv)
			before := srv.Logins()
			got := postLogin(t, srv, rightPassword(t))
			if !tt.locked {
				assert.Equal(t, 200, got.status)
				assert.Equal(t, before+1, srv.Logins())
				return
			}
			assert.Equal(t, 401, got.status, "even the right password is refused")
			got.isError(t, vlenstest.ErrorCodeLockedOut, nil)
			assert.Contains(t, *got.env.ErrorMessage, "locked out")
			assert.Equal(t, before, srv.Logins())

			other := postLogin(t, srv, unknownUser(t))
			other.isError(t, vlenstest.ErrorCodeUnauthorized, nil)
			wrong := postLogin(t, srv, wrongPassword(t))
			wrong.isError(t, vlenstest.ErrorCodeLockedOut, nil)
		})
	}
}

func TestLoginLockoutEnds(t *testing.T) {
	t.Parallel()
	const d = 50 * time.Millisecond
	srv := vlenstest.NewTestServer(t, vlenstest.WithLoginLockout(2, d))
	failLogins(t, srv, 1)
	start := time.Now() // the lockout starts after this
	failLogins(t, srv, 1)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "still locked out after 10s")
		got := postLogin(t, srv, rightPassword(t))
		if got.status == 200 {
			break
		}
		got.isError(t, vlenstest.ErrorCodeLockedOut, nil)
	}
	assert.GreaterOrEqual(t, time.Since(start), d, "the lockout lasted its duration")

	// Failures during the lockout counted toward nothing, and the success
	// reset the count: it takes 2 new failures to lock out again.
	failLogins(t, srv, 1)
	assert.Equal(t, 200, postLogin(t, srv, rightPassword(t)).status)
}

func TestLoginRefusal(t *testing.T) {
	t.Parallel()
	for _, status := range []int{200, 400, 500} {
		srv := vlenstest.NewTestServer(t, vlenstest.WithLoginRefusal(status), vlenstest.WithLoginLockout(1, time.Hour))
		got := postLogin(t, srv, wrongPassword(t))
		assert.Equal(t, status, got.status)
		got.isError(t, vlenstest.ErrorCodeUnauthorized, nil)
		got = postLogin(t, srv, rightPassword(t))
		assert.Equal(t, status, got.status, "a lockout is refused the same way")
		got.isError(t, vlenstest.ErrorCodeLockedOut, nil)
	}
}

// rawResponse is an answer read whole, whatever its body.
type rawResponse struct {
	status int
	header http.Header
	body   string
}

// postRaw posts body and reads the whole answer, or returns the transport
// error.
func postRaw(ctx context.Context, url string, header http.Header, body string) (rawResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return rawResponse{}, err
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return rawResponse{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: string(b)}, err
}

// invitationHeader is what CreateInvitation needs, with bearer.
func invitationHeader(bearer string) http.Header {
	return http.Header{"Apikey": {vlenstest.TestAPIKey}, "Content-Type": {"application/json"}, "Authorization": {"Bearer " + bearer}}
}

func TestUpstreamResetAfterProcessing(t *testing.T) {
	t.Parallel()
	sessionHeader := http.Header{"Apikey": {vlenstest.TestAPIKey}, "Content-Type": {"application/json"}}
	tests := []struct {
		name        string
		path        string
		header      func(tokens adminTokens) http.Header
		body        string
		tokens      int // session tokens issued
		invitations int
	}{
		{"an invitation is recorded", vlenstest.CreateInvitationPath,
			func(tokens adminTokens) http.Header { return invitationHeader(tokens.access) }, invitationBody, 1, 1},
		{"a session is issued", vlenstest.CreateAuthSessionPath,
			func(adminTokens) http.Header { return sessionHeader }, `{"phoneNumber":"+201234567890"}`, 1, 0},
		{"a refused invitation stays refused", vlenstest.CreateInvitationPath,
			func(adminTokens) http.Header { return invitationHeader("not-a-token") }, invitationBody, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vlenstest.NewTestServer(t)
			tokens := login(t, srv)
			srv.Enqueue(vlenstest.UpstreamReset())
			got, err := postRaw(context.Background(), srv.URL+tt.path, tt.header(tokens), tt.body)
			require.NoError(t, err)

			assert.Equal(t, 503, got.status)
			assert.Equal(t, "text/plain", got.header.Get("Content-Type"))
			assert.Contains(t, got.body, "upstream connect error or disconnect/reset before headers")
			assert.Len(t, srv.Tokens(), tt.tokens, "processed all the same")
			assert.Equal(t, tt.invitations, srv.Invitations())
			reqs := srv.RequestsTo(tt.path)
			require.Len(t, reqs, 1)
			assert.Equal(t, 503, reqs[0].Status, "the record shows what the caller saw")
			require.NotNil(t, reqs[0].Fault)
			assert.True(t, reqs[0].Fault.Processed)
		})
	}
}

func TestUpstreamResetReachesTheInvitationBehindALogin(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	srv.Enqueue(vlenstest.Fault{}, vlenstest.UpstreamReset())
	_, _ = srv.Client().CreateInvitation(context.Background(), validInvitation) // the SDK decides what to make of the 503

	reqs := srv.Requests()
	require.GreaterOrEqual(t, len(reqs), 2)
	assert.Equal(t, vlenstest.LoginPath, reqs[0].Path, "Fault{} let the login through")
	assert.Equal(t, 200, reqs[0].Status)
	assert.Equal(t, vlenstest.CreateInvitationPath, reqs[1].Path)
	assert.Equal(t, 503, reqs[1].Status)
	assert.GreaterOrEqual(t, srv.Invitations(), 1, "the invitation that was answered 503 exists")
}

func TestProcessedFaultSpendsTheRefreshToken(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithRefreshRefusal(400))
	tokens := login(t, srv)
	srv.Enqueue(vlenstest.Fault{Drop: true, Processed: true})
	_, err := postRaw(context.Background(), srv.URL+vlenstest.RefreshTokenPath,
		http.Header{"Apikey": {vlenstest.TestAPIKey}, "Content-Type": {"application/json"}}, `{"refreshToken":"`+tokens.refresh+`"}`)
	require.Error(t, err, "the answer was lost")
	assert.Equal(t, 1, srv.Refreshes())

	again := refresh(t, srv, tokens.refresh)
	assert.Equal(t, 400, again.status, "the refresh token was spent")
	assert.Equal(t, []int{0, 400}, statuses(srv.RequestsTo(vlenstest.RefreshTokenPath)))
}

func TestProcessedFaultWithOnlyADelay(t *testing.T) {
	t.Parallel()
	t.Run("the normal answer comes after the delay", func(t *testing.T) {
		t.Parallel()
		srv := vlenstest.NewTestServer(t)
		srv.Enqueue(vlenstest.Fault{Delay: 2 * time.Millisecond, Processed: true})
		session, err := srv.Client().CreateAuthSession(context.Background(), validInput)
		require.NoError(t, err)
		assert.Equal(t, srv.Tokens(), []string{session.Token})
		assert.Equal(t, []int{200}, statuses(srv.Requests()))
	})
	t.Run("the work is done before the answer", func(t *testing.T) {
		t.Parallel()
		srv := vlenstest.NewTestServer(t)
		srv.Enqueue(vlenstest.Fault{Delay: time.Minute, Processed: true})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := postRaw(ctx, srv.URL+vlenstest.CreateAuthSessionPath,
				http.Header{"Apikey": {vlenstest.TestAPIKey}, "Content-Type": {"application/json"}}, `{"phoneNumber":"+201234567890"}`)
			done <- err
		}()
		require.Eventually(t, func() bool { return len(srv.Tokens()) == 1 }, 10*time.Second, time.Millisecond,
			"the token is issued while the answer is held back")
		assert.Equal(t, []int{0}, statuses(srv.Requests()), "no answer yet")
		cancel()
		assert.Error(t, <-done)
	})
}

func TestProcessedFaultThroughTheControlEndpoint(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint())
	got, err := postRaw(context.Background(), srv.URL+vlenstest.ControlFaultsPath, http.Header{"Content-Type": {"application/json"}},
		`{"status":503,"rawBody":"upstream reset","processed":true}`)
	require.NoError(t, err)
	require.Equal(t, 200, got.status, got.body)

	resp, err := http.Get(srv.URL + vlenstest.ControlFaultsPath)
	require.NoError(t, err)
	listed, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Contains(t, string(listed), `"processed":true`, "the listing shows it")

	session, err := postRaw(context.Background(), srv.URL+vlenstest.CreateAuthSessionPath,
		http.Header{"Apikey": {vlenstest.TestAPIKey}, "Content-Type": {"application/json"}}, `{"phoneNumber":"+201234567890"}`)
	require.NoError(t, err)
	assert.Equal(t, 503, session.status)
	assert.Len(t, srv.Tokens(), 1)
}

func TestInvitationsCounter(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	client := srv.Client()
	for range 3 {
		_, err := client.CreateInvitation(context.Background(), validInvitation)
		require.NoError(t, err)
	}
	_, err := client.CreateAuthSession(context.Background(), validInput)
	require.NoError(t, err)
	assert.Equal(t, 3, srv.Invitations(), "sessions are not invitations")
	assert.Len(t, srv.Tokens(), 4)

	got := invite(t, srv, "not-a-token")
	assert.Equal(t, 401, got.status)
	assert.Equal(t, 3, srv.Invitations(), "refused invitations are not counted")
	assert.Len(t, srv.RequestsTo(vlenstest.CreateInvitationPath), 4, "RequestsTo lists them")

	srv.Reset()
	assert.Zero(t, srv.Invitations())
}

func TestRequestsTo(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	failLogins(t, srv, 2)
	login(t, srv)
	_, err := postRaw(context.Background(), srv.URL+strings.ToLower(vlenstest.LoginPath)+"/", loginHeader(), rightPassword(t))
	require.NoError(t, err)
	_, err = srv.Client().CreateAuthSession(context.Background(), validInput)
	require.NoError(t, err)

	logins := srv.RequestsTo(vlenstest.LoginPath)
	assert.Equal(t, []int{401, 401, 200, 200}, statuses(logins), "every attempt, refused or not, matched as the server routes")
	assert.Equal(t, 2, srv.Logins(), "Logins counts the accepted ones")
	assert.Equal(t, logins, srv.RequestsTo(strings.ToUpper(vlenstest.LoginPath)+"/"))
	assert.Len(t, srv.RequestsTo(vlenstest.CreateAuthSessionPath), 1)
	assert.Empty(t, srv.RequestsTo("/nowhere"))

	logins[0].Header.Set("X-Changed", "yes")
	assert.Empty(t, srv.RequestsTo(vlenstest.LoginPath)[0].Header.Get("X-Changed"), "the caller's to change")
}

func TestPlatformOptionsPanicOnNonsense(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(){
		"lockout without duration":        func() { vlenstest.WithLoginLockout(5, 0) },
		"lockout without attempts":        func() { vlenstest.WithLoginLockout(0, time.Minute) },
		"negative lockout attempts":       func() { vlenstest.WithLoginLockout(-1, time.Minute) },
		"negative lockout duration":       func() { vlenstest.WithLoginLockout(5, -time.Minute) },
		"refresh refused with 201":        func() { vlenstest.WithRefreshRefusal(201) },
		"refresh refused with a redirect": func() { vlenstest.WithRefreshRefusal(302) },
		"refresh refused with 600":        func() { vlenstest.WithRefreshRefusal(600) },
		"login refused with 0":            func() { vlenstest.WithLoginRefusal(0) },
		"login refused with 100":          func() { vlenstest.WithLoginRefusal(100) },
	} {
		assert.Panics(t, f, name)
	}
}

func TestProcessedFaultString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "processed, then HTTP 503, raw body", vlenstest.UpstreamReset().String())
	assert.Equal(t, "processed, then drop connection", vlenstest.Fault{Drop: true, Processed: true}.String())
}
