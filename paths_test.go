package vlens_test

import (
	"context"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// TestPathsAreWhatTheClientSends registers a responder at DefaultBaseURL
// plus each exported path, as an httpmock user would, and calls every
// endpoint: a call sent anywhere else finds no responder and fails.
func TestPathsAreWhatTheClientSends(t *testing.T) {
	t.Parallel()
	const (
		token   = `{"data":"test-token","error_code":null}`
		admin   = `{"data":{"accessToken":"access","expireInSeconds":86400,"refreshToken":"refresh"},"error_code":null}`
		request = `{"data":{"id":"0b6a4f0e-8c6d-4b1e-9f3a-2d5c7e8f9a01"},"error_code":null}`
		list    = `{"data":[],"totalCount":0,"returnedCount":0,"error_code":null}`
		tmpl    = `{"data":{"id":7,"name":"Loan","requestsFields":[]},"error_code":null}`
		id      = "0b6a4f0e-8c6d-4b1e-9f3a-2d5c7e8f9a01"
	)
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, vlens.DefaultBaseURL+vlens.CreateAuthSessionPath, httpmock.NewStringResponder(200, token))
	mt.RegisterResponder(http.MethodPost, vlens.DefaultBaseURL+vlens.CreateInvitationPath, httpmock.NewStringResponder(200, token))
	mt.RegisterResponder(http.MethodPost, vlens.DefaultBaseURL+vlens.LoginPath, httpmock.NewStringResponder(200, admin))
	mt.RegisterResponder(http.MethodPost, vlens.DefaultBaseURL+vlens.RefreshTokenPath, httpmock.NewStringResponder(200, admin))
	// Every ID, as paths.go's doc comment suggests.
	mt.RegisterResponder(http.MethodGet, "=~^"+regexp.QuoteMeta(vlens.DefaultBaseURL+vlens.GetBusinessRequestPath), httpmock.NewStringResponder(200, request))
	mt.RegisterResponder(http.MethodGet, vlens.DefaultBaseURL+vlens.ListBusinessRequestsPath, httpmock.NewStringResponder(200, list))
	mt.RegisterResponder(http.MethodGet, vlens.DefaultBaseURL+vlens.GetTemplatePath, httpmock.NewStringResponder(200, tmpl))

	client, err := vlens.NewClient("test-key",
		vlens.WithHTTPClient(&http.Client{Transport: mt}),
		vlens.WithAdminCredentials(vlenstest.DefaultAdminCredentials()),
		vlens.WithMaxRetries(0),
		vlens.WithRetryWait(time.Millisecond, time.Millisecond))
	require.NoError(t, err)
	ctx := context.Background()

	_, err = client.CreateAuthSession(ctx, vlens.CreateAuthSessionInput{PhoneNumber: "+201001234567"})
	require.NoError(t, err, "CreateAuthSession")
	_, err = client.CreateInvitation(ctx, vlens.CreateInvitationInput{PhoneNumber: "+201001234567"})
	require.NoError(t, err, "CreateInvitation, with its login")
	_, err = client.RefreshAdminToken(ctx, "refresh")
	require.NoError(t, err, "RefreshAdminToken")
	_, err = client.GetBusinessRequest(ctx, id)
	require.NoError(t, err, "GetBusinessRequest")
	for _, err := range client.ListBusinessRequests(ctx) {
		require.NoError(t, err, "ListBusinessRequests")
	}
	_, err = client.GetTemplate(ctx, 7)
	require.NoError(t, err, "GetTemplate")

	info := mt.GetCallCountInfo()
	for _, key := range []string{
		"POST " + vlens.DefaultBaseURL + vlens.CreateAuthSessionPath,
		"POST " + vlens.DefaultBaseURL + vlens.CreateInvitationPath,
		"POST " + vlens.DefaultBaseURL + vlens.LoginPath,
		"POST " + vlens.DefaultBaseURL + vlens.RefreshTokenPath,
		"GET =~^" + regexp.QuoteMeta(vlens.DefaultBaseURL+vlens.GetBusinessRequestPath),
		"GET " + vlens.DefaultBaseURL + vlens.ListBusinessRequestsPath,
		"GET " + vlens.DefaultBaseURL + vlens.GetTemplatePath,
	} {
		assert.Equal(t, 1, info[key], key)
	}
	assert.Equal(t, 1, info["GET "+vlens.DefaultBaseURL+vlens.GetBusinessRequestPath+id], "the ID follows GetBusinessRequestPath")
}
