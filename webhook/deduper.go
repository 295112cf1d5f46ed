package webhook

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// Deduper makes each event ID run the handler's function at most once to
// success, across goroutines, and across replicas for a Deduper they share.
// Vlens redelivers an event with the same ID until it is acknowledged, and
// may deliver it twice; the Deduper is what turns that into exactly once.
//
// The handler answers from what Claim returns: false with a nil error
// means the event is done, and is acknowledged (200) without a run; an
// error matching ErrInFlight means a run of it is in flight, answered 409
// so that Vlens delivers it again later; any other error fails closed (503,
// no run). A Deduper that cannot tell done from in flight should report
// ErrInFlight: a redelivery of a done event is then refused until Vlens
// gives up on it, which loses nothing, where acknowledging a run that
// later fails would lose the event.
type Deduper interface {
	// Claim takes id for one run. It returns false when id is done already
	// or claimed by a run still in flight (here or on another replica);
	// for the latter, with an error matching ErrInFlight.
	Claim(ctx context.Context, id string) (ok bool, err error)
	// Done marks a claimed id as processed: later deliveries of it are
	// acknowledged without a run.
	Done(ctx context.Context, id string) error
	// Release gives a claimed id back after a failed run, so that a
	// redelivery runs it again.
	Release(ctx context.Context, id string) error
}

// ErrInFlight is what a Deduper's Claim returns, with false, for an event
// whose run is still in flight.
var ErrInFlight = errors.New("webhook: event in flight")

// errDeduperFull is Claim's error when every entry the memory deduper may
// hold is a run in flight.
var errDeduperFull = errors.New("webhook: memory deduper: every entry is a run in flight")

// NewMemoryDeduper returns a Deduper for one process, safe for concurrent
// use. It remembers a done event for ttl, and at most max events in all:
// when full, the oldest done event is forgotten first (a redelivery of it
// would then run again). A claim in flight is never forgotten, so that a
// second run cannot start while the first runs; when all max entries are
// in flight, Claim returns an error (the handler answers 503) rather than
// grow. A ttl or max that is not positive means DefaultDedupeTTL or
// DefaultDedupeMax. Vlens tries an event about 5 times, so a ttl of a day
// covers its redeliveries many times over.
//
// Replicas that each have their own memory deduper may each run an event
// once; share a Deduper between them (one on Redis, say) for once in all.
func NewMemoryDeduper(ttl time.Duration, max int) Deduper {
	if ttl <= 0 {
		ttl = DefaultDedupeTTL
	}
	if max <= 0 {
		max = DefaultDedupeMax
	}
	return &memoryDeduper{ttl: ttl, max: max, inFlight: map[string]bool{}, done: map[string]*list.Element{}, order: list.New()}
}

// memoryDeduper keeps the runs in flight in a set, and the done events in
// a list in the order they were done (the oldest first) indexed by ID.
type memoryDeduper struct {
	ttl time.Duration
	max int

	mu       sync.Mutex
	inFlight map[string]bool
	done     map[string]*list.Element
	order    *list.List // of doneEntry, the oldest first
}

type doneEntry struct {
	id string
	at time.Time
}

func (d *memoryDeduper) Claim(_ context.Context, id string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.forgetExpired(time.Now())
	switch {
	case d.inFlight[id]:
		return false, ErrInFlight
	case d.done[id] != nil:
		return false, nil
	}
	if len(d.inFlight)+len(d.done) >= d.max {
		if d.order.Len() == 0 {
			return false, errDeduperFull
		}
		d.forget(d.order.Front())
	}
	d.inFlight[id] = true
	return true, nil
}

func (d *memoryDeduper) Done(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.inFlight, id)
	if el := d.done[id]; el != nil {
		d.forget(el)
	}
	d.done[id] = d.order.PushBack(doneEntry{id: id, at: time.Now()})
	for len(d.inFlight)+len(d.done) > d.max { // only a Done without a Claim adds an entry
		d.forget(d.order.Front())
	}
	return nil
}

func (d *memoryDeduper) Release(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.inFlight, id)
	return nil
}

// forgetExpired forgets the done events older than ttl. d.mu must be held.
func (d *memoryDeduper) forgetExpired(now time.Time) {
	for el := d.order.Front(); el != nil && now.Sub(el.Value.(doneEntry).at) >= d.ttl; el = d.order.Front() {
		d.forget(el)
	}
}

// forget removes a done event. d.mu must be held.
func (d *memoryDeduper) forget(el *list.Element) {
	delete(d.done, el.Value.(doneEntry).id)
	d.order.Remove(el)
}
