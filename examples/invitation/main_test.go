package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
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
	srv := vlenstest.NewTestServer(t, vlenstest.WithAPIKey("tenant-key"), vlenstest.WithTemplate(sampleTemplate(77)))
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
	var paths []string
	for _, r := range srv.Requests() {
		paths = append(paths, r.Path)
	}
	assert.Equal(t, []string{vlenstest.LoginPath, vlenstest.GetTemplatePath, vlenstest.CreateInvitationPath}, paths,
		"the template is read before the invitation")
	invitations := srv.RequestsTo(vlenstest.CreateInvitationPath)
	require.Len(t, invitations, 1)
	require.NotNil(t, invitations[0].Invitation)
	assert.Equal(t, "+201000000001", invitations[0].Invitation.PhoneNumber)
	assert.Equal(t, map[int]map[string]string{77: form}, invitations[0].Invitation.RequestFieldsValues)
}

// TestTheTemplateStopsABadForm: a form the template does not take is no
// invitation.
func TestTheTemplateStopsABadForm(t *testing.T) {
	t.Parallel()
	offersOther := sampleTemplate(414)
	offersOther.Fields[2].AvailableValues = []string{"Student", "Retired"}
	lacksIncome := sampleTemplate(414)
	lacksIncome.Fields = lacksIncome.Fields[:1:1]
	lacksIncome.Fields = append(lacksIncome.Fields, sampleTemplate(414).Fields[2])
	tests := []struct {
		name     string
		template *vlens.Template // nil: the server has none
		want     string
	}{
		{"a value the list does not offer", offersOther, `RequestFieldsValues[414]["employment"]`},
		{"a key the form does not have", lacksIncome, `RequestFieldsValues[414]["monthlyIncome"]`},
		{"no template", nil, "HTTP 404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []vlenstest.ServerOption
			if tt.template != nil {
				opts = append(opts, vlenstest.WithTemplate(tt.template))
			}
			srv := vlenstest.NewTestServer(t, opts...)
			creds := srv.AdminCredentials()
			var stdout bytes.Buffer
			err := run(context.Background(), env(map[string]string{"VLENS_API_KEY": srv.APIKey(), "VLENS_BASE_URL": srv.URL,
				"VLENS_ADMIN_TENANCY": creds.TenancyName, "VLENS_ADMIN_USER": creds.UserNameOrEmailAddress,
				"VLENS_ADMIN_PASSWORD": creds.Password, "VLENS_PHONE": "+201000000001"}), &stdout, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			if tt.template != nil {
				assert.ErrorIs(t, err, vlens.ErrInvalidRequest)
			}
			assert.NotContains(t, err.Error(), "Employed", "a form value is personal data")
			assert.Empty(t, srv.RequestsTo(vlenstest.CreateInvitationPath), "nothing was sent")
			assert.Empty(t, stdout.String())
		})
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithTemplate(sampleTemplate(defaultContractType)))
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
