package vlens_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/time/rate"

	"github.com/vlens-go/vlens"
)

// countingLimiter lets everything through and counts the waits.
type countingLimiter struct{ waits atomic.Int64 }

func (l *countingLimiter) Wait(context.Context) error {
	l.waits.Add(1)
	return nil
}

// limiterFunc adapts a function to vlens.Limiter.
type limiterFunc func(ctx context.Context) error

func (f limiterFunc) Wait(ctx context.Context) error { return f(ctx) }

// countingServer answers request n (from 1) with answers[n-1], and a token
// after that.
func countingServer(t *testing.T, answers ...int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		i := int(n.Add(1))
		if i <= len(answers) {
			w.WriteHeader(answers[i-1])
			return
		}
		_, _ = io.WriteString(w, tokenBody)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func limitedClient(t *testing.T, baseURL string, l vlens.Limiter, opts ...vlens.Option) *vlens.Client {
	t.Helper()
	c, err := vlens.NewClient(canaryAPIKey, append([]vlens.Option{
		vlens.WithBaseURL(baseURL),
		vlens.WithRetryWait(time.Millisecond, 2*time.Millisecond),
		vlens.WithRateLimiter(l),
	}, opts...)...)
	require.NoError(t, err)
	return c
}

func TestRateLimiterWaitsBeforeEveryAttemptIncludingRetries(t *testing.T) {
	srv, requests := countingServer(t, 503, 429)
	l := &countingLimiter{}
	c := limitedClient(t, srv.URL, l)

	_, err := c.CreateAuthSession(context.Background(), canaryInput)
	require.NoError(t, err)
	assert.EqualValues(t, 3, requests.Load(), "requests")
	assert.EqualValues(t, 3, l.waits.Load(), "limiter waits")
}

func TestRateLimiterCancelledContextEndsCallAndSendsNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, requests := countingServer(t)
	defer srv.Close()
	blocked := make(chan struct{})
	l := limiterFunc(func(ctx context.Context) error {
		close(blocked)
		<-ctx.Done()
		return ctx.Err()
	})
	c := limitedClient(t, srv.URL, l)

	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-blocked; cancel() }()
	start := time.Now()
	_, err := c.CreateAuthSession(ctx, canaryInput)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), vlens.Prompt)
	var apiErr *vlens.APIError
	assert.False(t, errors.As(err, &apiErr), "got *APIError: %v", err)
	assert.Zero(t, requests.Load(), "requests sent")
}

func TestRateLimiterErrorIsFinalAndSendsNothing(t *testing.T) {
	srv, requests := countingServer(t)
	backendDown := errors.New("limiter backend unreachable")
	var waits atomic.Int64
	c := limitedClient(t, srv.URL, limiterFunc(func(context.Context) error {
		waits.Add(1)
		return backendDown
	}))

	_, err := c.CreateAuthSession(context.Background(), canaryInput)
	require.ErrorIs(t, err, backendDown)
	assert.Equal(t, "vlens: create auth session: waiting for rate limiter: limiter backend unreachable", err.Error())
	assert.EqualValues(t, 1, waits.Load(), "limiter waits (a refusal is not retried)")
	assert.Zero(t, requests.Load(), "requests sent")
}

func TestRateLimiterFailingOnRetryKeepsAttemptCount(t *testing.T) {
	srv, requests := countingServer(t, 503)
	var waits atomic.Int64
	refuse := errors.New("no more tokens")
	c := limitedClient(t, srv.URL, limiterFunc(func(context.Context) error {
		if waits.Add(1) > 1 {
			return refuse
		}
		return nil
	}))

	_, err := c.CreateAuthSession(context.Background(), canaryInput)
	require.ErrorIs(t, err, refuse)
	assert.EqualValues(t, 2, waits.Load(), "limiter waits")
	assert.EqualValues(t, 1, requests.Load(), "requests sent")
}

// TestRateLimiterKeepsUnderServerLimit has a server enforce its own token
// bucket (429 with Retry-After beyond it) and a client paced by a
// rate.Limiter with the same rate: many goroutines' calls meet no 429 and
// take no less than the rate implies. Unpaced, the same calls would meet
// 429s (they are the server's burst plus a second's refill) and finish at
// once.
func TestRateLimiterKeepsUnderServerLimit(t *testing.T) {
	t.Parallel()
	const (
		perSecond = 20
		burst     = 5
		calls     = burst + 2*perSecond
		workers   = 12
	)
	// The server's bucket is the client's plus a second's worth: requests
	// the limiter let go in order can reach the server bunched up when the
	// machine is busy (by far less than a second, even with four copies of
	// the tests at once), which a bucket of equal size would count as a
	// burst.
	serverBucket := rate.NewLimiter(perSecond, burst+perSecond)
	var tooMany atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !serverBucket.Allow() {
			tooMany.Add(1)
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = io.WriteString(w, tokenBody)
	}))
	defer srv.Close()
	c := limitedClient(t, srv.URL, rate.NewLimiter(perSecond, burst), vlens.WithMaxRetries(0))

	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Int64
	next := make(chan struct{}, calls)
	for range calls {
		next <- struct{}{}
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				if _, err := c.CreateAuthSession(context.Background(), canaryInput); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	assert.Zero(t, tooMany.Load(), "429s the server sent")
	assert.Zero(t, failed.Load(), "failed calls")
	ideal := time.Duration(calls-burst) * time.Second / perSecond // 2s
	t.Logf("%d calls in %v (ideal %v)", calls, elapsed.Round(time.Millisecond), ideal)
	assert.GreaterOrEqual(t, elapsed, ideal-50*time.Millisecond, "finished faster than the limit allows")
	// Generous: several times the ideal, so that only a stall fails it.
	assert.Less(t, elapsed, 3*ideal, "pacing took far longer than the limit implies")
}
