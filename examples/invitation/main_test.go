package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens/vlenstest"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestWithoutAPIKeyUsesTheFake(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), env(nil), &stdout, &stderr))
	assert.Regexp(t, `^invitation session token: `+vlenstest.TokenPrefix+`[0-9a-f]{32}\n`, stdout.String())
	assert.Contains(t, stderr.String(), "in-process fake")
}

func TestWithAPIKeyLogsInAndInvites(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithAPIKey("tenant-key"))
	creds := srv.AdminCredentials()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), env(map[string]string{
		"VLENS_API_KEY":        "tenant-key",
		"VLENS_BASE_URL":       srv.URL,
		"VLENS_ADMIN_TENANCY":  creds.TenancyName,
		"VLENS_ADMIN_USER":     creds.UserNameOrEmailAddress,
		"VLENS_ADMIN_PASSWORD": creds.Password,
		"VLENS_PHONE":          "+201000000001",
		"VLENS_CONTRACT_TYPE":  "77",
	}), &stdout, &stderr)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(stdout.String(), "invitation session token: "), stdout.String())
	assert.Empty(t, stderr.String())
	assert.Equal(t, 1, srv.Logins())
	var invitation *vlenstest.Request
	for _, r := range srv.Requests() {
		if r.Path == vlenstest.CreateInvitationPath {
			invitation = &r
		}
	}
	require.NotNil(t, invitation)
	require.NotNil(t, invitation.Invitation)
	assert.Equal(t, "+201000000001", invitation.Invitation.PhoneNumber)
	assert.Equal(t, map[int]map[string]string{77: {"fullName": "Ahmed Mohamed", "monthlyIncome": "5000"}}, invitation.Invitation.RequestFieldsValues)
}

func TestFailures(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	creds := srv.AdminCredentials()
	good := map[string]string{"VLENS_API_KEY": srv.APIKey(), "VLENS_BASE_URL": srv.URL,
		"VLENS_ADMIN_TENANCY": creds.TenancyName, "VLENS_ADMIN_USER": creds.UserNameOrEmailAddress, "VLENS_ADMIN_PASSWORD": creds.Password}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"wrong password", with("VLENS_ADMIN_PASSWORD", "wrong"), "HTTP 401"},
		{"no admin login", map[string]string{"VLENS_API_KEY": srv.APIKey(), "VLENS_BASE_URL": srv.URL}, "WithAdminCredentials"},
		{"contract type not a number", with("VLENS_CONTRACT_TYPE", "abc"), "VLENS_CONTRACT_TYPE"},
		{"invalid phone", with("VLENS_PHONE", "0123"), "phoneNumber"},
		{"base URL without key", map[string]string{"VLENS_BASE_URL": srv.URL}, "VLENS_API_KEY is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout bytes.Buffer
			err := run(context.Background(), env(tt.env), &stdout, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), creds.Password)
			assert.Empty(t, stdout.String())
		})
	}
}
