package vlens

import (
	"context"
	"net/http"
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
		{name: "API key with a line break", apiKey: "key\r\nX-Evil: 1", want: "line breaks"},
		{name: "base URL that does not parse", opts: []Option{WithBaseURL("https://api vlens.com")}, want: "parse"},
		{name: "base URL with a bad escape", opts: []Option{WithBaseURL("https://api.vlenseg.com/%zz")}, want: "parse"},
		{name: "base URL without scheme", opts: []Option{WithBaseURL("api.vlenseg.com")}, want: "https"},
		{name: "base URL with another scheme", opts: []Option{WithBaseURL("ftp://api.vlenseg.com")}, want: "https"},
		{name: "base URL without host", opts: []Option{WithBaseURL("https://")}, want: "host"},
		{name: "base URL with a path", opts: []Option{WithBaseURL("https://api.vlenseg.com/api")}, want: "path"},
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
		{name: "negative timeout", opts: []Option{WithTimeout(-time.Second)}, want: "WithTimeout"},
		{name: "zero response limit", opts: []Option{WithMaxResponseBytes(0)}, want: "WithMaxResponseBytes"},
		{name: "negative response limit", opts: []Option{WithMaxResponseBytes(-1)}, want: "WithMaxResponseBytes"},
		{name: "nil HTTP client", opts: []Option{WithHTTPClient(nil)}, want: "WithHTTPClient"},
		{name: "user agent with a line break", opts: []Option{WithUserAgent("app/1\r\nX-Evil: 1")}, want: "WithUserAgent"},
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
			endpoint: "https://vlens.internal:8443" + createAuthSessionPath},
		{name: "upper-case scheme", opts: []Option{WithBaseURL("HTTPS://api.vlenseg.com")}, endpoint: testEndpoint},
		{name: "plain http on localhost", opts: []Option{WithBaseURL("http://localhost:8080")},
			endpoint: "http://localhost:8080" + createAuthSessionPath},
		{name: "plain http on LOCALHOST", opts: []Option{WithBaseURL("http://LOCALHOST")},
			endpoint: "http://LOCALHOST" + createAuthSessionPath},
		{name: "plain http on 127.0.0.5", opts: []Option{WithBaseURL("http://127.0.0.5:9000/")},
			endpoint: "http://127.0.0.5:9000" + createAuthSessionPath},
		{name: "plain http on [::1]", opts: []Option{WithBaseURL("http://[::1]:8080")},
			endpoint: "http://[::1]:8080" + createAuthSessionPath},
		{name: "zero timeout", opts: []Option{WithTimeout(0)}, endpoint: testEndpoint},
		{name: "zero retries and zero waits", opts: []Option{WithMaxRetries(0), WithRetryWait(0, 0), WithMaxRetryAfter(0)}, endpoint: testEndpoint},
		{name: "twenty retries", opts: []Option{WithMaxRetries(20)}, endpoint: testEndpoint},
		{name: "equal waits", opts: []Option{WithRetryWait(time.Second, time.Second)}, endpoint: testEndpoint},
		{name: "nil logger", opts: []Option{WithLogger(nil)}, endpoint: testEndpoint},
		{name: "nil option", opts: []Option{nil}, endpoint: testEndpoint},
		{name: "one-byte response limit", opts: []Option{WithMaxResponseBytes(1)}, endpoint: testEndpoint},
		{name: "nil rate limiter", opts: []Option{WithRateLimiter(nil)}, endpoint: testEndpoint},
		{name: "rate limiter", opts: []Option{WithRateLimiter(&openLimiter{})}, endpoint: testEndpoint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(testAPIKey, tt.opts...)
			require.NoError(t, err)
			require.NotNil(t, c)
			assert.Equal(t, tt.endpoint, c.endpoint)
		})
	}
}

func TestNewClientDefaults(t *testing.T) {
	t.Parallel()
	c, err := NewClient(testAPIKey)
	require.NoError(t, err)
	assert.Equal(t, 2, c.maxRetries)
	assert.Equal(t, 500*time.Millisecond, c.retryWaitMin)
	assert.Equal(t, 10*time.Second, c.retryWaitMax)
	assert.Equal(t, 30*time.Second, c.maxRetryAfter)
	assert.Nil(t, c.logger)
	assert.Nil(t, c.http.Logger, "go-retryablehttp's stderr logger is replaced")
	assert.Equal(t, 2, c.http.RetryMax)

	at, ok := c.http.HTTPClient.Transport.(*attemptTransport)
	require.True(t, ok, "got %T", c.http.HTTPClient.Transport)
	assert.Equal(t, 30*time.Second, at.timeout)
	assert.Equal(t, int64(1<<20), at.maxBytes)
	base, ok := at.base.(*http.Transport)
	require.True(t, ok, "got %T", at.base)
	assert.Equal(t, 30*time.Second, base.ResponseHeaderTimeout, "no attempt hangs on a silent server")
	assert.NotSame(t, http.DefaultTransport, base, "the shared default transport is not modified")
	assert.NotNil(t, c.http.HTTPClient.CheckRedirect)
}

func TestTimeoutOptionShortensTheResponseHeaderTimeout(t *testing.T) {
	t.Parallel()
	c, err := NewClient(testAPIKey, WithTimeout(3*time.Second))
	require.NoError(t, err)
	base := c.http.HTTPClient.Transport.(*attemptTransport).base.(*http.Transport)
	assert.Equal(t, 3*time.Second, base.ResponseHeaderTimeout)

	c, err = NewClient(testAPIKey, WithTimeout(0))
	require.NoError(t, err)
	base = c.http.HTTPClient.Transport.(*attemptTransport).base.(*http.Transport)
	assert.Equal(t, 30*time.Second, base.ResponseHeaderTimeout, "WithTimeout(0) keeps the header timeout")
}

func TestZeroTimeoutLeavesTheCallerContextInCharge(t *testing.T) {
	t.Parallel()
	mt, c := setup(t, WithTimeout(0))
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
