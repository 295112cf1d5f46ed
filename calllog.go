package vlens

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// The call's log lines: go-retryablehttp's log hooks and the outcome.
// Durations are logged as milliseconds, in keys that say so, so that slog's
// JSON handler writes a number a person reads (it writes a time.Duration
// as nanoseconds).

// logAttempt is go-retryablehttp's RequestLogHook: attempt n (from 0) is
// about to go out.
func (cl *call) logAttempt(_ retryablehttp.Logger, _ *http.Request, n int) {
	if l := cl.s.logger; l != nil {
		l.LogAttrs(cl.ctx, slog.LevelDebug, "vlens: attempt",
			slog.String("operation", cl.op.name), slog.Int("attempt", n+1))
	}
}

// logAnswer is go-retryablehttp's ResponseLogHook: an attempt got an answer.
func (cl *call) logAnswer(_ retryablehttp.Logger, resp *http.Response) {
	if l := cl.s.logger; l != nil {
		l.LogAttrs(cl.ctx, slog.LevelDebug, "vlens: answer",
			slog.String("operation", cl.op.name),
			slog.Int("attempt", cl.attempts),
			slog.Int("status", resp.StatusCode),
			millis("duration_ms", time.Since(cl.attemptStart)))
	}
}

// logOutcome logs how the call ended; a failure with its reason (see
// failureReason) and its error's text, which is redacted.
func (cl *call) logOutcome(status int, err error) {
	l := cl.s.logger
	if l == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("operation", cl.op.name),
		slog.Int("attempts", cl.attempts),
		slog.Int("status", status),
		millis("duration_ms", time.Since(cl.start)),
	}
	if err == nil {
		l.LogAttrs(cl.ctx, slog.LevelDebug, "vlens: call succeeded", attrs...)
		return
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		attrs = append(attrs, slog.Int("error_code", apiErr.Code))
	}
	attrs = append(attrs, slog.String("reason", failureReason(err)), slog.String("error", err.Error()))
	l.LogAttrs(cl.ctx, slog.LevelWarn, "vlens: call failed", attrs...)
}

// millis is d as a log attribute: milliseconds, to the microsecond.
func millis(key string, d time.Duration) slog.Attr {
	return slog.Float64(key, float64(d.Microseconds())/1000)
}

// failureReason names the kind of a call's failure in one word, for a log
// line: what Vlens answered ("status", "error_code", "malformed_response",
// "response_too_large"), what ended the call before an answer
// ("context_canceled", "context_deadline", "rate_limiter"), or how the
// transport failed ("timeout", "dns", "refused", "reset", "eof", "tls",
// and "transport" for anything else).
func failureReason(err error) string {
	var (
		apiErr   *APIError
		limitErr *limiterError
		dnsErr   *net.DNSError
		netErr   net.Error
	)
	switch {
	case errors.As(err, &apiErr):
		switch {
		case apiErr.kind == ErrMalformedResponse:
			return "malformed_response"
		case apiErr.kind == ErrResponseTooLarge:
			return "response_too_large"
		case apiErr.Code != 0:
			return "error_code"
		}
		return "status"
	case errors.As(err, &limitErr): // before the context: a limiter's refusal may wrap its errors
		return "rate_limiter"
	case errors.Is(err, context.Canceled):
		return "context_canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "context_deadline"
	case errors.Is(err, ErrAttemptTimeout):
		return "timeout"
	case errors.As(err, &dnsErr):
		return "dns"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case !isTransient(err):
		return "tls" // the only transport failures isTransient rules out, the limiter's aside
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	}
	return "transport"
}
