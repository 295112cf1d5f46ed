package vlenstest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// TestRequestInputsFollowOnePattern checks that Request.Input and
// Request.Invitation are both set only for their own endpoint's request
// whose body decoded, and are nil otherwise.
func TestRequestInputsFollowOnePattern(t *testing.T) {
	t.Parallel()
	apiKey := http.Header{"Apikey": {vlenstest.TestAPIKey}, "Content-Type": {"application/json"}}
	tests := []struct {
		name       string
		path, body string
		status     int
		input      *vlens.CreateAuthSessionInput
	}{
		{"a session request keeps its input", vlenstest.CreateAuthSessionPath, `{"email":"a@example.com"}`, 200,
			&vlens.CreateAuthSessionInput{Email: "a@example.com"}},
		{"a session input that breaks the rules is kept", vlenstest.CreateAuthSessionPath, `{"phoneNumber":"12"}`, 422,
			&vlens.CreateAuthSessionInput{PhoneNumber: "12"}},
		{"a session body that does not decode has no input", vlenstest.CreateAuthSessionPath, `{"phoneNumber":12,"email":"a@example.com"}`, 400,
			nil},
		{"a session body that is not JSON has no input", vlenstest.CreateAuthSessionPath, `phone=12`, 400, nil},
		{"an invitation body that does not decode has no invitation", vlenstest.CreateInvitationPath, `{"SessionInput":[]}`, 401, nil},
		{"a login has neither", vlenstest.LoginPath, `{}`, 401, nil},
		{"a refresh has neither", vlenstest.RefreshTokenPath, `{"refreshToken":"x"}`, 401, nil},
		{"an unknown path has neither", "/api/nope", `{"email":"a@example.com"}`, 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vlenstest.NewTestServer(t)
			got := post(t, srv.URL+tt.path, apiKey.Clone(), tt.body)
			assert.Equal(t, tt.status, got.status)
			reqs := srv.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.input, reqs[0].Input)
			assert.Nil(t, reqs[0].Invitation)
		})
	}

	t.Run("an invitation keeps its input and has no session input", func(t *testing.T) {
		t.Parallel()
		srv := vlenstest.NewTestServer(t)
		require.Equal(t, 200, invite(t, srv, login(t, srv).access).status)
		reqs := srv.Requests()
		require.Len(t, reqs, 2)
		require.NotNil(t, reqs[1].Invitation)
		assert.Equal(t, "+201234567890", reqs[1].Invitation.PhoneNumber)
		assert.Nil(t, reqs[1].Input)
	})
}

func TestDefaultAdminCredentialsCannotBeChanged(t *testing.T) {
	t.Parallel()
	creds := vlenstest.DefaultAdminCredentials()
	creds.Password = "changed by a careless test"
	assert.Equal(t, "vlenstest-password", vlenstest.DefaultAdminCredentials().Password, "each call returns a fresh copy")
	srv := vlenstest.NewTestServer(t)
	assert.Equal(t, vlenstest.DefaultAdminCredentials(), srv.AdminCredentials())
	login(t, srv) // the default login still works
}

func TestEndpointPathIsCreateAuthSessionPath(t *testing.T) {
	t.Parallel()
	assert.Equal(t, vlenstest.CreateAuthSessionPath, vlenstest.EndpointPath)
}
