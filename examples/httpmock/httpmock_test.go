// Package httpmock_test shows the three httpmock idioms that work with the
// SDK, as the README describes them. It is a package of its own because
// httpmock.Activate replaces http.DefaultTransport for the whole process,
// and httpmock.DeactivateAndReset (the cleanup of both Activate and
// ActivateNonDefault) writes it: those tests must not share a process with
// tests that use real loopback servers through the default transport, nor
// run in parallel with each other, since they share httpmock's one
// DefaultTransport and its responders.
package httpmock_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
)

// endpoint is where the client posts CreateAuthSession: the SDK exports
// every endpoint's path, so a test need not spell it out.
const endpoint = vlens.DefaultBaseURL + vlens.CreateAuthSessionPath

var input = vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"}

// TestMockTransportWithHTTPClient is the first idiom: a mock transport of
// your own, passed with WithHTTPClient. Nothing global changes, so such
// tests may run in parallel.
func TestMockTransportWithHTTPClient(t *testing.T) {
	t.Parallel()
	transport := httpmock.NewMockTransport()
	transport.RegisterResponder(http.MethodPost, endpoint, httpmock.ResponderFromMultipleResponses([]*http.Response{
		httpmock.NewStringResponse(503, ""),
		httpmock.NewStringResponse(200, `{"data":"test-token","error_code":null}`),
	}))
	client, err := vlens.NewClient("test-key",
		vlens.WithHTTPClient(&http.Client{Transport: transport}),
		vlens.WithRetryWait(time.Millisecond, time.Millisecond), // keep retry tests fast
	)
	require.NoError(t, err)

	session, err := client.CreateAuthSession(context.Background(), input)
	require.NoError(t, err)
	assert.Equal(t, "test-token", session.Token)
	assert.Equal(t, 2, transport.GetTotalCallCount(), "the 503 was retried")
}

// TestActivateNonDefaultWithHTTPClient is the second idiom:
// httpmock.ActivateNonDefault on the client passed with WithHTTPClient. It
// works whether the SDK client is built before or after, as the SDK reads
// the client's Transport at each call. It leaves http.DefaultTransport
// alone but puts httpmock's process-wide DefaultTransport, shared with
// every other test that uses httpmock's package functions, into the client:
// it must not run in parallel with them.
func TestActivateNonDefaultWithHTTPClient(t *testing.T) {
	hc := &http.Client{}
	before, err := vlens.NewClient("test-key", vlens.WithHTTPClient(hc), vlens.WithRetryWait(time.Millisecond, time.Millisecond))
	require.NoError(t, err)

	httpmock.ActivateNonDefault(hc)
	t.Cleanup(httpmock.DeactivateAndReset)
	httpmock.RegisterResponder(http.MethodPost, endpoint,
		httpmock.NewStringResponder(200, `{"data":"test-token","error_code":null}`))
	after, err := vlens.NewClient("test-key", vlens.WithHTTPClient(hc), vlens.WithRetryWait(time.Millisecond, time.Millisecond))
	require.NoError(t, err)

	for name, client := range map[string]*vlens.Client{"built before ActivateNonDefault": before, "built after": after} {
		session, err := client.CreateAuthSession(context.Background(), input)
		require.NoError(t, err, name)
		assert.Equal(t, "test-token", session.Token, name)
	}
	assert.Equal(t, 2, httpmock.GetTotalCallCount(), "the calls went through httpmock's shared DefaultTransport")
	assert.Equal(t, http.RoundTripper(httpmock.DefaultTransport), hc.Transport)
	assert.NotEqual(t, http.RoundTripper(httpmock.DefaultTransport), http.DefaultTransport, "only hc was changed")

	// Retries go through the mock too.
	httpmock.RegisterResponder(http.MethodPost, endpoint, httpmock.ResponderFromMultipleResponses([]*http.Response{
		httpmock.NewStringResponse(503, ""),
		httpmock.NewStringResponse(200, `{"data":"second-token","error_code":null}`),
	}))
	session, err := after.CreateAuthSession(context.Background(), input)
	require.NoError(t, err)
	assert.Equal(t, "second-token", session.Token)
	assert.Equal(t, 4, httpmock.GetTotalCallCount(), "the 503 was retried")
}

// TestActivateWithTheDefaultClient is the third idiom: httpmock.Activate
// with a client built without WithHTTPClient. It works whether the client is
// built before or after Activate, and NewClient does not panic on a
// replaced http.DefaultTransport. It must not run in parallel with tests that
// use the default transport.
func TestActivateWithTheDefaultClient(t *testing.T) {
	before, err := vlens.NewClient("test-key", vlens.WithRetryWait(time.Millisecond, time.Millisecond))
	require.NoError(t, err)

	httpmock.Activate()
	t.Cleanup(httpmock.DeactivateAndReset)
	httpmock.RegisterResponder(http.MethodPost, endpoint,
		httpmock.NewStringResponder(200, `{"data":"test-token","error_code":null}`))

	var after *vlens.Client
	require.NotPanics(t, func() {
		after, err = vlens.NewClient("test-key", vlens.WithRetryWait(time.Millisecond, time.Millisecond))
	})
	require.NoError(t, err)

	for name, client := range map[string]*vlens.Client{"built before Activate": before, "built after Activate": after} {
		session, err := client.CreateAuthSession(context.Background(), input)
		require.NoError(t, err, name)
		assert.Equal(t, "test-token", session.Token, name)
	}
	assert.Equal(t, 2, httpmock.GetTotalCallCount())

	// Errors come back typed, as from Vlens itself.
	httpmock.RegisterResponder(http.MethodPost, endpoint, httpmock.NewStringResponder(401, ""))
	_, err = after.CreateAuthSession(context.Background(), input)
	assert.True(t, errors.Is(err, vlens.ErrUnauthorized), "got %v", err)
}
