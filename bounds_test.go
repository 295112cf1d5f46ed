package vlens

// Tests of the options' edges (issue 14, item 7): every value an option
// accepts works, and the server's Retry-After cannot undercut the backoff.

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onRecord is a slog.Handler that hands every record to a function.
type onRecord func(slog.Record)

func (f onRecord) Enabled(context.Context, slog.Level) bool      { return true }
func (f onRecord) Handle(_ context.Context, r slog.Record) error { f(r); return nil }
func (f onRecord) WithAttrs([]slog.Attr) slog.Handler            { return f }
func (f onRecord) WithGroup(string) slog.Handler                 { return f }

// loggedMillis reads back a duration logged in milliseconds.
func loggedMillis(v slog.Value) time.Duration {
	return time.Duration(math.Round(v.Float64() * float64(time.Millisecond)))
}

// waitLogger returns a logger and a function that returns the waits it has
// logged before each retry so far.
func waitLogger() (*slog.Logger, func() []time.Duration) {
	var mu sync.Mutex
	var waits []time.Duration
	l := slog.New(onRecord(func(r slog.Record) {
		if r.Message != "vlens: retrying" {
			return
		}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "wait_ms" {
				mu.Lock()
				waits = append(waits, loggedMillis(a.Value))
				mu.Unlock()
			}
			return true
		})
	}))
	return l, func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return append([]time.Duration(nil), waits...)
	}
}

// TestLargestResponseLimitReadsAnswers: math.MaxInt64, the usual way of
// saying "no limit", is a limit like any other (it used to overflow, so that
// no body was read and every call failed).
func TestLargestResponseLimitReadsAnswers(t *testing.T) {
	t.Parallel()
	for _, n := range []int64{math.MaxInt64, math.MaxInt64 - 1, 1 << 62} {
		_, s, err := createWith(t, reply(200, tokenBody("tok")), WithMaxResponseBytes(n))
		require.NoError(t, err, "limit %d", n)
		assert.Equal(t, "tok", s.Token)

		mt, c := setup(t)
		mt.RegisterResponder(http.MethodPost, testEndpoint, reply(200, tokenBody("tok")))
		s, err = c.CreateAuthSession(context.Background(), validInput(), WithMaxResponseBytes(n))
		require.NoError(t, err, "limit %d for one call", n)
		assert.Equal(t, "tok", s.Token)
	}
}

// TestZeroMinimumWaitWithTheLargestMaximumRetries: WithRetryWait(0,
// math.MaxInt64) is accepted, so its first retry must not panic (drawing the
// wait used to overflow). The caller's context ends once the wait has been
// chosen.
func TestZeroMinimumWaitWithTheLargestMaximumRetries(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	logger := slog.New(onRecord(func(r slog.Record) {
		if r.Message == "vlens: retrying" {
			r.Attrs(func(a slog.Attr) bool {
				if a.Key == "wait_ms" {
					waits = append(waits, loggedMillis(a.Value))
				}
				return true
			})
			cancel()
		}
	}))
	mt, c := setup(t, WithRetryWait(0, math.MaxInt64), WithLogger(logger))
	mt.RegisterResponder(http.MethodPost, testEndpoint, reply(503, errorBody(5, "busy")))

	var err error
	require.NotPanics(t, func() { _, err = c.CreateAuthSession(ctx, validInput()) })
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, mt.GetTotalCallCount())
	require.Len(t, waits, 1)
	assert.GreaterOrEqual(t, waits[0], time.Duration(0))
}

// TestZeroMinimumWaitStillGrows: with no floor, the wait before retry n is
// drawn up to max·2^(n+1)/32, doubling until it reaches max, rather than
// anywhere up to max from the first retry on.
func TestZeroMinimumWaitStillGrows(t *testing.T) {
	t.Parallel()
	logger, waits := waitLogger()
	const max = 16 * time.Millisecond
	_, _, err := createWith(t, reply(503, ""), WithRetryWait(0, max), WithMaxRetries(5), WithLogger(logger))
	requireAPIError(t, err)
	got := waits()
	require.Len(t, got, 5)
	for n, ceiling := range []time.Duration{max / 16, max / 8, max / 4, max / 2, max} {
		assert.LessOrEqual(t, got[n], ceiling, "wait before retry %d", n)
	}
}

// TestRetryAfterNeverUndercutsTheMinimumWait: a Retry-After of 0, or a date
// already past, asks for no wait; the client still waits its minimum, so
// that a server under load is not hit back to back.
func TestRetryAfterNeverUndercutsTheMinimumWait(t *testing.T) {
	t.Parallel()
	const min = 40 * time.Millisecond
	tests := []struct {
		name, value string
		want        time.Duration
	}{
		{"zero seconds waits the minimum", "0", min},
		{"an HTTP date past waits the minimum", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), min},
		{"a longer Retry-After is honoured", "1", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logger, waits := waitLogger()
			start := time.Now()
			_, s, err := createWith(t, sequence(t, reply(429, "", "Retry-After", tt.value), reply(200, tokenBody("tok"))),
				WithRetryWait(min, min), WithLogger(logger))
			require.NoError(t, err)
			assert.Equal(t, "tok", s.Token)
			assert.Equal(t, []time.Duration{tt.want}, waits())
			assert.GreaterOrEqual(t, time.Since(start), tt.want)
		})
	}
}

// TestHugeDurationsAreAccepted: the largest WithAttemptTimeout,
// WithMaxRetryAfter and WithRetryWait are valid and behave as bounds (none
// overflows into a time in the past).
func TestHugeDurationsAreAccepted(t *testing.T) {
	t.Parallel()
	const huge = time.Duration(math.MaxInt64)
	t.Run("attempt timeout", func(t *testing.T) {
		t.Parallel()
		_, s, err := createWith(t, reply(200, tokenBody("tok")), WithAttemptTimeout(huge))
		require.NoError(t, err)
		assert.Equal(t, "tok", s.Token)
	})
	t.Run("waits that cannot fit before the deadline", func(t *testing.T) {
		t.Parallel()
		for _, opt := range []Option{WithMaxRetryAfter(huge), WithRetryWait(huge, huge)} {
			mt, c := setup(t, opt)
			mt.RegisterResponder(http.MethodPost, testEndpoint, reply(429, "", "Retry-After", "99999999999999999999"))
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			start := time.Now()
			_, err := c.CreateAuthSession(ctx, validInput())
			cancel()
			apiErr := requireAPIError(t, err)
			assert.Equal(t, 429, apiErr.StatusCode)
			assert.Equal(t, 1, mt.GetTotalCallCount())
			assert.Less(t, time.Since(start), prompt)
		}
	})
}
