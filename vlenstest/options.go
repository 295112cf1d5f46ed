package vlenstest

import (
	"log/slog"
	"strings"
	"time"

	"github.com/vlens-go/vlens"
)

// TestAPIKey is the API key a Server accepts unless WithAPIKey says
// otherwise. It is a fixed, public value: it only ever opens a fake.
const TestAPIKey = "vlenstest-api-key"

// ServerOption configures a Server. NewServer panics when an option is given
// a value that makes no sense: that is a bug in the test, not a condition to
// handle.
type ServerOption func(*config)

type config struct {
	apiKey    string
	tokenFunc func(vlens.CreateAuthSessionInput) string
	rate      float64
	burst     int
	latency   time.Duration
	logger    *slog.Logger
}

func defaultConfig() config {
	return config{apiKey: TestAPIKey, tokenFunc: randomToken}
}

// WithAPIKey sets the only API key the server accepts (default TestAPIKey).
// It panics on an empty key or one with line breaks.
func WithAPIKey(key string) ServerOption {
	if strings.TrimSpace(key) == "" || strings.ContainsAny(key, "\r\n") {
		panic("vlenstest: WithAPIKey: key must be non-empty and on one line")
	}
	return func(c *config) { c.apiKey = key }
}

// WithTokenFunc makes the server issue the tokens f returns, for example to
// make tests and examples deterministic. f sees the decoded, valid input and
// may be called from many goroutines at once. An empty string makes the
// server answer with data null, the malformed success that the client
// reports as vlens.ErrMalformedResponse. By default tokens are TokenPrefix
// followed by 32 random hex digits, unique and opaque. It panics on nil.
func WithTokenFunc(f func(vlens.CreateAuthSessionInput) string) ServerOption {
	if f == nil {
		panic("vlenstest: WithTokenFunc: func must not be nil")
	}
	return func(c *config) { c.tokenFunc = f }
}

// WithRateLimit limits the endpoint to perSecond requests per second on
// average, with bursts of up to burst requests (a token bucket that starts
// full). A request over the limit is answered with HTTP 429,
// ErrorCodeRateLimited and a Retry-After header giving, in whole seconds
// rounded up and at least 1, the time until a request would be accepted
// again. Every request to the endpoint counts, including ones that then
// fail authentication, as at a gateway. By default there is no limit
// (Vlens's documentation gives 10 per second and 60 per minute per tenant).
// It panics unless perSecond > 0 and burst >= 1.
func WithRateLimit(perSecond float64, burst int) ServerOption {
	if !(perSecond > 0) || burst < 1 {
		panic("vlenstest: WithRateLimit: perSecond must be positive and burst at least 1")
	}
	return func(c *config) { c.rate, c.burst = perSecond, burst }
}

// WithLatency delays every answer, faults included, by d, as a distant
// server would. The delay ends early when the client goes away or the
// server closes. It panics on a negative d.
func WithLatency(d time.Duration) ServerOption {
	if d < 0 {
		panic("vlenstest: WithLatency: must not be negative")
	}
	return func(c *config) { c.latency = d }
}

// WithLogger makes the server log one line per request: method, path,
// status, error_code, whether a fault was served, and duration. It never
// logs headers, bodies or tokens. By default the server logs nothing.
func WithLogger(l *slog.Logger) ServerOption {
	return func(c *config) { c.logger = l }
}
