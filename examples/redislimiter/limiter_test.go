package redislimiter_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/examples/redislimiter"
	"github.com/vlens-go/vlens/vlenstest"
)

// Three replicas sharing one tenant's two windows through Redis, against
// the fake's two windows. The fake's "minute" is 800ms, so that the test
// takes about a second and a half. The numbers are chosen so that the
// outcome does not depend on how fast or busy the machine is:
//
//   - the fake takes 20 at once and 200/s, and 12 at once and 12 per 800ms
//     (15/s); the replicas together are let go under both: 5 at once and
//     160/s, and 6 at once and 12/s. The fake's buckets thus hold at least
//     6 tokens more than Redis's, room for requests that Redis let go in
//     time but that reach the fake late and bunched, up to half a second
//     late (on a busy machine under -race they are late by milliseconds);
//   - paced by the per-second window only, the replicas send at up to
//     160/s, which the fake's minute refuses once its 12 are spent unless
//     the calls take over 0.8s to reach it (they take tens of milliseconds);
//   - paced by both, the calls take (calls-6)/12 = 1.5s at least, whatever
//     the machine; the upper bound is three times that.
const (
	replicas        = 3
	callsPerReplica = 8
	calls           = replicas * callsPerReplica
)

// fakeLimits are the fake's two windows.
var fakeLimits = []vlenstest.ServerOption{
	vlenstest.WithRateLimit(200, 20),
	vlenstest.WithRateLimitPerMinute(12),
	vlenstest.WithRateLimitMinute(800 * time.Millisecond),
}

// The windows every replica's Limiter is given: perSecond alone is the
// one-window set-up, sharedLimits both. The second window's period is 2s
// rather than the fake's 800ms "minute" only so that its rate, 12/s, is
// under the fake's 15/s with a whole number of requests per period.
var (
	perSecond    = redis_rate.Limit{Rate: 160, Period: time.Second, Burst: 5}
	perMinute    = redis_rate.Limit{Rate: 24, Period: 2 * time.Second, Burst: 6}
	sharedLimits = []redis_rate.Limit{perSecond, perMinute}
)

// clientOptions are every test client's options besides its limiter: short
// retry waits, and a 429 returned at once rather than retried after its
// Retry-After, so that every 429 shows in the calls' errors.
var clientOptions = []vlens.Option{
	vlens.WithRetryWait(time.Millisecond, 2*time.Millisecond),
	vlens.WithMaxRetryAfter(0),
}

// runCalls makes n calls at once, one goroutine per call, the i-th through
// clients[i%len(clients)], and returns the calls' errors (nil ones
// included) and how long they all took.
func runCalls(clients []*vlens.Client, n int) (errs []error, elapsed time.Duration) {
	errs = make([]error, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := vlens.CreateAuthSessionInput{PhoneNumber: fmt.Sprintf("+2010%08d", i)}
			_, errs[i] = clients[i%len(clients)].CreateAuthSession(context.Background(), in)
		}()
	}
	wg.Wait()
	return errs, time.Since(start)
}

// statuses counts the fake's answers by HTTP status.
func statuses(srv *vlenstest.Server) map[int]int {
	counts := map[int]int{}
	for _, r := range srv.Requests() {
		counts[r.Status]++
	}
	return counts
}

// TestReplicasShareOneLimit shows what the Limiter is for: three replicas,
// each with its own vlens.Client, Redis client and Limiter, sharing the one
// Redis and tenant, together never exceed the fake's two windows (no 429 in
// what it answered), while the same replicas paced by the per-second window
// alone meet 429s. The pacing is the limiter's, not luck: the paced calls
// take no less than the shared limits allow.
func TestReplicasShareOneLimit(t *testing.T) {
	t.Parallel()

	// replicaClients returns a client per replica, each paced by its own
	// Limiter with limits on the one Redis.
	replicaClients := func(t *testing.T, srv *vlenstest.Server, limits []redis_rate.Limit) []*vlens.Client {
		addr, _ := startRedis(t)
		var clients []*vlens.Client
		for range replicas {
			limiter := redislimiter.New(newRedisClient(t, &redis.Options{Addr: addr}), "acme", limits)
			clients = append(clients, srv.Client(append(clientOptions, vlens.WithRateLimiter(limiter))...))
		}
		return clients
	}

	t.Run("three replicas paced by both windows meet no 429", func(t *testing.T) {
		t.Parallel()
		srv := vlenstest.NewTestServer(t, fakeLimits...)
		errs, elapsed := runCalls(replicaClients(t, srv, sharedLimits), calls)
		for i, err := range errs {
			if err != nil {
				t.Errorf("call %d: %v", i, err)
			}
		}
		if got, want := statuses(srv), map[int]int{http.StatusOK: calls}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("the fake answered %v (status: count), want %v", got, want)
		}
		ideal := time.Duration(calls-perMinute.Burst) * perMinute.Period / time.Duration(perMinute.Rate)
		t.Logf("%d calls from %d replicas in %v (ideal %v)", calls, replicas, elapsed.Round(time.Millisecond), ideal)
		if elapsed < ideal-50*time.Millisecond {
			t.Errorf("took %v, less than the shared limits allow (%v): the replicas were not paced together", elapsed, ideal)
		}
		if elapsed > 3*ideal {
			t.Errorf("took %v, far longer than the shared limits imply (%v)", elapsed, ideal)
		}
	})

	t.Run("three replicas paced by the per-second window only meet 429s", func(t *testing.T) {
		t.Parallel()
		srv := vlenstest.NewTestServer(t, fakeLimits...)
		errs, elapsed := runCalls(replicaClients(t, srv, []redis_rate.Limit{perSecond}), calls)
		limited := 0
		for i, err := range errs {
			switch {
			case errors.Is(err, vlens.ErrRateLimited):
				limited++
			case err != nil:
				t.Errorf("call %d: %v", i, err)
			}
		}
		got := statuses(srv)
		t.Logf("%d calls in %v, the fake answered %v (status: count)", calls, elapsed.Round(time.Millisecond), got)
		if got[http.StatusTooManyRequests] == 0 {
			t.Errorf("no 429 among the fake's answers %v: the control run does not exceed its limit", got)
		}
		if limited != got[http.StatusTooManyRequests] || got[http.StatusOK]+limited != calls {
			t.Errorf("%d calls failed with ErrRateLimited; the fake answered %v", limited, got)
		}
	})
}

// TestEveryWindowBinds: a request goes only when every window has room, so
// a Limiter lets go as many as its tightest window, whichever that is, and
// a refusal takes nothing from any window: the refused requests' slots in
// the window that granted them are given back.
func TestEveryWindowBinds(t *testing.T) {
	t.Parallel()
	addr, _ := startRedis(t)
	tests := []struct {
		name                string
		tenant              string
		shortBurst          int // the 10s window's
		longBurst           int // the hour's
		wantLetGo           int
		wantShort, wantLong int // slots left in each window
	}{
		// The hour is asked first and grants every request; the short
		// window refuses all but two, and the hour's slots come back.
		{name: "the short window is the tighter", tenant: "short", shortBurst: 2, longBurst: 5, wantLetGo: 2, wantShort: 0, wantLong: 3},
		// The hour refuses first: nothing to give back.
		{name: "the long window is the tighter", tenant: "long", shortBurst: 4, longBurst: 1, wantLetGo: 1, wantShort: 3, wantLong: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			short := redis_rate.Limit{Rate: 1, Period: 10 * time.Second, Burst: tt.shortBurst}
			long := redis_rate.Limit{Rate: 1, Period: time.Hour, Burst: tt.longBurst}
			rdb := newRedisClient(t, &redis.Options{Addr: addr})
			limiter := redislimiter.New(rdb, tt.tenant, []redis_rate.Limit{short, long})

			letGo := 0
			for range tt.shortBurst + tt.longBurst {
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				err := limiter.Wait(ctx)
				cancel()
				switch {
				case err == nil:
					letGo++
				case !errors.Is(err, context.DeadlineExceeded):
					t.Fatalf("Wait: %v", err)
				}
			}
			if letGo != tt.wantLetGo {
				t.Errorf("%d requests let go, want %d", letGo, tt.wantLetGo)
			}
			// AllowN with 0 takes nothing and tells what is left.
			rl := redis_rate.NewLimiter(rdb)
			for key, want := range map[string]struct {
				limit redis_rate.Limit
				left  int
			}{
				"vlens:" + tt.tenant + ":10s":    {short, tt.wantShort},
				"vlens:" + tt.tenant + ":1h0m0s": {long, tt.wantLong},
			} {
				res, err := rl.AllowN(context.Background(), key, want.limit, 0)
				if err != nil {
					t.Fatal(err)
				}
				if res.Remaining != want.left {
					t.Errorf("%s: %d slots left, want %d", key, res.Remaining, want.left)
				}
			}
		})
	}
}

// TestUnreachableRedis shows both ways a Limiter can meet a Redis it cannot
// ask. By default (fail closed) the limiter's error ends the call: errors.Is
// finds ErrUnavailable and errors.As go-redis's dial error through the vlens
// call's error, and nothing reaches the fake. With FailOpen the call goes
// through unpaced.
func TestUnreachableRedis(t *testing.T) {
	t.Parallel()
	closed := net.JoinHostPort("127.0.0.1", fmt.Sprint(freePort(t))) // nothing listens there
	in := vlens.CreateAuthSessionInput{PhoneNumber: "+201000000001"}

	callThrough := func(t *testing.T, addr string, opts ...redislimiter.Option) (*vlenstest.Server, error) {
		srv := vlenstest.NewTestServer(t)
		limiter := redislimiter.New(newRedisClient(t, failFast(addr)), "acme", sharedLimits, opts...)
		client := srv.Client(append(clientOptions, vlens.WithRateLimiter(limiter))...)
		start := time.Now()
		_, err := client.CreateAuthSession(context.Background(), in)
		t.Logf("call returned in %v: %v", time.Since(start).Round(time.Millisecond), err)
		return srv, err
	}
	failedClosed := func(t *testing.T, srv *vlenstest.Server, err error) {
		if !errors.Is(err, redislimiter.ErrUnavailable) {
			t.Errorf("error %v does not match redislimiter.ErrUnavailable", err)
		}
		if n := len(srv.Requests()); n != 0 {
			t.Errorf("the fake received %d requests, want none", n)
		}
	}

	t.Run("fail closed: the limiter's error reaches the caller", func(t *testing.T) {
		t.Parallel()
		srv, err := callThrough(t, closed)
		failedClosed(t, srv, err)
		var opErr *net.OpError
		if !errors.As(err, &opErr) || opErr.Op != "dial" {
			t.Errorf("errors.As finds no dial *net.OpError in %v", err)
		}
	})

	t.Run("fail closed: Redis stopped after it had answered", func(t *testing.T) {
		t.Parallel()
		addr, stop := startRedis(t)
		limiter := redislimiter.New(newRedisClient(t, failFast(addr)), "acme", sharedLimits)
		if err := limiter.Wait(context.Background()); err != nil {
			t.Fatalf("Wait while Redis runs: %v", err)
		}
		stop()
		srv := vlenstest.NewTestServer(t)
		_, err := srv.Client(append(clientOptions, vlens.WithRateLimiter(limiter))...).
			CreateAuthSession(context.Background(), in)
		t.Logf("after Redis stopped: %v", err)
		failedClosed(t, srv, err)
	})

	t.Run("FailOpen: the call goes through unpaced", func(t *testing.T) {
		t.Parallel()
		srv, err := callThrough(t, closed, redislimiter.FailOpen())
		if err != nil {
			t.Errorf("call with FailOpen: %v", err)
		}
		if got, want := statuses(srv), map[int]int{http.StatusOK: 1}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("the fake answered %v (status: count), want %v", got, want)
		}
	})
}

// TestWaitHonoursContext shows that a Wait that would have to wait longer
// than its context allows returns the context's error as soon as the
// context ends, and that a vlens call then ends with it having sent nothing.
func TestWaitHonoursContext(t *testing.T) {
	t.Parallel()
	addr, _ := startRedis(t)
	// One request a minute: once it is taken, the next waits a minute.
	oneAMinute := []redis_rate.Limit{{Rate: 1, Period: time.Minute, Burst: 1}}
	limiter := redislimiter.New(newRedisClient(t, &redis.Options{Addr: addr}), "acme", oneAMinute)
	if err := limiter.Wait(context.Background()); err != nil {
		t.Fatalf("first Wait: %v", err)
	}

	const after = 100 * time.Millisecond
	const prompt = time.Second // generous: a busy machine under -race
	check := func(t *testing.T, err, want error, elapsed time.Duration) {
		t.Helper()
		t.Logf("returned after %v: %v", elapsed.Round(time.Millisecond), err)
		if !errors.Is(err, want) {
			t.Errorf("error %v does not match %v", err, want)
		}
		if elapsed < after-10*time.Millisecond {
			t.Errorf("returned after %v, before the context ended (%v)", elapsed, after)
		}
		if elapsed > after+prompt {
			t.Errorf("returned %v after the context ended, want promptly", elapsed-after)
		}
	}

	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), after)
		defer cancel()
		start := time.Now()
		err := limiter.Wait(ctx)
		check(t, err, context.DeadlineExceeded, time.Since(start))
	})

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(after, cancel)
		start := time.Now()
		err := limiter.Wait(ctx)
		check(t, err, context.Canceled, time.Since(start))
	})

	t.Run("a vlens call's deadline", func(t *testing.T) {
		srv := vlenstest.NewTestServer(t)
		client := srv.Client(append(clientOptions, vlens.WithRateLimiter(limiter))...)
		ctx, cancel := context.WithTimeout(context.Background(), after)
		defer cancel()
		start := time.Now()
		_, err := client.CreateAuthSession(ctx, vlens.CreateAuthSessionInput{PhoneNumber: "+201000000001"})
		check(t, err, context.DeadlineExceeded, time.Since(start))
		if n := len(srv.Requests()); n != 0 {
			t.Errorf("the fake received %d requests, want none", n)
		}
	})
}

// TestTenantsHaveTheirOwnLimits shows that the limit is the tenant's: a
// second Limiter for the same tenant (another replica's) finds it spent,
// while one for another tenant on the same Redis does not.
func TestTenantsHaveTheirOwnLimits(t *testing.T) {
	t.Parallel()
	addr, _ := startRedis(t)
	oneAMinute := []redis_rate.Limit{{Rate: 1, Period: time.Minute, Burst: 1}}
	rdb := newRedisClient(t, &redis.Options{Addr: addr})
	if err := redislimiter.New(rdb, "acme", oneAMinute).Wait(context.Background()); err != nil {
		t.Fatalf("acme's first Wait: %v", err)
	}

	waitBriefly := func(l *redislimiter.Limiter) error {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		return l.Wait(ctx)
	}
	if err := waitBriefly(redislimiter.New(newRedisClient(t, &redis.Options{Addr: addr}), "acme", oneAMinute)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("another replica's Wait for acme: %v, want context.DeadlineExceeded (acme's one request is spent)", err)
	}
	if err := waitBriefly(redislimiter.New(newRedisClient(t, &redis.Options{Addr: addr}), "globex", oneAMinute)); err != nil {
		t.Errorf("Wait for globex: %v, want nil (globex has its own limit)", err)
	}
	for _, key := range []string{"rate:vlens:acme:1m0s", "rate:vlens:globex:1m0s"} {
		if n, err := rdb.Exists(context.Background(), key).Result(); err != nil || n != 1 {
			t.Errorf("Redis key %q: exists %d, %v; want 1", key, n, err)
		}
	}
}

// TestNewPanicsOnNonsense: a nil client, an empty tenant, no limits, a
// limit that never lets anything go or two limits sharing a period (and so
// a key) is a bug, caught when the Limiter is built.
func TestNewPanicsOnNonsense(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	t.Cleanup(func() { _ = rdb.Close() })
	for name, limits := range map[string][]redis_rate.Limit{
		"no limits":   nil,
		"zero limit":  {perSecond, {}},
		"zero burst":  {{Rate: 10, Period: time.Second}},
		"zero period": {{Rate: 10, Burst: 10}},
		"same period": {redis_rate.PerSecond(10), redis_rate.PerSecond(5)},
	} {
		t.Run(name, func(t *testing.T) {
			assertPanics(t, func() { redislimiter.New(rdb, "acme", limits) })
		})
	}
	t.Run("nil client", func(t *testing.T) {
		assertPanics(t, func() { redislimiter.New(nil, "acme", sharedLimits) })
	})
	t.Run("no tenant", func(t *testing.T) {
		assertPanics(t, func() { redislimiter.New(rdb, "", sharedLimits) })
	})
}

func assertPanics(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Error("New did not panic")
		}
	}()
	f()
}
