package vlens

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// The call's log lines: go-retryablehttp's log hooks and the outcome.

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
			slog.Duration("duration", time.Since(cl.attemptStart)))
	}
}

// logOutcome logs how the call ended.
func (cl *call) logOutcome(status int, err error) {
	l := cl.s.logger
	if l == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("operation", cl.op.name),
		slog.Int("attempts", cl.attempts),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(cl.start)),
	}
	if err == nil {
		l.LogAttrs(cl.ctx, slog.LevelDebug, "vlens: call succeeded", attrs...)
		return
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		attrs = append(attrs, slog.Int("error_code", apiErr.Code))
	}
	l.LogAttrs(cl.ctx, slog.LevelWarn, "vlens: call failed", attrs...)
}
