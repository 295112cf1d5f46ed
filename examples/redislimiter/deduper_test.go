package redislimiter_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vlens-go/vlens/examples/redislimiter"
	"github.com/vlens-go/vlens/webhook"
)

// newDeduper returns a Deduper on a Redis client of its own, as each
// replica has its own.
func newDeduper(t *testing.T, addr string, opts ...redislimiter.DeduperOption) *redislimiter.Deduper {
	t.Helper()
	return redislimiter.NewDeduper(newRedisClient(t, &redis.Options{Addr: addr}), opts...)
}

// claim returns what Claim said, as a word the tests compare: "claimed",
// "done", "in flight", or the unexpected answer.
func claim(d *redislimiter.Deduper, id string) string {
	ok, err := d.Claim(context.Background(), id)
	switch {
	case ok && err == nil:
		return "claimed"
	case !ok && err == nil:
		return "done"
	case !ok && errors.Is(err, webhook.ErrInFlight):
		return "in flight"
	default:
		return fmt.Sprintf("ok %v, error %v", ok, err)
	}
}

// atOnce calls f(i, r) for each of n events and each of replicas replicas,
// in goroutines, the replicas' calls for one event let go at the same
// moment, and returns when every call has.
func atOnce(n, replicas int, f func(i, r int)) {
	var wg sync.WaitGroup
	for i := range n {
		start := make(chan struct{})
		for r := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				f(i, r)
			}()
		}
		close(start)
	}
	wg.Wait()
}

// TestDeduperClaimDoneRelease shows the three calls' meaning, on two
// replicas (two Dedupers, each with its own Redis client) sharing one Redis,
// and the keys and expiries they leave there.
func TestDeduperClaimDoneRelease(t *testing.T) {
	t.Parallel()
	addr, _ := startRedis(t)
	a, b := newDeduper(t, addr), newDeduper(t, addr)
	rdb := newRedisClient(t, &redis.Options{Addr: addr})
	ctx := context.Background()
	key := func(id string) string { return redislimiter.DefaultKeyPrefix + id }
	check := func(t *testing.T, what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: got %q, want %q", what, got, want)
		}
	}

	t.Run("a claimed ID is in flight, here and on another replica, for the in-flight expiry", func(t *testing.T) {
		t.Parallel()
		check(t, "a's claim", claim(a, "e1"), "claimed")
		check(t, "a's second claim", claim(a, "e1"), "in flight")
		check(t, "b's claim", claim(b, "e1"), "in flight")
		value, err := rdb.Get(ctx, key("e1")).Result()
		if err != nil || !strings.HasPrefix(value, "inflight:") {
			t.Errorf("key %q holds %q (%v), want an in-flight value", key("e1"), value, err)
		}
		if ttl := rdb.PTTL(ctx, key("e1")).Val(); ttl <= redislimiter.DefaultInFlightExpiry-time.Minute || ttl > redislimiter.DefaultInFlightExpiry {
			t.Errorf("key %q expires in %v, want about %v", key("e1"), ttl, redislimiter.DefaultInFlightExpiry)
		}
	})

	t.Run("a released ID is claimed again, on another replica", func(t *testing.T) {
		t.Parallel()
		check(t, "a's claim", claim(a, "e2"), "claimed")
		if err := a.Release(ctx, "e2"); err != nil {
			t.Fatalf("a's Release: %v", err)
		}
		check(t, "b's claim after a's Release", claim(b, "e2"), "claimed")
	})

	t.Run("a done ID is done, here and on another replica, for the done expiry", func(t *testing.T) {
		t.Parallel()
		check(t, "a's claim", claim(a, "e3"), "claimed")
		if err := a.Done(ctx, "e3"); err != nil {
			t.Fatalf("a's Done: %v", err)
		}
		check(t, "a's claim after Done", claim(a, "e3"), "done")
		check(t, "b's claim after a's Done", claim(b, "e3"), "done")
		check(t, "the key", rdb.Get(ctx, key("e3")).Val(), "done")
		if ttl := rdb.PTTL(ctx, key("e3")).Val(); ttl <= redislimiter.DefaultDoneExpiry-time.Minute || ttl > redislimiter.DefaultDoneExpiry {
			t.Errorf("key %q expires in %v, want about %v", key("e3"), ttl, redislimiter.DefaultDoneExpiry)
		}
	})

	t.Run("Release after Done leaves the ID done", func(t *testing.T) {
		t.Parallel()
		check(t, "a's claim", claim(a, "e4"), "claimed")
		if err := a.Done(ctx, "e4"); err != nil {
			t.Fatalf("a's Done: %v", err)
		}
		if err := a.Release(ctx, "e4"); err != nil {
			t.Fatalf("a's Release after Done: %v", err)
		}
		check(t, "b's claim", claim(b, "e4"), "done")
	})

	t.Run("Release by a replica holding no claim leaves the claim alone", func(t *testing.T) {
		t.Parallel()
		check(t, "a's claim", claim(a, "e5"), "claimed")
		check(t, "b's claim", claim(b, "e5"), "in flight")
		if err := b.Release(ctx, "e5"); err != nil {
			t.Fatalf("b's Release: %v", err)
		}
		check(t, "b's claim after its Release", claim(b, "e5"), "in flight")
	})
}

// TestAbandonedClaimExpires: a replica that claims an event and dies
// (neither Done nor Release) holds it only for the in-flight expiry; then
// another replica claims it. The first replica's Release, coming late,
// leaves the second's claim alone.
func TestAbandonedClaimExpires(t *testing.T) {
	t.Parallel()
	addr, _ := startRedis(t)
	const expiry = 50 * time.Millisecond
	crashed := newDeduper(t, addr, redislimiter.InFlightExpiry(expiry))
	other := newDeduper(t, addr) // the default expiry: its claim outlives the test
	ctx := context.Background()

	start := time.Now()
	if got := claim(crashed, "e"); got != "claimed" {
		t.Fatalf("first claim: %s", got)
	}
	// Poll with generous bounds: the claim must free itself, not early.
	deadline := start.Add(10 * time.Second)
	for claim(other, "e") != "claimed" {
		if time.Now().After(deadline) {
			t.Fatalf("the abandoned claim was still held after %v (expiry %v)", time.Since(start), expiry)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if took := time.Since(start); took < expiry {
		t.Errorf("claimed again after %v, before the in-flight expiry (%v)", took, expiry)
	}

	rdb := newRedisClient(t, &redis.Options{Addr: addr})
	key := redislimiter.DefaultKeyPrefix + "e"
	held := rdb.Get(ctx, key).Val()
	if err := crashed.Release(ctx, "e"); err != nil {
		t.Fatalf("the late Release: %v", err)
	}
	if got := rdb.Get(ctx, key).Val(); got != held {
		t.Errorf("after the late Release the key holds %q, want the other replica's claim %q", got, held)
	}
	if got := claim(newDeduper(t, addr), "e"); got != "in flight" {
		t.Errorf("a third replica's claim after the late Release: %s, want in flight", got)
	}
}

// TestReplicasRaceToClaim: two replicas (two Dedupers, each with its own
// Redis client) claim each of 100 IDs at the same moment; exactly one wins
// each, the other finds it in flight, and once the winner is done both
// find it done.
func TestReplicasRaceToClaim(t *testing.T) {
	t.Parallel()
	addr, _ := startRedis(t)
	replicas := []*redislimiter.Deduper{newDeduper(t, addr), newDeduper(t, addr)}
	const ids = 100

	eventID := func(i int) string { return fmt.Sprintf("event-%03d", i) }
	outcomes := make([][2]string, ids) // per ID, each replica's claim
	atOnce(ids, len(replicas), func(i, r int) { outcomes[i][r] = claim(replicas[r], eventID(i)) })

	for i, got := range outcomes {
		var winner *redislimiter.Deduper
		switch got {
		case [2]string{"claimed", "in flight"}:
			winner = replicas[0]
		case [2]string{"in flight", "claimed"}:
			winner = replicas[1]
		default:
			t.Errorf("%s: the replicas' claims %q, want one claimed and one in flight", eventID(i), got)
			continue
		}
		if err := winner.Done(context.Background(), eventID(i)); err != nil {
			t.Fatalf("Done(%s): %v", eventID(i), err)
		}
		for r, d := range replicas {
			if got := claim(d, eventID(i)); got != "done" {
				t.Errorf("%s: replica %d's claim after Done: %s, want done", eventID(i), r, got)
			}
		}
	}
}

// TestDeduperKeyPrefix: Dedupers with different prefixes on one Redis keep
// their events apart, under the keys documented.
func TestDeduperKeyPrefix(t *testing.T) {
	t.Parallel()
	addr, _ := startRedis(t)
	for _, prefix := range []string{"acme:", "globex:"} {
		if got := claim(newDeduper(t, addr, redislimiter.KeyPrefix(prefix)), "e"); got != "claimed" {
			t.Errorf("claim with prefix %q: %s, want claimed", prefix, got)
		}
	}
	rdb := newRedisClient(t, &redis.Options{Addr: addr})
	if n, err := rdb.Exists(context.Background(), "acme:e", "globex:e").Result(); err != nil || n != 2 {
		t.Errorf("keys acme:e and globex:e: %d exist (%v), want 2", n, err)
	}
}

// TestDeduperUnreachableRedis: every call that needs Redis and cannot ask
// it returns an error matching ErrUnavailable and wrapping go-redis's, and
// Claim does not claim, so that the handler fails closed.
func TestDeduperUnreachableRedis(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	unavailable := func(t *testing.T, call string, err error) {
		t.Helper()
		if !errors.Is(err, redislimiter.ErrUnavailable) {
			t.Errorf("%s: error %v does not match redislimiter.ErrUnavailable", call, err)
		}
	}

	t.Run("nothing listens", func(t *testing.T) {
		t.Parallel()
		closed := net.JoinHostPort("127.0.0.1", fmt.Sprint(freePort(t)))
		d := redislimiter.NewDeduper(newRedisClient(t, failFast(closed)))
		ok, err := d.Claim(ctx, "e")
		if ok {
			t.Error("Claim claimed without Redis")
		}
		unavailable(t, "Claim", err)
		var opErr *net.OpError
		if !errors.As(err, &opErr) || opErr.Op != "dial" {
			t.Errorf("errors.As finds no dial *net.OpError in %v", err)
		}
		unavailable(t, "Done", d.Done(ctx, "e"))
	})

	t.Run("Redis stopped after a claim", func(t *testing.T) {
		t.Parallel()
		addr, stop := startRedis(t)
		d := redislimiter.NewDeduper(newRedisClient(t, failFast(addr)))
		for _, id := range []string{"e1", "e2"} {
			if got := claim(d, id); got != "claimed" {
				t.Fatalf("claim of %s while Redis runs: %s", id, got)
			}
		}
		stop()
		ok, err := d.Claim(ctx, "e3")
		if ok {
			t.Error("Claim claimed without Redis")
		}
		unavailable(t, "Claim", err)
		unavailable(t, "Release", d.Release(ctx, "e1"))
		unavailable(t, "Done", d.Done(ctx, "e2"))
	})
}

// TestNewDeduperPanicsOnNonsense: a nil client or an expiry that is not
// positive is a bug, caught when the Deduper is built.
func TestNewDeduperPanicsOnNonsense(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	t.Cleanup(func() { _ = rdb.Close() })
	for name, build := range map[string]func(){
		"nil client":         func() { redislimiter.NewDeduper(nil) },
		"zero in-flight":     func() { redislimiter.NewDeduper(rdb, redislimiter.InFlightExpiry(0)) },
		"negative done":      func() { redislimiter.NewDeduper(rdb, redislimiter.DoneExpiry(-time.Hour)) },
		"negative in-flight": func() { redislimiter.NewDeduper(rdb, redislimiter.InFlightExpiry(-time.Second)) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Error("NewDeduper did not panic")
				}
			}()
			build()
		})
	}
}
