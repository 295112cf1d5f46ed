package vlens

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewClientRejectsNonsense(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		apiKey string
		opts   []Option
		want   string // a part of the error message
	}{
		{name: "empty API key", apiKey: "", want: "API key"},
		{name: "whitespace API key", apiKey: " \t\n ", want: "API key"},
		{name: "API key with a line break", apiKey: "key\r\nX-Evil: 1", want: "control characters"},
		{name: "API key with a NUL", apiKey: "key\x00rest", want: "control characters"},
		{name: "API key with DEL", apiKey: "key\x7frest", want: "control characters"},
		{name: "API key with an escape", apiKey: "key\x1b[2J", want: "control characters"},
		{name: "base URL that does not parse", opts: []Option{WithBaseURL("https://api vlens.com")}, want: "parse"},
		{name: "base URL with a bad escape", opts: []Option{WithBaseURL("https://api.vlenseg.com/%zz")}, want: "parse"},
		{name: "base URL without scheme", opts: []Option{WithBaseURL("api.vlenseg.com")}, want: "https"},
		{name: "base URL with another scheme", opts: []Option{WithBaseURL("ftp://api.vlenseg.com")}, want: "https"},
		{name: "base URL without host", opts: []Option{WithBaseURL("https://")}, want: "host"},
		{name: "base URL with a query", opts: []Option{WithBaseURL("https://api.vlenseg.com/?a=b")}, want: "query"},
		{name: "base URL with a fragment", opts: []Option{WithBaseURL("https://api.vlenseg.com/#x")}, want: "fragment"},
		{name: "plain http on a public host", opts: []Option{WithBaseURL("http://api.vlenseg.com")}, want: "https"},
		{name: "plain http on a host named like localhost", opts: []Option{WithBaseURL("http://localhost.example.com")}, want: "https"},
		{name: "plain http on a private address", opts: []Option{WithBaseURL("http://10.0.0.1")}, want: "https"},
		{name: "credentials in the base URL", opts: []Option{WithBaseURL("https://user:pass@api.vlenseg.com")}, want: "credentials"},
		{name: "negative retries", opts: []Option{WithMaxRetries(-1)}, want: "WithMaxRetries"},
		{name: "too many retries", opts: []Option{WithMaxRetries(21)}, want: "WithMaxRetries"},
		{name: "negative minimum wait", opts: []Option{WithRetryWait(-time.Millisecond, time.Second)}, want: "WithRetryWait"},
		{name: "negative maximum wait", opts: []Option{WithRetryWait(0, -time.Second)}, want: "WithRetryWait"},
		{name: "minimum wait above maximum", opts: []Option{WithRetryWait(2*time.Second, time.Second)}, want: "WithRetryWait"},
		{name: "negative max Retry-After", opts: []Option{WithMaxRetryAfter(-time.Second)}, want: "WithMaxRetryAfter"},
		{name: "negative timeout", opts: []Option{WithAttemptTimeout(-time.Second)}, want: "WithAttemptTimeout"},
		{name: "zero response limit", opts: []Option{WithMaxResponseBytes(0)}, want: "WithMaxResponseBytes"},
		{name: "negative response limit", opts: []Option{WithMaxResponseBytes(-1)}, want: "WithMaxResponseBytes"},
		{name: "nil HTTP client", opts: []Option{WithHTTPClient(nil)}, want: "WithHTTPClient"},
		{name: "user agent with a line break", opts: []Option{WithUserAgent("app/1\r\nX-Evil: 1")}, want: "WithUserAgent"},
		{name: "user agent with a NUL", opts: []Option{WithUserAgent("app/1\x00")}, want: "WithUserAgent"},
		{name: "user agent with DEL", opts: []Option{WithUserAgent("app/1\x7f")}, want: "WithUserAgent"},
		{name: "plain http off loopback without WithInsecureHTTP", opts: []Option{WithBaseURL("http://vlens-fake:8080")}, want: "WithInsecureHTTP"},
		{name: "nil pointer rate limiter", opts: []Option{WithRateLimiter((*openLimiter)(nil))}, want: "WithRateLimiter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := tt.apiKey
			if key == "" && len(tt.opts) > 0 {
				key = testAPIKey
			}
			var (
				c   *Client
				err error
			)
			require.NotPanics(t, func() { c, err = NewClient(key, tt.opts...) })
			assert.Nil(t, c)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "pass", "never echoes credentials")
			if tt.apiKey != "" && tt.apiKey != " \t\n " {
				assert.NotContains(t, err.Error(), tt.apiKey)
			}
		})
	}
}

func TestNewClientAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     []Option
		endpoint string
	}{
		{name: "defaults", endpoint: testEndpoint},
		{name: "https base URL with a slash", opts: []Option{WithBaseURL("https://api.vlenseg.com/")}, endpoint: testEndpoint},
		{name: "https base URL with a port", opts: []Option{WithBaseURL("https://vlens.internal:8443")},
			endpoint: "https://vlens.internal:8443" + CreateAuthSessionPath},
		{name: "upper-case scheme", opts: []Option{WithBaseURL("HTTPS://api.vlenseg.com")}, endpoint: testEndpoint},
		{name: "plain http on localhost", opts: []Option{WithBaseURL("http://localhost:8080")},
			endpoint: "http://localhost:8080" + CreateAuthSessionPath},
		{name: "plain http on LOCALHOST", opts: []Option{WithBaseURL("http://LOCALHOST")},
			endpoint: "http://LOCALHOST" + CreateAuthSessionPath},
		{name: "plain http on 127.0.0.5", opts: []Option{WithBaseURL("http://127.0.0.5:9000/")},
			endpoint: "http://127.0.0.5:9000" + CreateAuthSessionPath},
		{name: "plain http on [::1]", opts: []Option{WithBaseURL("http://[::1]:8080")},
			endpoint: "http://[::1]:8080" + CreateAuthSessionPath},
		{name: "gateway with a path prefix", opts: []Option{WithBaseURL("https://gw.example.com/vlens")},
			endpoint: "https://gw.example.com/vlens" + CreateAuthSessionPath},
		{name: "gateway with a path prefix and a slash", opts: []Option{WithBaseURL("https://gw.example.com/a/vlens/")},
			endpoint: "https://gw.example.com/a/vlens" + CreateAuthSessionPath},
		{name: "plain http off loopback with WithInsecureHTTP", opts: []Option{WithBaseURL("http://vlens-fake:8080"), WithInsecureHTTP()},
			endpoint: "http://vlens-fake:8080" + CreateAuthSessionPath},
		{name: "user agent with a tab", opts: []Option{WithUserAgent("app/1\tbuild")}, endpoint: testEndpoint},
		{name: "zero timeout", opts: []Option{WithAttemptTimeout(0)}, endpoint: testEndpoint},
		{name: "zero retries and zero waits", opts: []Option{WithMaxRetries(0), WithRetryWait(0, 0), WithMaxRetryAfter(0)}, endpoint: testEndpoint},
		{name: "twenty retries", opts: []Option{WithMaxRetries(20)}, endpoint: testEndpoint},
		{name: "equal waits", opts: []Option{WithRetryWait(time.Second, time.Second)}, endpoint: testEndpoint},
		{name: "nil logger", opts: []Option{WithLogger(nil)}, endpoint: testEndpoint},
		{name: "nil option", opts: []Option{nil}, endpoint: testEndpoint},
		{name: "1 KiB response limit", opts: []Option{WithMaxResponseBytes(1 << 10)}, endpoint: testEndpoint},
		{name: "nil rate limiter", opts: []Option{WithRateLimiter(nil)}, endpoint: testEndpoint},
		{name: "rate limiter", opts: []Option{WithRateLimiter(&openLimiter{})}, endpoint: testEndpoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got string
			hc := &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
				got = req.URL.String()
				return httpmock.NewStringResponse(200, tokenBody("tok")), nil
			})}
			c, err := NewClient(testAPIKey, append(tt.opts, WithHTTPClient(hc))...)
			require.NoError(t, err)
			require.NotNil(t, c)
			_, err = c.CreateAuthSession(context.Background(), validInput())
			require.NoError(t, err)
			assert.Equal(t, tt.endpoint, got)
		})
	}
}

func TestNewClientDefaults(t *testing.T) {
	t.Parallel()
	var deadline time.Time
	var ok bool
	answer := reply(503, "")
	c, err := NewClient(testAPIKey, WithHTTPClient(&http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		deadline, ok = req.Context().Deadline()
		return answer(req)
	})}))
	require.NoError(t, err)
	ctx := context.Background()

	_, err = c.CreateAuthSession(ctx, validInput(), WithRetryWait(0, 0))
	apiErr := requireAPIError(t, err)
	assert.Equal(t, 3, apiErr.Attempts, "two retries by default")
	require.True(t, ok, "each attempt has a deadline")
	assert.InDelta(t, float64(10*time.Second), float64(time.Until(deadline)), float64(time.Second), "10s per attempt")

	// A 429 asking for 31s is over the default 30s cap: returned at once.
	answer = reply(429, "", "Retry-After", "31")
	start := time.Now()
	_, err = c.CreateAuthSession(ctx, validInput())
	apiErr = requireAPIError(t, err)
	assert.Equal(t, 1, apiErr.Attempts)
	assert.Less(t, time.Since(start), prompt)

	// The shared default transport leaves the attempt timeout alone in
	// charge: no response-header timeout that would cut it short.
	assert.Zero(t, sharedTransport().ResponseHeaderTimeout)
	assert.Equal(t, 64, sharedTransport().MaxIdleConnsPerHost)
}

func TestAttemptTimeoutIsExactlyWhatApplies(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{time.Minute, 3 * time.Second} {
		mt, c := setup(t, WithAttemptTimeout(d))
		var deadline time.Time
		mt.RegisterResponder(http.MethodPost, testEndpoint, func(req *http.Request) (*http.Response, error) {
			deadline, _ = req.Context().Deadline()
			return httpmock.NewStringResponse(200, tokenBody("tok")), nil
		})
		_, err := c.CreateAuthSession(context.Background(), validInput())
		require.NoError(t, err)
		assert.InDelta(t, float64(d), float64(time.Until(deadline)), float64(time.Second), "WithAttemptTimeout(%s)", d)
	}
}

func TestZeroTimeoutLeavesTheCallerContextInCharge(t *testing.T) {
	t.Parallel()
	mt, c := setup(t, WithAttemptTimeout(0))
	var deadlineSet bool
	mt.RegisterResponder(http.MethodPost, testEndpoint, func(req *http.Request) (*http.Response, error) {
		_, deadlineSet = req.Context().Deadline()
		return httpmock.NewStringResponse(200, tokenBody("tok")), nil
	})

	_, err := c.CreateAuthSession(context.Background(), validInput())
	require.NoError(t, err)
	assert.False(t, deadlineSet, "no per-attempt deadline")
}

func TestLaterOptionsWin(t *testing.T) {
	t.Parallel()
	_, _, err := createWith(t, reply(503, ""), WithMaxRetries(5), WithMaxRetries(1))
	apiErr := requireAPIError(t, err)
	assert.Equal(t, 2, apiErr.Attempts)
}

// openLimiter is a Limiter that never makes anyone wait.
type openLimiter struct{}

func (*openLimiter) Wait(context.Context) error { return nil }

func TestCallOptionsApplyToThatCallOnly(t *testing.T) {
	t.Parallel()
	mt, c := setup(t, WithMaxRetries(1))
	mt.RegisterResponder(http.MethodPost, testEndpoint, reply(503, ""))
	ctx := context.Background()

	_, err := c.CreateAuthSession(ctx, validInput(), WithMaxRetries(4))
	assert.Equal(t, 5, requireAPIError(t, err).Attempts, "the call's option wins")
	_, err = c.CreateAuthSession(ctx, validInput())
	assert.Equal(t, 2, requireAPIError(t, err).Attempts, "the client's setting is untouched")
	_, err = c.CreateAuthSession(ctx, validInput(), nil, WithMaxRetries(0))
	assert.Equal(t, 1, requireAPIError(t, err).Attempts, "nil options are skipped")
}

func TestCallOptionsThatMakeSensePerCall(t *testing.T) {
	t.Parallel()
	mt, c := setup(t)
	rec := &recorder{}
	var deadline time.Time
	mt.RegisterResponder(http.MethodPost, testEndpoint, rec.wrap(func(req *http.Request) (*http.Response, error) {
		deadline, _ = req.Context().Deadline()
		return httpmock.NewStringResponse(200, tokenBody("a-token-longer-than-the-limit")), nil
	}))
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	limiter := &countingLimiter{}

	_, err := c.CreateAuthSession(context.Background(), validInput(),
		WithAttemptTimeout(time.Minute), WithUserAgent("batch/2"), WithLogger(logger), WithRateLimiter(limiter))
	require.NoError(t, err)
	assert.InDelta(t, float64(time.Minute), float64(time.Until(deadline)), float64(time.Second))
	assert.Contains(t, rec.all()[0].header.Get("User-Agent"), " batch/2")
	assert.Contains(t, logs.String(), "vlens: call succeeded")
	assert.Equal(t, int64(1), limiter.n.Load())

	_, err = c.CreateAuthSession(context.Background(), validInput(), WithMaxResponseBytes(10))
	assert.ErrorIs(t, err, ErrResponseTooLarge)

	_, err = c.CreateAuthSession(context.Background(), validInput())
	require.NoError(t, err, "the limit applied to that call only")
	assert.NotContains(t, rec.all()[2].header.Get("User-Agent"), "batch/2")
	assert.Equal(t, int64(1), limiter.n.Load())
}

func TestOnlyCallOptionsCompileInACall(t *testing.T) {
	t.Parallel()
	clientOnly := map[string]Option{
		"WithBaseURL":          WithBaseURL("https://elsewhere.example.com"),
		"WithHTTPClient":       WithHTTPClient(http.DefaultClient),
		"WithInsecureHTTP":     WithInsecureHTTP(),
		"WithAdminCredentials": WithAdminCredentials(AdminCredentials{TenancyName: "t", UserNameOrEmailAddress: "u", Password: "p"}),
		"WithAdminTokenSource": WithAdminTokenSource(tokenSourceFunc(func(context.Context) (string, error) { return "tok", nil })),
	}
	for name, opt := range clientOnly {
		_, ok := opt.(CallOption)
		assert.False(t, ok, "%s shapes the client: it must not be a CallOption", name)
	}
	perCall := map[string]CallOption{
		"WithMaxRetries":       WithMaxRetries(1),
		"WithRetryWait":        WithRetryWait(time.Millisecond, time.Second),
		"WithMaxRetryAfter":    WithMaxRetryAfter(time.Second),
		"WithAttemptTimeout":   WithAttemptTimeout(time.Second),
		"WithLogger":           WithLogger(nil),
		"WithUserAgent":        WithUserAgent("app/1"),
		"WithMaxResponseBytes": WithMaxResponseBytes(10),
		"WithRateLimiter":      WithRateLimiter(nil),
	}
	for name, opt := range perCall {
		_, err := NewClient(testAPIKey, opt)
		assert.NoError(t, err, "%s is valid in NewClient too", name)
	}
}

func TestBadCallOptionIsRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	mt, c := setup(t)
	mt.RegisterResponder(http.MethodPost, testEndpoint, reply(200, tokenBody("tok")))
	_, err := c.CreateAuthSession(context.Background(), validInput(), WithMaxRetries(-1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "vlens: create auth session: ")
	assert.Contains(t, err.Error(), "WithMaxRetries")
	assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent")
}

// countingLimiter lets every attempt go and counts them.
type countingLimiter struct{ n atomic.Int64 }

func (l *countingLimiter) Wait(context.Context) error {
	l.n.Add(1)
	return nil
}
