package vlenstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// MaxQueuedFaults is the most faults a Server holds queued at once, so that
// a long-running fake scripted over HTTP cannot be made to grow without
// bound. Enqueue panics beyond it (a test that queues this many has a bug);
// the control endpoint answers 413.
const MaxQueuedFaults = 10000

// Fault replaces the server's answer to one request (see Server.Enqueue).
//
// The fields combine: Processed comes first, then Delay, then Drop, or else
// the answer built from the rest. A Fault with neither Status, ErrorCode,
// RawBody nor Drop only delays the normal answer. Otherwise the answer is:
//
//   - RawBody, sent as is with Content-Type text/html when it starts with
//     '<' and application/json otherwise;
//   - else an envelope with ErrorCode and ErrorMessage (and
//     ErrorDescriptions). Without an ErrorCode, a non-2xx Status gets the
//     fake's code for it (9000 plus the status) and its status text, and a
//     2xx Status gets an envelope with no token and no error, which the
//     client reports as vlens.ErrMalformedResponse.
//
// Status defaults to 200 (Vlens reports envelope errors on HTTP 200).
type Fault struct {
	// Status is the HTTP status of the answer; 0 means 200.
	Status int
	// ErrorCode and ErrorMessage fill the envelope's error_code and
	// error_message.
	ErrorCode    int
	ErrorMessage string
	// ErrorDescriptions fills the envelope's error_descriptions.
	ErrorDescriptions json.RawMessage
	// RawBody, when set, is the whole body instead of an envelope, such as
	// a proxy's HTML error page.
	RawBody string
	// RetryAfter, when positive, is sent as a Retry-After header in whole
	// seconds, rounded up.
	RetryAfter time.Duration
	// Header holds extra headers for the answer, set after the others and
	// winning over them (for example "Retry-After: 0", an HTTP date, or a
	// Content-Type).
	Header http.Header
	// Delay holds the answer back this long. It ends early when the client
	// goes away or the server closes.
	Delay time.Duration
	// Drop closes the connection without answering, after Delay.
	Drop bool
	// Processed has the server process the request as usual before the
	// fault's answer replaces its own: an invitation is recorded and
	// counted, a login or refresh issues tokens (a refresh spends its
	// refresh token), and the caller never learns of it. This is a proxy
	// that loses the server's answer (see UpstreamReset), or with Drop a
	// connection cut after the work was done. With only Delay, the request
	// is processed at once and its own answer sent after Delay.
	Processed bool
}

// RateLimited is HTTP 429 with the fake's rate-limit envelope and a
// Retry-After header of retryAfter (whole seconds, rounded up; none when 0).
func RateLimited(retryAfter time.Duration) Fault {
	return Fault{Status: http.StatusTooManyRequests, RetryAfter: retryAfter}
}

// EnvelopeError is HTTP 200 with an envelope carrying code and message, the
// way Vlens reports most errors.
func EnvelopeError(code int, message string) Fault {
	return Fault{Status: http.StatusOK, ErrorCode: code, ErrorMessage: message}
}

// ProxyPage is status with an HTML page instead of an envelope, as a load
// balancer or gateway in front of Vlens answers.
func ProxyPage(status int) Fault {
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	return Fault{Status: status, RawBody: "<html><head><title>" + text + "</title></head><body><h1>" + text + "</h1></body></html>\n"}
}

// UpstreamReset is HTTP 503 with the plain-text body of an Envoy proxy whose
// connection to the server behind it reset, served after the request was
// processed (Processed): the invitation exists, the refresh token is spent,
// yet the caller sees a 503 that looks like a server that never acted. A
// client must not repeat such a write blindly.
func UpstreamReset() Fault {
	return Fault{
		Status:    http.StatusServiceUnavailable,
		RawBody:   "upstream connect error or disconnect/reset before headers. reset reason: connection termination",
		Header:    http.Header{"Content-Type": {"text/plain"}},
		Processed: true,
	}
}

// DropConnection closes the connection without answering, which the client
// sees as a transport failure (and retries).
func DropConnection() Fault { return Fault{Drop: true} }

// Delayed holds the normal answer back for d, for example longer than the
// client's per-attempt timeout.
func Delayed(d time.Duration) Fault { return Fault{Delay: d} }

// delayOnly reports whether f only delays the normal answer.
func (f Fault) delayOnly() bool {
	return f.Status == 0 && f.ErrorCode == 0 && f.RawBody == "" && !f.Drop
}

// status is the HTTP status the fault answers with.
func (f Fault) status() int {
	if f.Status == 0 {
		return http.StatusOK
	}
	return f.Status
}

// String describes the fault briefly, for test failure messages.
func (f Fault) String() string {
	if f.Processed {
		f.Processed = false
		return "processed, then " + f.String()
	}
	switch {
	case f.Drop && f.Delay > 0:
		return "drop connection after " + f.Delay.String()
	case f.Drop:
		return "drop connection"
	case f.delayOnly():
		return "delay " + f.Delay.String()
	}
	s := "HTTP " + strconv.Itoa(f.status())
	if f.ErrorCode != 0 {
		s += ", error_code " + strconv.Itoa(f.ErrorCode)
	}
	if f.RawBody != "" {
		s += ", raw body"
	}
	if f.RetryAfter > 0 {
		s += ", Retry-After " + retryAfterSeconds(f.RetryAfter)
	}
	if f.Delay > 0 {
		s += ", after " + f.Delay.String()
	}
	return s
}

// retryAfterSeconds formats d as Retry-After's delay-seconds, rounded up so
// that a client honouring it never comes back early.
func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(wholeSeconds(d), 10)
}

// wholeSeconds is d in seconds, rounded up.
func wholeSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}

// enqueue appends faults to the queue and returns its length, or queues
// none and returns an error when the queue would exceed MaxQueuedFaults.
func (s *Server) enqueue(faults []Fault) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(faults) > MaxQueuedFaults-len(s.faults) {
		return len(s.faults), fmt.Errorf("at most %d faults may be queued: %d are, %d more refused; "+
			"clear them with DELETE %s or Reset", MaxQueuedFaults, len(s.faults), len(faults), ControlFaultsPath)
	}
	s.faults = append(s.faults, faults...)
	return len(s.faults), nil
}
