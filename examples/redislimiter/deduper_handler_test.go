package redislimiter_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/vlens-go/vlens/webhook"
)

// TestTwoReplicasRunEachEventOnce is the Deduper's purpose: two webhook
// handlers (two replicas, each with its own Redis client and Deduper on the
// one Redis) receive each of 100 events at the same moment, and fn runs
// exactly once per event. The other delivery is answered 200 (the event
// was done by then) or 409 (it was in flight), never a second run; a
// redelivery afterwards, to either replica, is acknowledged without a run.
func TestTwoReplicasRunEachEventOnce(t *testing.T) {
	t.Parallel()
	addr, _ := startRedis(t)
	const (
		header = "X-Webhook-Secret"
		secret = "a-secret-of-sixteen-bytes-or-more"
		ids    = 100
	)

	var mu sync.Mutex
	runs := map[string]int{} // event ID → fn's runs
	fn := func(_ context.Context, e *webhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		runs[e.ID]++
		return nil
	}
	var replicas []http.Handler
	for range 2 {
		h, err := webhook.NewHandler(fn,
			webhook.WithSecretHeader(header, secret),
			webhook.WithDeduper(newDeduper(t, addr)))
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, h)
	}
	deliver := func(h http.Handler, id string) int {
		body := fmt.Sprintf(`{"Id":%q,"WebhookEvent":"App.BusinessRequestStatusChange","Attempt":1,`+
			`"Data":{"Id":"9b2f6a1e-0000-4000-8000-000000000001","NewStatus":"Approved"},`+
			`"CreationTimeUtc":"2025-12-11T11:27:18.6197007"}`, id)
		r := httptest.NewRequest(http.MethodPost, "/hooks/vlens", strings.NewReader(body))
		r.Header.Set(header, secret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	eventID := func(i int) string { return fmt.Sprintf("6f1c2d3e-0000-4000-8000-%012d", i) }

	answers := make([][2]int, ids) // per event, each replica's answer
	atOnce(ids, len(replicas), func(i, r int) { answers[i][r] = deliver(replicas[r], eventID(i)) })

	inFlight := 0
	for i, got := range answers {
		id := eventID(i)
		if runs[id] != 1 {
			t.Errorf("%s: fn ran %d times, want once", id, runs[id])
		}
		ok, conflict := 0, 0
		for _, status := range got {
			switch status {
			case http.StatusOK:
				ok++
			case http.StatusConflict:
				conflict++
			}
		}
		if ok < 1 || ok+conflict != 2 {
			t.Errorf("%s: the replicas answered %v, want 200 and 200 or 409", id, got)
		}
		inFlight += conflict
	}
	if len(runs) != ids {
		t.Errorf("fn ran for %d events, want %d", len(runs), ids)
	}
	t.Logf("%d of %d duplicate deliveries found the event in flight (409), the rest done (200)", inFlight, ids)

	for r, h := range replicas {
		if got := deliver(h, eventID(0)); got != http.StatusOK {
			t.Errorf("a redelivery to replica %d: %d, want 200", r, got)
		}
	}
	if runs[eventID(0)] != 1 {
		t.Errorf("fn ran %d times for the redelivered event, want once", runs[eventID(0)])
	}
}
