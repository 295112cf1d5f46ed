package vlens_test

// The admin token path against vlenstest in the platform's modes: refusals
// as HTTP 200 or 400, a lockout after 5 failed logins, a proxy that answers
// 503 after the invitation was recorded.

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

var fakeInvitation = vlens.CreateInvitationInput{
	PhoneNumber:         "+201234567890",
	RequestFieldsValues: map[int]map[string]string{414: {"fullName": "Ahmed Mohamed"}},
}

// TestFakeWrongPasswordLogsInOnceAndLocksNobodyOut: 20 calls, 10 of them at
// once, with a wrong password make one login, so the platform's lockout
// after 5 failures never comes, and the right password still works.
func TestFakeWrongPasswordLogsInOnceAndLocksNobodyOut(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusInternalServerError} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			srv := vlenstest.NewTestServer(t, vlenstest.WithLoginRefusal(status))
			wrong := srv.AdminCredentials()
			wrong.Password = "not-the-password"
			c := srv.Client(vlens.WithAdminCredentials(wrong))
			invite := func() {
				_, err := c.CreateInvitation(context.Background(), fakeInvitation)
				var apiErr *vlens.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, "login", apiErr.Operation)
				assert.ErrorIs(t, err, vlens.ErrNoAdminToken)
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
			assert.Len(t, srv.RequestsTo(vlenstest.LoginPath), 1)
			assert.Empty(t, srv.RequestsTo(vlenstest.CreateInvitationPath))

			_, err := srv.Client().CreateInvitation(context.Background(), fakeInvitation)
			assert.NoError(t, err, "the admin is not locked out")
		})
	}
}

// TestFakeRefusedRefreshLogsInOnce: after a revocation, the refresh is
// refused as the platform refuses it; the client logs in once and the
// invitation goes through.
func TestFakeRefusedRefreshLogsInOnce(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusOK, http.StatusBadRequest, http.StatusInternalServerError} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			srv := vlenstest.NewTestServer(t, vlenstest.WithRefreshRefusal(status))
			c := srv.Client()
			_, err := c.CreateInvitation(context.Background(), fakeInvitation)
			require.NoError(t, err)
			srv.RevokeAdminTokens()
			for range 3 {
				_, err = c.CreateInvitation(context.Background(), fakeInvitation)
				require.NoError(t, err)
			}
			assert.Len(t, srv.RequestsTo(vlenstest.RefreshTokenPath), 1)
			assert.Equal(t, 2, srv.Logins())
		})
	}
}

// TestFakeInvitationAnswered503AfterRecordingIsMadeOnce: the proxy's 503 is
// returned, and the invitation it hid is not made again.
func TestFakeInvitationAnswered503AfterRecordingIsMadeOnce(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	c := srv.Client()
	_, err := c.CreateInvitation(context.Background(), fakeInvitation) // logs in
	require.NoError(t, err)
	srv.Reset()
	srv.Enqueue(vlenstest.UpstreamReset())
	_, err = c.CreateInvitation(context.Background(), fakeInvitation)
	var apiErr *vlens.APIError
	require.True(t, errors.As(err, &apiErr), "got %v", err)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
	assert.Equal(t, "create invitation", apiErr.Operation)
	assert.Equal(t, 1, apiErr.Attempts)
	assert.Len(t, srv.RequestsTo(vlenstest.CreateInvitationPath), 1)
	assert.Len(t, srv.Tokens(), 1, "the invitation exists")
}
