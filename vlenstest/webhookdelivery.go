package vlenstest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/vlens-go/vlens"
)

// webhooks delivers WithWebhook's events. Each event has a goroutine of
// its own, which ends when the event is delivered, its attempts are spent,
// or Reset or Close cancel the context it was started with.
type webhooks struct {
	cfg    webhookConfig
	client *http.Client
	logger *slog.Logger
	wg     sync.WaitGroup // the events' goroutines

	mu         sync.Mutex
	ctx        context.Context // the current events'; Reset and Close cancel it
	cancel     context.CancelFunc
	closed     bool
	drop       int
	duplicate  int
	deliveries []Delivery    // the newest max
	total      int           // recorded since the start or the last Reset
	max        int           // MaxRecordedRequests, or smaller in the package's tests
	changed    chan struct{} // closed, and replaced, when deliveries change or the server closes
}

func newWebhooks(cfg webhookConfig, logger *slog.Logger) *webhooks {
	h := &webhooks{
		cfg:    cfg,
		logger: logger,
		// A transport of its own: http.DefaultTransport may be a test's
		// mock (httpmock), and the receiver is local.
		client: &http.Client{Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout: 10 * time.Second,
			IdleConnTimeout:     90 * time.Second,
		}},
		drop:      cfg.drop,
		duplicate: cfg.duplicate,
		max:       MaxRecordedRequests,
		changed:   make(chan struct{}),
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	return h
}

// webhookEvent is one status change to deliver.
type webhookEvent struct {
	id, requestID, status string
	created               time.Time
	duplicate             bool
}

// statusChanged starts delivering a status change, or records it as
// dropped. It never blocks on the network.
func (h *webhooks) statusChanged(requestID string, status vlens.RequestStatus) {
	ev := webhookEvent{id: newUUID(), requestID: requestID, status: webhookStatus(status),
		created: time.Now().UTC().Truncate(100 * time.Nanosecond)}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return
	case h.drop > 0:
		h.drop--
		h.record(Delivery{EventID: ev.id, RequestID: ev.requestID, NewStatus: ev.status, Attempt: 1, Time: ev.created, Dropped: true})
		return
	case h.duplicate > 0:
		h.duplicate--
		ev.duplicate = true
	}
	h.wg.Add(1)
	go h.deliver(h.ctx, ev)
}

// deliver sends ev until it is delivered, WebhookMaxAttempts attempts
// are spent, or ctx ends.
func (h *webhooks) deliver(ctx context.Context, ev webhookEvent) {
	defer h.wg.Done()
	wait := h.cfg.retryWait
	for attempt := 1; ; attempt++ {
		if h.attempt(ctx, ev, attempt) || attempt == WebhookMaxAttempts || !sleep(ctx, wait) {
			return
		}
		wait *= 2
	}
}

// sleep waits for d and reports false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// attempt POSTs one attempt of ev, twice at once for a duplicated event,
// records each, and reports whether one was answered 2xx.
func (h *webhooks) attempt(ctx context.Context, ev webhookEvent, attempt int) bool {
	body := ev.body(attempt)
	copies := 1
	if ev.duplicate {
		copies = 2
	}
	delivered := make([]bool, copies)
	var wg sync.WaitGroup
	for i := range copies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := h.post(ctx, ev, attempt, body, i == 1)
			delivered[i] = d.Delivered()
			h.mu.Lock()
			defer h.mu.Unlock()
			if ctx.Err() == nil { // not after a Reset or Close
				h.record(d)
			}
		}()
	}
	wg.Wait()
	return slices.Contains(delivered, true)
}

// webhookPayload is the body Vlens sends, in its field order.
type webhookPayload struct {
	ID              string `json:"Id"`
	WebhookEvent    string
	Attempt         int
	Data            webhookData
	CreationTimeUtc string
}

type webhookData struct {
	ID        string `json:"Id"`
	NewStatus string
}

// body is ev's body for attempt.
func (ev webhookEvent) body(attempt int) []byte {
	b, _ := json.Marshal(webhookPayload{ID: ev.id, WebhookEvent: WebhookEventStatusChange, Attempt: attempt,
		Data:            webhookData{ID: ev.requestID, NewStatus: ev.status},
		CreationTimeUtc: ev.created.Format(vlensTimeLayout + "Z")})
	return b
}

// post sends body once and returns how it went.
func (h *webhooks) post(ctx context.Context, ev webhookEvent, attempt int, body []byte, duplicate bool) Delivery {
	d := Delivery{EventID: ev.id, RequestID: ev.requestID, NewStatus: ev.status, Attempt: attempt, Duplicate: duplicate, Time: time.Now()}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.url, bytes.NewReader(body))
	if err != nil { // WithWebhook checked the URL
		d.Error = "cannot make the request"
		return d
	}
	req.Header = h.cfg.header.Clone()
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if h.cfg.secret != "" {
		req.Header.Set(WebhookSignatureHeader, sign(h.cfg.secret, body))
	}
	resp, err := h.client.Do(req)
	switch {
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		d.Error = fmt.Sprintf("no answer within %s", h.cfg.timeout)
	case err != nil:
		d.Error = transportError(err)
	default:
		d.StatusCode = resp.StatusCode
	}
	if resp != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxRequestBytes))
		resp.Body.Close()
	}
	h.log(d, time.Since(d.Time))
	return d
}

// sign is WebhookSignatureHeader's value for body.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// transportError is err's text without the URL, which may carry a secret.
func transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// record appends d to the deliveries, dropping the oldest beyond h.max,
// and wakes WaitDeliveries. h.mu must be held.
func (h *webhooks) record(d Delivery) {
	if len(h.deliveries) >= h.max {
		h.deliveries = slices.Delete(h.deliveries, 0, len(h.deliveries)-h.max+1)
	}
	h.deliveries = append(h.deliveries, d)
	h.total++
	h.wake()
}

// wake wakes WaitDeliveries. h.mu must be held.
func (h *webhooks) wake() {
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *webhooks) log(d Delivery, took time.Duration) {
	if h.logger == nil {
		return
	}
	h.logger.LogAttrs(context.Background(), slog.LevelInfo, "vlenstest: webhook",
		slog.String("event_id", d.EventID),
		slog.String("request_id", d.RequestID),
		slog.String("new_status", d.NewStatus),
		slog.Int("attempt", d.Attempt),
		slog.Int("status", d.StatusCode),
		slog.String("error", d.Error),
		slog.Bool("duplicate", d.Duplicate),
		millis("duration_ms", took))
}

// reset forgets the deliveries and the drops and duplicates not yet used,
// and stops the events in progress.
func (h *webhooks) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cancel()
	if !h.closed {
		h.ctx, h.cancel = context.WithCancel(context.Background())
	}
	h.deliveries, h.total, h.drop, h.duplicate = nil, 0, 0, 0
	h.wake()
}

// close stops the events in progress and waits for their goroutines.
func (h *webhooks) close() {
	h.mu.Lock()
	h.closed = true
	h.cancel()
	h.wake()
	h.mu.Unlock()
	h.wg.Wait()
	h.client.CloseIdleConnections()
}

// Deliveries returns the attempts to deliver webhooks (WithWebhook) since
// the start or the last Reset, in the order they ended: when answered,
// failed, or dropped. It keeps the newest MaxRecordedRequests. It returns
// nil without WithWebhook.
func (s *Server) Deliveries() []Delivery {
	if s.hooks == nil {
		return nil
	}
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return slices.Clone(s.hooks.deliveries)
}

// WaitDeliveries waits until n attempts have ended since the start or the
// last Reset (n deliveries listed, counting those let go beyond
// MaxRecordedRequests), and returns Deliveries. It returns what there is
// and an error when ctx ends or the server closes first, and at once
// without WithWebhook, so that a test waits on deliveries without
// sleeping.
func (s *Server) WaitDeliveries(ctx context.Context, n int) ([]Delivery, error) {
	h := s.hooks
	if h == nil {
		return nil, errors.New("vlenstest: WaitDeliveries: the server has no WithWebhook")
	}
	for {
		h.mu.Lock()
		got, total, closed, changed := slices.Clone(h.deliveries), h.total, h.closed, h.changed
		h.mu.Unlock()
		if total >= n {
			return got, nil
		}
		if closed {
			return got, fmt.Errorf("vlenstest: WaitDeliveries: %d of %d deliveries: the server is closed", total, n)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, fmt.Errorf("vlenstest: WaitDeliveries: %d of %d deliveries: %w", total, n, ctx.Err())
		}
	}
}

// DropWebhooks loses the next n events, as WebhookDrop loses the first
// ones: each is listed as Dropped, and neither sent nor sent again. It
// adds to the events still to drop. It panics without WithWebhook, and on
// a negative n.
func (s *Server) DropWebhooks(n int) {
	s.addWebhookCount("DropWebhooks", n, func(h *webhooks) { h.drop += n })
}

// DuplicateWebhooks sends each attempt of the next n events twice at once,
// as WebhookDuplicate does for the first ones. It adds to the events still
// to duplicate. It panics without WithWebhook, and on a negative n.
func (s *Server) DuplicateWebhooks(n int) {
	s.addWebhookCount("DuplicateWebhooks", n, func(h *webhooks) { h.duplicate += n })
}

func (s *Server) addWebhookCount(method string, n int, add func(*webhooks)) {
	if s.hooks == nil || n < 0 {
		panic("vlenstest: " + method + ": needs WithWebhook and a count that is not negative")
	}
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	add(s.hooks)
}
