package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
	"github.com/vlens-go/vlens/webhook"
)

// statusDelivery is a status change of request id to status.
func statusDelivery(eventID, requestID, status string) []byte {
	return fmt.Appendf(nil, `{"Id":%q,"WebhookEvent":"App.BusinessRequestStatusChange","Attempt":1,`+
		`"Data":{"Id":%q,"NewStatus":%q,"FullName":"Forged Name"},"CreationTimeUtc":"2025-12-11T11:27:18.6197007"}`,
		eventID, requestID, status)
}

// seen keeps the status changes fn was handed.
type seen struct {
	mu      sync.Mutex
	changes []webhook.StatusChange
	data    []string
}

func (s *seen) fn(_ context.Context, e *webhook.Event) error {
	c, err := e.StatusChange()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes = append(s.changes, *c)
	s.data = append(s.data, string(e.Data))
	return nil
}

// completedRequest starts a fake Vlens, has a user complete a session
// there with status, and returns the fake, a client of it and the business
// request's ID.
func completedRequest(t *testing.T, status vlens.RequestStatus) (*vlenstest.Server, *vlens.Client, string) {
	t.Helper()
	srv := vlenstest.NewTestServer(t)
	c, err := srv.NewClient()
	require.NoError(t, err)
	session, err := c.CreateAuthSession(context.Background(), vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"})
	require.NoError(t, err)
	return srv, c, srv.CompleteSession(session.Token, status)
}

func TestVerifyByFetchingHandsFnVlensStatus(t *testing.T) {
	t.Parallel()
	srv, c, requestID := completedRequest(t, vlens.StatusPendingApproval)
	require.NoError(t, srv.SetRequestStatus(requestID, vlens.StatusRejected))

	var s seen
	h, err := webhook.NewHandler(s.fn, webhook.WithVerifyByFetching(c))
	require.NoError(t, err)

	w := post(h, statusDelivery("evt-forged", requestID, "Approved"))
	require.Equal(t, http.StatusOK, w.Code)
	require.Len(t, s.changes, 1)
	assert.Equal(t, webhook.StatusChange{RequestID: requestID, NewStatus: vlens.StatusRejected, StatusName: "Rejected"}, s.changes[0],
		"what Vlens says now, not what the delivery claims")
	assert.NotContains(t, s.data[0], "Forged Name", "nothing unverified reaches fn")

	require.NoError(t, srv.SetRequestStatus(requestID, vlens.StatusPendingApproval))
	require.Equal(t, http.StatusOK, post(h, statusDelivery("evt-2", requestID, "Approved")).Code)
	assert.Equal(t, vlens.StatusPendingApproval, s.changes[1].NewStatus)
	assert.Equal(t, "PendingApproval", s.changes[1].StatusName, "spelt as a delivery spells it")
}

func TestVerifyByFetchingRefuses(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	c, err := srv.NewClient()
	require.NoError(t, err)
	var s seen
	h, err := webhook.NewHandler(s.fn, webhook.WithVerifyByFetching(c), quiet)
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		body []byte
		want int
	}{
		{"unknown request", statusDelivery("evt-1", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "Approved"), http.StatusUnauthorized},
		{"malformed request ID", statusDelivery("evt-2", "../admin", "Approved"), http.StatusUnauthorized},
		{"no request ID", []byte(`{"Id":"evt-3","WebhookEvent":"App.BusinessRequestStatusChange","Data":{"NewStatus":"Approved"}}`), http.StatusBadRequest},
		{"malformed body", []byte(`{"Id":`), http.StatusBadRequest},
		{"other type: acknowledged, not run", []byte(`{"Id":"evt-4","WebhookEvent":"App.New","Data":{}}`), http.StatusOK},
	} {
		assert.Equal(t, tc.want, post(h, tc.body).Code, tc.name)
	}
	assert.Empty(t, s.changes, "fn never ran")
	assert.Len(t, srv.RequestsTo(vlenstest.GetBusinessRequestPath+"3fa85f64-5717-4562-b3fc-2c963f66afa6"), 1, "a forged delivery costs one read")
}

func TestVerifyByFetchingFailureIsRetried(t *testing.T) {
	t.Parallel()
	srv, c, requestID := completedRequest(t, vlens.StatusApproved)
	_, err := c.GetBusinessRequest(context.Background(), requestID) // logs in, so that the faults hit the read
	require.NoError(t, err)

	var s seen
	h, err := webhook.NewHandler(s.fn, webhook.WithVerifyByFetching(c))
	require.NoError(t, err)
	srv.Enqueue(vlenstest.Fault{Status: 503}, vlenstest.Fault{Status: 503}, vlenstest.Fault{Status: 503})
	w := post(h, statusDelivery("evt-1", requestID, "Approved"))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "Vlens is to deliver again")
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
	assert.Empty(t, s.changes)

	assert.Equal(t, http.StatusOK, post(h, statusDelivery("evt-1", requestID, "Approved")).Code, "the redelivery runs")
	assert.Len(t, s.changes, 1)
}
