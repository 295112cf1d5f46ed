package vlenstest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// invitationBody is the wire form of a valid invitation, as Vlens documents
// it.
const invitationBody = `{"SessionInput":{"phoneNumber":"+201234567890","sessionPermissions":{"allowedContractTypeIds":[414],` +
	`"minimalSignatureFlow":true,"DigitalIdentityOnly":false},"RequestFieldsValues":{"414":{"fullName":"Ahmed Mohamed","monthlyIncome":"5000"}}}}`

// adminTokens are an access and a refresh token from a wire-level login.
type adminTokens struct {
	access, refresh string
}

// loginHeader is what Login needs: the API key, JSON and the tenancy name.
func loginHeader() http.Header {
	return http.Header{"Apikey": {vlenstest.TestAPIKey}, "Content-Type": {"application/json"},
		"Tenancyname": {vlenstest.DefaultAdminCredentials().TenancyName}}
}

// credentialsBody is Login's body for creds.
func credentialsBody(t *testing.T, creds vlens.AdminCredentials) string {
	t.Helper()
	b, err := json.Marshal(creds)
	require.NoError(t, err)
	return string(b)
}

// loginData is Login's data as the SDK reads it.
type loginData struct {
	AccessToken                 string `json:"accessToken"`
	ExpireInSeconds             int64  `json:"expireInSeconds"`
	RefreshToken                string `json:"refreshToken"`
	RefreshTokenExpireInSeconds int64  `json:"refreshTokenExpireInSeconds"`
}

// refreshData is RefreshToken's data as Vlens documents it.
type refreshData struct {
	AccessToken          string `json:"accessToken"`
	EncryptedAccessToken string `json:"encryptedAccessToken"`
	ExpireInSeconds      int64  `json:"expireInSeconds"`
	RefreshToken         string `json:"refreshToken"`
	NewRefreshToken      string `json:"newRefreshToken"`
}

// login logs in with the default credentials over plain HTTP.
func login(t *testing.T, srv *vlenstest.Server) adminTokens {
	t.Helper()
	got := post(t, srv.URL+vlenstest.LoginPath, loginHeader(), credentialsBody(t, vlenstest.DefaultAdminCredentials()))
	require.Equal(t, 200, got.status)
	var d loginData
	got.data(t, &d)
	return adminTokens{access: d.AccessToken, refresh: d.RefreshToken}
}

// refresh posts a refresh token over plain HTTP.
func refresh(t *testing.T, srv *vlenstest.Server, token string) response {
	t.Helper()
	return post(t, srv.URL+vlenstest.RefreshTokenPath,
		http.Header{"Apikey": {vlenstest.TestAPIKey}, "Content-Type": {"application/json"}}, `{"refreshToken":"`+token+`"}`)
}

// invite posts a valid invitation with bearer over plain HTTP.
func invite(t *testing.T, srv *vlenstest.Server, bearer string) response {
	t.Helper()
	return post(t, srv.URL+vlenstest.CreateInvitationPath, http.Header{"Apikey": {vlenstest.TestAPIKey},
		"Content-Type": {"application/json"}, "Authorization": {"Bearer " + bearer}}, invitationBody)
}

func TestAdminEndpointAnswers(t *testing.T) {
	t.Parallel()
	creds := vlenstest.DefaultAdminCredentials()
	withCreds := func(change func(*vlens.AdminCredentials)) string {
		c := creds
		change(&c)
		b, _ := json.Marshal(c)
		return string(b)
	}
	good, _ := json.Marshal(creds)
	loginWith := func(name, value string) http.Header {
		h := loginHeader()
		if value == "" {
			h.Del(name)
		} else {
			h.Set(name, value)
		}
		return h
	}
	// {access} and {refresh} stand for the tokens of a login made first.
	bearer := func(value string) http.Header {
		h := http.Header{"Apikey": {vlenstest.TestAPIKey}, "Content-Type": {"application/json"}}
		if value != "" {
			h.Set("Authorization", value)
		}
		return h
	}
	apiKeyOnly := bearer("")
	tests := []struct {
		name   string
		path   string
		header http.Header
		body   string
		status int
		code   int
		fields []string // keys of error_descriptions
	}{
		{"login with the credentials", vlenstest.LoginPath, loginHeader(), string(good), 200, 0, nil},
		{"login field names match case-insensitively", vlenstest.LoginPath, loginHeader(),
			strings.ToUpper(`{"tenancyName":"`) + creds.TenancyName + `","USERNAMEOREMAILADDRESS":"` + creds.UserNameOrEmailAddress +
				`","Password":"` + creds.Password + `"}`, 200, 0, nil},
		{"login with a wrong password is 401", vlenstest.LoginPath, loginHeader(),
			withCreds(func(c *vlens.AdminCredentials) { c.Password = "wrong-password" }), 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"login with another user is 401", vlenstest.LoginPath, loginHeader(),
			withCreds(func(c *vlens.AdminCredentials) { c.UserNameOrEmailAddress = "eve@example.com" }), 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"login naming another tenant in the body is 401", vlenstest.LoginPath, loginHeader(),
			withCreds(func(c *vlens.AdminCredentials) { c.TenancyName = "other" }), 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"login without the TenancyName header is 401", vlenstest.LoginPath, loginWith("TenancyName", ""), string(good), 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"login with another TenancyName header is 401", vlenstest.LoginPath, loginWith("TenancyName", "other"), string(good), 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"login without the ApiKey is 401", vlenstest.LoginPath, loginWith("ApiKey", ""), string(good), 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"login as text/plain is 415", vlenstest.LoginPath, loginWith("Content-Type", "text/plain"), string(good), 415, vlenstest.ErrorCodeUnsupportedMediaType, nil},
		{"login body that is not JSON is 400", vlenstest.LoginPath, loginHeader(), `password=x`, 400, vlenstest.ErrorCodeMalformedBody, []string{"$"}},
		{"login field of the wrong type is 400 naming it", vlenstest.LoginPath, loginHeader(),
			`{"tenancyName":"vlenstest","userNameOrEmailAddress":"admin@vlenstest.example","password":1}`, 400, vlenstest.ErrorCodeMalformedBody, []string{"password"}},
		{"login without a password is 422", vlenstest.LoginPath, loginHeader(),
			withCreds(func(c *vlens.AdminCredentials) { c.Password = "" }), 422, vlenstest.ErrorCodeValidation, []string{"password"}},

		{"refresh with the refresh token", vlenstest.RefreshTokenPath, apiKeyOnly, `{"refreshToken":"{refresh}"}`, 200, 0, nil},
		{"refresh with an unknown token is 401", vlenstest.RefreshTokenPath, apiKeyOnly,
			`{"refreshToken":"` + vlenstest.RefreshTokenPrefix + `00000000000000000000000000000000"}`, 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"refresh with the access token is 401", vlenstest.RefreshTokenPath, apiKeyOnly, `{"refreshToken":"{access}"}`, 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"refresh without the ApiKey is 401", vlenstest.RefreshTokenPath, http.Header{"Content-Type": {"application/json"}},
			`{"refreshToken":"{refresh}"}`, 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"refresh without a token is 422", vlenstest.RefreshTokenPath, apiKeyOnly, `{}`, 422, vlenstest.ErrorCodeValidation, []string{"refreshToken"}},
		{"refresh body that is not an object is 400", vlenstest.RefreshTokenPath, apiKeyOnly, `"{refresh}"`, 400, vlenstest.ErrorCodeMalformedBody, []string{"$"}},

		{"invitation with the access token", vlenstest.CreateInvitationPath, bearer("Bearer {access}"), invitationBody, 200, 0, nil},
		{"invitation path matches case-insensitively", strings.ToLower(vlenstest.CreateInvitationPath) + "/", bearer("bearer {access}"), invitationBody, 200, 0, nil},
		{"invitation by email", vlenstest.CreateInvitationPath, bearer("Bearer {access}"), `{"SessionInput":{"email":"a@example.com"}}`, 200, 0, nil},
		{"invitation without a bearer token is 401", vlenstest.CreateInvitationPath, apiKeyOnly, invitationBody, 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"invitation with an unknown bearer token is 401", vlenstest.CreateInvitationPath, bearer("Bearer " + vlenstest.AccessTokenPrefix + "0"), invitationBody, 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"invitation with the refresh token as bearer is 401", vlenstest.CreateInvitationPath, bearer("Bearer {refresh}"), invitationBody, 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"invitation with another scheme is 401", vlenstest.CreateInvitationPath, bearer("Basic {access}"), invitationBody, 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"invitation without the ApiKey is 401", vlenstest.CreateInvitationPath, http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer {access}"}},
			invitationBody, 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"invitation is authorized before its body is read", vlenstest.CreateInvitationPath, apiKeyOnly, `not JSON`, 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"invitation body that is not JSON is 400", vlenstest.CreateInvitationPath, bearer("Bearer {access}"), `not JSON`, 400, vlenstest.ErrorCodeMalformedBody, []string{"$"}},
		{"invitation form not keyed by contract type ID is 400", vlenstest.CreateInvitationPath, bearer("Bearer {access}"),
			`{"SessionInput":{"phoneNumber":"+201234567890","RequestFieldsValues":{"loan":{"fullName":"A"}}}}`, 400, vlenstest.ErrorCodeMalformedBody,
			[]string{"SessionInput.RequestFieldsValues"}},
		{"invitation without SessionInput is 422", vlenstest.CreateInvitationPath, bearer("Bearer {access}"), `{}`, 422, vlenstest.ErrorCodeValidation, []string{"phoneNumber"}},
		{"invitation names every bad field", vlenstest.CreateInvitationPath, bearer("Bearer {access}"),
			`{"SessionInput":{"phoneNumber":"0123","email":"Ann <a@example.com>","sessionPermissions":{"allowedContractTypeIds":[414,414]},` +
				`"RequestFieldsValues":{"-1":{"a":"b"},"414":{"":"x"}}}}`, 422, vlenstest.ErrorCodeValidation,
			[]string{"phoneNumber", "email", "sessionPermissions.allowedContractTypeIds[1]", "RequestFieldsValues[-1]", "RequestFieldsValues[414]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vlenstest.NewTestServer(t)
			tokens := login(t, srv)
			fill := strings.NewReplacer("{access}", tokens.access, "{refresh}", tokens.refresh)
			header := http.Header{}
			for name, values := range tt.header {
				for _, v := range values {
					header.Add(name, fill.Replace(v))
				}
			}
			got := post(t, srv.URL+tt.path, header, fill.Replace(tt.body))

			assert.Equal(t, tt.status, got.status)
			assert.Equal(t, "application/json; charset=utf-8", got.header.Get("Content-Type"))
			reqs := srv.Requests()
			require.Len(t, reqs, 2, "the login, then the request")
			assert.Equal(t, tt.status, reqs[1].Status)
			assert.Equal(t, tt.code, reqs[1].ErrorCode)
			if tt.status == 200 {
				assert.Nil(t, got.env.ErrorCode)
				assert.NotEqual(t, "null", string(got.env.Data))
				return
			}
			got.isError(t, tt.code, tt.fields)
			assert.Equal(t, 1, srv.Logins()+srv.Refreshes(), "only the first login was accepted")
			assert.Empty(t, srv.Tokens())
		})
	}
}

func TestLoginAnswer(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	got := post(t, srv.URL+vlenstest.LoginPath, loginHeader(), credentialsBody(t, vlenstest.DefaultAdminCredentials()))
	require.Equal(t, 200, got.status)
	assert.Nil(t, got.env.ErrorCode)
	assert.Nil(t, got.env.ErrorMessage)

	var fields map[string]any
	got.data(t, &fields)
	assert.ElementsMatch(t, []string{"accessToken", "expireInSeconds", "refreshToken", "refreshTokenExpireInSeconds"}, keys(fields))
	var d loginData
	got.data(t, &d)
	assert.Regexp(t, "^"+vlenstest.AccessTokenPrefix+"[0-9a-f]{32}$", d.AccessToken)
	assert.Regexp(t, "^"+vlenstest.RefreshTokenPrefix+"[0-9a-f]{32}$", d.RefreshToken)
	assert.Equal(t, int64(86400), d.ExpireInSeconds)
	assert.Equal(t, int64(604800), d.RefreshTokenExpireInSeconds)

	assert.Equal(t, 1, srv.Logins())
	assert.Zero(t, srv.Refreshes())
	assert.Empty(t, srv.Tokens(), "admin tokens are not session tokens")
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, vlenstest.LoginPath, reqs[0].Path)
	assert.Equal(t, vlenstest.DefaultAdminCredentials().TenancyName, reqs[0].Header.Get("TenancyName"))
	assert.Nil(t, reqs[0].Invitation)

	again := login(t, srv)
	assert.NotEqual(t, d.AccessToken, again.access, "every login issues new tokens")
	assert.NotEqual(t, d.RefreshToken, again.refresh)
	assert.Equal(t, 2, srv.Logins())
}

func TestRefreshAnswer(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	old := login(t, srv)
	got := refresh(t, srv, old.refresh)
	require.Equal(t, 200, got.status)
	assert.Nil(t, got.env.ErrorCode)

	var fields map[string]any
	got.data(t, &fields)
	assert.ElementsMatch(t, []string{"accessToken", "encryptedAccessToken", "expireInSeconds", "refreshToken", "newRefreshToken"}, keys(fields))
	var d refreshData
	got.data(t, &d)
	assert.Regexp(t, "^"+vlenstest.AccessTokenPrefix+"[0-9a-f]{32}$", d.AccessToken)
	assert.NotEqual(t, old.access, d.AccessToken)
	assert.NotEmpty(t, d.EncryptedAccessToken)
	assert.Equal(t, int64(86400), d.ExpireInSeconds)
	assert.Regexp(t, "^"+vlenstest.RefreshTokenPrefix+"[0-9a-f]{32}$", d.NewRefreshToken)
	assert.NotEqual(t, old.refresh, d.NewRefreshToken, "the refresh token rotates")
	assert.Equal(t, d.NewRefreshToken, d.RefreshToken)
	assert.Equal(t, 1, srv.Refreshes())
	assert.Equal(t, 1, srv.Logins())

	assert.Equal(t, 401, refresh(t, srv, old.refresh).status, "a used refresh token is refused")
	assert.Equal(t, 200, invite(t, srv, d.AccessToken).status, "the new access token works")
	assert.Equal(t, 200, invite(t, srv, old.access).status, "the old access token works until it expires")
	assert.Equal(t, 200, refresh(t, srv, d.NewRefreshToken).status, "the new refresh token works once")
	assert.Equal(t, 2, srv.Refreshes(), "refused refreshes are not counted")
}

func TestAdminTokenLifetimes(t *testing.T) {
	t.Parallel()
	t.Run("sub-second lifetimes are answered as one second", func(t *testing.T) {
		t.Parallel()
		srv := vlenstest.NewTestServer(t, vlenstest.WithAdminTokenTTL(10*time.Millisecond, 1500*time.Millisecond))
		got := post(t, srv.URL+vlenstest.LoginPath, loginHeader(), credentialsBody(t, vlenstest.DefaultAdminCredentials()))
		var d loginData
		got.data(t, &d)
		assert.Equal(t, int64(1), d.ExpireInSeconds)
		assert.Equal(t, int64(2), d.RefreshTokenExpireInSeconds, "rounded up")
	})
	t.Run("an expired access token is refused", func(t *testing.T) {
		t.Parallel()
		srv := vlenstest.NewTestServer(t, vlenstest.WithAdminTokenTTL(time.Millisecond, time.Hour))
		tokens := login(t, srv)
		time.Sleep(5 * time.Millisecond)
		got := invite(t, srv, tokens.access)
		assert.Equal(t, 401, got.status)
		require.NotNil(t, got.env.ErrorCode)
		assert.Equal(t, vlenstest.ErrorCodeUnauthorized, *got.env.ErrorCode)
		assert.Equal(t, 200, refresh(t, srv, tokens.refresh).status, "the refresh token outlives it")
	})
	t.Run("an expired refresh token is refused", func(t *testing.T) {
		t.Parallel()
		srv := vlenstest.NewTestServer(t, vlenstest.WithAdminTokenTTL(time.Hour, time.Millisecond))
		tokens := login(t, srv)
		time.Sleep(5 * time.Millisecond)
		assert.Equal(t, 401, refresh(t, srv, tokens.refresh).status)
		assert.Equal(t, 200, invite(t, srv, tokens.access).status, "the access token outlives it")
		assert.Zero(t, srv.Refreshes())
	})
}

func TestRevokeAdminTokens(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	first, second := login(t, srv), login(t, srv)
	srv.RevokeAdminTokens()
	for _, tokens := range []adminTokens{first, second} {
		assert.Equal(t, 401, invite(t, srv, tokens.access).status)
		assert.Equal(t, 401, refresh(t, srv, tokens.refresh).status)
	}
	fresh := login(t, srv)
	assert.Equal(t, 200, invite(t, srv, fresh.access).status, "tokens issued afterwards are honoured")
	assert.Equal(t, 200, refresh(t, srv, fresh.refresh).status)
}

func TestAdminCredentialsOption(t *testing.T) {
	t.Parallel()
	creds := vlens.AdminCredentials{TenancyName: "acme", UserNameOrEmailAddress: "root", Password: "s3cret-pass"}
	srv := vlenstest.NewTestServer(t, vlenstest.WithAdminCredentials(creds))
	assert.Equal(t, creds, srv.AdminCredentials())

	header := loginHeader()
	got := post(t, srv.URL+vlenstest.LoginPath, header, credentialsBody(t, creds))
	assert.Equal(t, 401, got.status, "the TenancyName header still names the default tenant")
	header.Set("TenancyName", "acme")
	got = post(t, srv.URL+vlenstest.LoginPath, header, credentialsBody(t, vlenstest.DefaultAdminCredentials()))
	assert.Equal(t, 401, got.status, "the default credentials are no longer accepted")
	got = post(t, srv.URL+vlenstest.LoginPath, header, credentialsBody(t, creds))
	assert.Equal(t, 200, got.status)
}

func TestRecordedInvitation(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	tokens := login(t, srv)
	require.Equal(t, 200, invite(t, srv, tokens.access).status)

	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	r := reqs[1]
	assert.Equal(t, vlenstest.CreateInvitationPath, r.Path)
	assert.Equal(t, []string{"[redacted]"}, r.Header.Values("Authorization"))
	assert.Nil(t, r.Input, "an invitation is no CreateAuthSession input")
	want := &vlens.CreateInvitationInput{
		PhoneNumber:         "+201234567890",
		SessionPermissions:  &vlens.SessionPermissions{AllowedContractTypeIDs: []int{414}, MinimalSignatureFlow: true},
		RequestFieldsValues: map[int]map[string]string{414: {"fullName": "Ahmed Mohamed", "monthlyIncome": "5000"}},
	}
	assert.Equal(t, want, r.Invitation)
	require.Len(t, srv.Tokens(), 1)
	assert.Regexp(t, regexp.MustCompile("^"+vlenstest.TokenPrefix+"[0-9a-f]{32}$"), srv.Tokens()[0])

	// What Requests returns is the caller's to change.
	r.Invitation.RequestFieldsValues[414]["fullName"] = "changed"
	r.Invitation.SessionPermissions.AllowedContractTypeIDs[0] = 1
	again := srv.Requests()[1].Invitation
	assert.Equal(t, "Ahmed Mohamed", again.RequestFieldsValues[414]["fullName"])
	assert.Equal(t, 414, again.SessionPermissions.AllowedContractTypeIDs[0])
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

var validInvitation = vlens.CreateInvitationInput{
	PhoneNumber:         "+201234567890",
	SessionPermissions:  &vlens.SessionPermissions{AllowedContractTypeIDs: []int{414}, MinimalSignatureFlow: true},
	RequestFieldsValues: map[int]map[string]string{414: {"fullName": "Ahmed Mohamed", "monthlyIncome": "5000"}},
}

// byPath returns the statuses of the requests to path, in order.
func byPath(reqs []vlenstest.Request, path string) []int {
	var out []int
	for _, r := range reqs {
		if r.Path == path {
			out = append(out, r.Status)
		}
	}
	return out
}

// invitationsUntil makes CreateInvitation calls a couple of milliseconds
// apart until done reports true, failing on any error, or when done is
// still false after ten seconds.
func invitationsUntil(t *testing.T, client *vlens.Client, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !done(); time.Sleep(2 * time.Millisecond) {
		require.True(t, time.Now().Before(deadline), "condition still false after 10s")
		_, err := client.CreateInvitation(context.Background(), validInvitation)
		require.NoError(t, err)
	}
}

func TestClientCreatesInvitation(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	client := srv.Client()
	for range 2 {
		session, err := client.CreateInvitation(context.Background(), validInvitation)
		require.NoError(t, err)
		assert.Equal(t, srv.Tokens()[len(srv.Tokens())-1], session.Token)
	}
	assert.Len(t, srv.Tokens(), 2)
	assert.Equal(t, 1, srv.Logins(), "the client logs in once and reuses the token")
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, []int{200}, byPath(reqs, vlenstest.LoginPath))
	assert.Equal(t, []int{200, 200}, byPath(reqs, vlenstest.CreateInvitationPath))
	assert.Equal(t, &validInvitation, reqs[1].Invitation, "the server received the input as given")
}

func TestClientRefreshesAnExpiredAccessToken(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithAdminTokenTTL(50*time.Millisecond, time.Hour))
	invitationsUntil(t, srv.Client(), func() bool { return srv.Refreshes() > 0 })
	assert.Equal(t, 1, srv.Logins(), "a refresh, not a login")
	assert.Empty(t, byPath(srv.Requests(), vlenstest.LoginPath)[1:])
}

func TestClientLogsInWhenTheRefreshTokenHasExpired(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithAdminTokenTTL(50*time.Millisecond, 50*time.Millisecond))
	invitationsUntil(t, srv.Client(), func() bool { return srv.Logins() > 1 })
	assert.Zero(t, srv.Refreshes(), "the refresh token expired with the access token")
	assert.Equal(t, []int{200, 200}, byPath(srv.Requests(), vlenstest.LoginPath))
}

func TestClientRecoversFromRevokedTokens(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	client := srv.Client()
	_, err := client.CreateInvitation(context.Background(), validInvitation)
	require.NoError(t, err)

	srv.RevokeAdminTokens()
	srv.Reset()
	session, err := client.CreateInvitation(context.Background(), validInvitation)
	require.NoError(t, err)
	assert.Equal(t, []string{session.Token}, srv.Tokens())
	reqs := srv.Requests()
	assert.Equal(t, []int{401, 200}, byPath(reqs, vlenstest.CreateInvitationPath), "one extra invitation request")
	assert.Equal(t, []int{401}, byPath(reqs, vlenstest.RefreshTokenPath), "the revoked refresh token is refused")
	assert.Equal(t, []int{200}, byPath(reqs, vlenstest.LoginPath), "so the client logs in again")
	assert.Equal(t, 1, srv.Logins())
}

func TestFaultIsTakenByTheLogin(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	srv.Enqueue(vlenstest.Fault{Status: 503})
	_, err := srv.Client().CreateInvitation(context.Background(), validInvitation)
	require.NoError(t, err)
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, vlenstest.LoginPath, reqs[0].Path, "the fault went to the next request, the client's login")
	assert.NotNil(t, reqs[0].Fault)
	assert.Equal(t, []int{503, 200}, byPath(reqs, vlenstest.LoginPath))
	assert.Equal(t, []int{200}, byPath(reqs, vlenstest.CreateInvitationPath))
}

func TestResetKeepsAdminTokens(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	client := srv.Client()
	_, err := client.CreateInvitation(context.Background(), validInvitation)
	require.NoError(t, err)
	srv.Reset()
	assert.Zero(t, srv.Logins())

	_, err = client.CreateInvitation(context.Background(), validInvitation)
	require.NoError(t, err)
	assert.Zero(t, srv.Logins(), "the client's token survives Reset")
	assert.Len(t, srv.Requests(), 1)
}

func TestTokenFuncSeesTheInvitation(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithTokenFunc(func(in vlens.CreateAuthSessionInput) string {
		return "invitation-for-" + in.PhoneNumber
	}))
	session, err := srv.Client().CreateInvitation(context.Background(), validInvitation)
	require.NoError(t, err)
	assert.Equal(t, "invitation-for-+201234567890", session.Token)
}

func TestAdminSecretsNeverPrintedOrLogged(t *testing.T) {
	t.Parallel()
	creds := vlens.AdminCredentials{TenancyName: "acme", UserNameOrEmailAddress: "canary-admin", Password: "canary-password"}
	const income = "canary-income-987"
	var logs bytes.Buffer
	srv := vlenstest.NewTestServer(t, vlenstest.WithAdminCredentials(creds), vlenstest.WithAdminTokenTTL(50*time.Millisecond, time.Hour),
		vlenstest.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	in := vlens.CreateInvitationInput{Email: "canary@example.com", RequestFieldsValues: map[int]map[string]string{414: {"monthlyIncome": income}}}
	client := srv.Client()
	_, err := client.CreateInvitation(context.Background(), in)
	require.NoError(t, err)
	invitationsUntil(t, client, func() bool { return srv.Refreshes() > 0 })

	// The tokens themselves, from a login over plain HTTP.
	header := loginHeader()
	header.Set("TenancyName", creds.TenancyName)
	got := post(t, srv.URL+vlenstest.LoginPath, header, credentialsBody(t, creds))
	var d loginData
	got.data(t, &d)
	refreshed := refresh(t, srv, d.RefreshToken)
	var r refreshData
	refreshed.data(t, &r)
	require.Equal(t, 200, invite(t, srv, r.AccessToken).status)

	reqs := srv.Requests()
	printed := logs.String()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		printed += fmt.Sprintf(verb, reqs) + fmt.Sprintf(verb, srv)
	}
	assert.Contains(t, printed, "monthlyIncome", "the form's keys are shown")
	for _, secret := range []string{creds.UserNameOrEmailAddress, creds.Password, income, "canary@example.com",
		d.AccessToken, d.RefreshToken, r.AccessToken, r.RefreshToken, r.EncryptedAccessToken} {
		assert.NotContains(t, printed, secret)
	}
}

func TestConcurrentInvitationsShareOneLogin(t *testing.T) {
	t.Parallel()
	const calls = 20
	srv := vlenstest.NewTestServer(t)
	client := srv.Client()
	inviteAll := func() {
		var wg sync.WaitGroup
		for range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := client.CreateInvitation(context.Background(), validInvitation)
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
	}
	inviteAll()
	assert.Equal(t, 1, srv.Logins())
	assert.Len(t, srv.Tokens(), calls)

	srv.RevokeAdminTokens()
	srv.Reset()
	inviteAll()
	assert.Equal(t, 1, srv.Logins(), "one login again, however many calls were refused")
	assert.Len(t, srv.Tokens(), calls)
}
