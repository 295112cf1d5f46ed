package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/webhook"
)

// Store keeps each business request's latest status, as a backend keeps it
// in its own database. It is safe for concurrent use: the webhook receiver
// and the reconcile loop both write to it.
type Store struct {
	mu     sync.Mutex
	status map[string]vlens.RequestStatus
}

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{status: map[string]vlens.RequestStatus{}}
}

// Set records status as id's and reports whether that changed anything.
func (s *Store) Set(id string, status vlens.RequestStatus) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.status[id]
	s.status[id] = status
	return !ok || old != status
}

// Status returns id's status and whether the store has one.
func (s *Store) Status(id string) (vlens.RequestStatus, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	status, ok := s.status[id]
	return status, ok
}

// Receiver returns the handler Vlens's webhooks are posted to. Vlens signs
// nothing, so it authenticates by fetching: each delivery's request is
// read back from Vlens, and what is stored is the status Vlens gives now,
// not the one the delivery claims. A forged delivery costs one read and
// changes nothing, and a late redelivery of an old status cannot undo a
// newer one. Each event is processed once (the handler's in-memory
// deduper; share one on Redis between replicas).
func Receiver(client *vlens.Client, store *Store, logger *slog.Logger) (http.Handler, error) {
	return webhook.NewHandler(func(_ context.Context, e *webhook.Event) error {
		if e.Type != webhook.TypeBusinessRequestStatusChange {
			return nil // acknowledge what this program does not follow
		}
		c, err := e.StatusChange()
		if err != nil {
			return err
		}
		// Storing is quick here; a real program that has more to do puts
		// the event on its own queue and returns, to acknowledge fast.
		store.Set(c.RequestID, c.NewStatus)
		return nil
	}, webhook.WithVerifyByFetching(client), webhook.WithLogger(logger))
}

// Reconcile walks every business request once and stores each status the
// store does not have: what a webhook that never arrived would have said.
// It returns how many it changed. A webhook stored while a pass runs may be
// overwritten by the older status the pass read; the next pass puts it
// right, which is why reconciling never stops.
func Reconcile(ctx context.Context, client *vlens.Client, store *Store) (changed int, err error) {
	for s, err := range client.ListBusinessRequests(ctx) {
		if err != nil {
			return changed, err
		}
		if store.Set(s.ID, s.Status) {
			changed++
		}
	}
	return changed, nil
}

// ReconcileEvery runs Reconcile every interval until ctx ends, as Vlens
// advises for mission-critical flows: webhooks for speed, polling so that
// none is missed. A failed pass is logged and the next one tries again.
// passed, if not nil, is called after each pass.
func ReconcileEvery(ctx context.Context, client *vlens.Client, store *Store, interval time.Duration,
	logger *slog.Logger, passed func()) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if changed, err := Reconcile(ctx, client, store); err != nil {
			if ctx.Err() == nil {
				logger.Warn("reconcile failed", "err", err)
			}
		} else if changed > 0 {
			logger.Info("reconciled", "changed", changed)
		}
		if passed != nil {
			passed()
		}
	}
}
