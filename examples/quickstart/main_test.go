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
	assert.Regexp(t, `^session token: `+vlenstest.TokenPrefix+`[0-9a-f]{32}\n`, stdout.String())
	assert.Contains(t, stdout.String(), "iframe")
	assert.Contains(t, stderr.String(), "in-process fake")
}

func TestWithAPIKeyCallsTheGivenServer(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithAPIKey("tenant-key"),
		vlenstest.WithTokenFunc(func(vlens.CreateAuthSessionInput) string { return "the-token" }))
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), env(map[string]string{
		"VLENS_API_KEY":  "tenant-key",
		"VLENS_BASE_URL": srv.URL,
		"VLENS_EMAIL":    "ann@example.com",
	}), &stdout, &stderr)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(stdout.String(), "session token: the-token\n"), stdout.String())
	assert.Empty(t, stderr.String())
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, &vlens.CreateAuthSessionInput{Email: "ann@example.com"}, reqs[0].Input)
}

func TestFailures(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"wrong key", map[string]string{"VLENS_API_KEY": "wrong", "VLENS_BASE_URL": srv.URL}, "HTTP 401"},
		{"invalid phone", map[string]string{"VLENS_PHONE": "0123"}, "phoneNumber"},
		{"base URL without key", map[string]string{"VLENS_BASE_URL": srv.URL}, "VLENS_API_KEY is not"},
		{"plain http off loopback", map[string]string{"VLENS_API_KEY": "k", "VLENS_BASE_URL": "http://example.com"}, "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout bytes.Buffer
			err := run(context.Background(), env(tt.env), &stdout, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, stdout.String())
		})
	}
}
