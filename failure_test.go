package vlens

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens/internal/faultserver"
)

// refusedAddr is a loopback address nothing listens on: a port that was
// just free.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// jsonLogs returns a logger writing JSON lines and a function that returns
// the lines with msg, decoded.
func jsonLogs(t *testing.T) (*slog.Logger, func(msg string) []map[string]any) {
	var logs syncBuffer
	l := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return l, func(msg string) []map[string]any {
		t.Helper()
		var out []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var rec map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
			if rec["msg"] == msg {
				out = append(out, rec)
			}
		}
		return out
	}
}

// TestTransportErrorsSayWhetherVlensMayHaveTheRequest: a refused connection
// surely never reached Vlens; a reset after the server read the request may
// have. Both are transport failures without an answer, and the "call
// failed" line gives the reason. An invitation and a session token alike.
func TestTransportErrorsSayWhetherVlensMayHaveTheRequest(t *testing.T) {
	t.Parallel()
	static := WithAdminTokenSource(tokenSourceFunc(func(context.Context) (string, error) { return "admin-tok", nil }))
	calls := map[string]func(*Client) error{
		"create auth session": func(c *Client) error {
			_, err := c.CreateAuthSession(context.Background(), validInput())
			return err
		},
		"create invitation": func(c *Client) error {
			_, err := c.CreateInvitation(context.Background(), CreateInvitationInput{PhoneNumber: testPhone})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name+": refused dial", func(t *testing.T) {
			t.Parallel()
			logger, lines := jsonLogs(t)
			c, err := NewClient(testAPIKey, WithBaseURL("http://"+refusedAddr(t)), static,
				WithRetryWait(time.Millisecond, time.Millisecond), WithLogger(logger))
			require.NoError(t, err)
			err = call(c)
			assert.ErrorIs(t, err, ErrNotSent)
			assert.ErrorIs(t, err, ErrUnreachable)
			assert.ErrorIs(t, err, syscall.ECONNREFUSED, "the cause is still reachable")
			failed := lines("vlens: call failed")
			require.Len(t, failed, 1)
			assert.Equal(t, "refused", failed[0]["reason"])
			assert.Equal(t, err.Error(), failed[0]["error"])
		})
		t.Run(name+": reset after the request was read", func(t *testing.T) {
			t.Parallel()
			srv, err := faultserver.Start(func(_ int, ex *faultserver.Exchange) bool {
				faultserver.Reset(ex.Conn)
				return false
			})
			require.NoError(t, err)
			t.Cleanup(srv.Close)
			logger, lines := jsonLogs(t)
			c, err := NewClient(testAPIKey, WithBaseURL(srv.URL()), static,
				WithRetryWait(time.Millisecond, time.Millisecond), WithLogger(logger))
			require.NoError(t, err)
			err = call(c)
			require.Error(t, err)
			assert.NotErrorIs(t, err, ErrNotSent, "the server read the request: Vlens may have it")
			assert.ErrorIs(t, err, ErrUnreachable)
			assert.GreaterOrEqual(t, srv.Requests(), 1)
			failed := lines("vlens: call failed")
			require.Len(t, failed, 1)
			assert.Contains(t, []any{"reset", "eof"}, failed[0]["reason"], "a reset reads as either, by timing")
		})
	}
}

// TestNotSentHoldsForTheWholeCall: ErrNotSent says that no attempt of the
// call may have reached Vlens, whatever the last one met; ErrUnreachable
// says the last attempt got no answer.
func TestNotSentHoldsForTheWholeCall(t *testing.T) {
	t.Parallel()
	dialErr := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	refusing := limiterFunc(func(context.Context) error { return errors.New("over the limit") })
	tests := []struct {
		name             string
		answers          []httpmock.Responder
		opts             []Option
		notSent, unreach bool
	}{
		{name: "every dial refused", answers: []httpmock.Responder{httpmock.NewErrorResponder(dialErr),
			httpmock.NewErrorResponder(dialErr), httpmock.NewErrorResponder(dialErr)}, notSent: true, unreach: true},
		{name: "a reset, then refused dials", answers: []httpmock.Responder{httpmock.NewErrorResponder(errors.New("connection reset")),
			httpmock.NewErrorResponder(dialErr), httpmock.NewErrorResponder(dialErr)}, unreach: true},
		{name: "a 503, then refused dials", answers: []httpmock.Responder{reply(503, ""),
			httpmock.NewErrorResponder(dialErr), httpmock.NewErrorResponder(dialErr)}, unreach: true},
		{name: "the limiter refused the first attempt", opts: []Option{WithRateLimiter(refusing)}, notSent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := createWith(t, sequence(t, tt.answers...), tt.opts...)
			require.Error(t, err)
			assert.Equal(t, tt.notSent, errors.Is(err, ErrNotSent), "ErrNotSent: %v", err)
			assert.Equal(t, tt.unreach, errors.Is(err, ErrUnreachable), "ErrUnreachable: %v", err)
		})
	}

	t.Run("the context ended before anything was sent", func(t *testing.T) {
		t.Parallel()
		mt, c := setup(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.CreateAuthSession(ctx, validInput())
		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorIs(t, err, ErrNotSent)
		assert.NotErrorIs(t, err, ErrUnreachable, "the caller's context is not Vlens's fault")
		assert.Zero(t, mt.GetTotalCallCount())
	})
	t.Run("the context ended after an answer", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cancelWhenRetrying := slog.New(onRecord(func(r slog.Record) {
			if r.Message == "vlens: retrying" {
				cancel() // the retry wait sees it
			}
		}))
		mt, c := setup(t, WithRetryWait(time.Hour, time.Hour), WithLogger(cancelWhenRetrying))
		mt.RegisterResponder(http.MethodPost, testEndpoint, reply(503, ""))
		_, err := c.CreateAuthSession(ctx, validInput())
		assert.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, ErrNotSent, "Vlens answered: it has the request")
	})
	t.Run("no admin token: the invitation was never sent", func(t *testing.T) {
		t.Parallel()
		mt, c := setup(t, WithAdminTokenSource(tokenSourceFunc(func(context.Context) (string, error) {
			return "", errors.New("secret store down")
		})))
		_, err := c.CreateInvitation(context.Background(), CreateInvitationInput{PhoneNumber: testPhone})
		assert.ErrorIs(t, err, ErrNoAdminToken)
		assert.ErrorIs(t, err, ErrNotSent)
		assert.NotErrorIs(t, err, ErrUnreachable)
		assert.Zero(t, mt.GetTotalCallCount())
	})
	// An invitation refused with 401 is sent once more with a new token;
	// whatever that second pass does, Vlens answered the first.
	t.Run("a 401, then refused dials", func(t *testing.T) {
		t.Parallel()
		mt, c, _ := readClient(t)
		mt.RegisterResponder(http.MethodPost, DefaultBaseURL+CreateInvitationPath, sequence(t,
			reply(401, errorBody(401, "token revoked")), httpmock.NewErrorResponder(dialErr),
			httpmock.NewErrorResponder(dialErr), httpmock.NewErrorResponder(dialErr)))
		_, err := c.CreateInvitation(context.Background(), CreateInvitationInput{PhoneNumber: testPhone})
		assert.ErrorIs(t, err, ErrUnreachable)
		assert.NotErrorIs(t, err, ErrNotSent, "Vlens answered the first pass")
		assert.Equal(t, 4, mt.GetTotalCallCount())
	})
	t.Run("a 401, then no admin token", func(t *testing.T) {
		t.Parallel()
		calls := 0
		mt, c := setup(t, WithAdminTokenSource(tokenSourceFunc(func(context.Context) (string, error) {
			if calls++; calls > 1 {
				return "", errors.New("secret store down")
			}
			return "admin-bearer-token-0001", nil
		})))
		mt.RegisterResponder(http.MethodPost, DefaultBaseURL+CreateInvitationPath, reply(401, errorBody(401, "token revoked")))
		_, err := c.CreateInvitation(context.Background(), CreateInvitationInput{PhoneNumber: testPhone})
		assert.ErrorIs(t, err, ErrNoAdminToken)
		assert.NotErrorIs(t, err, ErrNotSent, "Vlens answered the first pass")
		assert.Equal(t, 1, mt.GetTotalCallCount())
	})
	t.Run("an answer is neither", func(t *testing.T) {
		t.Parallel()
		_, _, err := createWith(t, reply(401, errorBody(401, "bad key")))
		assert.NotErrorIs(t, err, ErrNotSent)
		assert.NotErrorIs(t, err, ErrUnreachable)
	})
}

// TestNotSentThroughADNSFailure: a name that does not resolve is a dial
// that failed. The resolver fails without touching the network.
func TestNotSentThroughADNSFailure(t *testing.T) {
	t.Parallel()
	resolver := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS server in tests")
	}}
	tr := &http.Transport{DialContext: (&net.Dialer{Resolver: resolver}).DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	logger, lines := jsonLogs(t)
	c, err := NewClient(testAPIKey, WithBaseURL("http://vlens.invalid"), WithInsecureHTTP(), WithMaxRetries(0),
		WithHTTPClient(&http.Client{Transport: tr}), WithLogger(logger))
	require.NoError(t, err)
	_, err = c.CreateAuthSession(context.Background(), validInput())
	var dnsErr *net.DNSError
	assert.ErrorAs(t, err, &dnsErr)
	assert.ErrorIs(t, err, ErrNotSent)
	assert.ErrorIs(t, err, ErrUnreachable)
	failed := lines("vlens: call failed")
	require.Len(t, failed, 1)
	assert.Equal(t, "dns", failed[0]["reason"])
}

// limiterFunc is a Limiter from a function.
type limiterFunc func(context.Context) error

func (f limiterFunc) Wait(ctx context.Context) error { return f(ctx) }

// TestFailureReason: each kind of failure logs under its own word.
func TestFailureReason(t *testing.T) {
	t.Parallel()
	wrapped := func(err error) error { return &sendError{op: "x", err: err, unreachable: true} }
	tests := []struct {
		err  error
		want string
	}{
		{&APIError{StatusCode: 503}, "status"},
		{&APIError{StatusCode: 200, Code: 44}, "error_code"},
		{&APIError{StatusCode: 200, kind: ErrMalformedResponse}, "malformed_response"},
		{&APIError{StatusCode: 200, kind: ErrResponseTooLarge}, "response_too_large"},
		{&sendError{op: "x", err: context.Canceled}, "context_canceled"},
		{&sendError{op: "x", err: context.DeadlineExceeded}, "context_deadline"},
		{&sendError{op: "x", err: &limiterError{err: errors.New("over")}}, "rate_limiter"},
		{&sendError{op: "x", err: &limiterError{err: fmt.Errorf("too late: %w", context.DeadlineExceeded)}}, "rate_limiter"},
		{wrapped(&attemptTimeoutError{timeout: time.Second, cause: context.DeadlineExceeded}), "timeout"},
		{wrapped(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", IsNotFound: true}}), "dns"},
		{wrapped(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), "refused"},
		{wrapped(&net.OpError{Op: "read", Err: syscall.ECONNRESET}), "reset"},
		{wrapped(io.EOF), "eof"},
		{wrapped(io.ErrUnexpectedEOF), "eof"},
		{wrapped(x509.UnknownAuthorityError{}), "tls"},
		{wrapped(&net.OpError{Op: "read", Err: timeoutError{}}), "timeout"},
		{wrapped(errors.New("malformed HTTP response")), "transport"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, failureReason(tt.err), "%v", tt.err)
	}
}

// timeoutError is a net.Error that timed out.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// TestLogLinesAreReadableAsJSON: the JSON handler writes durations as
// milliseconds, and the "call failed" line gives the reason and the error's
// redacted text.
func TestLogLinesAreReadableAsJSON(t *testing.T) {
	t.Parallel()
	logger, lines := jsonLogs(t)
	_, _, err := createWith(t, reply(422, errorBody(9, "the number "+testPhone+" is taken\n")), WithLogger(logger))
	require.Error(t, err)

	failed := lines("vlens: call failed")
	require.Len(t, failed, 1)
	assert.Equal(t, "error_code", failed[0]["reason"])
	assert.Equal(t, "vlens: create auth session: HTTP 422, error_code 9: the number [redacted] is taken", failed[0]["error"])
	assert.NotContains(t, failed[0]["error"], testPhone[1:])
	for _, rec := range append(failed, lines("vlens: answer")...) {
		ms, ok := rec["duration_ms"].(float64)
		require.True(t, ok, "duration_ms is a number: %v", rec)
		assert.Less(t, ms, float64(prompt.Milliseconds()), "milliseconds, not nanoseconds")
		assert.NotContains(t, rec, "duration")
	}
}
