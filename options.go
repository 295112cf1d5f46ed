package vlens

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Defaults applied by NewClient when no option overrides them.
const (
	defaultMaxRetries       = 2
	defaultRetryWaitMin     = 500 * time.Millisecond
	defaultRetryWaitMax     = 10 * time.Second
	defaultMaxRetryAfter    = 30 * time.Second
	defaultAttemptTimeout   = 10 * time.Second
	defaultMaxResponseBytes = 1 << 20

	// maxRetriesLimit bounds WithMaxRetries: with the default waits it already
	// means minutes of retrying, and an SDK should never retry without end.
	maxRetriesLimit = 20
	// maxResponseBytesLimit bounds WithMaxResponseBytes: a body is held in
	// memory, and no answer of Vlens's comes near.
	maxResponseBytesLimit = 1 << 30
)

// Option configures a Client: NewClient applies options in order, and an
// option given a nonsensical value makes NewClient return an error.
//
// Options that shape the client itself (WithBaseURL, WithHTTPClient,
// WithInsecureHTTP, WithAdminCredentials, WithAdminTokenSource) are plain
// Options. Every other option is a CallOption, which is an Option too, so
// it works in NewClient and in a single call alike.
type Option interface {
	apply(*settings) error
}

// CallOption configures a Client (given to NewClient) or a single call
// (given to an endpoint method after its input, it applies to that call
// only, over the client's own). The types keep the two apart at compile
// time: an option that shapes the client cannot be passed to a call.
type CallOption interface {
	Option
	callOption()
}

// clientOption is an Option that only NewClient takes.
type clientOption func(*settings) error

func (o clientOption) apply(s *settings) error { return o(s) }

// callOption is an Option that a call takes too.
type callOption func(*settings) error

func (o callOption) apply(s *settings) error { return o(s) }

func (callOption) callOption() {}

// settings is what the options write; NewClient keeps the result, and each
// call works on a copy with its own options applied.
type settings struct {
	baseURL          string
	insecureHTTP     bool
	httpClient       *http.Client
	maxRetries       int
	retryWaitMin     time.Duration
	retryWaitMax     time.Duration
	maxRetryAfter    time.Duration
	attemptTimeout   time.Duration
	logger           *slog.Logger
	userAgent        string
	maxResponseBytes int64
	limiter          Limiter
	adminCreds       *AdminCredentials
	adminSource      AdminTokenSource
	pageSize         int // 0 means defaultPageSize
}

func defaultSettings() settings {
	return settings{
		baseURL:          DefaultBaseURL,
		maxRetries:       defaultMaxRetries,
		retryWaitMin:     defaultRetryWaitMin,
		retryWaitMax:     defaultRetryWaitMax,
		maxRetryAfter:    defaultMaxRetryAfter,
		attemptTimeout:   defaultAttemptTimeout,
		maxResponseBytes: defaultMaxResponseBytes,
	}
}

// applyOptions applies opts to s in order, skipping nil options.
func applyOptions[O Option](s *settings, opts []O) error {
	for _, opt := range opts {
		if Option(opt) == nil {
			continue
		}
		if err := opt.apply(s); err != nil {
			return err
		}
	}
	return nil
}

// WithBaseURL sets where the client sends requests: DefaultBaseURL unless
// changed, or for example a local fake server or an API gateway in front of
// Vlens with a path prefix ("https://gw.example.com/vlens"). The URL must use
// https, or http on a loopback host (localhost, 127.0.0.0/8, ::1) unless
// WithInsecureHTTP is also given; it must carry no credentials, query or
// fragment. Client only.
func WithBaseURL(baseURL string) Option {
	return clientOption(func(s *settings) error {
		s.baseURL = baseURL
		return nil
	})
}

// WithInsecureHTTP allows a base URL with plain http on any host, for a fake
// Vlens in docker-compose ("http://vlens-fake:8080"). Never use it against
// Vlens itself: the API key and the user's data would cross the network
// unencrypted. Client only.
func WithInsecureHTTP() Option {
	return clientOption(func(s *settings) error {
		s.insecureHTTP = true
		return nil
	})
}

// WithHTTPClient sets the *http.Client each attempt is made with; this is how
// tests plug in an httpmock transport and how callers add their own transport
// (proxies, tracing). The SDK reads the client's fields at each call and never
// modifies it, so httpmock.ActivateNonDefault works whether it is called
// before or after NewClient. Redirects are never followed, whatever the
// client's CheckRedirect, and the SDK never closes the client's idle
// connections unless Client.CloseIdleConnections is called. The client's own
// Timeout, if any, bounds each attempt as WithAttemptTimeout does (the
// shorter of the two applies) and is reported the same way, as
// ErrAttemptTimeout; it does not bound the rate limiter's wait. A nil
// Transport means the SDK's shared default. Client only.
func WithHTTPClient(hc *http.Client) Option {
	return clientOption(func(s *settings) error {
		if hc == nil {
			return errors.New("vlens: WithHTTPClient: client must not be nil")
		}
		s.httpClient = hc
		return nil
	})
}

// WithMaxRetries sets how many times a failed attempt is retried (so n+1
// attempts at most). Zero disables retries; the default is 2 and the limit
// is 20. Which failures are retried depends on the endpoint (see each
// method).
func WithMaxRetries(n int) CallOption {
	return callOption(func(s *settings) error {
		if n < 0 {
			return errors.New("vlens: WithMaxRetries: must not be negative")
		}
		if n > maxRetriesLimit {
			return errors.New("vlens: WithMaxRetries: must be at most 20")
		}
		s.maxRetries = n
		return nil
	})
}

// WithRetryWait sets the bounds of the backoff between retries. Without a
// Retry-After, the wait before retry n (counting from 0) is drawn uniformly
// between min and min·2^(n+1), capped at max and at what is left of the
// context's deadline. A min of 0 means no floor but the same growth: the
// ceiling is then max/16 before the first retry and doubles up to max. A
// Retry-After is never waited less than min. The defaults are 500ms and 10s.
// min must not exceed max, and neither may be negative; any other values,
// up to math.MaxInt64, are valid. Tests pass a millisecond or two.
func WithRetryWait(min, max time.Duration) CallOption {
	return callOption(func(s *settings) error {
		if min < 0 || max < 0 {
			return errors.New("vlens: WithRetryWait: waits must not be negative")
		}
		if min > max {
			return errors.New("vlens: WithRetryWait: min must not exceed max")
		}
		s.retryWaitMin, s.retryWaitMax = min, max
		return nil
	})
}

// WithMaxRetryAfter sets the longest Retry-After the client will honour
// (default 30s). When the server asks for a longer wait, the client does not
// wait at all: it returns the *APIError at once, with RetryAfter set to what
// the server asked for. Zero honours only a Retry-After of 0 or a date past
// (which still waits the WithRetryWait minimum). It must not be negative.
func WithMaxRetryAfter(d time.Duration) CallOption {
	return callOption(func(s *settings) error {
		if d < 0 {
			return errors.New("vlens: WithMaxRetryAfter: must not be negative")
		}
		s.maxRetryAfter = d
		return nil
	})
}

// WithAttemptTimeout bounds each attempt, from sending the request to reading
// the whole response body (default 10s). It bounds one attempt, not the call:
// bound the whole call with the context. The value given is exactly what
// applies, up to math.MaxInt64; zero means no per-attempt bound, so that only
// the caller's context bounds the call. An attempt that runs out of time
// while the caller's context is alive is retried, and when it is the last
// the error matches ErrAttemptTimeout, not context.DeadlineExceeded.
func WithAttemptTimeout(d time.Duration) CallOption {
	return callOption(func(s *settings) error {
		if d < 0 {
			return errors.New("vlens: WithAttemptTimeout: must not be negative")
		}
		s.attemptTimeout = d
		return nil
	})
}

// WithLogger makes the client log each attempt, each retry and each call's
// outcome to l. Log records carry the operation, attempt number, HTTP status,
// Vlens error_code, wait_ms and duration_ms (milliseconds, as numbers), and
// a failed call's reason (a word: "refused", "reset", "timeout", "status",
// "error_code", …) and error text, which is redacted: never the API key, a
// token or the user's data. Without this option (or with nil) the client
// logs nothing.
func WithLogger(l *slog.Logger) CallOption {
	return callOption(func(s *settings) error {
		s.logger = l
		return nil
	})
}

// WithUserAgent appends product tokens (for example "myapp/1.2") to the SDK's
// own User-Agent, "vlens-go/<version> go<version>". Bytes that net/http would
// refuse in a header (control characters) are an error.
func WithUserAgent(ua string) CallOption {
	return callOption(func(s *settings) error {
		if !validHeaderValue(ua) {
			return errors.New("vlens: WithUserAgent: must not contain control characters")
		}
		s.userAgent = strings.TrimSpace(ua)
		return nil
	})
}

// WithMaxResponseBytes sets the largest response body the client reads
// (default 1 MiB). A larger body fails the call with ErrResponseTooLarge;
// when its status is one the endpoint retries (a 503, say), it is retried
// like any other, and the final error matches that status's sentinel too.
// n must be positive; values above 1 GiB (math.MaxInt64, say) mean 1 GiB.
func WithMaxResponseBytes(n int64) CallOption {
	return callOption(func(s *settings) error {
		if n <= 0 {
			return errors.New("vlens: WithMaxResponseBytes: must be positive")
		}
		s.maxResponseBytes = min(n, maxResponseBytesLimit)
		return nil
	})
}

// Limiter paces the client's attempts. Wait blocks until one more request
// may be sent or ctx ends, and returns a non-nil error when the request must
// not be sent. A *rate.Limiter from golang.org/x/time/rate satisfies it as
// is; Limiters combines several, one per window; a fleet of backend
// replicas sharing one tenant's limit plugs in a limiter backed by shared
// state with the same method.
type Limiter interface {
	Wait(ctx context.Context) error
}

// WithRateLimiter makes every attempt, retries included, wait on l before it
// is sent, so that the client stays under Vlens's per-tenant rate limit
// (10 requests/s and 60/min, per Vlens's older docs) instead of meeting 429s;
// Limiters makes one limiter of a limiter per window, so that l obeys both.
// The wait honours the caller's context and is not part of the per-attempt
// timeout. When Wait returns an error, the call ends at once with that error
// (the context's error if the context ended): nothing is sent, the attempt
// is not counted, and it is not retried. nil (the default) means no limiter;
// a nil pointer inside the interface (a nil *rate.Limiter, say) is an error,
// since its Wait would panic on the first call, and so is a Limiters set
// given no limiter, a nil one or a nil pointer.
func WithRateLimiter(l Limiter) CallOption {
	return callOption(func(s *settings) error {
		if l != nil {
			if err := checkLimiter(l); err != nil {
				return fmt.Errorf("vlens: WithRateLimiter: %w", err)
			}
		}
		s.limiter = l
		return nil
	})
}
