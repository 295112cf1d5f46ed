package vlens_test

import (
	"context"
	"errors"
	"log"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// readmeErrorSwitch holds the README's error switch, line for line (one tab
// deeper), so that the README's snippet compiles with the package it
// documents. TestREADMEErrorSwitchCompiles keeps the two the same.
func readmeErrorSwitch(ctx context.Context, client *vlens.Client, in vlens.CreateInvitationInput) {
	session, err := client.CreateInvitation(ctx, in) // or CreateAuthSession, Login, …
	var apiErr *vlens.APIError
	isAnswer := errors.As(err, &apiErr) // set apiErr for every answer from Vlens
	switch {
	case err == nil:
		_ = session.Token // hand it to the user's browser or app
	case errors.Is(err, vlens.ErrNoAdminToken) && isAnswer:
		// Vlens refused the admin login (apiErr.Operation == "login"): wrong password, locked-out
		// user or revoked API key. Nothing was sent; calls return this at once, without a request,
		// until the back-off (30s doubling to 5min) ends.
		log.Printf("admin login refused: HTTP %d, error_code %d", apiErr.StatusCode, apiErr.Code)
	case errors.Is(err, vlens.ErrNoAdminToken):
		// no admin token for another reason (network, vlens.ErrRenewalTimeout, your own
		// source's error): nothing was sent
	case errors.Is(err, vlens.ErrInvalidRequest):
		// bad input (ours or as Vlens judged it): fix the request, do not retry
	case errors.Is(err, vlens.ErrUnauthorized):
		// Vlens refused the call itself (apiErr.Operation == "create invitation"): a wrong or
		// revoked API key, or an admin token refused even after a fresh one: alert someone
	case errors.Is(err, vlens.ErrRateLimited), errors.Is(err, vlens.ErrServer):
		// retries ran out, or were not allowed (an invitation after a 503 may exist);
		// apiErr.RetryAfter is what the server asked for (0 if nothing)
		log.Printf("vlens busy, asked to wait %s (request %s)", apiErr.RetryAfter, apiErr.Header.Get("X-Request-Id"))
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		// your own context ended the call; errors.Is(err, vlens.ErrNotSent) if nothing reached Vlens
	case errors.Is(err, vlens.ErrUnreachable) && errors.Is(err, vlens.ErrNotSent):
		// no connection could be made (refused, DNS failure): Vlens surely never got the
		// request, so even an invitation may be sent again; answer 503
	case errors.Is(err, vlens.ErrUnreachable):
		// no answer, but Vlens may have the request (a reset, an EOF, vlens.ErrAttemptTimeout
		// once connected): answer 502, and find out before sending an invitation again
	case errors.Is(err, vlens.ErrNotSent):
		// your rate limiter refused: nothing was sent
	case errors.Is(err, vlens.ErrClosed):
		// the client was closed
	case isAnswer:
		// any other Vlens answer: apiErr.StatusCode, apiErr.Code (error_code),
		// apiErr.Message, apiErr.Descriptions (raw error_descriptions), apiErr.FieldErrors(),
		// apiErr.Header (the answer's headers), apiErr.Operation ("create invitation")
	default:
		// a client set up wrong (an invitation without admin credentials)
	}
}

func TestREADMEErrorSwitchCompiles(t *testing.T) {
	t.Parallel()
	// It runs too: a wrong admin password takes the refused-login branch.
	srv := vlenstest.NewTestServer(t, vlenstest.WithLoginLockout(0, 0))
	creds := srv.AdminCredentials()
	creds.Password = "wrong-password"
	client, err := vlens.NewClient(vlenstest.TestAPIKey, vlens.WithBaseURL(srv.URL), vlens.WithAdminCredentials(creds))
	require.NoError(t, err)
	readmeErrorSwitch(context.Background(), client, vlens.CreateInvitationInput{PhoneNumber: "+201234567890"})
	assert.Len(t, srv.RequestsTo(vlenstest.LoginPath), 1)
	assert.Empty(t, srv.RequestsTo(vlenstest.CreateInvitationPath))

	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	const start = "```go\nsession, err := client.CreateInvitation(ctx, in)"
	i := strings.Index(string(readme), start)
	require.GreaterOrEqual(t, i, 0, "the README's error switch starts with %q", start)
	block := string(readme[i+len("```go\n"):])
	block = block[:strings.Index(block, "```")]

	src, err := os.ReadFile("readme_test.go")
	require.NoError(t, err)
	body := string(src)
	body = body[strings.Index(body, "func readmeErrorSwitch"):]
	body = body[strings.Index(body, "{\n")+2 : strings.Index(body, "\n}\n")+1]
	var unindented strings.Builder
	for _, line := range strings.SplitAfter(body, "\n") {
		unindented.WriteString(strings.TrimPrefix(line, "\t"))
	}
	assert.Equal(t, block, unindented.String(), "README.md's error switch and readmeErrorSwitch must match")
}
