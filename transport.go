package vlens

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// RoundTrip makes one attempt of the call: it waits on the rate limiter,
// bounds the attempt with the per-attempt timeout (the shorter of
// WithAttemptTimeout and the caller's http.Client.Timeout), and reads the whole body
// (within the size limit) into cl.body before returning, so that a body
// that breaks off is a transport failure the retry policy sees, the timeout
// covers the body, and the connection goes back to the pool at once.
//
// A call deliberately has no CloseIdleConnections method: go-retryablehttp
// calls that on its client when a call fails, and the SDK must not close the
// idle connections of a transport the caller owns, nor empty the shared pool.
func (cl *call) RoundTrip(req *http.Request) (*http.Response, error) {
	parent := req.Context()
	// Go's own transport checks this, but a caller's RoundTripper need not:
	// once the caller's context has ended, nothing more may be sent.
	if err := parent.Err(); err != nil {
		closeBody(req)
		return nil, err
	}
	if cl.s.limiter != nil {
		if err := cl.s.limiter.Wait(parent); err != nil {
			closeBody(req)
			return nil, &limiterError{err: err}
		}
	}
	cl.attempts++
	cl.attemptStart = time.Now()
	ctx, bound := parent, cl.attemptBound()
	if bound > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(parent, bound)
		defer cancel()
		req = req.WithContext(ctx)
	}
	resp, err := cl.base.RoundTrip(req)
	if err == nil {
		err = cl.readBody(resp)
	}
	if err != nil && parent.Err() == nil && ctx.Err() != nil {
		err = &attemptTimeoutError{timeout: bound, cause: err}
	}
	// Whether Vlens may have the request, judged as the retry policy does.
	cl.maybeSent = cl.maybeSent || err == nil || !cl.unsent(err)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// attemptBound is how long one attempt may take: WithAttemptTimeout, or the
// Timeout of the caller's http.Client when that is shorter; 0 for no bound.
// send keeps that Timeout from net/http, which would report its expiry as
// context.DeadlineExceeded while the caller's context is alive.
func (cl *call) attemptBound() time.Duration {
	d := cl.s.attemptTimeout
	if hc := cl.s.httpClient; hc != nil && hc.Timeout > 0 && (d == 0 || hc.Timeout < d) {
		d = hc.Timeout
	}
	return d
}

// readBody reads resp.Body in full, up to the size limit, into cl.body, and
// leaves resp with an empty body; or it closes the body and returns why it
// could not be read. A body over the limit is not an error here: the answer
// keeps its status (a 503 is retried like any other) and decoding reports
// ErrResponseTooLarge.
func (cl *call) readBody(resp *http.Response) error {
	if resp.StatusCode < 200 {
		// net/http handles 100 and 103 itself; anything else informational
		// (an unsolicited 101 Switching Protocols) has a body that is the
		// raw connection, which would be read until the server closed it.
		resp.Body.Close()
		return fmt.Errorf("unexpected informational answer HTTP %d", resp.StatusCode)
	}
	defer resp.Body.Close()
	limit := cl.s.maxResponseBytes
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("reading response body: %w", err)
	}
	// Closing unread what is over the limit costs this one connection;
	// draining an answer of unknown size could cost far more.
	cl.tooLarge = int64(len(body)) > limit
	cl.body = body[:min(int64(len(body)), limit)]
	resp.Body = http.NoBody
	return nil
}

// attemptTimeoutError is an attempt that ran past its bound while the
// caller's context was still alive; it is retried. It matches
// ErrAttemptTimeout. cause, the transport's own error, is kept for the retry
// policy but not unwrapped: it matches context.DeadlineExceeded, which the
// caller must be able to read as "my context ended".
type attemptTimeoutError struct {
	timeout time.Duration
	cause   error
}

func (e *attemptTimeoutError) Error() string {
	return "attempt timed out after " + e.timeout.String()
}

// Timeout reports true, as net.Error timeouts do.
func (e *attemptTimeoutError) Timeout() bool { return true }

// Is makes errors.Is(err, ErrAttemptTimeout) hold.
func (e *attemptTimeoutError) Is(target error) bool { return target == ErrAttemptTimeout }

// limiterError is a Limiter's refusal to let an attempt go out. It ends the
// call without a retry: the limiter has already waited as long as it would.
type limiterError struct {
	err error
}

func (e *limiterError) Error() string { return "waiting for rate limiter: " + e.err.Error() }

func (e *limiterError) Unwrap() error { return e.err }

// closeBody closes an unsent request's body, as a RoundTripper must.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
