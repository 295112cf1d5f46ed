// Package redislimiter is a [vlens.Limiter] whose state lives in Redis, so
// that every replica of a backend calling Vlens with one tenant's API key
// shares that tenant's rate limit instead of each replica pacing itself as
// if it were alone.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	limit := redis_rate.Limit{Rate: 10, Period: time.Second, Burst: 5}
//	client, err := vlens.NewClient(apiKey,
//		vlens.WithRateLimiter(redislimiter.New(rdb, "acme", limit)))
//
// Every Limiter given the same Redis and the same tenant draws on one limit,
// however many replicas, clients and goroutines use it. The algorithm is
// GCRA, from [github.com/go-redis/redis_rate] (this package writes none of
// it): a Lua script that Redis runs atomically, on Redis's own clock, so the
// replicas' clocks do not matter. The Redis key is "rate:vlens:" followed by
// the tenant.
//
// [Limiter.Wait] asks Redis for one request's slot. When Redis says "not
// yet, retry after d", Wait sleeps d, or until its context ends, and asks
// again; a refusal takes nothing from the limit. vlens waits on the limiter
// before every attempt, retries included.
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
	"context"
	"errors"
	"fmt"
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
	key      string
	limit    redis_rate.Limit
	failOpen bool
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

// New returns a Limiter holding tenant's requests to limit, for example
// redis_rate.Limit{Rate: 10, Period: time.Second, Burst: 5}: on average 10
// a second, up to 5 at once after a quiet spell. rdb may be a *redis.Client,
// *redis.ClusterClient, *redis.Ring or a failover client; the Limiter does
// not close it. Every Limiter for the same tenant on the same Redis must be
// given the same limit. New panics on a nil rdb, an empty tenant, or a limit
// whose Rate, Burst or Period is not positive: those are bugs.
func New(rdb redis.UniversalClient, tenant string, limit redis_rate.Limit, opts ...Option) *Limiter {
	switch {
	case rdb == nil:
		panic("redislimiter: New: nil Redis client")
	case tenant == "":
		panic("redislimiter: New: empty tenant")
	case limit.Rate < 1 || limit.Burst < 1 || limit.Period <= 0:
		panic("redislimiter: New: Rate, Burst and Period must be positive")
	}
	l := &Limiter{rl: redis_rate.NewLimiter(rdb), key: "vlens:" + tenant, limit: limit}
	for _, opt := range opts {
		opt(l)
	}
	return l
}

// Wait blocks until Redis grants one request or ctx ends. It returns nil
// when the request may go; ctx's error when ctx ended first; and, unless
// FailOpen was given, an error matching ErrUnavailable when Redis could not
// be asked.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := l.rl.Allow(ctx, l.key, l.limit)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil && l.failOpen:
			return nil
		case err != nil:
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		case res.Allowed > 0:
			return nil
		}
		// Refused: the next slot opens in RetryAfter. Whoever asks first
		// then takes it, here or on another replica.
		timer := time.NewTimer(max(res.RetryAfter, time.Millisecond))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}
