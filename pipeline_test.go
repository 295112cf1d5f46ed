package vlens

// Tests of the request pipeline's defects fixed in the pipeline rework, each
// through the public API.

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens/internal/faultserver"
)

// TestDeadlineBudgetReturnsTheLastAnswer: when the wait plus the time the
// last attempt took no longer fits before the deadline, the call returns the
// last answer at once rather than sleeping into an attempt that cannot finish
// and reporting context.DeadlineExceeded.
func TestDeadlineBudgetReturnsTheLastAnswer(t *testing.T) {
	t.Parallel()
	// On a busy machine the slow attempt itself may overrun its deadline;
	// then the case is tried again with a longer one.
	for _, deadline := range []time.Duration{400 * time.Millisecond, 4 * time.Second} {
		mt, c := setup(t)
		var late atomic.Bool
		mt.RegisterResponder(http.MethodPost, testEndpoint, func(req *http.Request) (*http.Response, error) {
			// Answer when 3/8 of the time is left: a second attempt as
			// slow as this one cannot finish in time.
			d, _ := req.Context().Deadline()
			time.Sleep(time.Until(d) - deadline*3/8)
			late.Store(time.Until(d) <= 0)
			return httpmock.NewStringResponse(503, errorBody(5, "busy")), nil
		})
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()

		_, err := c.CreateAuthSession(ctx, validInput())
		if late.Load() {
			continue
		}
		apiErr := requireAPIError(t, err)
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 503, apiErr.StatusCode)
		assert.Equal(t, 1, apiErr.Attempts)
		assert.Equal(t, 1, mt.GetTotalCallCount())
		assert.NoError(t, ctx.Err(), "returned before the deadline")
		return
	}
	t.Fatal("the machine is too busy: every first attempt overran its deadline")
}

// TestDeadlineBudgetStillRetriesWhenThereIsRoom: a fast failure with plenty
// of time left is retried as usual.
func TestDeadlineBudgetStillRetriesWhenThereIsRoom(t *testing.T) {
	t.Parallel()
	mt, c := setup(t)
	mt.RegisterResponder(http.MethodPost, testEndpoint, sequence(t, reply(503, ""), reply(200, tokenBody("tok"))))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := c.CreateAuthSession(ctx, validInput())
	require.NoError(t, err)
	assert.Equal(t, "tok", s.Token)
}

// TestUnsolicitedSwitchingProtocolsFailsTheAttemptAtOnce: a 101 answer's body
// is the raw connection; reading it would hang until the server closed it,
// past the attempt timeout and the caller's deadline.
func TestUnsolicitedSwitchingProtocolsFailsTheAttemptAtOnce(t *testing.T) {
	t.Parallel()
	srv, err := faultserver.Start(func(_ int, ex *faultserver.Exchange) bool {
		_, _ = ex.Conn.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"))
		<-ex.Done // hold the connection open, as a hostile server would
		return false
	})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	c, err := NewClient(testAPIKey, WithBaseURL(srv.URL()), WithMaxRetries(1),
		WithRetryWait(time.Millisecond, time.Millisecond), WithAttemptTimeout(time.Minute))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	start := time.Now()
	_, err = c.CreateAuthSession(ctx, validInput())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "2 attempt(s) failed")
	assert.Contains(t, err.Error(), "informational answer HTTP 101")
	assert.NoError(t, ctx.Err())
	assert.Less(t, time.Since(start), prompt)
}

func TestNilTransportInTheCallersClientUsesTheDefault(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(envelopeHandler(200, []byte(tokenEnvelope("tok"))))
	t.Cleanup(srv.Close)
	hc := &http.Client{}
	var c *Client
	var err error
	require.NotPanics(t, func() { c, err = NewClient(testAPIKey, WithBaseURL(srv.URL), WithHTTPClient(hc)) })
	require.NoError(t, err)
	s, err := c.CreateAuthSession(context.Background(), validInput())
	require.NoError(t, err)
	assert.Equal(t, "tok", s.Token)
	assert.Nil(t, hc.Transport, "the caller's client is not modified")
}

// TestActivateNonDefaultAfterNewClientTakesEffect: httpmock swaps the
// Transport of the caller's client; the SDK reads it at each call, so the
// swap works whenever it happens.
func TestActivateNonDefaultAfterNewClientTakesEffect(t *testing.T) {
	t.Parallel()
	var realHost atomic.Int64
	real := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		realHost.Add(1)
		_, _ = w.Write([]byte(tokenEnvelope("real")))
	}))
	t.Cleanup(real.Close)
	hc := &http.Client{}
	c, err := NewClient(testAPIKey, WithBaseURL(real.URL), WithHTTPClient(hc))
	require.NoError(t, err)

	httpmock.ActivateNonDefault(hc)
	t.Cleanup(func() { httpmock.DeactivateNonDefault(hc) })
	httpmock.RegisterResponder(http.MethodPost, real.URL+CreateAuthSessionPath,
		httpmock.NewStringResponder(200, tokenEnvelope("mocked")))
	// Registered on the global mock, which ActivateNonDefault installs.

	s, err := c.CreateAuthSession(context.Background(), validInput())
	require.NoError(t, err)
	assert.Equal(t, "mocked", s.Token)
	assert.Zero(t, realHost.Load(), "nothing reached the real host")
}

// TestClientsWithoutHTTPClientShareOnePool: a backend that creates a client
// per tenant key does not pay a pool (and its goroutines) per client.
func TestClientsWithoutHTTPClientShareOnePool(t *testing.T) {
	t.Parallel()
	ln := &countingListener{Listener: newLoopbackListener(t)}
	var closed atomic.Int64
	srv := httptest.NewUnstartedServer(envelopeHandler(200, []byte(tokenEnvelope("tok"))))
	srv.Listener = ln
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	var last *Client
	for i := 0; i < 50; i++ {
		c, err := NewClient("tenant-key-"+string(rune('a'+i%26))+"-0001", WithBaseURL(srv.URL))
		require.NoError(t, err)
		_, err = c.CreateAuthSession(context.Background(), validInput())
		require.NoError(t, err)
		last = c
	}
	assert.EqualValues(t, 1, ln.accepts.Load(), "50 clients, one connection")

	last.CloseIdleConnections()
	require.Eventually(t, func() bool { return closed.Load() == 1 }, 5*time.Second, time.Millisecond,
		"CloseIdleConnections closes the pool's idle connection")
}

func newLoopbackListener(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

// TestCookieJarDoesNotGrowTheCookieHeaderOnRetries: a cookie jar adds its
// cookies to the request in place; each retry starts from the call's own
// headers, so every attempt carries the cookie once.
func TestCookieJarDoesNotGrowTheCookieHeaderOnRetries(t *testing.T) {
	t.Parallel()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	u, _ := url.Parse(DefaultBaseURL)
	jar.SetCookies(u, []*http.Cookie{{Name: "s", Value: "1"}})
	var mu sync.Mutex
	var cookies [][]string
	answers := sequence(t, reply(503, ""), reply(503, ""), reply(200, tokenBody("tok")))
	hc := &http.Client{Jar: jar, Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		cookies = append(cookies, req.Header.Values("Cookie"))
		mu.Unlock()
		return answers(req)
	})}
	c, err := NewClient(testAPIKey, WithHTTPClient(hc), WithRetryWait(time.Millisecond, time.Millisecond))
	require.NoError(t, err)

	_, err = c.CreateAuthSession(context.Background(), validInput())
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"s=1"}, {"s=1"}, {"s=1"}}, cookies)
}

// TestErrorEnvelopeKeepsItsCodeWhateverDataHolds: data is decoded only on
// success, so an error envelope is read in full whatever type data has.
func TestErrorEnvelopeKeepsItsCodeWhateverDataHolds(t *testing.T) {
	t.Parallel()
	for _, data := range []string{`{}`, `[]`, `42`, `true`, `{"token":"x"}`, `"partial"`} {
		t.Run(data, func(t *testing.T) {
			t.Parallel()
			body := `{"data":` + data + `,"error_code":12,"error_message":"blocked","error_descriptions":{"phone":"bad"}}`
			_, _, err := createWith(t, reply(200, body))
			apiErr := requireAPIError(t, err)
			assert.Equal(t, 12, apiErr.Code)
			assert.Equal(t, "blocked", apiErr.Message)
			assert.JSONEq(t, `{"phone":"bad"}`, string(apiErr.Descriptions))
			assert.NotErrorIs(t, err, ErrMalformedResponse)
		})
	}
}

func TestBlankTokenIsMalformed(t *testing.T) {
	t.Parallel()
	for _, data := range []string{`""`, `"   "`, `"\t\n"`, `null`, `{}`, `42`} {
		t.Run(data, func(t *testing.T) {
			t.Parallel()
			_, s, err := createWith(t, reply(200, `{"data":`+data+`,"error_code":null}`))
			assert.Nil(t, s)
			assert.ErrorIs(t, err, ErrMalformedResponse)
		})
	}
}

func TestAPIErrorNamesTheOperationAndKeepsTheHeaders(t *testing.T) {
	t.Parallel()
	_, _, err := createWith(t, reply(422, errorBody(9, "nope"), "X-Request-Id", "req-123"))
	apiErr := requireAPIError(t, err)
	assert.Equal(t, "create auth session", apiErr.Operation)
	assert.Equal(t, "req-123", apiErr.Header.Get("X-Request-Id"))
	assert.True(t, strings.HasPrefix(err.Error(), "vlens: create auth session: HTTP 422"), err.Error())
}

// TestLoggingANilSessionOnTheFailurePath: the usual "session", s, "err", err
// after a failed call logs the error in every handler. The nil session
// shows as <nil> in fmt and as slog's LogValue notice (LogValue has a value
// receiver, so that a session value logs redacted).
func TestLoggingANilSessionOnTheFailurePath(t *testing.T) {
	t.Parallel()
	_, s, err := createWith(t, reply(401, ""))
	require.Error(t, err)
	require.Nil(t, s)
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		assert.NotPanics(t, func() { slog.New(h).Error("vlens call", "session", s, "err", err) })
	}
	assert.Equal(t, 2, strings.Count(buf.String(), "HTTP 401"))

	var nilAPIErr *APIError
	var nilValidation *ValidationError
	assert.NotPanics(t, func() { _ = nilAPIErr.Error(); _ = nilValidation.Error() })
}

// TestSessionValueLogsRedactedInEveryHandler: a session logged by value or
// through a pointer is redacted by LogValue in every handler.
func TestSessionValueLogsRedactedInEveryHandler(t *testing.T) {
	t.Parallel()
	s := AuthSession{Token: "secret-token-value"}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		slog.New(h).Info("minted", "session", s, "ptr", &s)
	}
	assert.NotContains(t, buf.String(), "secret-token-value")
	assert.Contains(t, buf.String(), redacted)
}

// TestBadPerCallUserAgentSendsNothing: a request that could not be sent is
// refused before anything goes out, and never retried.
func TestBadPerCallUserAgentSendsNothing(t *testing.T) {
	t.Parallel()
	mt, c := setup(t)
	mt.RegisterResponder(http.MethodPost, testEndpoint, reply(200, tokenBody("tok")))
	_, err := c.CreateAuthSession(context.Background(), validInput(), WithUserAgent("x\x00y"))
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "WithUserAgent"), err.Error())
	assert.Zero(t, mt.GetTotalCallCount())
	assert.False(t, errors.Is(err, ErrInvalidRequest))
}
