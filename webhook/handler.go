package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vlens-go/vlens"
)

// HandlerFunc processes one event. ctx is the delivery's request context:
// it ends when Vlens gives up waiting (after 60 s at most), so acknowledge
// fast (put the event on your own queue and return). A nil error
// acknowledges the event (200); an error or a panic answers 500 and lets a
// redelivery run it again.
type HandlerFunc func(ctx context.Context, e *Event) error

// retryAfter is the Retry-After of a 409 or 503: Vlens's platform waits
// longer than this between attempts anyway, so it only tells a person with
// curl what to do.
const retryAfter = "60"

// settleTimeout bounds a Deduper's Done or Release, which run even when the
// delivery's context has ended, so that a run's outcome is not lost with
// the connection.
const settleTimeout = 10 * time.Second

// handler serves deliveries; see NewHandler.
type handler struct {
	fn      HandlerFunc
	auth    func(r *http.Request, body []byte) error // nil with fetch
	fetch   *vlens.Client
	deduper Deduper
	maxBody int64
	logger  *slog.Logger
}

// NewHandler returns an http.Handler that receives Vlens's webhooks and
// runs fn once per event. Each delivery goes through these steps, in order:
//
//  1. The method must be POST (405).
//  2. The body is read up to the limit (WithMaxBodyBytes) and no further
//     (413).
//  3. The delivery is authenticated (401, fn does not run). The body is
//     not parsed before, except by WithAuthenticator's function if it
//     chooses to; WithVerifyByFetching authenticates after step 4, since
//     it needs the request ID.
//  4. The body must be valid JSON with Id and WebhookEvent (400; see
//     Parse). Events of any type go on, so that a type Vlens adds later is
//     acknowledged rather than redelivered.
//  5. The event ID is claimed with the Deduper: an event done already is
//     answered 200 without a run; one whose run is in flight, 409 with
//     Retry-After; a Deduper that fails, 503 with Retry-After.
//  6. fn runs with the delivery's context. An error or a panic (recovered)
//     releases the ID and answers 500, so that a redelivery runs fn again.
//     Otherwise the ID is marked done.
//  7. The answer is 200. It is 200 even when marking the ID done fails
//     (logged): fn did its work, and a redelivery would run it twice. The
//     claim then stays until the Deduper forgets it.
//
// Answers carry the status text only, never the body or an error's text.
// NewHandler returns an error when fn is nil, when an option's value makes
// no sense, and unless exactly one authentication option is given
// (WithSignatureSecret, WithSecretHeader, WithURLToken,
// WithVerifyByFetching, WithAuthenticator or WithoutAuthentication).
func NewHandler(fn HandlerFunc, opts ...Option) (http.Handler, error) {
	if fn == nil {
		return nil, errors.New("webhook: NewHandler: fn must not be nil")
	}
	c := config{maxBody: DefaultMaxBodyBytes}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&c); err != nil {
			return nil, err
		}
	}
	if len(c.auths) != 1 {
		return nil, fmt.Errorf("webhook: NewHandler: exactly one authentication option is required "+
			"(WithSignatureSecret, WithSecretHeader, WithURLToken, WithVerifyByFetching, WithAuthenticator "+
			"or WithoutAuthentication); got %d%s", len(c.auths), listed(c.auths))
	}
	if c.deduper == nil {
		c.deduper = NewMemoryDeduper(DefaultDedupeTTL, DefaultDedupeMax)
	}
	if c.warnNoAuth {
		l := c.logger
		if l == nil {
			l = slog.Default()
		}
		l.Warn("webhook: handler built WithoutAuthentication: anyone who can reach its URL can post events; use it for local development only")
	}
	return &handler{fn: fn, auth: c.auth, fetch: c.fetch, deduper: c.deduper, maxBody: c.maxBody, logger: c.logger}, nil
}

func listed(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return " (" + strings.Join(names, ", ") + ")"
}

// result is how a delivery ended: the answer's status, a word for the log,
// and the error of a Deduper or read-back worth logging.
type result struct {
	status  int
	outcome string
	err     error
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	e, res := h.deliver(w, r)
	switch res.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", http.MethodPost)
	case http.StatusConflict, http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", retryAfter)
	}
	if res.status == http.StatusOK {
		w.WriteHeader(http.StatusOK)
	} else {
		http.Error(w, http.StatusText(res.status), res.status)
	}
	h.log(r.Context(), e, res, time.Since(start))
}

// deliver takes a delivery through NewHandler's steps. It returns the event
// once it is parsed, for the log line.
func (h *handler) deliver(w http.ResponseWriter, r *http.Request) (*Event, result) {
	if r.Method != http.MethodPost {
		return nil, result{status: http.StatusMethodNotAllowed, outcome: "method not allowed"}
	}
	body, res := h.readBody(w, r)
	if res.status != 0 {
		return nil, res
	}
	if h.auth != nil && h.auth(r, body) != nil {
		return nil, result{status: http.StatusUnauthorized, outcome: "unauthenticated"}
	}
	e, err := Parse(body)
	if err != nil {
		return nil, result{status: http.StatusBadRequest, outcome: "malformed"}
	}
	if h.fetch != nil {
		verified, res := h.verify(r.Context(), e)
		if res.status != 0 {
			return e, res
		}
		e = verified
	}
	return e, h.process(r.Context(), e)
}

// readBody reads the body up to the limit and no further: a declared
// length over it is refused unread, and http.MaxBytesReader stops after
// one byte more than the limit (and has the server close the connection
// rather than drain the rest).
func (h *handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, result) {
	tooLarge := result{status: http.StatusRequestEntityTooLarge, outcome: "too large"}
	if r.ContentLength > h.maxBody {
		return nil, tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return nil, tooLarge
	case err != nil:
		return nil, result{status: http.StatusBadRequest, outcome: "body unreadable"}
	}
	return body, result{}
}

// verify reads a status change's request back from Vlens and returns the
// event with Data replaced by what Vlens says now: the request's ID and
// status name without spaces, as a delivery spells it. A non-zero result
// ends the delivery.
func (h *handler) verify(ctx context.Context, e *Event) (*Event, result) {
	if e.Type != TypeBusinessRequestStatusChange {
		return nil, result{status: http.StatusOK, outcome: "unverifiable type acknowledged"}
	}
	c, err := e.StatusChange()
	if err != nil {
		return nil, result{status: http.StatusBadRequest, outcome: "malformed"}
	}
	req, err := h.fetch.GetBusinessRequest(ctx, c.RequestID)
	var apiErr *vlens.APIError
	switch {
	case errors.Is(err, vlens.ErrInvalidRequest), errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound:
		return nil, result{status: http.StatusUnauthorized, outcome: "unverified: no such request", err: err}
	case err != nil:
		return nil, result{status: http.StatusServiceUnavailable, outcome: "read-back failed", err: err}
	}
	name := req.StatusName
	if name == "" {
		name = strconv.Itoa(int(req.Status))
	}
	data, err := json.Marshal(wireStatus{ID: req.ID, NewStatus: strings.Join(strings.Fields(name), "")})
	if err != nil { // strings always marshal
		return nil, result{status: http.StatusInternalServerError, outcome: "read-back failed", err: err}
	}
	verified := *e
	verified.Data = data
	return &verified, result{}
}

// wireStatus is a status change's Data, as the handler writes it after a
// read-back.
type wireStatus struct {
	ID        string `json:"Id"`
	NewStatus string `json:"NewStatus"`
}

// process claims the event, runs fn and settles the claim.
func (h *handler) process(ctx context.Context, e *Event) result {
	ok, err := h.deduper.Claim(ctx, e.ID)
	switch {
	case errors.Is(err, ErrInFlight):
		return result{status: http.StatusConflict, outcome: "in flight"}
	case err != nil:
		return result{status: http.StatusServiceUnavailable, outcome: "deduper failed", err: err}
	case !ok:
		return result{status: http.StatusOK, outcome: "duplicate"}
	}
	outcome := h.run(ctx, e)
	settle, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	if outcome != "" {
		return result{status: http.StatusInternalServerError, outcome: outcome, err: h.deduper.Release(settle, e.ID)}
	}
	if err := h.deduper.Done(settle, e.ID); err != nil {
		return result{status: http.StatusOK, outcome: "processed, marking done failed", err: err}
	}
	return result{status: http.StatusOK, outcome: "processed"}
}

// run runs fn, recovering a panic. It returns "" on success, or how fn
// failed. Neither fn's error nor the panic's value is kept: they are the
// caller's text and may hold what the log must not.
func (h *handler) run(ctx context.Context, e *Event) (failed string) {
	defer func() {
		if recover() != nil {
			failed = "panicked"
		}
	}()
	if h.fn(ctx, e) != nil {
		return "failed"
	}
	return ""
}

// log writes the delivery's line, when the handler has a logger.
func (h *handler) log(ctx context.Context, e *Event, res result, took time.Duration) {
	if h.logger == nil {
		return
	}
	level := slog.LevelInfo
	switch {
	case res.status >= 500:
		level = slog.LevelError
	case res.status >= 400:
		level = slog.LevelWarn
	}
	// The keys are the SDK's: snake_case, and the duration in
	// milliseconds as a number, which slog's JSON handler writes readably.
	attrs := []slog.Attr{slog.String("outcome", res.outcome), slog.Int("status", res.status),
		slog.Float64("duration_ms", float64(took.Microseconds())/1000)}
	if e != nil {
		attrs = append(attrs, slog.String("event_id", e.ID), slog.String("event_type", e.Type), slog.Int("attempt", e.Attempt))
	}
	if res.err != nil {
		attrs = append(attrs, slog.String("error", res.err.Error()))
	}
	h.logger.LogAttrs(ctx, level, "webhook delivery", attrs...)
}
