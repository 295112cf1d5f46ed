package webhook_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
	"github.com/vlens-go/vlens/webhook"
)

// The handler against the fake's own deliveries (vlenstest.WithWebhook),
// signed as the platform signs them, with its redelivery and duplicates.

// fakeDelivering returns a fake that delivers its webhooks, signed with
// testSecret, to a handler over c.fn.
func fakeDelivering(t *testing.T, c *runs, opts ...vlenstest.WebhookOption) *vlenstest.Server {
	t.Helper()
	receiver := httptest.NewServer(newHandler(t, c, webhook.WithSignatureSecret(testSecret)))
	t.Cleanup(receiver.Close)
	opts = append([]vlenstest.WebhookOption{vlenstest.WebhookSecret(testSecret), vlenstest.WebhookRetryWait(time.Millisecond)}, opts...)
	return vlenstest.NewTestServer(t, vlenstest.WithWebhook(receiver.URL+"/hooks/vlens", opts...))
}

// completed completes a new session on srv and returns its request's ID.
func completed(t *testing.T, srv *vlenstest.Server) string {
	t.Helper()
	s, err := srv.Client().CreateAuthSession(context.Background(), vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"})
	require.NoError(t, err)
	return srv.CompleteSession(s.Token, vlens.StatusPendingApproval)
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestFakeRedeliveryRunsAFailedEventAgainOnce(t *testing.T) {
	t.Parallel()
	c := &runs{}
	c.fail = func(*webhook.Event) error {
		if c.total() == 1 {
			return errors.New("the first run fails")
		}
		return nil
	}
	srv := fakeDelivering(t, c)
	completed(t, srv)

	d, err := srv.WaitDeliveries(waitCtx(t), 2)
	require.NoError(t, err)
	require.Len(t, d, 2)
	assert.Equal(t, 500, d[0].StatusCode, "fn's error")
	assert.Equal(t, 200, d[1].StatusCode, "the redelivery ran it again")
	assert.Equal(t, d[0].EventID, d[1].EventID)
	assert.Equal(t, []int{1, 2}, []int{d[0].Attempt, d[1].Attempt})
	assert.Equal(t, 2, c.count(d[0].EventID), "once failing, once succeeding")
	assert.Equal(t, 2, c.total(), "and no third run")
}

func TestFakeDuplicateRunsOnce(t *testing.T) {
	t.Parallel()
	c := &runs{}
	srv := fakeDelivering(t, c, vlenstest.WebhookDuplicate(1))
	completed(t, srv)

	d, err := srv.WaitDeliveries(waitCtx(t), 2)
	require.NoError(t, err)
	require.Len(t, d, 2, "the same attempt twice at once")
	assert.Equal(t, d[0].EventID, d[1].EventID)
	assert.True(t, d[0].Delivered() || d[1].Delivered())
	assert.Equal(t, 1, c.count(d[0].EventID), "fn ran once")
}
