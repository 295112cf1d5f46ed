package vlenstest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"golang.org/x/time/rate"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// TestTwoWindowPacing is the fake's two windows against a client paced by
// both (vlens.Limiters) and one paced by the per-second window only, as the
// one-window examples were. The fake's "minute" is 800ms, so that the test
// takes about a second and a half. The numbers keep the outcome independent
// of how busy the machine is:
//
//   - the fake takes 20 at once and 200/s, and 12 at once and 12 per 800ms
//     (15/s); the paced client's windows are under both: 5 at once and
//     160/s, and 6 at once and 12/s. The fake's buckets thus hold at least 6
//     tokens more than the client's, room for requests the client let go in
//     time but that reach the fake late and bunched, up to half a second
//     late;
//   - the one-window client sends the calls at up to 160/s, which the
//     fake's minute refuses once its 12 are spent unless the calls take over
//     0.8s to reach it (they take tens of milliseconds; 429s remain even at
//     five times slower);
//   - paced by both windows, the calls take (calls-6)/12 = 1.5s at least,
//     whatever the machine; the upper bound is three times that.
func TestTwoWindowPacing(t *testing.T) {
	t.Parallel()
	const (
		calls   = 24
		workers = 8
	)
	fakeLimits := []vlenstest.ServerOption{
		vlenstest.WithRateLimit(200, 20),
		vlenstest.WithRateLimitPerMinute(12),
		vlenstest.WithRateLimitMinute(800 * time.Millisecond),
	}
	perSecond := func() *rate.Limiter { return rate.NewLimiter(160, 5) }

	// run makes the calls through workers goroutines of one client paced by
	// limiter, and returns the fake's answers (status: count), the calls'
	// errors other than vlens.ErrRateLimited, and how long the calls took.
	run := func(t *testing.T, limiter vlens.Limiter) (answers map[int]int, errs []error, elapsed time.Duration) {
		srv := vlenstest.NewTestServer(t, fakeLimits...)
		client := srv.Client(
			vlens.WithRateLimiter(limiter),
			vlens.WithRetryWait(time.Millisecond, 2*time.Millisecond),
			vlens.WithMaxRetryAfter(0), // a 429 returns at once, and shows in the answers
		)
		next := make(chan int, calls)
		for i := range calls {
			next <- i
		}
		close(next)
		var (
			mu sync.Mutex
			wg sync.WaitGroup
		)
		start := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					in := vlens.CreateAuthSessionInput{PhoneNumber: fmt.Sprintf("+2010%08d", i)}
					_, err := client.CreateAuthSession(context.Background(), in)
					if err != nil && !errors.Is(err, vlens.ErrRateLimited) {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		elapsed = time.Since(start)
		answers = map[int]int{}
		for _, r := range srv.Requests() {
			answers[r.Status]++
		}
		return answers, errs, elapsed
	}

	t.Run("both windows: no 429", func(t *testing.T) {
		t.Parallel()
		perMinute := rate.NewLimiter(12, 6)
		answers, errs, elapsed := run(t, vlens.Limiters(perSecond(), perMinute))
		ideal := time.Duration(calls-6) * time.Second / 12
		t.Logf("%d calls in %v (ideal %v), the fake answered %v (status: count)", calls, elapsed.Round(time.Millisecond), ideal, answers)
		assert.Empty(t, errs)
		assert.Equal(t, map[int]int{http.StatusOK: calls}, answers, "the fake's answers (status: count)")
		assert.GreaterOrEqual(t, elapsed, ideal-50*time.Millisecond, "finished faster than the per-minute window allows")
		assert.Less(t, elapsed, 3*ideal, "pacing took far longer than the windows imply")
	})

	t.Run("the per-second window only: 429s", func(t *testing.T) {
		t.Parallel()
		answers, errs, elapsed := run(t, perSecond())
		t.Logf("%d calls in %v, the fake answered %v (status: count)", calls, elapsed.Round(time.Millisecond), answers)
		assert.Empty(t, errs)
		assert.Positive(t, answers[http.StatusTooManyRequests], "429s among the fake's answers %v", answers)
		assert.Equal(t, calls, answers[http.StatusOK]+answers[http.StatusTooManyRequests], "the fake's answers %v", answers)
	})
}
