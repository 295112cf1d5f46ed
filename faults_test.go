package vlens_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/internal/faultserver"
)

// Canaries: values that must never appear in a log line, an error string or
// the fmt output of anything the SDK returns.
const (
	canaryAPIKey    = "canary-apikey-Zq7XwP4rT2"
	canaryPhone     = "+209876501234"
	canaryEmail     = "canary.person+zq7@example.test"
	canaryPublicKey = "MIIBIjANcanaryPUBKEYzq7XwP4r"
	canaryToken     = "canary-token-Zq7XwP4r-session"
)

var canaryInput = vlens.CreateAuthSessionInput{
	PhoneNumber:   canaryPhone,
	Email:         canaryEmail,
	UserPublicKey: canaryPublicKey,
	SessionPermissions: &vlens.SessionPermissions{
		AllowedContractTypeIDs: []int{414},
	},
}

// canaries are matched case-insensitively; the phone also without its '+'.
var canaries = []string{canaryAPIKey, canaryPhone, strings.TrimPrefix(canaryPhone, "+"), canaryEmail, canaryPublicKey, canaryToken}

var tokenBody = `{"data":"` + canaryToken + `","error_code":null,"error_message":null,"error_descriptions":null}`

func envelopeError(code int, msg string) string {
	return fmt.Sprintf(`{"data":null,"error_code":%d,"error_message":%q,"error_descriptions":null}`, code, msg)
}

// outcome kinds.
const (
	gotToken     = "token"
	gotAPIError  = "*APIError"
	gotTransport = "transport error"
	gotContext   = "context error"
)

// faultCase is one row of the matrix. The server answers request n with
// script[n-1] and every later request with a token, so the call after the
// fault (which must succeed) needs no special handling.
type faultCase struct {
	name   string
	script []faultserver.Handler
	opts   []vlens.Option
	// ctx, when set, builds the caller's context for the faulty call;
	// arrived is closed once the server has read the call's first request.
	ctx func(arrived <-chan struct{}) (context.Context, context.CancelFunc)

	want     string        // gotToken, gotAPIError, gotTransport or gotContext
	is       error         // the one sentinel or context error it matches; nil for none
	status   int           // *APIError's StatusCode
	attempts int           // attempts the client made (logged, and APIError.Attempts)
	requests int           // requests the server read; -1 means same as attempts
	within   time.Duration // wall-clock bound on the faulty call
	check    func(t *testing.T, err error)
}

// sentinels is every error the matrix checks matching for.
var sentinels = []error{
	vlens.ErrUnauthorized, vlens.ErrRateLimited, vlens.ErrServer, vlens.ErrInvalidRequest,
	vlens.ErrMalformedResponse, vlens.ErrResponseTooLarge, context.Canceled, context.DeadlineExceeded,
}

func script(hs ...faultserver.Handler) []faultserver.Handler { return hs }

func reply(status int, body string, headers ...string) faultserver.Handler {
	return faultserver.Reply(status, body, headers...)
}

func repeat(n int, h faultserver.Handler) []faultserver.Handler {
	hs := make([]faultserver.Handler, n)
	for i := range hs {
		hs[i] = h
	}
	return hs
}

// closeNow reads the request and closes without sending a byte.
func closeNow(int, *faultserver.Exchange) bool { return false }

// resetAfterHeaders sends the headers of a token answer, then resets.
func resetAfterHeaders(_ int, ex *faultserver.Exchange) bool {
	_, _ = io.WriteString(ex.Conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"da")
	time.Sleep(2 * time.Millisecond) // let the client read the headers first
	faultserver.Reset(ex.Conn)
	return false
}

// truncated promises 200 bytes, sends part of a token answer, and closes.
func truncated(_ int, ex *faultserver.Exchange) bool {
	_, _ = io.WriteString(ex.Conn, "HTTP/1.1 200 OK\r\nContent-Length: 200\r\n\r\n"+tokenBody[:30])
	return false
}

// trickle sends headers, then the body one byte every 5ms.
func trickle(_ int, ex *faultserver.Exchange) bool {
	_, _ = io.WriteString(ex.Conn, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(tokenBody)))
	_ = faultserver.Trickle(ex, []byte(tokenBody), 5*time.Millisecond)
	return false
}

func chunked(body string, final bool) faultserver.Handler {
	return func(_ int, ex *faultserver.Exchange) bool {
		var b strings.Builder
		b.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
		for len(body) > 0 {
			n := min(7, len(body))
			fmt.Fprintf(&b, "%x\r\n%s\r\n", n, body[:n])
			body = body[n:]
		}
		if final {
			b.WriteString("0\r\n\r\n")
		}
		_, err := io.WriteString(ex.Conn, b.String())
		return final && err == nil
	}
}

func redirect(status int, to *faultserver.Server) faultserver.Handler {
	return reply(status, "", "Location: "+to.URL()+"/api/IdentityUserSession/CreateAuthSession")
}

func withTimeout(d time.Duration) func(<-chan struct{}) (context.Context, context.CancelFunc) {
	return func(<-chan struct{}) (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), d)
	}
}

// cancelAfterRequest cancels the context d after the server has read the
// first request, so that the cancellation falls after the attempt was sent
// however long the machine takes to send it.
func cancelAfterRequest(d time.Duration) func(<-chan struct{}) (context.Context, context.CancelFunc) {
	return func(arrived <-chan struct{}) (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		stop := make(chan struct{})
		go func() {
			select {
			case <-arrived:
			case <-stop:
				return
			}
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				cancel()
			case <-stop:
			}
		}()
		return ctx, func() { close(stop); cancel() }
	}
}

// apiErrorThat checks the *APIError in err with f.
func apiErrorThat(f func(t *testing.T, apiErr *vlens.APIError)) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		var apiErr *vlens.APIError
		require.ErrorAs(t, err, &apiErr)
		f(t, apiErr)
	}
}

// assertRetryAfter checks RetryAfter is want, give or take delta. An HTTP
// date is built when the matrix is, before the rows before it ran (which
// take seconds on a busy machine), and has one-second resolution; a
// minute's delta still tells it from a misread one (seconds, time zone).
func assertRetryAfter(want, delta time.Duration) func(*testing.T, error) {
	return apiErrorThat(func(t *testing.T, apiErr *vlens.APIError) {
		assert.InDelta(t, want, apiErr.RetryAfter, float64(delta), "RetryAfter")
	})
}

func retryAfterOver(d time.Duration) func(*testing.T, error) {
	return apiErrorThat(func(t *testing.T, apiErr *vlens.APIError) {
		assert.Greater(t, apiErr.RetryAfter, d, "RetryAfter")
	})
}

func assertErrorIs(target error) func(*testing.T, error) {
	return func(t *testing.T, err error) { assert.ErrorIs(t, err, target) }
}

func assertTimeout(t *testing.T, err error) {
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout(), "got a net.Error that is not a timeout: %v", err)
}

// faultCases is the matrix; docs/reliability.md mirrors it.
func faultCases(stranger *faultserver.Server) []faultCase {
	// fast bounds every faulty call. It is generous: the calls take
	// milliseconds (150ms for the rows with a 50ms per-attempt timeout, 1s
	// for the row with a 1s deadline), and a busy machine adds hundreds of
	// milliseconds, not seconds. Each wrong wait a row can expose is
	// longer: the 10s per-attempt timeout (a hung request whose context
	// ended), a Retry-After of 20s or more, a 15s deadline, an hour.
	const fast = 5 * time.Second
	huge := strings.Repeat("x", 4096)
	return []faultCase{
		{name: "connection refused is retried then a transport error", want: gotTransport, is: nil,
			attempts: 3, requests: 0, within: fast, check: assertErrorIs(syscall.ECONNREFUSED)},
		{name: "accepted then closed before any byte is retried then a transport error",
			script: repeat(3, closeNow), want: gotTransport, attempts: 3, requests: -1, within: fast,
			check: assertErrorIs(io.EOF)},
		{name: "reset after headers is retried then a transport error",
			script: repeat(3, resetAfterHeaders), want: gotTransport, attempts: 3, requests: -1, within: fast,
			check: assertErrorIs(syscall.ECONNRESET)},
		{name: "body truncated before its Content-Length is retried then a transport error",
			script: repeat(3, truncated), want: gotTransport, attempts: 3, requests: -1, within: fast,
			check: assertErrorIs(io.ErrUnexpectedEOF)},
		{name: "chunked body without its last chunk is retried then a transport error",
			script: repeat(3, chunked(tokenBody, false)), want: gotTransport, attempts: 3, requests: -1, within: fast,
			check: assertErrorIs(io.ErrUnexpectedEOF)},
		{name: "slow trickle past the per-attempt timeout is retried then a timeout",
			script: repeat(3, trickle), opts: []vlens.Option{vlens.WithAttemptTimeout(50 * time.Millisecond)},
			want: gotTransport, attempts: 3, requests: -1, within: fast, check: assertTimeout},
		{name: "headers never sent times out each attempt then a timeout",
			script: repeat(3, faultserver.Hang), opts: []vlens.Option{vlens.WithAttemptTimeout(50 * time.Millisecond)},
			want: gotTransport, attempts: 3, requests: -1, within: fast, check: assertTimeout},
		{name: "garbage status line is retried then a transport error",
			script: repeat(3, func(_ int, ex *faultserver.Exchange) bool {
				_, _ = io.WriteString(ex.Conn, "SMTP ready\r\n\r\n")
				return false
			}), want: gotTransport, attempts: 3, requests: -1, within: fast},
		{name: "429 Retry-After 0 seconds then a token",
			script: script(reply(429, envelopeError(429, "slow down"), "Retry-After: 0")),
			want:   gotToken, attempts: 2, requests: -1, within: fast},
		{name: "429 Retry-After 20 seconds over a 10s cap returns at once",
			script: script(reply(429, envelopeError(429, "slow down"), "Retry-After: 20")),
			opts:   []vlens.Option{vlens.WithMaxRetryAfter(10 * time.Second)},
			want:   gotAPIError, is: vlens.ErrRateLimited, status: 429, attempts: 1, requests: -1, within: fast,
			check: apiErrorThat(func(t *testing.T, apiErr *vlens.APIError) {
				assert.Equal(t, 20*time.Second, apiErr.RetryAfter)
				assert.Equal(t, 429, apiErr.Code)
			})},
		{name: "429 Retry-After HTTP date in the past retries at once then a token",
			script: script(reply(429, "", "Retry-After: "+time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))),
			want:   gotToken, attempts: 2, requests: -1, within: fast},
		{name: "429 Retry-After HTTP date an hour ahead returns at once",
			script: script(reply(429, "", "Retry-After: "+time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))),
			want:   gotAPIError, is: vlens.ErrRateLimited, status: 429, attempts: 1, requests: -1, within: fast,
			check: assertRetryAfter(time.Hour, time.Minute)},
		{name: "429 Retry-After garbage falls back to backoff then a token",
			script: script(reply(429, "", "Retry-After: soon, please")),
			want:   gotToken, attempts: 2, requests: -1, within: fast},
		{name: "429 Retry-After huge returns at once",
			script: script(reply(429, "", "Retry-After: 99999999999")),
			want:   gotAPIError, is: vlens.ErrRateLimited, status: 429, attempts: 1, requests: -1, within: fast,
			check: retryAfterOver(100 * 365 * 24 * time.Hour)},
		{name: "429 Retry-After beyond uint64 returns at once",
			script: script(reply(429, "", "Retry-After: 99999999999999999999999999999999")),
			want:   gotAPIError, is: vlens.ErrRateLimited, status: 429, attempts: 1, requests: -1, within: fast,
			check: retryAfterOver(100 * 365 * 24 * time.Hour)},
		{name: "503 storm is retried until exhausted, envelope kept",
			script: repeat(3, reply(503, envelopeError(77, "maintenance"))),
			want:   gotAPIError, is: vlens.ErrServer, status: 503, attempts: 3, requests: -1, within: fast,
			check: apiErrorThat(func(t *testing.T, apiErr *vlens.APIError) {
				assert.Equal(t, 77, apiErr.Code)
				assert.Equal(t, "maintenance", apiErr.Message)
			})},
		{name: "non-JSON 502 is retried until exhausted, excerpt kept",
			script: repeat(3, reply(502, "<html><body>"+huge+"</body></html>", "Content-Type: text/html")),
			want:   gotAPIError, is: vlens.ErrServer, status: 502, attempts: 3, requests: -1, within: fast,
			check: apiErrorThat(func(t *testing.T, apiErr *vlens.APIError) {
				assert.True(t, strings.HasPrefix(apiErr.Message, "<html><body>xxx"), apiErr.Message)
				assert.LessOrEqual(t, len(apiErr.Message), 512)
			})},
		{name: "401 is final", script: script(reply(401, envelopeError(401, "bad key"))),
			want: gotAPIError, is: vlens.ErrUnauthorized, status: 401, attempts: 1, requests: -1, within: fast},
		{name: "301 to another listener is refused, stranger hears nothing", script: script(redirect(301, stranger)),
			want: gotAPIError, status: 301, attempts: 1, requests: -1, within: fast},
		{name: "302 to another listener is refused, stranger hears nothing", script: script(redirect(302, stranger)),
			want: gotAPIError, status: 302, attempts: 1, requests: -1, within: fast},
		{name: "307 to another listener is refused, stranger hears nothing", script: script(redirect(307, stranger)),
			want: gotAPIError, status: 307, attempts: 1, requests: -1, within: fast},
		{name: "308 to another listener is refused, stranger hears nothing", script: script(redirect(308, stranger)),
			want: gotAPIError, status: 308, attempts: 1, requests: -1, within: fast},
		{name: "2xx body over the size limit is final", script: script(reply(200, `{"data":"`+huge+`"}`)),
			opts: []vlens.Option{vlens.WithMaxResponseBytes(1024)},
			want: gotAPIError, is: vlens.ErrResponseTooLarge, status: 200, attempts: 1, requests: -1, within: fast},
		{name: "gzip body inflating past the size limit is final",
			script: script(reply(200, faultserver.Gzip(`{"data":"`+huge+`"}`), "Content-Encoding: gzip")),
			opts:   []vlens.Option{vlens.WithMaxResponseBytes(1024)},
			want:   gotAPIError, is: vlens.ErrResponseTooLarge, status: 200, attempts: 1, requests: -1, within: fast},
		{name: "gzip-encoded token is decoded", script: script(reply(200, faultserver.Gzip(tokenBody), "Content-Encoding: gzip")),
			want: gotToken, attempts: 1, requests: -1, within: fast},
		{name: "chunked token is decoded", script: script(chunked(tokenBody, true)),
			want: gotToken, attempts: 1, requests: -1, within: fast},
		{name: "envelope error on 200 is final and matches no sentinel",
			script: script(reply(200, `{"data":"`+canaryToken+`","error_code":1234,"error_message":"tenant disabled"}`)),
			want:   gotAPIError, status: 200, attempts: 1, requests: -1, within: fast,
			check: apiErrorThat(func(t *testing.T, apiErr *vlens.APIError) {
				assert.Equal(t, 1234, apiErr.Code)
			})},
		{name: "2xx without a token is malformed", script: script(reply(200, `{"data":"","error_code":0}`)),
			want: gotAPIError, is: vlens.ErrMalformedResponse, status: 200, attempts: 1, requests: -1, within: fast},
		{name: "token after a dropped connection and a 503", script: script(closeNow, reply(503, "")),
			want: gotToken, attempts: 3, requests: -1, within: fast},
		{name: "echoed phone, email, key and API key are redacted",
			script: script(reply(422, `{"data":null,"error_code":9,`+
				`"error_message":"user `+canaryPhone+` <`+strings.ToUpper(canaryEmail)+`> key `+canaryPublicKey+` via `+canaryAPIKey+`",`+
				`"error_descriptions":{"phoneNumber":["`+strings.TrimPrefix(canaryPhone, "+")+` is taken"],`+
				`"email":"`+canaryEmail+`","`+canaryPublicKey+`":[`+strings.TrimPrefix(canaryPhone, "+")+`]}}`)),
			want: gotAPIError, is: vlens.ErrInvalidRequest, status: 422, attempts: 1, requests: -1, within: fast},
		{name: "echoes escaped as .NET escapes them are redacted",
			script: script(reply(400, `{"data":null,"error_code":9,"error_message":"canary.person\u002Bzq7@example.test",`+
				`"error_descriptions":{"email":["canary.person\u002Bzq7@example.test is taken"]}}`)),
			want: gotAPIError, is: vlens.ErrInvalidRequest, status: 400, attempts: 1, requests: -1, within: fast},
		{name: "context cancelled during a request ends the call", script: script(faultserver.Hang),
			ctx:  cancelAfterRequest(30 * time.Millisecond),
			want: gotContext, is: context.Canceled, attempts: 1, requests: -1, within: fast},
		{name: "context cancelled during a retry wait ends the call",
			script: script(reply(503, "", "Retry-After: 20")),
			ctx:    cancelAfterRequest(30 * time.Millisecond),
			want:   gotContext, is: context.Canceled, attempts: 1, requests: -1, within: fast},
		{name: "deadline before Retry-After ends returns the answer at once",
			script: script(reply(503, envelopeError(5, "busy"), "Retry-After: 25")),
			ctx:    withTimeout(15 * time.Second),
			want:   gotAPIError, is: vlens.ErrServer, status: 503, attempts: 1, requests: -1, within: fast,
			check: assertRetryAfter(25*time.Second, 0)},
		// The deadline must not pass before the request is sent: a second
		// is far more than a busy machine takes to send it.
		{name: "deadline during a hung request ends the call", script: script(faultserver.Hang),
			ctx:  withTimeout(time.Second),
			want: gotContext, is: context.DeadlineExceeded, attempts: 1, requests: -1, within: fast},
	}
}

// TestFaultMatrix runs every fault case through a real Client against a
// real loopback listener, twice: once with the SDK's own transport and once
// with a caller-supplied *http.Client. Each case checks the outcome, the
// attempts on both sides, the time bound, the secrets canary, that no
// goroutine is left behind, and that the client works for the next call.
//
// The cases run one after another (not in parallel) so that the goroutine
// check sees only this case's goroutines.
func TestFaultMatrix(t *testing.T) {
	for _, mode := range []string{"sdk transport", "caller transport"} {
		t.Run(mode, func(t *testing.T) {
			stranger, err := faultserver.Start(func(int, *faultserver.Exchange) bool {
				t.Error("the redirect target received a request")
				return false
			})
			require.NoError(t, err)
			defer func() {
				stranger.Close()
				assert.Zero(t, stranger.Accepted(), "connections accepted by the redirect target")
				assert.Zero(t, stranger.BytesRead(), "bytes read by the redirect target")
			}()
			for _, tc := range faultCases(stranger) {
				t.Run(tc.name, func(t *testing.T) { runFaultCase(t, tc, mode == "caller transport") })
			}
		})
	}
}

func runFaultCase(t *testing.T, tc faultCase, callerTransport bool) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	arrived := make(chan struct{})
	var arrivedOnce sync.Once
	handler := func(n int, ex *faultserver.Exchange) bool {
		arrivedOnce.Do(func() { close(arrived) })
		if n <= len(tc.script) {
			return tc.script[n-1](n, ex)
		}
		return faultserver.Reply(200, tokenBody)(n, ex)
	}
	var srv *faultserver.Server
	var addr string
	if tc.script == nil && tc.requests == 0 {
		// Connection refused: a port that was just free; the server for
		// the follow-up call starts on it afterwards.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr = ln.Addr().String()
		require.NoError(t, ln.Close())
	} else {
		var err error
		srv, err = faultserver.Start(handler)
		require.NoError(t, err)
		addr = srv.Addr()
	}
	defer func() {
		if srv != nil {
			srv.Close()
		}
	}()

	logs := &vlens.SyncBuffer{}
	opts := []vlens.Option{
		vlens.WithBaseURL("http://" + addr),
		vlens.WithRetryWait(time.Millisecond, 2*time.Millisecond),
		vlens.WithAttemptTimeout(10 * time.Second),
		vlens.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}
	if callerTransport {
		tr := &http.Transport{MaxIdleConnsPerHost: 4}
		defer tr.CloseIdleConnections()
		opts = append(opts, vlens.WithHTTPClient(&http.Client{Transport: tr}))
	}
	client, err := vlens.NewClient(canaryAPIKey, append(opts, tc.opts...)...)
	require.NoError(t, err)

	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if tc.ctx != nil {
		ctx, cancel = tc.ctx(arrived)
	}
	start := time.Now()
	session, err := client.CreateAuthSession(ctx, canaryInput)
	elapsed := time.Since(start)
	cancel()

	// Outcome.
	assert.LessOrEqual(t, elapsed, tc.within, "call took too long")
	var apiErr *vlens.APIError
	switch tc.want {
	case gotToken:
		require.NoError(t, err)
		assert.Equal(t, canaryToken, session.Token)
	case gotAPIError:
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, tc.status, apiErr.StatusCode, "StatusCode")
		assert.Equal(t, tc.attempts, apiErr.Attempts, "APIError.Attempts")
	case gotTransport:
		require.Error(t, err)
		assert.False(t, errors.As(err, &apiErr), "got *APIError, want a transport error: %v", err)
		assert.Contains(t, err.Error(), fmt.Sprintf("%d attempt(s) failed", tc.attempts))
	case gotContext:
		require.Error(t, err)
		assert.False(t, errors.As(err, &apiErr), "got *APIError, want a context error: %v", err)
	}
	var matched []error
	for _, s := range sentinels {
		if errors.Is(err, s) {
			matched = append(matched, s)
		}
	}
	// Only a refused connection surely never reached Vlens; every transport
	// failure is a call without an answer.
	assert.Equal(t, tc.want == gotTransport && tc.requests == 0, errors.Is(err, vlens.ErrNotSent), "ErrNotSent: %v", err)
	assert.Equal(t, tc.want == gotTransport, errors.Is(err, vlens.ErrUnreachable), "ErrUnreachable: %v", err)
	if tc.is == nil {
		assert.Empty(t, matched, "sentinels matched by %v", err)
	} else {
		assert.Equal(t, []error{tc.is}, matched, "sentinels matched by %v", err)
	}
	if tc.check != nil {
		tc.check(t, err)
	}

	// Attempts, as the client logged them.
	assert.Equal(t, tc.attempts, strings.Count(logs.String(), `msg="vlens: attempt"`), "attempts logged")

	// The client works for the next call.
	if srv == nil {
		ln, err := net.Listen("tcp", addr)
		require.NoError(t, err, "re-listening on the refused port")
		srv = faultserver.Serve(ln, handler)
	}
	next, err2 := client.CreateAuthSession(context.Background(), canaryInput)
	require.NoError(t, err2, "the call after the fault")
	assert.Equal(t, canaryToken, next.Token)

	// Requests the server read: the faulty call's, then the next call's.
	wantRequests := tc.requests
	if wantRequests < 0 {
		wantRequests = tc.attempts
	}
	assert.Equal(t, wantRequests+1, srv.Requests(), "requests the server read")

	// Secrets canary over everything the caller or a log reader can see.
	var seen []string
	seen = append(seen, logs.String(), fmt.Sprint(client), fmt.Sprintf("%+v %#v", client, client))
	for _, e := range []error{err, err2} {
		if e != nil {
			seen = append(seen, e.Error(), fmt.Sprintf("%v|%+v|%#v", e, e, e))
		}
	}
	for _, s := range []*vlens.AuthSession{session, next} {
		if s != nil {
			seen = append(seen, fmt.Sprintf("%v|%+v|%#v|%s", s, s, s, s), fmt.Sprintf("%v|%+v|%#v", *s, *s, *s))
		}
	}
	if apiErr != nil {
		seen = append(seen, apiErr.Message, string(apiErr.Descriptions), decodedJSON(apiErr.Descriptions))
		for _, fe := range apiErr.FieldErrors() {
			seen = append(seen, fe.Field, fe.Message)
		}
	}
	assertNoCanary(t, seen...)
}

func assertNoCanary(t *testing.T, texts ...string) {
	t.Helper()
	for _, text := range texts {
		lower := strings.ToLower(text)
		for _, c := range canaries {
			if strings.Contains(lower, strings.ToLower(c)) {
				t.Errorf("canary %q leaked in %q", c, text)
			}
		}
	}
}

// decodedJSON prints raw JSON decoded (numbers as written), so that escaped
// echoes are seen as the caller would see them.
func decodedJSON(raw json.RawMessage) string {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return string(raw)
	}
	return fmt.Sprint(v)
}
