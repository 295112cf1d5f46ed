package vlens

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// Defaults applied by NewClient when no option overrides them.
const (
	defaultMaxRetries       = 2
	defaultRetryWaitMin     = 500 * time.Millisecond
	defaultRetryWaitMax     = 10 * time.Second
	defaultMaxRetryAfter    = 30 * time.Second
	defaultTimeout          = 30 * time.Second
	defaultMaxResponseBytes = 1 << 20

	// maxRetriesLimit bounds WithMaxRetries: with the default waits it already
	// means minutes of retrying, and an SDK should never retry without end.
	maxRetriesLimit = 20
)

// Option configures a Client. Options are applied in order by NewClient; an
// option given a nonsensical value makes NewClient return an error.
type Option func(*settings) error

// settings is what the options write; NewClient turns it into a Client.
type settings struct {
	baseURL          string
	httpClient       *http.Client
	maxRetries       int
	retryWaitMin     time.Duration
	retryWaitMax     time.Duration
	maxRetryAfter    time.Duration
	timeout          time.Duration
	logger           *slog.Logger
	userAgent        string
	maxResponseBytes int64
	limiter          Limiter
}

func defaultSettings() settings {
	return settings{
		baseURL:          DefaultBaseURL,
		maxRetries:       defaultMaxRetries,
		retryWaitMin:     defaultRetryWaitMin,
		retryWaitMax:     defaultRetryWaitMax,
		maxRetryAfter:    defaultMaxRetryAfter,
		timeout:          defaultTimeout,
		maxResponseBytes: defaultMaxResponseBytes,
	}
}

// WithBaseURL sets the scheme and host the client talks to, for example a
// local fake server. The URL must use https, or http on a loopback host
// (localhost, 127.0.0.0/8, ::1); its path must be empty or "/", and it must
// carry no credentials, query or fragment. The default is DefaultBaseURL.
func WithBaseURL(baseURL string) Option {
	return func(s *settings) error {
		s.baseURL = baseURL
		return nil
	}
}

// WithHTTPClient sets the *http.Client used for each attempt; this is how
// tests plug in an httpmock transport and how callers add their own
// transport (proxies, tracing). The SDK works on a shallow copy: it never
// modifies the caller's client, never follows redirects, and never closes
// the caller's idle connections. The client's own Timeout, if any, still
// applies to each attempt; note that Go reports its expiry with an error that
// also matches context.DeadlineExceeded although the caller's context is
// alive, so prefer WithTimeout, whose expiry does not.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("vlens: WithHTTPClient: client must not be nil")
		}
		s.httpClient = hc
		return nil
	}
}

// WithMaxRetries sets how many times a failed attempt is retried (so n+1
// attempts at most). Zero disables retries; the default is 2 and the limit
// is 20. Only transport failures and HTTP 429, 500, 502, 503 and 504 are
// retried.
func WithMaxRetries(n int) Option {
	return func(s *settings) error {
		if n < 0 {
			return errors.New("vlens: WithMaxRetries: must not be negative")
		}
		if n > maxRetriesLimit {
			return errors.New("vlens: WithMaxRetries: must be at most 20")
		}
		s.maxRetries = n
		return nil
	}
}

// WithRetryWait sets the bounds of the backoff between retries when the
// server gives no Retry-After. The wait before retry n (counting from 0) is
// drawn uniformly between min and min·2^(n+1), capped at max. The defaults
// are 500ms and 10s. min must not exceed max, and neither may be negative.
func WithRetryWait(min, max time.Duration) Option {
	return func(s *settings) error {
		if min < 0 || max < 0 {
			return errors.New("vlens: WithRetryWait: waits must not be negative")
		}
		if min > max {
			return errors.New("vlens: WithRetryWait: min must not exceed max")
		}
		s.retryWaitMin, s.retryWaitMax = min, max
		return nil
	}
}

// WithMaxRetryAfter sets the longest Retry-After the client will honour
// (default 30s). When the server asks for a longer wait, the client does not
// wait at all: it returns the *APIError at once, with RetryAfter set to what
// the server asked for.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(s *settings) error {
		if d < 0 {
			return errors.New("vlens: WithMaxRetryAfter: must not be negative")
		}
		s.maxRetryAfter = d
		return nil
	}
}

// WithTimeout bounds each attempt, from sending the request to reading the
// whole response body (default 30s). Zero means no per-attempt timeout: the
// caller's context alone bounds the call.
func WithTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d < 0 {
			return errors.New("vlens: WithTimeout: must not be negative")
		}
		s.timeout = d
		return nil
	}
}

// WithLogger makes the client log each attempt, each retry and each failed
// call to l. Log records carry the attempt number, HTTP status, Vlens
// error_code, wait and duration only: never the API key, the token or the
// user's data. Without this option (or with nil) the client logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		s.logger = l
		return nil
	}
}

// WithUserAgent appends product tokens (for example "myapp/1.2") to the
// SDK's own User-Agent, "vlens-go/<version> go<version>".
func WithUserAgent(ua string) Option {
	return func(s *settings) error {
		if strings.ContainsAny(ua, "\r\n") {
			return errors.New("vlens: WithUserAgent: must not contain line breaks")
		}
		s.userAgent = strings.TrimSpace(ua)
		return nil
	}
}

// WithMaxResponseBytes sets the largest response body the client reads
// (default 1 MiB). A larger body fails the call with ErrResponseTooLarge.
func WithMaxResponseBytes(n int64) Option {
	return func(s *settings) error {
		if n <= 0 {
			return errors.New("vlens: WithMaxResponseBytes: must be positive")
		}
		s.maxResponseBytes = n
		return nil
	}
}

// Limiter paces the client's attempts. Wait blocks until one more request
// may be sent or ctx ends, and returns a non-nil error when the request must
// not be sent. A *rate.Limiter from golang.org/x/time/rate satisfies it as
// is; a fleet of backend replicas sharing one tenant's limit plugs in a
// limiter backed by shared state (Redis, say) with the same method.
type Limiter interface {
	Wait(ctx context.Context) error
}

// WithRateLimiter makes every attempt, retries included, wait on l before it
// is sent, so that the client stays under Vlens's per-tenant rate limit
// (10 requests/s and 60/min, per Vlens's older docs) instead of meeting 429s.
// The wait honours the caller's context and is not part of the per-attempt
// timeout. When Wait returns an error, the call ends at once with that error
// (the context's error if the context ended): nothing is sent, the attempt
// is not counted, and it is not retried. nil (the default) means no limiter;
// a nil pointer inside the interface (a nil *rate.Limiter, say) is an error,
// since its Wait would panic on the first call.
func WithRateLimiter(l Limiter) Option {
	return func(s *settings) error {
		if v := reflect.ValueOf(l); l != nil && v.Kind() == reflect.Pointer && v.IsNil() {
			return errors.New("vlens: WithRateLimiter: limiter is a nil pointer")
		}
		s.limiter = l
		return nil
	}
}
