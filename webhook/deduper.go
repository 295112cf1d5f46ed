package webhook

import "context"

// Deduper makes each event ID run the handler's function at most once to
// success, across goroutines, and across replicas for a Deduper they share.
// Vlens redelivers an event with the same ID until it is acknowledged, and
// may deliver it twice; the Deduper is what turns that into exactly once.
type Deduper interface {
	// Claim takes id for one run. It returns false when id is done already
	// or claimed by a run still in flight (here or on another replica).
	Claim(ctx context.Context, id string) (ok bool, err error)
	// Done marks a claimed id as processed: later deliveries of it are
	// acknowledged without a run.
	Done(ctx context.Context, id string) error
	// Release gives a claimed id back after a failed run, so that a
	// redelivery runs it again.
	Release(ctx context.Context, id string) error
}
