package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

func TestServesUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-key", "dev-key", "-quiet"}, outW, io.Discard)
		outW.Close()
	}()

	lines := bufio.NewScanner(out)
	vars := map[string]string{}
	for lines.Scan() && len(vars) < 5 {
		if k, v, ok := strings.Cut(strings.TrimSpace(lines.Text()), "="); ok {
			vars[k] = v
		}
	}
	require.Equal(t, "dev-key", vars["VLENS_API_KEY"])
	require.True(t, strings.HasPrefix(vars["VLENS_BASE_URL"], "http://127.0.0.1:"), vars["VLENS_BASE_URL"])

	client, err := vlens.NewClient(vars["VLENS_API_KEY"], vlens.WithBaseURL(vars["VLENS_BASE_URL"]))
	require.NoError(t, err)
	session, err := client.CreateAuthSession(ctx, vlens.CreateAuthSessionInput{Email: "dev@example.com"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(session.Token, vlenstest.TokenPrefix))

	admin, err := vlens.NewClient(vars["VLENS_API_KEY"], vlens.WithBaseURL(vars["VLENS_BASE_URL"]),
		vlens.WithAdminCredentials(vlens.AdminCredentials{TenancyName: vars["VLENS_ADMIN_TENANCY"],
			UserNameOrEmailAddress: vars["VLENS_ADMIN_USER"], Password: vars["VLENS_ADMIN_PASSWORD"]}))
	require.NoError(t, err)
	invitation, err := admin.CreateInvitation(ctx, vlens.CreateInvitationInput{Email: "dev@example.com"})
	require.NoError(t, err, "the printed admin login works")
	assert.True(t, strings.HasPrefix(invitation.Token, vlenstest.TokenPrefix))

	go func() { _, _ = io.Copy(io.Discard, out) }()
	cancel()
	assert.NoError(t, <-done)
}

func TestBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-key", " "},
		{"-rate", "-1"},
		{"-rate", "1", "-burst", "0"},
		{"-latency", "-1s"},
		{"-nosuchflag"},
		{"extra"},
		{"-addr", "not an address"},
	} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		assert.Error(t, err, "%q", args)
	}
}
