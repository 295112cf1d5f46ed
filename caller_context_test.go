package vlens

// Tests of what the caller's context decides and what it does not (issue 14,
// items 4 and 6), through the public API.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cancelAtEOF is a response body that ends the caller's context as soon as
// it has been read to its end: the answer arrived in full, and the caller's
// context ended right after.
type cancelAtEOF struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelAtEOF) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.cancel()
	}
	return n, err
}

// TestAnswerReadInFullIsReturnedWhenTheContextEndsRightAfter: an answer read
// in full is the call's outcome whatever happens to the caller's context
// next; the context only decides whether to wait and try again. A success
// that is thrown away makes the caller repeat a call that already took
// effect (an invitation created twice). Each answer comes from a loopback
// server over a real connection.
func TestAnswerReadInFullIsReturnedWhenTheContextEndsRightAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		// want is the token, or else the status of the *APIError.
		want string
	}{
		{"success returns the token", 200, tokenEnvelope("tok"), "tok"},
		{"envelope error returns the APIError", 200, errorBody(12, "blocked"), ""},
		{"refusal returns the APIError", 400, errorBody(3, "bad"), ""},
		{"retryable 503 returns the APIError without retrying", 503, errorBody(5, "busy"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(envelopeHandler(tt.status, []byte(tt.body)))
			t.Cleanup(srv.Close)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var attempts int
			rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
				attempts++
				resp, err := srv.Client().Transport.RoundTrip(req)
				if err == nil {
					resp.Body = &cancelAtEOF{ReadCloser: resp.Body, cancel: cancel}
				}
				return resp, err
			})
			c, err := NewClient(testAPIKey, WithBaseURL(srv.URL), WithHTTPClient(&http.Client{Transport: rt}),
				WithRetryWait(time.Millisecond, time.Millisecond))
			require.NoError(t, err)

			s, err := c.CreateAuthSession(ctx, validInput())
			require.Error(t, ctx.Err(), "the caller's context ended")
			assert.Equal(t, 1, attempts)
			assert.NotErrorIs(t, err, context.Canceled)
			if tt.want != "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, s.Token)
				return
			}
			apiErr := requireAPIError(t, err)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, 1, apiErr.Attempts)
		})
	}
}

// TestAnswerCutOffByTheContextIsTheContextsError: an answer whose body had
// not all arrived when the caller's context ended is no answer: the call
// reports the context's error.
func TestAnswerCutOffByTheContextIsTheContextsError(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rt := roundTripFunc(func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(200, "")
		resp.Body = &brokenBody{prefix: []byte(`{"data":"to`), err: errors.New("connection reset")}
		cancel()
		return resp, nil
	})
	c := newSanityClient(t, rt)
	_, err := c.CreateAuthSession(ctx, validInput())
	assert.ErrorIs(t, err, context.Canceled)
}

// TestSDKBoundsAreNotTheCallersDeadline: an attempt that runs past the SDK's
// per-attempt bound (WithAttemptTimeout) or the Timeout of the caller's
// http.Client, while the caller's context is alive, matches ErrAttemptTimeout
// and is a net.Error timeout, but never context.DeadlineExceeded, which says
// that the caller's own context ended. A caller's deadline that comes first
// is still the caller's.
func TestSDKBoundsAreNotTheCallersDeadline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		clientTimeout time.Duration // the caller's http.Client.Timeout
		opts          []Option
		callerTimeout time.Duration // 0: context.Background()
		want          error
		attempts      int
	}{
		{"attempt timeout", 0, []Option{WithAttemptTimeout(5 * time.Millisecond)}, 0, ErrAttemptTimeout, 3},
		{"http.Client.Timeout", 5 * time.Millisecond, nil, 0, ErrAttemptTimeout, 3},
		{"http.Client.Timeout without an attempt timeout", 5 * time.Millisecond, []Option{WithAttemptTimeout(0)}, 0, ErrAttemptTimeout, 3},
		{"http.Client.Timeout shorter than the attempt timeout", 5 * time.Millisecond, []Option{WithAttemptTimeout(time.Hour)}, 0, ErrAttemptTimeout, 3},
		{"caller's deadline before the http.Client.Timeout", time.Hour, nil, 30 * time.Millisecond, context.DeadlineExceeded, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt := httpmock.NewMockTransport()
			mt.RegisterResponder(http.MethodPost, testEndpoint, blockUntilDone)
			opts := append([]Option{WithHTTPClient(&http.Client{Transport: mt, Timeout: tt.clientTimeout}),
				WithRetryWait(time.Millisecond, time.Millisecond)}, tt.opts...)
			c, err := NewClient(testAPIKey, opts...)
			require.NoError(t, err)
			ctx := context.Background()
			if tt.callerTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.callerTimeout)
				defer cancel()
			}

			start := time.Now()
			_, err = c.CreateAuthSession(ctx, validInput())
			assert.Less(t, time.Since(start), prompt)
			require.ErrorIs(t, err, tt.want)
			for _, other := range []error{ErrAttemptTimeout, context.DeadlineExceeded, context.Canceled} {
				if other != tt.want {
					assert.NotErrorIs(t, err, other)
				}
			}
			assert.LessOrEqual(t, mt.GetTotalCallCount(), tt.attempts)
			if tt.want == ErrAttemptTimeout {
				assert.Equal(t, tt.attempts, mt.GetTotalCallCount(), "a timed-out attempt is retried")
				var netErr net.Error
				require.ErrorAs(t, err, &netErr)
				assert.True(t, netErr.Timeout())
				assert.Contains(t, err.Error(), "attempt timed out after 5ms")
			}
		})
	}
}
