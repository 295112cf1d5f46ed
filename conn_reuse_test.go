package vlens

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingListener counts the TCP connections a server accepts.
type countingListener struct {
	net.Listener
	accepts atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err == nil {
		l.accepts.Add(1)
	}
	return conn, err
}

// TestConnectionReuse checks that calls through the SDK's default transport
// reuse one connection whatever the answer: a token, or an envelope error on
// HTTP 200 or on a 4xx. Every body is read to its end and closed, so no
// answer should cost a connection.
func TestConnectionReuse(t *testing.T) {
	t.Parallel()
	const calls = 1000
	for _, tc := range []struct {
		name   string
		status int
		body   string
		check  func(t *testing.T, s *AuthSession, err error)
	}{
		{
			name:   "successful calls",
			status: http.StatusOK,
			body:   tokenEnvelope("tok"),
			check: func(t *testing.T, s *AuthSession, err error) {
				if assert.NoError(t, err) {
					assert.Equal(t, "tok", s.Token)
				}
			},
		},
		{
			name:   "envelope errors on HTTP 200",
			status: http.StatusOK,
			body:   `{"data":null,"error_code":1001,"error_message":"tenant disabled","error_descriptions":null}`,
			check:  wantAPIError(http.StatusOK, 1001),
		},
		{
			name:   "envelope errors on HTTP 422",
			status: http.StatusUnprocessableEntity,
			body:   `{"data":null,"error_code":422,"error_message":"invalid","error_descriptions":{"phoneNumber":["bad"]}}`,
			check:  wantAPIError(http.StatusUnprocessableEntity, 422),
		},
		{
			name:   "envelope errors on HTTP 401",
			status: http.StatusUnauthorized,
			body:   `{"data":null,"error_code":401,"error_message":"bad key","error_descriptions":null}`,
			check:  wantAPIError(http.StatusUnauthorized, 401),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewUnstartedServer(envelopeHandler(tc.status, []byte(tc.body)))
			listener := &countingListener{Listener: srv.Listener}
			srv.Listener = listener
			srv.Start()
			t.Cleanup(srv.Close)
			c, err := NewClient(benchAPIKey, WithBaseURL(srv.URL))
			require.NoError(t, err)

			for i := 0; i < calls; i++ {
				s, err := c.CreateAuthSession(context.Background(), benchInput)
				tc.check(t, s, err)
				if t.Failed() {
					t.FailNow()
				}
			}
			assert.Positive(t, listener.accepts.Load(), "the listener counts accepts")
			assert.LessOrEqual(t, listener.accepts.Load(), int64(2),
				"%d sequential calls should reuse a connection", calls)
		})
	}
}

func wantAPIError(status, code int) func(*testing.T, *AuthSession, error) {
	return func(t *testing.T, s *AuthSession, err error) {
		t.Helper()
		assert.Nil(t, s)
		var apiErr *APIError
		if assert.ErrorAs(t, err, &apiErr) {
			assert.Equal(t, status, apiErr.StatusCode)
			assert.Equal(t, code, apiErr.Code)
			assert.Equal(t, 1, apiErr.Attempts)
		}
	}
}
