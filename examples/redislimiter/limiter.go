// Package redislimiter is a [vlens.Limiter] whose state lives in Redis, so
// that every replica of a backend calling Vlens with one tenant's API key
// shares that tenant's rate limits instead of each replica pacing itself as
// if it were alone.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	limits := []redis_rate.Limit{
//		redis_rate.PerSecond(10), // 10 requests/s, up to 10 at once
//		redis_rate.PerMinute(60), // and 60/min, up to 60 at once
//	}
//	client, err := vlens.NewClient(apiKey,
//		vlens.WithRateLimiter(redislimiter.New(rdb, "acme", limits)))
//
// Every Limiter given the same Redis and the same tenant draws on the same
// limits, however many replicas, clients and goroutines use it. The
// algorithm is GCRA, from [github.com/go-redis/redis_rate] (this package
// writes none of it): a Lua script that Redis runs atomically, on Redis's
// own clock, so the replicas' clocks do not matter. Each window has its own
// Redis key: "rate:vlens:" followed by the tenant, a colon and the window's
// period ("rate:vlens:acme:1s", "rate:vlens:acme:1m0s").
//
// [Limiter.Wait] asks Redis for one request's slot in every window, the
// longest window first (sustained traffic runs into it, and a window that
// refuses first leaves nothing to give back). A request goes only when
// every window has granted it. When one refuses, Wait gives back the slots
// the windows before it granted (redis_rate's AllowN with -1, which GCRA
// takes as a request that never was), sleeps until the refusing window's
// next slot, or until its context ends, and asks every window again. So a
// refusal takes nothing from any window, with two exceptions, both of which
// err toward sending less: a slot given back after its window has refilled
// is given back only in part (redis_rate never fills a window beyond its
// burst), and one whose giving back fails (Redis gone in between) stays
// spent. Between a grant and its giving back, another replica may be
// refused by a window that a moment later has room again; it asks again
// after the Retry-After it was given. vlens waits on the limiter before
// every attempt, retries included.
//
// # When Redis cannot be asked
//
// By default the Limiter fails closed: when Redis is down, unreachable, too
// slow or answers with an error, Wait returns an error matching
// [ErrUnavailable] and wrapping go-redis's own (errors.Is and errors.As reach
// both through the vlens call's error), and the vlens call ends with it,
// having sent nothing. Calls never go out unpaced behind your back.
//
// [FailOpen] makes Wait return nil instead, so that calls go out unpaced
// while Redis is away: the replicas together may then exceed the tenant's
// limit, and Vlens answers the excess with 429 (which vlens retries as its
// options say). Choose it when an outage of your Redis must not stop
// sign-ups. Either way, how long an unreachable Redis holds each call is
// go-redis's to decide (with its defaults, about two seconds for a refused
// connection, as it retries): bound it with DialTimeout, DialerRetries,
// ReadTimeout, WriteTimeout and MaxRetries in [redis.Options]. A context that ends while Redis is
// asked ends Wait with the context's error, failing open or not.
//
// The module is separate from the SDK's, so that importing
// github.com/vlens-go/vlens never pulls in Redis. Copy the package into your
// code rather than import it: it is not published, and its go.mod builds
// against the SDK in this checkout through a replace directive that an
// importer's build ignores.
package redislimiter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/vlens-go/vlens"
)

// ErrUnavailable is matched by Wait's error when Redis could not be asked
// or answered with an error. The error also wraps go-redis's.
var ErrUnavailable = errors.New("redislimiter: redis unavailable")

// Limiter is a vlens.Limiter shared through Redis by everyone with the same
// Redis and tenant. It is safe for concurrent use.
type Limiter struct {
	rl       *redis_rate.Limiter
	windows  []window // longest period first
	failOpen bool
}

// window is one of a Limiter's limits and the Redis key that holds it.
type window struct {
	key   string
	limit redis_rate.Limit
}

var _ vlens.Limiter = (*Limiter)(nil)

// Option changes how a Limiter behaves.
type Option func(*Limiter)

// FailOpen makes Wait let the call go (return nil) when Redis cannot be
// asked, instead of returning an error matching ErrUnavailable. Calls then
// go out unpaced until Redis is back.
func FailOpen() Option {
	return func(l *Limiter) { l.failOpen = true }
}

// New returns a Limiter holding tenant's requests to every one of limits,
// for example redis_rate.PerSecond(10) and redis_rate.PerMinute(60), as
// Vlens quotes its limits: a request goes only when every window has room.
// A Limit{Rate: 10, Period: time.Second, Burst: 5} means on average 10 a
// second, up to 5 at once after a quiet spell. rdb may be a *redis.Client,
// *redis.ClusterClient, *redis.Ring or a failover client; the Limiter does
// not close it. Every Limiter for the same tenant on the same Redis must be
// given the same limits. New panics on a nil rdb, an empty tenant, no
// limits, a limit whose Rate, Burst or Period is not positive, or two limits
// with the same Period (they would share a key): those are bugs.
func New(rdb redis.UniversalClient, tenant string, limits []redis_rate.Limit, opts ...Option) *Limiter {
	switch {
	case rdb == nil:
		panic("redislimiter: New: nil Redis client")
	case tenant == "":
		panic("redislimiter: New: empty tenant")
	case len(limits) == 0:
		panic("redislimiter: New: no limits")
	}
	l := &Limiter{rl: redis_rate.NewLimiter(rdb)}
	for _, limit := range limits {
		if limit.Rate < 1 || limit.Burst < 1 || limit.Period <= 0 {
			panic("redislimiter: New: Rate, Burst and Period must be positive")
		}
		key := "vlens:" + tenant + ":" + limit.Period.String()
		if slices.ContainsFunc(l.windows, func(w window) bool { return w.key == key }) {
			panic("redislimiter: New: two limits with the period " + limit.Period.String())
		}
		l.windows = append(l.windows, window{key: key, limit: limit})
	}
	slices.SortFunc(l.windows, func(a, b window) int { return cmp.Compare(b.limit.Period, a.limit.Period) })
	for _, opt := range opts {
		opt(l)
	}
	return l
}

// Wait blocks until every window grants one request or ctx ends. It
// returns nil when the request may go; ctx's error when ctx ended first;
// and, unless FailOpen was given, an error matching ErrUnavailable when
// Redis could not be asked.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		retryAfter, err := l.take(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil && l.failOpen:
			return nil
		case err != nil:
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		case retryAfter == 0:
			return nil
		}
		// Refused: the refusing window's next slot opens in retryAfter.
		// Whoever asks first then takes it, here or on another replica.
		timer := time.NewTimer(retryAfter)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// take asks every window for one request's slot. It returns 0 when all
// granted one; otherwise, having given back the slots already granted, how
// long until the refusing window has one (at least a millisecond), or
// Redis's error.
func (l *Limiter) take(ctx context.Context) (retryAfter time.Duration, err error) {
	for i, w := range l.windows {
		res, err := l.rl.Allow(ctx, w.key, w.limit)
		if err == nil && res.Allowed > 0 {
			continue
		}
		l.giveBack(ctx, l.windows[:i])
		if err != nil {
			return 0, err
		}
		return max(res.RetryAfter, time.Millisecond), nil
	}
	return 0, nil
}

// giveBack returns one slot to each of windows, even when ctx has just
// ended (go-redis's timeouts bound it). A slot that cannot be given back
// stays spent: the error would change nothing the caller can do, and it
// errs toward sending less.
func (l *Limiter) giveBack(ctx context.Context, windows []window) {
	ctx = context.WithoutCancel(ctx)
	for _, w := range windows {
		_, _ = l.rl.AllowN(ctx, w.key, w.limit, -1)
	}
}
