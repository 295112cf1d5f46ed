package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vlens-go/vlens/webhook"
)

// testSecret is the secret of every authentication option in these tests.
const testSecret = "whs_0123456789abcdef"

// quiet keeps WithoutAuthentication's warning out of the test output.
var quiet = webhook.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

// delivery is a status change in Vlens's format, with extra fields in Data
// standing for personal data that a later Data might carry.
func delivery(id string, attempt int, status string) []byte {
	return fmt.Appendf(nil, `{"Id":%q,"WebhookEvent":"App.BusinessRequestStatusChange","Attempt":%d,`+
		`"Data":{"Id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","NewStatus":%q,"FullName":"Mona Ahmed Ali","IdNumber":"29901011234567"},`+
		`"CreationTimeUtc":"2025-12-11T11:27:18.6197007Z"}`, id, attempt, status)
}

// post sends body to h as Vlens would, changed by edit, and returns the
// answer.
func post(h http.Handler, body []byte, edit ...func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/hooks/vlens", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for _, f := range edit {
		f(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// runs counts fn's runs per event ID, and can be made to fail.
type runs struct {
	mu   sync.Mutex
	byID map[string]int
	fail func(e *webhook.Event) error // nil: succeed
}

func (c *runs) fn(_ context.Context, e *webhook.Event) error {
	c.mu.Lock()
	if c.byID == nil {
		c.byID = map[string]int{}
	}
	c.byID[e.ID]++
	fail := c.fail
	c.mu.Unlock()
	if fail != nil {
		return fail(e)
	}
	return nil
}

func (c *runs) count(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byID[id]
}

func (c *runs) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.byID {
		n += v
	}
	return n
}

// newHandler builds a handler over c.fn, failing the test on an error.
func newHandler(t *testing.T, c *runs, opts ...webhook.Option) http.Handler {
	t.Helper()
	h, err := webhook.NewHandler(c.fn, append([]webhook.Option{quiet}, opts...)...)
	require.NoError(t, err)
	return h
}
