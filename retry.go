package vlens

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// newRetryClient configures go-retryablehttp around hc. Its defaults that
// must not reach callers are replaced: the stderr logger, the backoff that
// cannot see the caller's deadline, and the "giving up" error.
func (c *Client) newRetryClient(hc *http.Client) *retryablehttp.Client {
	rc := retryablehttp.NewClient()
	rc.HTTPClient = hc
	rc.Logger = nil
	rc.RetryMax = c.maxRetries
	rc.CheckRetry = checkRetry
	rc.Backoff = waitedInCheckRetry
	rc.ErrorHandler = passLastResponse
	return rc
}

// checkRetry is the whole retry policy. It decides whether the attempt just
// made should be retried and, if so, waits before saying yes.
//
// The wait happens here rather than in go-retryablehttp's Backoff hook
// because Backoff is not given the request when the attempt failed without
// a response, so it cannot know the caller's deadline; here the context is
// at hand, so the client can refuse at once a wait that would end after the
// deadline (returning the last answer) instead of sleeping into it.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr
	}
	st := callFrom(ctx)
	if st == nil || !shouldRetry(resp, err) {
		return false, nil
	}
	c := st.client
	if st.attempts > c.maxRetries {
		return false, nil
	}
	wait, ok := c.retryWait(ctx, resp, st.attempts)
	if !ok {
		return false, nil
	}
	if c.logger != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		c.logger.LogAttrs(ctx, slog.LevelInfo, "vlens: retrying",
			slog.Int("attempt", st.attempts),
			slog.Int("status", status),
			slog.Duration("wait", wait))
	}
	if err := sleep(ctx, wait); err != nil {
		return false, err
	}
	return true, nil
}

// shouldRetry reports whether an attempt's outcome is worth another try:
// transport failures, and HTTP 429, 500, 502, 503 and 504. Any other status,
// and any envelope error, is final.
func shouldRetry(resp *http.Response, err error) bool {
	if err != nil {
		return isTransient(err)
	}
	return retryableStatus(resp.StatusCode)
}

// retryableStatus reports whether an answer with this HTTP status may go
// away on its own: 429, 500, 502, 503 and 504.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// isTransient reports whether a transport failure may go away on its own.
// Certificate and TLS errors do not, and neither does an answer the SDK
// rejected (too large) or a rate limiter's refusal.
func isTransient(err error) bool {
	var (
		limitErr    *limiterError
		apiErr      *APIError
		verifyErr   *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &limitErr), errors.As(err, &apiErr), errors.As(err, &verifyErr), errors.As(err, &unknownAuth),
		errors.As(err, &hostErr), errors.As(err, &invalidErr), errors.As(err, &recordErr):
		return false
	}
	return true
}

// retryWait returns how long to wait before the next attempt, or false when
// the client should stop now: the server asked for a wait longer than
// WithMaxRetryAfter allows, or the wait would end after ctx's deadline.
func (c *Client) retryWait(ctx context.Context, resp *http.Response, attempts int) (time.Duration, bool) {
	wait := backoff(c.retryWaitMin, c.retryWaitMax, attempts-1)
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if ra, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if ra > c.maxRetryAfter {
				return 0, false
			}
			wait = ra
		}
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		return 0, false
	}
	return wait, true
}

// backoff draws the wait before retry n (from 0) uniformly between min and
// min·2^(n+1), capped at max ("full jitter" above a floor).
func backoff(min, max time.Duration, n int) time.Duration {
	upper := max
	if n < 32 {
		if u := min << (n + 1); u > 0 && u < max {
			upper = u
		}
	}
	if upper <= min {
		return min
	}
	return min + rand.N(upper-min+1)
}

// retryAfter parses a Retry-After value: delay-seconds or an HTTP date. A
// date in the past means no wait.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	// A number too large for uint64 is still a request for a (very) long
	// wait, not garbage: ParseUint returns its maximum with ErrRange.
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		const maxSecs = uint64(1<<63-1) / uint64(time.Second)
		if secs > maxSecs {
			secs = maxSecs
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// retryAfterHeader is the wait resp's Retry-After asks for, or 0.
func retryAfterHeader(resp *http.Response, now time.Time) time.Duration {
	d, _ := retryAfter(resp.Header.Get("Retry-After"), now)
	return d
}

// sleep waits for d or until ctx ends, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// waitedInCheckRetry is go-retryablehttp's Backoff hook: zero, because
// checkRetry has already waited.
func waitedInCheckRetry(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return 0 }

// passLastResponse is go-retryablehttp's ErrorHandler. When retries run out
// on a retryable status it passes the last response through, so the caller
// gets that answer as a typed *APIError instead of go-retryablehttp's
// "giving up" error; otherwise it returns the failure as is.
func passLastResponse(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err == nil && resp != nil {
		return resp, nil
	}
	if resp != nil {
		resp.Body.Close()
	}
	return nil, err
}
