package vlenstest_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
	"github.com/vlens-go/vlens/webhook"
)

// received is one POST a receiver got.
type received struct {
	header http.Header
	body   []byte
}

// attempt is the body's Attempt.
func (r received) attempt(t *testing.T) int {
	t.Helper()
	var v struct{ Attempt int }
	require.NoError(t, json.Unmarshal(r.body, &v))
	return v.Attempt
}

// receiver is a webhook endpoint on loopback that keeps what it receives
// and answers the n-th POST (from 1) with answer.
type receiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []received
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rcv := &receiver{}
	rcv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rcv.mu.Lock()
		rcv.got = append(rcv.got, received{r.Header.Clone(), body})
		n := len(rcv.got)
		rcv.mu.Unlock()
		answer(n, w, r)
	}))
	t.Cleanup(rcv.Close)
	return rcv
}

// status answers every POST with code.
func status(code int) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

// hang answers nothing until the sender gives up.
func hang(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

func (rcv *receiver) received() []received {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	return append([]received(nil), rcv.got...)
}

// waitCtx bounds a wait that only a broken server would reach.
func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// completed completes a new session on srv with status, and returns the
// business request's ID.
func completed(t *testing.T, srv *vlenstest.Server, status vlens.RequestStatus) string {
	t.Helper()
	return srv.CompleteSession(session(t, srv, `{"phoneNumber":"+201234567890"}`), status)
}

// fast are the options that make five attempts take milliseconds.
var fast = []vlenstest.WebhookOption{vlenstest.WebhookRetryWait(time.Millisecond)}

func TestWebhookShape(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, status(http.StatusOK))
	const secret = "webhook-s3cret"
	srv := vlenstest.NewTestServer(t, vlenstest.WithWebhook(rcv.URL+"/hooks/vlens",
		vlenstest.WebhookSecret(secret), vlenstest.WebhookHeader("X-Webhook-Token", "tok-123")))
	id := completed(t, srv, vlens.StatusPendingApproval)

	got, err := srv.WaitDeliveries(waitCtx(t), 1)
	require.NoError(t, err)
	require.Len(t, got, 1)
	posts := rcv.received()
	require.Len(t, posts, 1)
	body := string(posts[0].body)
	shape := regexp.MustCompile(`^\{"Id":"([0-9a-f-]{36})","WebhookEvent":"App\.BusinessRequestStatusChange","Attempt":1,` +
		`"Data":\{"Id":"` + id + `","NewStatus":"PendingApproval"\},"CreationTimeUtc":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z)"\}$`)
	m := shape.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	assert.Regexp(t, uuidPattern, m[1])
	created, err := time.Parse(time.RFC3339Nano, m[2])
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), created, time.Minute)

	h := posts[0].header
	assert.Equal(t, "application/json; charset=utf-8", h.Get("Content-Type"))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(posts[0].body)
	assert.Equal(t, "sha256="+hex.EncodeToString(mac.Sum(nil)), h.Get("abp-webhook-signature"))
	assert.Equal(t, "tok-123", h.Get("X-Webhook-Token"))

	assert.Equal(t, vlenstest.Delivery{EventID: m[1], RequestID: id, NewStatus: "PendingApproval", Attempt: 1,
		Time: got[0].Time, StatusCode: http.StatusOK}, got[0])
	assert.True(t, got[0].Delivered())

	// Each change is an event of its own; setting the same status is none,
	// as a drop, which is listed at once, shows.
	require.NoError(t, srv.SetRequestStatus(id, vlens.StatusApproved))
	_, err = srv.WaitDeliveries(waitCtx(t), 2)
	require.NoError(t, err)
	srv.DropWebhooks(1)
	require.NoError(t, srv.SetRequestStatus(id, vlens.StatusApproved))
	require.Len(t, srv.Deliveries(), 2, "the same status again is no change")
	require.NoError(t, srv.SetRequestStatus(id, vlens.StatusCustomerSigned)) // dropped
	require.NoError(t, srv.SetRequestStatus(id, 7))
	got, err = srv.WaitDeliveries(waitCtx(t), 4)
	require.NoError(t, err)
	var names []string
	ids := map[string]bool{}
	for _, d := range got {
		names = append(names, d.NewStatus)
		ids[d.EventID] = true
	}
	assert.ElementsMatch(t, []string{"PendingApproval", "Approved", "CustomerSigned", "7"}, names,
		"a name without spaces, or the number Vlens does not name")
	assert.Len(t, ids, 4, "a new Id for each event")
	assert.Len(t, rcv.received(), 3)
}

func TestWebhookRedelivery(t *testing.T) {
	t.Parallel()
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL
	refused.Close()
	fives := func(code int) []int { return []int{code, code, code, code, code} }
	tests := []struct {
		name      string
		answer    func(int, http.ResponseWriter, *http.Request)
		url       string        // instead of the receiver's
		timeout   time.Duration // WebhookTimeout, when set
		codes     []int         // the status of each attempt
		wantError string
	}{
		{"500 every time stops at five", status(http.StatusInternalServerError), "", 0, fives(500), ""},
		{"a 3xx is no 2xx", status(http.StatusNotModified), "", 0, fives(304), ""},
		{"no answer within the timeout", hang, "", 10 * time.Millisecond, fives(0), "no answer within 10ms"},
		{"connection refused", nil, refusedURL, 0, fives(0), "connection refused"},
		{"503 twice then 204", func(n int, w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(map[bool]int{true: 503, false: 204}[n <= 2])
		}, "", 0, []int{503, 503, 204}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target := tc.url
			var rcv *receiver
			if target == "" {
				rcv = newReceiver(t, tc.answer)
				target = rcv.URL
			}
			opts := append([]vlenstest.WebhookOption{}, fast...)
			if tc.timeout > 0 {
				opts = append(opts, vlenstest.WebhookTimeout(tc.timeout))
			}
			srv := vlenstest.NewTestServer(t, vlenstest.WithWebhook(target, opts...))
			id := completed(t, srv, vlens.StatusApproved)

			_, err := srv.WaitDeliveries(waitCtx(t), len(tc.codes))
			require.NoError(t, err)
			srv.Close() // waits for any attempt still going
			got := srv.Deliveries()
			require.Len(t, got, len(tc.codes), "%+v", got)
			for i, d := range got {
				assert.Equal(t, i+1, d.Attempt, "Attempt counts up")
				assert.Equal(t, got[0].EventID, d.EventID, "the same Id on every attempt")
				assert.Equal(t, id, d.RequestID)
				assert.Equal(t, "Approved", d.NewStatus)
				assert.Equal(t, tc.codes[i], d.StatusCode, "attempt %d", i+1)
				if tc.wantError != "" {
					assert.Contains(t, d.Error, tc.wantError)
					assert.NotContains(t, d.Error, "http://", "no URL in the error")
				} else {
					assert.Empty(t, d.Error)
				}
			}
			if rcv == nil {
				return
			}
			posts := rcv.received()
			if tc.timeout == 0 { // an attempt that times out may not reach the receiver
				require.Len(t, posts, len(tc.codes))
			}
			for i, p := range posts {
				assert.Equal(t, i+1, p.attempt(t), "Attempt counts up")
				assert.Contains(t, string(p.body), `"Id":"`+got[0].EventID+`"`)
			}
		})
	}
}

func TestWebhookDrop(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, status(http.StatusOK))
	srv := vlenstest.NewTestServer(t, vlenstest.WithWebhook(rcv.URL, append(fast, vlenstest.WebhookDrop(1))...))
	id := completed(t, srv, vlens.StatusPendingApproval)
	got := srv.Deliveries()
	require.Len(t, got, 1, "a dropped event is listed at once")
	assert.True(t, got[0].Dropped)
	assert.Equal(t, []any{id, "PendingApproval", 1, 0}, []any{got[0].RequestID, got[0].NewStatus, got[0].Attempt, got[0].StatusCode})

	require.NoError(t, srv.SetRequestStatus(id, vlens.StatusApproved))
	_, err := srv.WaitDeliveries(waitCtx(t), 2)
	require.NoError(t, err)
	srv.DropWebhooks(2)
	require.NoError(t, srv.SetRequestStatus(id, vlens.StatusRejected))
	require.NoError(t, srv.SetRequestStatus(id, vlens.StatusCustomerSigned))
	srv.Close()

	got = srv.Deliveries()
	require.Len(t, got, 4)
	assert.False(t, got[1].Dropped)
	assert.True(t, got[2].Dropped && got[3].Dropped, "DropWebhooks drops the next ones")
	posts := rcv.received()
	require.Len(t, posts, 1, "only the approval was sent, once")
	assert.Contains(t, string(posts[0].body), `"NewStatus":"Approved"`)
}

func TestWebhookDuplicate(t *testing.T) {
	t.Parallel()
	// Each POST of the first event waits for the other, which only two
	// concurrent POSTs get past; the second is refused, as a receiver
	// refuses an event in flight.
	both := make(chan struct{})
	rcv := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			select {
			case <-both:
			case <-r.Context().Done():
			}
		case 2:
			close(both)
			w.WriteHeader(http.StatusConflict)
		}
	})
	srv := vlenstest.NewTestServer(t, vlenstest.WithWebhook(rcv.URL, vlenstest.WebhookDuplicate(1),
		vlenstest.WebhookSecret("s"), vlenstest.WebhookRetryWait(time.Millisecond)))
	id := completed(t, srv, vlens.StatusPendingApproval)
	_, err := srv.WaitDeliveries(waitCtx(t), 2)
	require.NoError(t, err)
	srv.DuplicateWebhooks(1)
	require.NoError(t, srv.SetRequestStatus(id, vlens.StatusApproved))
	_, err = srv.WaitDeliveries(waitCtx(t), 4)
	require.NoError(t, err)
	require.NoError(t, srv.SetRequestStatus(id, vlens.StatusRejected))
	_, err = srv.WaitDeliveries(waitCtx(t), 5)
	require.NoError(t, err)
	srv.Close()

	got := srv.Deliveries()
	require.Len(t, got, 5, "one 2xx of the two delivers the attempt: %+v", got)
	posts := rcv.received()
	require.Len(t, posts, 5)
	assert.Equal(t, posts[0].body, posts[1].body, "the same attempt twice")
	assert.Equal(t, posts[0].header.Get("abp-webhook-signature"), posts[1].header.Get("abp-webhook-signature"))
	duplicates := 0
	for _, d := range got {
		assert.Equal(t, 1, d.Attempt)
		if d.Duplicate {
			duplicates++
		}
	}
	assert.Equal(t, 2, duplicates, "one of each pair")
	assert.False(t, got[4].Duplicate, "the third event is sent once")
}

// TestCloseStopsWebhooks is not parallel, since goleak sees every
// goroutine of the process.
func TestCloseStopsWebhooks(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	arrived, release := make(chan struct{}, 10), make(chan struct{})
	rcv := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		select { // the second event hangs
		case <-r.Context().Done():
		case <-release: // a failed test's cleanup
		}
	})
	t.Cleanup(func() { close(release) }) // before the receiver's Close
	// Not NewTestServer: a Close that hangs must fail the test, not hang
	// its cleanup.
	srv := vlenstest.NewServer(vlenstest.WithWebhook(rcv.URL, vlenstest.WebhookRetryWait(time.Hour), vlenstest.WebhookTimeout(time.Hour)))
	id := completed(t, srv, vlens.StatusPendingApproval) // refused: redelivered in an hour
	_, err := srv.WaitDeliveries(waitCtx(t), 1)
	require.NoError(t, err)
	require.NoError(t, srv.SetRequestStatus(id, vlens.StatusApproved)) // hangs for an hour
	<-arrived
	<-arrived

	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("Close waits for the redelivery and the hung POST")
	}
	assert.Len(t, srv.Deliveries(), 1, "nothing recorded after Close")
	require.NoError(t, srv.SetRequestStatus(id, vlens.StatusRejected), "a change after Close")
	_, err = srv.WaitDeliveries(waitCtx(t), 2)
	assert.ErrorContains(t, err, "closed", "a wait ends at Close")
	rcv.Close()
	assert.Len(t, rcv.received(), 2)
	goleak.VerifyNone(t, leaks)
}

func TestResetStopsWebhooks(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, status(http.StatusInternalServerError))
	srv := vlenstest.NewTestServer(t, vlenstest.WithWebhook(rcv.URL, vlenstest.WebhookRetryWait(time.Hour), vlenstest.WebhookDrop(5)))
	completed(t, srv, vlens.StatusPendingApproval) // dropped
	srv.Reset()
	assert.Empty(t, srv.Deliveries())

	completed(t, srv, vlens.StatusPendingApproval)
	got, err := srv.WaitDeliveries(waitCtx(t), 1)
	require.NoError(t, err)
	assert.False(t, got[0].Dropped, "Reset forgets the drops to come")
	srv.Reset() // and stops the redelivery due in an hour
	completed(t, srv, vlens.StatusApproved)
	got, err = srv.WaitDeliveries(waitCtx(t), 1)
	require.NoError(t, err)
	assert.Equal(t, "Approved", got[0].NewStatus, "the first event's attempts are forgotten")
}

func TestWebhookControlAndLog(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, status(http.StatusAccepted))
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil))
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint(), vlenstest.WithLogger(logger),
		vlenstest.WithWebhook(rcv.URL+"/hook?token=url-secret", vlenstest.WebhookSecret("sig-secret"),
			vlenstest.WebhookHeader("X-Secret", "header-secret")))
	status, body := controlCall(t, srv, http.MethodPost, vlenstest.ControlCompletePath, `{"token":"`+session(t, srv, `{"email":"a@example.com"}`)+`"}`)
	require.Equal(t, http.StatusOK, status, body)
	var done struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(body), &done))
	status, body = controlCall(t, srv, http.MethodPost, vlenstest.ControlStatusPath, `{"id":"`+done.ID+`","status":"Approved"}`)
	require.Equal(t, http.StatusOK, status, body)
	_, err := srv.WaitDeliveries(waitCtx(t), 2)
	require.NoError(t, err)

	status, body = controlCall(t, srv, http.MethodGet, vlenstest.ControlWebhooksPath, "")
	require.Equal(t, http.StatusOK, status, body)
	var list struct {
		Count      int
		Deliveries []vlenstest.Delivery
	}
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Equal(t, 2, list.Count)
	assert.ElementsMatch(t, []string{"PendingApproval", "Approved"}, []string{list.Deliveries[0].NewStatus, list.Deliveries[1].NewStatus})
	assert.Equal(t, 202, list.Deliveries[0].StatusCode)
	assert.Equal(t, done.ID, list.Deliveries[1].RequestID)
	status, _ = controlCall(t, srv, http.MethodPost, vlenstest.ControlWebhooksPath, "{}")
	assert.Equal(t, http.StatusMethodNotAllowed, status)

	srv.Close()
	logMu.Lock()
	defer logMu.Unlock()
	assert.Equal(t, 2, strings.Count(logs.String(), `msg="vlenstest: webhook"`), logs.String())
	for _, secret := range []string{"url-secret", "sig-secret", "header-secret", "sha256="} {
		assert.NotContains(t, logs.String(), secret)
		assert.NotContains(t, body, secret)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestWebhookErrorHidesTheURL(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	srv := vlenstest.NewTestServer(t, vlenstest.WithWebhook("http://"+addr+"/hook/path-secret?token=query-secret", fast...))
	completed(t, srv, vlens.StatusPendingApproval)
	got, err := srv.WaitDeliveries(waitCtx(t), 1)
	require.NoError(t, err)
	assert.NotEmpty(t, got[0].Error)
	for _, d := range got {
		assert.NotContains(t, d.Error, "secret")
		assert.NotContains(t, d.Error, "/hook")
	}
}

func TestDeliveriesAreBounded(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithWebhook("http://127.0.0.1:1/", vlenstest.WebhookDrop(3)))
	vlenstest.SetMaxRecordedRequests(srv, 2)
	for range 3 {
		completed(t, srv, vlens.StatusPendingApproval)
	}
	got, err := srv.WaitDeliveries(waitCtx(t), 3)
	require.NoError(t, err, "the count includes the one let go")
	require.Len(t, got, 2, "the newest two")
	assert.Equal(t, srv.BusinessRequests()[2].ID, got[1].RequestID)
}

func TestWithoutWebhook(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint())
	completed(t, srv, vlens.StatusApproved)
	assert.Nil(t, srv.Deliveries())
	_, err := srv.WaitDeliveries(context.Background(), 1)
	assert.ErrorContains(t, err, "WithWebhook")
	assert.Panics(t, func() { srv.DropWebhooks(1) })
	assert.Panics(t, func() { srv.DuplicateWebhooks(1) })
	status, body := controlCall(t, srv, http.MethodGet, vlenstest.ControlWebhooksPath, "")
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"count":0,"deliveries":[]}`, body)
}

func TestWebhookOptionsPanicOnNonsense(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(){
		"relative URL":       func() { vlenstest.WithWebhook("/hook") },
		"ftp URL":            func() { vlenstest.WithWebhook("ftp://127.0.0.1/hook") },
		"no host":            func() { vlenstest.WithWebhook("http:///hook") },
		"empty secret":       func() { vlenstest.WebhookSecret("") },
		"bad header name":    func() { vlenstest.WebhookHeader("X Token", "v") },
		"header line break":  func() { vlenstest.WebhookHeader("X-Token", "v\r\nX-Other: w") },
		"signature header":   func() { vlenstest.WebhookHeader("ABP-Webhook-Signature", "sha256=00") },
		"content type":       func() { vlenstest.WebhookHeader("content-type", "text/plain") },
		"zero timeout":       func() { vlenstest.WebhookTimeout(0) },
		"negative wait":      func() { vlenstest.WebhookRetryWait(-time.Second) },
		"negative drop":      func() { vlenstest.WebhookDrop(-1) },
		"negative duplicate": func() { vlenstest.WebhookDuplicate(-1) },
	} {
		assert.Panics(t, f, name)
	}
	srv := vlenstest.NewTestServer(t, vlenstest.WithWebhook("http://127.0.0.1:1/"))
	assert.Panics(t, func() { srv.DropWebhooks(-1) })
}

// TestWebhookReachesTheReceiver delivers to package webhook's handler,
// signed, with a failure first: the fake's format, signature and
// redelivery are what the receiver expects.
func TestWebhookReachesTheReceiver(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var changes []*webhook.StatusChange
	fail := true
	h, err := webhook.NewHandler(func(_ context.Context, e *webhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			fail = false
			return errors.New("try again")
		}
		sc, err := e.StatusChange()
		if err == nil {
			changes = append(changes, sc)
		}
		return err
	}, webhook.WithSignatureSecret("a-secret-of-32-bytes-or-so-long"))
	require.NoError(t, err)
	rcv := httptest.NewServer(h)
	t.Cleanup(rcv.Close)
	srv := vlenstest.NewTestServer(t, vlenstest.WithWebhook(rcv.URL, append(fast, vlenstest.WebhookSecret("a-secret-of-32-bytes-or-so-long"))...))
	id := completed(t, srv, vlens.StatusCustomerSigned)

	got, err := srv.WaitDeliveries(waitCtx(t), 2)
	require.NoError(t, err)
	assert.Equal(t, []int{500, 200}, []int{got[0].StatusCode, got[1].StatusCode})
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, changes, 1)
	assert.Equal(t, id, changes[0].RequestID)
	assert.Equal(t, vlens.StatusCustomerSigned, changes[0].NewStatus)
}
