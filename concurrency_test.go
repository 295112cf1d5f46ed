package vlens_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/time/rate"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// contextMargin is how long a call may run on after its context ended.
// The client's own work after a cancellation is a few milliseconds; the rest
// is the Go scheduler getting round to the woken goroutine, which depends on
// the machine: with 64 callers and the fake's handlers under -race, and other
// test binaries sharing the two cores, the worst call of a run has been seen
// ~1s late. The bound is several times that, so a busy machine cannot fail
// the test, while a call that keeps going for seconds after its context
// ended (waiting out a timer, a backoff or a per-attempt timeout instead of
// the context) still does. Load tests that need tighter numbers belong
// behind a build tag, as the soak does.
const contextMargin = 5 * time.Second

// randomFault is one of the faults production can produce, chosen at random:
// a retryable status (503, 429 with Retry-After 0, a proxy's HTML 502), a
// dropped connection, a final envelope error on HTTP 200, or a short delay.
func randomFault() vlenstest.Fault {
	switch rand.N(6) {
	case 0:
		return vlenstest.Fault{Status: http.StatusServiceUnavailable}
	case 1:
		return vlenstest.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}}}
	case 2:
		return vlenstest.EnvelopeError(1234, "tenant disabled")
	case 3:
		return vlenstest.DropConnection()
	case 4:
		return vlenstest.ProxyPage(http.StatusBadGateway)
	default:
		return vlenstest.Delayed(time.Duration(1+rand.N(4)) * time.Millisecond)
	}
}

// callContext gives call i its context: every eighth call a deadline 1 to
// 20ms away, every sixteenth a cancellation 1 to 20ms after the start, and
// the rest none. (More would mostly measure the cost of the connections
// that a cancelled request closes.) release ends the context's timer and
// reports when the context ended, or zero if not before the call returned.
func callContext(i int) (ctx context.Context, release func(returned time.Time) (ended time.Time)) {
	d := time.Duration(1+rand.N(20)) * time.Millisecond
	switch {
	case i%8 == 0:
		ctx, cancel := context.WithTimeout(context.Background(), d)
		deadline, _ := ctx.Deadline()
		return ctx, func(returned time.Time) time.Time {
			cancel()
			if returned.After(deadline) {
				return deadline
			}
			return time.Time{}
		}
	case i%16 == 1:
		ctx, cancel := context.WithCancel(context.Background())
		var at time.Time
		fired := make(chan struct{})
		timer := time.AfterFunc(d, func() {
			at = time.Now()
			cancel()
			close(fired)
		})
		return ctx, func(returned time.Time) time.Time {
			if timer.Stop() {
				cancel()
				return time.Time{}
			}
			<-fired
			if at.After(returned) {
				return time.Time{}
			}
			return at
		}
	}
	return context.Background(), func(time.Time) time.Time { return time.Time{} }
}

// outcome is how one call ended, as checkOutcome classified it.
type outcome string

const (
	outToken     outcome = "token"
	outAPIError  outcome = "*APIError"
	outTransport outcome = "transport error (dropped connection)"
	outContext   outcome = "context error"
)

// checkOutcome classifies a call's result and fails t unless it is one of
// the endings allowed when the server serves randomFault's faults and
// maxRetries retries are allowed:
//
//   - a token from the fake (TokenPrefix);
//   - an *APIError for an answer the client may return: 503 (ErrServer,
//     the fake's code 9503), 502 proxy page (ErrServer, the page kept),
//     429 (ErrRateLimited, code 9429) — these only once retries ran out, so
//     after maxRetries+1 attempts unless the caller's deadline or
//     cancellation cut the retries short — or the envelope error on HTTP 200 (code 1234, no
//     sentinel);
//   - a transport error after maxRetries+1 attempts whose last attempt met a
//     dropped connection (io.EOF, io.ErrUnexpectedEOF or ECONNRESET), or
//     after fewer when the caller's deadline cut the retries short;
//   - the caller's context error, only when the context ended.
func checkOutcome(t *testing.T, ctx context.Context, session *vlens.AuthSession, err error, maxRetries int) outcome {
	t.Helper()
	_, hasDeadline := ctx.Deadline()
	var matched []error
	for _, s := range sentinels {
		if errors.Is(err, s) {
			matched = append(matched, s)
		}
	}
	var apiErr *vlens.APIError
	switch {
	case err == nil:
		if assert.NotNil(t, session) {
			assert.True(t, strings.HasPrefix(session.Token, vlenstest.TokenPrefix), "token %q is not the fake's", session.Token)
		}
		return outToken
	case errors.As(err, &apiErr):
		assert.Nil(t, session)
		assert.Equal(t, apiErr, err, "an *APIError is returned as is")
		retriesRanOut := func(want error) {
			assert.Equal(t, []error{want}, matched, "sentinels matched by %v", err)
			// A context that ended cuts the retries short: the last
			// answer read in full is returned.
			if hasDeadline || ctx.Err() != nil {
				assert.True(t, apiErr.Attempts >= 1 && apiErr.Attempts <= maxRetries+1, "attempts %d: %v", apiErr.Attempts, err)
			} else {
				assert.Equal(t, maxRetries+1, apiErr.Attempts, "attempts: %v", err)
			}
		}
		switch apiErr.StatusCode {
		case http.StatusServiceUnavailable:
			retriesRanOut(vlens.ErrServer)
			assert.Equal(t, 9503, apiErr.Code, "error_code: %v", err)
		case http.StatusBadGateway:
			retriesRanOut(vlens.ErrServer)
			assert.Zero(t, apiErr.Code, "error_code: %v", err)
			assert.True(t, strings.HasPrefix(apiErr.Message, "<html>"), "proxy page not kept: %v", err)
		case http.StatusTooManyRequests:
			retriesRanOut(vlens.ErrRateLimited)
			assert.Equal(t, 9429, apiErr.Code, "error_code: %v", err)
		case http.StatusOK:
			assert.Empty(t, matched, "sentinels matched by %v", err)
			assert.Equal(t, 1234, apiErr.Code, "error_code: %v", err)
			assert.True(t, apiErr.Attempts >= 1 && apiErr.Attempts <= maxRetries+1, "attempts %d: %v", apiErr.Attempts, err)
		default:
			t.Errorf("unexpected *APIError: %v", err)
		}
		return outAPIError
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		assert.Nil(t, session)
		assert.Equal(t, []error{ctx.Err()}, matched, "sentinels matched by %v", err)
		assert.True(t, strings.HasPrefix(err.Error(), "vlens: create auth session: "), "unwrapped context error: %v", err)
		return outContext
	default:
		assert.Nil(t, session)
		assert.Empty(t, matched, "sentinels matched by %v", err)
		dropped := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
		assert.True(t, dropped, "transport error that is not a dropped connection: %v", err)
		if hasDeadline {
			assert.Regexp(t, `^vlens: create auth session: [1-9]\d* attempt\(s\) failed: `, err.Error())
		} else {
			assert.Contains(t, err.Error(), fmt.Sprintf(": %d attempt(s) failed: ", maxRetries+1))
		}
		return outTransport
	}
}

// TestConcurrentCallsWithRandomFaults shares one client among 64 goroutines
// making 3000 calls while the same goroutines enqueue random faults on the
// fake server, some calls with a short deadline or a cancellation. Every call
// must end in a token the server issued (no token reaching two callers) or
// in one of the typed errors checkOutcome allows; calls must return once
// their context ends, none running on for more than contextMargin; and once
// the faults are gone the client must work as before, leaving no goroutine
// behind.
func TestConcurrentCallsWithRandomFaults(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const (
		workers    = 64
		calls      = 3000
		faultEvery = 4 // on average, one call in faultEvery enqueues a fault first
		maxRetries = 2
	)
	srv := vlenstest.NewServer()
	defer srv.Close()
	client := srv.Client(vlens.WithMaxRetries(maxRetries), vlens.WithRetryWait(0, 2*time.Millisecond))

	type result struct {
		token   string
		outcome outcome
		overrun time.Duration // how long the call ran on after its context ended, if it did
	}
	results := make([]result, calls)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= calls {
					return
				}
				if rand.N(faultEvery) == 0 {
					srv.Enqueue(randomFault())
				}
				ctx, release := callContext(i)
				session, err := client.CreateAuthSession(ctx, canaryInput)
				returned := time.Now()
				ended := release(returned)
				r := result{outcome: checkOutcome(t, ctx, session, err, maxRetries)}
				if session != nil {
					r.token = session.Token
				}
				if !ended.IsZero() {
					r.overrun = returned.Sub(ended)
				}
				results[i] = r
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	issued := map[string]bool{}
	for _, tok := range srv.Tokens() {
		issued[tok] = true
	}
	received := map[string]int{}
	counts := map[outcome]int{}
	var worst time.Duration
	var ended int
	for i, r := range results {
		counts[r.outcome]++
		if r.overrun > 0 {
			ended++
			worst = max(worst, r.overrun)
		}
		assert.LessOrEqual(t, r.overrun, contextMargin, "call %d ran on after its context ended", i)
		if r.token != "" {
			assert.True(t, issued[r.token], "call %d received a token the server never issued", i)
			if prev, dup := received[r.token]; dup {
				t.Errorf("calls %d and %d received the same token", prev, i)
			}
			received[r.token] = i
		}
	}
	served := map[string]int{}
	reqs := srv.Requests()
	for _, r := range reqs {
		if r.Fault != nil {
			served[kindOf(*r.Fault)]++
		}
	}
	t.Logf("%d calls in %v over %d requests: %v; faults served: %v; %d calls outlived their context, the worst by %v",
		calls, elapsed.Round(time.Millisecond), len(reqs), counts, served, ended, worst.Round(time.Millisecond))
	assert.Equal(t, calls, counts[outToken]+counts[outAPIError]+counts[outTransport]+counts[outContext], "calls accounted for")
	assert.Greater(t, counts[outToken], calls/2, "calls that received a token")
	for _, kind := range []string{"503", "429", "envelope error", "drop", "proxy 502", "delay"} {
		assert.Positive(t, served[kind], "faults of kind %q served", kind)
	}

	// The client works as before once the faults are gone.
	srv.Reset()
	session, err := client.CreateAuthSession(context.Background(), canaryInput)
	require.NoError(t, err, "the call after the storm")
	assert.Equal(t, srv.Tokens(), []string{session.Token})
	assert.Len(t, srv.Requests(), 1, "requests for the call after the storm")
}

// kindOf names a fault randomFault made.
func kindOf(f vlenstest.Fault) string {
	switch {
	case f.Drop:
		return "drop"
	case f.RawBody != "":
		return "proxy " + fmt.Sprint(f.Status)
	case f.ErrorCode != 0:
		return "envelope error"
	case f.Status != 0:
		return fmt.Sprint(f.Status)
	default:
		return "delay"
	}
}

// Pacing against the fake's rate limit: the client's limiter and the
// server's bucket share a rate. The numbers are chosen so that the outcome
// does not depend on how fast the machine is:
//
//   - paced, the server's burst has room for a full second of requests that
//     the limiter let go in order but that reach the server bunched up
//     (with four copies of the tests at once, the paced run still ends
//     within milliseconds of its ideal: requests are late by far less);
//   - unpaced, every call is in flight at once (a worker per call), and
//     paceCalls is the server's burst plus a second's refill, so the fake
//     answers 429s unless the calls take over a second to reach it (a slow
//     machine under -race sends them in tens of milliseconds);
//   - and that second's refill, at Retry-After: 1, holds every 429'd call
//     (at most paceRate of them), so each succeeds on its first retry.
const (
	paceRate        = 10 // requests per second, client and server
	paceClientBurst = 1
	paceServerBurst = paceClientBurst + paceRate
	paceCalls       = paceServerBurst + paceRate
	paceWorkers     = paceCalls
	// paceRetryAfter caps the Retry-After the client honours: far above the
	// fake's (1s), so that a client waiting out the cap instead of the
	// server's Retry-After takes far longer than paceUnpacedBound.
	paceRetryAfter = 30 * time.Second
)

// pacedRun makes paceCalls calls from paceWorkers goroutines through one
// client (with limiter l, if not nil) against a fresh fake enforcing
// WithRateLimit(paceRate, paceServerBurst). Each call uses its own phone
// number, so that the server's record shows every call's attempts. It
// returns how long the calls took, how many failed, and the statuses the
// server answered each call's attempts with.
func pacedRun(t *testing.T, l vlens.Limiter) (elapsed time.Duration, failed int, attempts map[string][]int) {
	t.Helper()
	srv := vlenstest.NewServer(vlenstest.WithRateLimit(paceRate, paceServerBurst))
	defer srv.Close()
	opts := []vlens.Option{vlens.WithMaxRetries(5), vlens.WithMaxRetryAfter(paceRetryAfter)}
	if l != nil {
		opts = append(opts, vlens.WithRateLimiter(l))
	}
	client := srv.Client(opts...)

	var next, failures atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range paceWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= paceCalls {
					return
				}
				in := vlens.CreateAuthSessionInput{PhoneNumber: fmt.Sprintf("+2010%08d", i)}
				if _, err := client.CreateAuthSession(context.Background(), in); err != nil {
					failures.Add(1)
					t.Errorf("call %d: %v", i, err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed = time.Since(start)

	attempts = map[string][]int{}
	for _, r := range srv.Requests() {
		attempts[r.Input.PhoneNumber] = append(attempts[r.Input.PhoneNumber], r.Status)
	}
	require.Len(t, attempts, paceCalls, "calls the server saw")
	return elapsed, int(failures.Load()), attempts
}

// TestRateLimiterPacesCallsUnderTheFakesLimit runs the same load twice
// against vlenstest.WithRateLimit: paced by a rate.Limiter with the server's
// rate, it meets no 429 and takes no less than the rate implies; unpaced, it
// meets 429s, and the client absorbs them by honouring the fake's
// Retry-After (1s, within WithMaxRetryAfter), each 429'd call succeeding on
// its first retry, since the server's bucket is full again by then and holds
// more than the calls left.
//
// The lower bounds on the time taken are exact (no machine is faster than
// the limiter or the Retry-After allow); the upper bounds are several times
// the expected time, so that only a client that stalls (or waits out
// WithMaxRetryAfter instead of the Retry-After) fails them on a busy
// machine. How many times each call waited on the limiter is pinned
// exactly by TestRateLimiterWaitsBeforeEveryAttemptIncludingRetries.
func TestRateLimiterPacesCallsUnderTheFakesLimit(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	t.Run("paced by a limiter with the server's rate meets no 429", func(t *testing.T) {
		elapsed, failed, attempts := pacedRun(t, rate.NewLimiter(paceRate, paceClientBurst))
		assert.Zero(t, failed, "failed calls")
		for phone, statuses := range attempts {
			assert.Equal(t, []int{http.StatusOK}, statuses, "statuses for the call with phone %s", phone)
		}
		ideal := time.Duration(paceCalls-paceClientBurst) * time.Second / paceRate // 2s
		t.Logf("%d calls in %v (ideal %v)", paceCalls, elapsed.Round(time.Millisecond), ideal)
		assert.GreaterOrEqual(t, elapsed, ideal-50*time.Millisecond, "finished faster than the limiter allows")
		assert.Less(t, elapsed, 3*ideal, "pacing took far longer than the rate implies")
	})

	t.Run("unpaced meets 429s that retries absorb in one Retry-After", func(t *testing.T) {
		elapsed, failed, attempts := pacedRun(t, nil)
		assert.Zero(t, failed, "failed calls")
		limited := 0
		for phone, statuses := range attempts {
			if len(statuses) == 2 && statuses[0] == http.StatusTooManyRequests {
				limited++
				statuses = statuses[1:]
			}
			assert.Equal(t, []int{http.StatusOK}, statuses, "statuses after at most one 429 for the call with phone %s", phone)
		}
		t.Logf("%d calls in %v, %d of them 429'd once", paceCalls, elapsed.Round(time.Millisecond), limited)
		assert.Positive(t, limited, "calls that met a 429")
		// The fake's Retry-After is 1s; no call meets a second 429 (above).
		assert.GreaterOrEqual(t, elapsed, time.Second, "finished before the Retry-After")
		assert.Less(t, elapsed, paceUnpacedBound, "took far longer than one Retry-After")
	})
}

// paceUnpacedBound bounds the unpaced run: five times the one Retry-After
// it waits out, and far below paceRetryAfter.
const paceUnpacedBound = 5 * time.Second
