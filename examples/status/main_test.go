package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

const uuid = `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`

func TestWithoutAPIKeyUsesTheFake(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), env(nil), &stdout, &stderr))
	assert.Regexp(t, regexp.MustCompile(`^the newest business requests:\n  (`+uuid+`)  REQ-000001  Pending Approval\n\n`+
		`request (`+uuid+`) \(REQ-000001\): Pending Approval, contract type 1, 0 fields, created \S+\n$`), stdout.String())
	assert.Contains(t, stderr.String(), "in-process fake")
	assert.NotContains(t, stdout.String(), "Test Customer", "no personal data")
}

func TestWithAPIKeyReadsTheGivenServer(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithAPIKey("tenant-key"))
	client := srv.Client()
	var ids []string
	for range 7 {
		s, err := client.CreateAuthSession(context.Background(), vlens.CreateAuthSessionInput{Email: "ann@example.com"})
		require.NoError(t, err)
		ids = append(ids, srv.CompleteSession(s.Token, vlens.StatusPendingApproval))
	}
	require.NoError(t, srv.SetRequestStatus(ids[6], vlens.StatusApproved))
	creds := srv.AdminCredentials()

	var stdout, stderr bytes.Buffer
	err := run(context.Background(), env(map[string]string{
		"VLENS_API_KEY":        "tenant-key",
		"VLENS_BASE_URL":       srv.URL,
		"VLENS_ADMIN_TENANCY":  creds.TenancyName,
		"VLENS_ADMIN_USER":     creds.UserNameOrEmailAddress,
		"VLENS_ADMIN_PASSWORD": creds.Password,
	}), &stdout, &stderr)
	require.NoError(t, err)
	assert.Empty(t, stderr.String())
	want := "the newest business requests:\n" +
		"  " + ids[6] + "  REQ-000007  Approved\n" +
		"  " + ids[5] + "  REQ-000006  Pending Approval\n" +
		"  " + ids[4] + "  REQ-000005  Pending Approval\n" +
		"  " + ids[3] + "  REQ-000004  Pending Approval\n" +
		"  " + ids[2] + "  REQ-000003  Pending Approval\n\n" +
		"request " + ids[6] + " (REQ-000007): Approved, contract type 1, 0 fields, created "
	assert.Contains(t, stdout.String(), want)
	assert.Len(t, srv.RequestsTo(vlenstest.ListBusinessRequestsPath), 1, "one page, then break: no second request")
	assert.Len(t, srv.RequestsTo(vlenstest.GetBusinessRequestPath), 1)
}

func TestFailures(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	creds := srv.AdminCredentials()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"wrong key", map[string]string{"VLENS_API_KEY": "wrong", "VLENS_BASE_URL": srv.URL, "VLENS_ADMIN_TENANCY": creds.TenancyName,
			"VLENS_ADMIN_USER": creds.UserNameOrEmailAddress, "VLENS_ADMIN_PASSWORD": creds.Password}, "401"},
		{"base URL without key", map[string]string{"VLENS_BASE_URL": srv.URL}, "VLENS_API_KEY is not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout bytes.Buffer
			err := run(context.Background(), env(tc.env), &stdout, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
