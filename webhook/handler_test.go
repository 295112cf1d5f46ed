package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vlens-go/vlens/webhook"
)

func TestRedeliveriesRunOnce(t *testing.T) {
	t.Parallel()
	var c runs
	h := newHandler(t, &c, webhook.WithoutAuthentication())
	for attempt := 1; attempt <= 10; attempt++ {
		w := post(h, delivery("evt-once", attempt, "Approved"))
		assert.Equal(t, http.StatusOK, w.Code, "attempt %d", attempt)
	}
	assert.Equal(t, 1, c.count("evt-once"))
}

func TestConcurrentDuplicatesRunOncePerID(t *testing.T) {
	t.Parallel()
	var c runs
	c.fail = func(*webhook.Event) error {
		time.Sleep(time.Millisecond) // keep runs in flight while duplicates arrive
		return nil
	}
	h := newHandler(t, &c, webhook.WithoutAuthentication())
	const ids, deliveries = 100, 1000
	var wg sync.WaitGroup
	var ok, inFlight atomic.Int64
	start := make(chan struct{})
	for i := range deliveries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			switch post(h, delivery(fmt.Sprintf("evt-%03d", i%ids), 1+i/ids, "Approved")).Code {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusConflict:
				inFlight.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	for i := range ids {
		assert.Equal(t, 1, c.count(fmt.Sprintf("evt-%03d", i)), "evt-%03d", i)
	}
	assert.Equal(t, int64(deliveries), ok.Load()+inFlight.Load(), "every answer is 200 or 409")
}

func TestInFlightRedeliveryIsRefusedWithoutRun(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int64
	h, err := webhook.NewHandler(func(context.Context, *webhook.Event) error {
		if calls.Add(1) == 1 {
			close(entered)
			<-release
		}
		return nil
	}, webhook.WithoutAuthentication(), quiet)
	require.NoError(t, err)
	first := make(chan int)
	go func() { first <- post(h, delivery("evt-slow", 1, "Approved")).Code }()
	<-entered
	w := post(h, delivery("evt-slow", 2, "Approved"))
	assert.Equal(t, http.StatusConflict, w.Code)
	assert.Equal(t, "60", w.Header().Get("Retry-After"))
	close(release)
	assert.Equal(t, http.StatusOK, <-first)
	assert.Equal(t, http.StatusOK, post(h, delivery("evt-slow", 3, "Approved")).Code)
	assert.Equal(t, int64(1), calls.Load())
}

func TestFailedRunIsRetriedByRedelivery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fail func(*webhook.Event) error
	}{
		{"error", func(*webhook.Event) error { return errors.New("database down for Mona Ahmed Ali") }},
		{"panic", func(*webhook.Event) error { panic("nil map for Mona Ahmed Ali") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logged bytes.Buffer
			c := runs{fail: tc.fail}
			h := newHandler(t, &c, webhook.WithoutAuthentication(), webhook.WithLogger(slog.New(slog.NewJSONHandler(&logged, nil))))
			w := post(h, delivery("evt-fail", 1, "Approved"))
			assert.Equal(t, http.StatusInternalServerError, w.Code)
			assert.NotContains(t, w.Body.String(), "Mona")

			c.mu.Lock()
			c.fail = nil
			c.mu.Unlock()
			assert.Equal(t, http.StatusOK, post(h, delivery("evt-fail", 2, "Approved")).Code, "the redelivery runs fn again")
			assert.Equal(t, http.StatusOK, post(h, delivery("evt-next", 1, "Approved")).Code, "the next delivery works")
			assert.Equal(t, 2, c.count("evt-fail"))
			assert.Equal(t, 1, c.count("evt-next"))
			assert.NotContains(t, logged.String(), "Mona")
		})
	}
}

func TestUnknownEventTypeIsAcknowledged(t *testing.T) {
	t.Parallel()
	var got *webhook.Event
	h, err := webhook.NewHandler(func(_ context.Context, e *webhook.Event) error { got = e; return nil }, webhook.WithoutAuthentication(), quiet)
	require.NoError(t, err)
	w := post(h, []byte(`{"Id":"evt-new","WebhookEvent":"App.SomethingVlensAddsLater","Attempt":1,"Data":{"Anything":[1,2]}}`))
	assert.Equal(t, http.StatusOK, w.Code)
	require.NotNil(t, got)
	assert.Equal(t, "App.SomethingVlensAddsLater", got.Type)
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestLargeBodyIsRefusedUnread(t *testing.T) {
	t.Parallel()
	const huge = 10 << 20
	for _, tc := range []struct {
		name          string
		limit         int64
		declareLength bool
	}{
		{"default limit, length unknown", webhook.DefaultMaxBodyBytes, false},
		{"default limit, length declared", webhook.DefaultMaxBodyBytes, true},
		{"own limit", 1000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c runs
			opts := []webhook.Option{webhook.WithoutAuthentication()}
			if tc.limit != webhook.DefaultMaxBodyBytes {
				opts = append(opts, webhook.WithMaxBodyBytes(tc.limit))
			}
			h := newHandler(t, &c, opts...)
			body := &countingReader{r: io.MultiReader(strings.NewReader(`{"Id":"evt-big","WebhookEvent":"X","Data":"`), strings.NewReader(strings.Repeat("a", huge)))}
			r := httptest.NewRequest(http.MethodPost, "/hooks/vlens", body)
			r.ContentLength = -1
			if tc.declareLength {
				r.ContentLength = huge + 40
			}
			w := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(w, r)
			assert.Less(t, time.Since(start), time.Second)
			assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
			assert.LessOrEqual(t, body.n.Load(), tc.limit+1, "read past the limit")
			assert.Zero(t, c.total())
		})
	}
}

func TestBodyAtTheLimitIsRead(t *testing.T) {
	t.Parallel()
	var c runs
	body := []byte(`{"Id":"evt-limit","WebhookEvent":"X"}`)
	h := newHandler(t, &c, webhook.WithoutAuthentication(), webhook.WithMaxBodyBytes(int64(len(body))))
	assert.Equal(t, http.StatusOK, post(h, body).Code)
	assert.Equal(t, http.StatusRequestEntityTooLarge, post(h, append(body, ' ')).Code)
}

func TestBadRequestsGetTheirStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		method string
		body   string
		want   int
	}{
		{"GET", http.MethodGet, "", http.StatusMethodNotAllowed},
		{"PUT", http.MethodPut, string(delivery("evt-put", 1, "Approved")), http.StatusMethodNotAllowed},
		{"malformed JSON", http.MethodPost, `{"Id":"evt-bad","FullName":"Mona Ahmed Ali"`, http.StatusBadRequest},
		{"missing Id", http.MethodPost, `{"WebhookEvent":"App.BusinessRequestStatusChange","Data":{"FullName":"Mona Ahmed Ali"}}`, http.StatusBadRequest},
		{"missing WebhookEvent", http.MethodPost, `{"Id":"evt-no-type"}`, http.StatusBadRequest},
		{"empty body", http.MethodPost, "", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c runs
			var logged bytes.Buffer
			h := newHandler(t, &c, webhook.WithoutAuthentication(), webhook.WithLogger(slog.New(slog.NewJSONHandler(&logged, nil))))
			r := httptest.NewRequest(tc.method, "/hooks/vlens", strings.NewReader(tc.body))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, tc.want, w.Code)
			if tc.want == http.StatusMethodNotAllowed {
				assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
			}
			assert.Zero(t, c.total())
			assert.NotContains(t, w.Body.String(), "Mona")
			assert.NotContains(t, logged.String(), "Mona")
		})
	}
}

func TestFnGetsTheRequestContext(t *testing.T) {
	t.Parallel()
	type key struct{}
	var got any
	h, err := webhook.NewHandler(func(ctx context.Context, _ *webhook.Event) error {
		got = ctx.Value(key{})
		return nil
	}, webhook.WithoutAuthentication(), quiet)
	require.NoError(t, err)
	post(h, delivery("evt-ctx", 1, "Approved"), func(r *http.Request) {
		*r = *r.WithContext(context.WithValue(r.Context(), key{}, "from the request"))
	})
	assert.Equal(t, "from the request", got)
}

func TestLogLineShowsNoBodyNorPersonalValue(t *testing.T) {
	t.Parallel()
	var logged bytes.Buffer
	var c runs
	h := newHandler(t, &c, webhook.WithSignatureSecret(testSecret), webhook.WithLogger(slog.New(slog.NewJSONHandler(&logged, nil))))
	body := delivery("evt-log", 4, "Approved")
	w := post(h, body, func(r *http.Request) { r.Header.Set(webhook.SignatureHeader, webhook.SignForTest(testSecret, body)) })
	require.Equal(t, http.StatusOK, w.Code)
	post(h, body) // unsigned: refused
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	require.Len(t, lines, 2, "one line per delivery")
	for _, want := range []string{`"event_id":"evt-log"`, `"event_type":"App.BusinessRequestStatusChange"`, `"attempt":4`, `"outcome":"processed"`, `"status":200`, `"duration_ms":`} {
		assert.Contains(t, lines[0], want)
	}
	assert.Contains(t, lines[1], `"outcome":"unauthenticated"`)
	assert.Contains(t, lines[1], `"status":401`)
	for _, secret := range []string{"Mona", "29901011234567", "3fa85f64", "CreationTimeUtc", testSecret} {
		assert.NotContains(t, logged.String(), secret)
	}
}

func TestSilentWithoutLogger(t *testing.T) {
	var logged bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	defer slog.SetDefault(old)
	var c runs
	h, err := webhook.NewHandler(c.fn, webhook.WithSecretHeader("X-Secret", testSecret))
	require.NoError(t, err)
	post(h, delivery("evt-quiet", 1, "Approved"))
	assert.Empty(t, logged.String())

	h, err = webhook.NewHandler(c.fn, webhook.WithoutAuthentication())
	require.NoError(t, err)
	post(h, delivery("evt-quiet", 1, "Approved"))
	assert.Equal(t, 1, strings.Count(logged.String(), "WithoutAuthentication"), "a warning, once")
}

// failingDeduper fails the step it is told to.
type failingDeduper struct {
	claim, done error
	inner       webhook.Deduper
}

func (d *failingDeduper) Claim(ctx context.Context, id string) (bool, error) {
	if d.claim != nil {
		return false, d.claim
	}
	return d.inner.Claim(ctx, id)
}

func (d *failingDeduper) Done(ctx context.Context, id string) error {
	if d.done != nil {
		return d.done
	}
	return d.inner.Done(ctx, id)
}

func (d *failingDeduper) Release(ctx context.Context, id string) error {
	return d.inner.Release(ctx, id)
}

func TestDeduperFailures(t *testing.T) {
	t.Parallel()
	t.Run("claim fails closed", func(t *testing.T) {
		t.Parallel()
		var c runs
		d := &failingDeduper{claim: errors.New("redis: connection refused"), inner: webhook.NewMemoryDeduper(0, 0)}
		h := newHandler(t, &c, webhook.WithoutAuthentication(), webhook.WithDeduper(d))
		w := post(h, delivery("evt-d", 1, "Approved"))
		assert.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.NotEmpty(t, w.Header().Get("Retry-After"))
		assert.Zero(t, c.total())
	})
	t.Run("done fails after a successful run", func(t *testing.T) {
		t.Parallel()
		var c runs
		d := &failingDeduper{done: errors.New("redis: timeout"), inner: webhook.NewMemoryDeduper(0, 0)}
		h := newHandler(t, &c, webhook.WithoutAuthentication(), webhook.WithDeduper(d))
		assert.Equal(t, http.StatusOK, post(h, delivery("evt-d", 1, "Approved")).Code, "fn did its work")
		assert.Equal(t, http.StatusConflict, post(h, delivery("evt-d", 2, "Approved")).Code, "the claim stays: no second run")
		assert.Equal(t, 1, c.total())
	})
}

func TestNewHandlerOptionErrors(t *testing.T) {
	t.Parallel()
	fn := func(context.Context, *webhook.Event) error { return nil }
	noAuth := webhook.WithoutAuthentication()
	for _, tc := range []struct {
		name string
		fn   webhook.HandlerFunc
		opts []webhook.Option
		want string
	}{
		{"nil fn", nil, []webhook.Option{noAuth}, "fn must not be nil"},
		{"no authentication", fn, nil, "exactly one authentication option is required"},
		{"two authentications", fn, []webhook.Option{webhook.WithURLToken(testSecret), webhook.WithSignatureSecret(testSecret)}, "got 2 (WithURLToken, WithSignatureSecret)"},
		{"bad header name", fn, []webhook.Option{webhook.WithSecretHeader("X Secret", testSecret)}, "WithSecretHeader: name must be a valid HTTP header name"},
		{"short header value", fn, []webhook.Option{webhook.WithSecretHeader("X-Secret", "short")}, "WithSecretHeader: value must be at least 16 bytes"},
		{"short URL token", fn, []webhook.Option{webhook.WithURLToken("short")}, "WithURLToken: token must be at least 16 characters"},
		{"URL token with a slash", fn, []webhook.Option{webhook.WithURLToken("whs_0123456789/abcdef")}, "WithURLToken: token must be"},
		{"short signature secret", fn, []webhook.Option{webhook.WithSignatureSecret("short")}, "WithSignatureSecret: secret must be at least 16 bytes"},
		{"nil client", fn, []webhook.Option{webhook.WithVerifyByFetching(nil)}, "WithVerifyByFetching: client must not be nil"},
		{"nil authenticator", fn, []webhook.Option{webhook.WithAuthenticator(nil)}, "WithAuthenticator: auth must not be nil"},
		{"nil deduper", fn, []webhook.Option{noAuth, webhook.WithDeduper(nil)}, "WithDeduper: deduper must not be nil"},
		{"zero body limit", fn, []webhook.Option{noAuth, webhook.WithMaxBodyBytes(0)}, "WithMaxBodyBytes: must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := webhook.NewHandler(tc.fn, tc.opts...)
			require.Error(t, err)
			assert.Nil(t, h)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "whs_0123")
		})
	}
}
