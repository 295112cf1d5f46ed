package redislimiter

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vlens-go/vlens/webhook"
)

// The defaults of a Deduper; see NewDeduper.
const (
	// DefaultInFlightExpiry is how long a claim holds an event ID before
	// Redis frees it by itself: twice the 60 s Vlens waits for an answer,
	// so that it outlasts a run whose delivery Vlens gave up on (the run's
	// context ends then) and the handler's recording of its outcome.
	DefaultInFlightExpiry = 2 * time.Minute
	// DefaultDoneExpiry is how long a done event ID is remembered. Vlens
	// redelivers an event over about 5 attempts; a day covers them many
	// times over, at a few dozen bytes of Redis per event.
	DefaultDoneExpiry = 24 * time.Hour
	// DefaultKeyPrefix is what a Deduper's Redis keys start with; the event
	// ID follows.
	DefaultKeyPrefix = "webhook:vlens:"
)

// The values a Deduper's key holds: doneValue once the event is done, and
// while a run is in flight inFlightPrefix followed by a random token that
// is the claim's own, so that only its claimer can release it.
const (
	doneValue      = "done"
	inFlightPrefix = "inflight:"
)

// releaseScript deletes the key only while it holds the claim's own value
// (ARGV[1]): a Release that comes after the claim expired must not free a
// claim another replica took since. Redis runs it atomically.
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0
`)

// Deduper is a [webhook.Deduper] shared through Redis, so that every replica
// of a webhook receiver given the same Redis and key prefix runs each Vlens
// event once in all. Give it to the handler with [webhook.WithDeduper]:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	h, err := webhook.NewHandler(fn,
//		webhook.WithSecretHeader("X-Webhook-Secret", secret),
//		webhook.WithDeduper(redislimiter.NewDeduper(rdb)))
//
// Each event ID is one Redis key, the prefix followed by the ID:
//
//   - Claim sets it with SET NX to an in-flight value unique to the claim,
//     expiring after the in-flight expiry ([DefaultInFlightExpiry]), so that
//     the claim of a replica that crashed mid-run frees itself and a
//     redelivery then runs the event. A key that exists refuses the claim:
//     "done" as done (Claim returns false and no error), anything else as in
//     flight (false and an error matching [webhook.ErrInFlight]).
//   - Done sets it to "done", expiring after the done expiry
//     ([DefaultDoneExpiry]); until then, deliveries of the ID are
//     acknowledged without a run.
//   - Release deletes it, but only while it still holds this claim's value
//     (a Lua script checks and deletes at once): a Release that comes after
//     the claim expired and another replica claimed the ID leaves that
//     replica's claim alone.
//
// Every error of Redis's (down, unreachable, too slow, or answering with an
// error) is returned, matching [ErrUnavailable] and wrapping go-redis's, and
// the handler fails closed: a Claim that fails runs nothing and the
// delivery is answered 503, so Vlens delivers it again. The failure modes
// that remain:
//
//   - A Claim whose answer is lost after Redis set the key (a timeout)
//     holds the ID until the in-flight expiry; deliveries meanwhile are
//     refused as in flight, and a later one runs it.
//   - A Done that fails leaves the claim to expire: the event may run
//     again if Vlens delivers it after that (the handler acknowledges the
//     run, so Vlens should not).
//   - A Release that fails leaves the claim to expire, and redeliveries are
//     refused as in flight until then.
//   - A run longer than the in-flight expiry loses its claim: a redelivery
//     may then run the event beside it. If that redelivery came to the same
//     Deduper, the first run's late Release may free the second's claim (a
//     Deduper keeps one claim per ID; another replica's claims are safe).
//     Keep runs short, as Vlens wants anyway (queue the event and return),
//     or raise the expiry.
//   - A Redis that loses keys (eviction under maxmemory, a failover before
//     replication, a restart without persistence) forgets done events; a
//     redelivery of one then runs again. Make the event's processing
//     idempotent where that matters.
//
// How long an unreachable Redis holds each call is go-redis's to decide:
// bound it with the timeouts in [redis.Options], as for the Limiter.
// A Deduper is safe for concurrent use.
type Deduper struct {
	rdb      redis.UniversalClient
	prefix   string
	inFlight time.Duration
	done     time.Duration

	mu     sync.Mutex
	claims map[string]string // event ID → the value its claim here set, until Done or Release
}

var _ webhook.Deduper = (*Deduper)(nil)

// DeduperOption changes how a Deduper behaves.
type DeduperOption func(*Deduper)

// KeyPrefix sets what the Deduper's Redis keys start with (the event ID
// follows), DefaultKeyPrefix by default: receivers that must not share
// their events, such as one per Vlens tenant on one Redis, each take their
// own.
func KeyPrefix(prefix string) DeduperOption {
	return func(d *Deduper) { d.prefix = prefix }
}

// InFlightExpiry sets how long a claim holds an event ID before Redis frees
// it by itself (DefaultInFlightExpiry by default). It must outlast the
// longest run, and it is how long the claim of a replica that crashed
// mid-run delays the event's next run.
func InFlightExpiry(d time.Duration) DeduperOption {
	return func(dd *Deduper) { dd.inFlight = d }
}

// DoneExpiry sets how long a done event ID is remembered (DefaultDoneExpiry
// by default). It must outlast Vlens's redeliveries of an event.
func DoneExpiry(d time.Duration) DeduperOption {
	return func(dd *Deduper) { dd.done = d }
}

// NewDeduper returns a Deduper keeping its claims in rdb, which may be a
// *redis.Client, *redis.ClusterClient, *redis.Ring or a failover client
// (each operation touches one key); the Deduper does not close it. Every
// replica must be given the same Redis, key prefix and expiries. NewDeduper
// panics on a nil rdb or an expiry that is not positive: those are bugs.
func NewDeduper(rdb redis.UniversalClient, opts ...DeduperOption) *Deduper {
	d := &Deduper{
		rdb:      rdb,
		prefix:   DefaultKeyPrefix,
		inFlight: DefaultInFlightExpiry,
		done:     DefaultDoneExpiry,
		claims:   map[string]string{},
	}
	for _, opt := range opts {
		opt(d)
	}
	switch {
	case rdb == nil:
		panic("redislimiter: NewDeduper: nil Redis client")
	case d.inFlight <= 0 || d.done <= 0:
		panic("redislimiter: NewDeduper: expiries must be positive")
	}
	return d
}

// Claim takes id for one run. It returns true when this call claimed it;
// false and a nil error when id is done; false and an error matching
// webhook.ErrInFlight when a run of it is in flight, here or on another
// replica; and an error matching ErrUnavailable when Redis could not say.
func (d *Deduper) Claim(ctx context.Context, id string) (bool, error) {
	key := d.prefix + id
	value := inFlightPrefix + rand.Text()
	ok, err := d.rdb.SetNX(ctx, key, value, d.inFlight).Result()
	if err != nil {
		return false, fmt.Errorf("%w: webhook deduper: claim: %w", ErrUnavailable, err)
	}
	if ok {
		d.mu.Lock()
		d.claims[id] = value
		d.mu.Unlock()
		return true, nil
	}
	// Refused: say why. The key may have changed since (a run finished,
	// a claim expired or was released); anything but "done" is reported as
	// in flight, which only delays the event: Vlens delivers it again.
	held, err := d.rdb.Get(ctx, key).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return false, webhook.ErrInFlight
	case err != nil:
		return false, fmt.Errorf("%w: webhook deduper: claim: %w", ErrUnavailable, err)
	case held == doneValue:
		return false, nil
	default:
		return false, webhook.ErrInFlight
	}
}

// Done marks id as done, for the done expiry, whoever holds it now. This
// Deduper's claim of id ends whether or not Redis could be told: if it
// could not (the error matches ErrUnavailable), the claim expires.
func (d *Deduper) Done(ctx context.Context, id string) error {
	d.forget(id)
	if err := d.rdb.Set(ctx, d.prefix+id, doneValue, d.done).Err(); err != nil {
		return fmt.Errorf("%w: webhook deduper: done: %w", ErrUnavailable, err)
	}
	return nil
}

// Release gives id back, so that a redelivery runs it: it deletes id's key
// if it still holds the claim this Deduper made, and does nothing when this
// Deduper holds no claim of id (there is then nothing of its to give back).
// If Redis could not be told (the error matches ErrUnavailable), the claim
// expires.
func (d *Deduper) Release(ctx context.Context, id string) error {
	value, ok := d.forget(id)
	if !ok {
		return nil
	}
	if err := releaseScript.Run(ctx, d.rdb, []string{d.prefix + id}, value).Err(); err != nil {
		return fmt.Errorf("%w: webhook deduper: release: %w", ErrUnavailable, err)
	}
	return nil
}

// forget ends this Deduper's claim of id, returning the value it set.
func (d *Deduper) forget(id string) (value string, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	value, ok = d.claims[id]
	delete(d.claims, id)
	return value, ok
}
