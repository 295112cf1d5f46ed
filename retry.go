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
	"net/http/httptrace"
	"strconv"
	"strings"
	"time"
)

// retryPolicy says which failures of an operation may be retried.
type retryPolicy int

const (
	// retrySafe is for reads, which change nothing, and for operations
	// that only mint something the caller uses once (a session token):
	// repeating one at worst mints an unused extra. Transport failures and HTTP 429, 500, 502, 503 and 504 are
	// retried.
	retrySafe retryPolicy = iota
	// retryUnsent is for operations that may create something on Vlens's
	// side (an invitation) or spend something (a refresh token): only what
	// surely never reached Vlens is retried: a connection that could not be
	// made (refused, DNS failure, a dial that timed out), and HTTP 429. Not
	// 503, which a proxy answers after the server behind it processed the
	// request, nor 500, 502, 504, or a reset, EOF or timeout once a
	// connection was made.
	retryUnsent
	// retryLogin is for Login: what retryUnsent retries, and 503, since a
	// login processed twice is harmless. Never 500 or a 4xx: the platform
	// counts a refused login toward locking the user out.
	retryLogin
)

// retryable reports whether an attempt's outcome is worth another try under
// policy p; unsent says the attempt surely never reached Vlens (see
// call.unsent).
func (p retryPolicy) retryable(resp *http.Response, err error, unsent bool) bool {
	switch {
	case p == retrySafe && err != nil:
		return isTransient(err)
	case p == retrySafe:
		return retryableStatus(resp.StatusCode)
	case err != nil:
		return unsent
	}
	return resp.StatusCode == http.StatusTooManyRequests ||
		p == retryLogin && resp.StatusCode == http.StatusServiceUnavailable
}

// How far an attempt got to a connection, as httptrace reports it.
const (
	connUnknown int32 = iota // nothing reported: a transport that does not trace
	connWanted               // Go's transport looked for a connection
	connGot                  // and got one: the request may have been written
)

// unsent reports whether an attempt that failed with err surely never
// reached Vlens: its connection could not be made. A dial error says so
// directly. The per-attempt timeout hides a dial that timed out behind its
// own error, so the call also watches httptrace's GetConn and GotConn: when
// Go's transport looked for a connection and got none, nothing was written.
// A transport that reports neither (httpmock) is judged by its error alone.
// The same judgement, kept over all attempts, is what ErrNotSent reports.
func (cl *call) unsent(err error) bool {
	return dialFailed(err) || cl.conn.Load() == connWanted && isTransient(err)
}

// traced is the call's context with httptrace hooks that record in cl.conn
// how far each attempt got to a connection.
func (cl *call) traced() context.Context {
	return httptrace.WithClientTrace(cl.ctx, &httptrace.ClientTrace{
		GetConn: func(string) { cl.conn.CompareAndSwap(connUnknown, connWanted) },
		GotConn: func(httptrace.GotConnInfo) { cl.conn.Store(connGot) },
	})
}

// dialFailed reports whether err says a connection could not be made
// (refused, DNS failure, the dialer's own timeout).
func dialFailed(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
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
	if ctx.Err() != nil || !cl.op.retry.retryable(resp, err, err != nil && cl.unsent(err)) {
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
			millis("wait_ms", wait))
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
