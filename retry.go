package vlens

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryPolicy says which failures of an operation may be retried.
type retryPolicy int

const (
	// retrySafe is for operations that only mint something the caller
	// uses once (a session token): repeating one at worst mints an unused
	// extra. Transport failures and HTTP 429, 500, 502, 503 and 504 are
	// retried.
	retrySafe retryPolicy = iota
	// retryUnprocessed is for operations that may create something on
	// Vlens's side (an invitation, an SMS): only what surely was not
	// processed is retried: a connection that could not be made, and HTTP
	// 429 and 503. Not 500, 502 or 504, nor a reset or EOF after the request
	// may have been sent.
	retryUnprocessed
)

// retryable reports whether an attempt's outcome is worth another try under
// policy p.
func (p retryPolicy) retryable(resp *http.Response, err error) bool {
	if p == retryUnprocessed {
		if err != nil {
			var opErr *net.OpError
			return errors.As(err, &opErr) && opErr.Op == "dial"
		}
		return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable
	}
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
// Certificate and TLS errors do not, and neither does a rate limiter's
// refusal.
func isTransient(err error) bool {
	var (
		limitErr    *limiterError
		verifyErr   *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &limitErr), errors.As(err, &verifyErr), errors.As(err, &unknownAuth),
		errors.As(err, &hostErr), errors.As(err, &invalidErr), errors.As(err, &recordErr):
		return false
	}
	return true
}

// checkRetry is go-retryablehttp's CheckRetry hook: a decision, without
// waiting. It retries what the operation's policy allows, and only while ctx
// is alive and another attempt can still fit before its deadline: the
// shortest wait the backoff may choose plus the time the last attempt took.
// Otherwise the call ends at once with what the last attempt got. ctx counts
// only here: an answer read in full is the call's outcome even when ctx
// ended just after it arrived (a success thrown away would make the caller
// repeat a call that took effect), and failure names ctx when the last
// attempt got no answer. go-retryablehttp's RetryMax counts the attempts.
func (cl *call) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil || !cl.op.retry.retryable(resp, err) {
		return false, nil
	}
	wait := cl.s.retryWaitMin
	if ra, ok := cl.retryAfter(resp); ok {
		if ra > cl.s.maxRetryAfter {
			return false, nil
		}
		wait = max(ra, wait)
	}
	room, limited := cl.room(ctx)
	return !limited || wait <= room, nil
}

// backoff is go-retryablehttp's Backoff hook: the wait before retry n (from
// 0). It is the server's Retry-After on 429 and 503 when present (checkRetry
// has refused one over WithMaxRetryAfter), but never below min, so that a
// Retry-After of 0 or a date past does not bring back-to-back retries; and
// otherwise jitter's draw, with max capped at the room left before the
// deadline.
func (cl *call) backoff(min, max time.Duration, n int, resp *http.Response) time.Duration {
	wait, ok := cl.retryAfter(resp)
	switch {
	case !ok:
		if room, limited := cl.room(cl.ctx); limited && room < max {
			max = room
		}
		wait = jitter(min, max, n)
	case wait < min:
		wait = min
	}
	if l := cl.s.logger; l != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		l.LogAttrs(cl.ctx, slog.LevelInfo, "vlens: retrying",
			slog.String("operation", cl.op.name),
			slog.Int("attempt", cl.attempts),
			slog.Int("status", status),
			slog.Duration("wait", wait))
	}
	return wait
}

// retryAfter is the wait a 429 or 503 answer asks for in Retry-After.
func (cl *call) retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return 0, false
	}
	return retryAfter(resp.Header.Get("Retry-After"), time.Now())
}

// room is how long the call may still wait before its next attempt: the
// time left before ctx's deadline less what the last attempt took, so that
// the next one has as long. limited is false when ctx has no deadline.
func (cl *call) room(ctx context.Context) (room time.Duration, limited bool) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return 0, false
	}
	took := time.Since(cl.attemptStart)
	if cl.attempts == 0 {
		took = 0
	}
	return time.Until(deadline) - took, true
}

// jitter draws the wait before retry n (from 0) uniformly between min and a
// ceiling of min·2^(n+1) capped at max ("full jitter" above a floor). A min
// of 0 means no floor but the same growth: the ceiling then grows from
// max/32, so it is max/16 before the first retry and max by the fifth. No
// value overflows, up to math.MaxInt64.
func jitter(min, max time.Duration, n int) time.Duration {
	base := min
	if base == 0 {
		base = max / 32
	}
	ceiling := max
	if n < 62 && base <= max>>(n+1) {
		ceiling = base << (n + 1)
	}
	if ceiling <= min {
		return min
	}
	return min + rand.N(ceiling-min)
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
