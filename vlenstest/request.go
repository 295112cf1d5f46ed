package vlenstest

import (
	"fmt"
	"net/http"
	"time"

	"github.com/vlens-go/vlens"
)

// Request is one request the server received, as Server.Requests lists it.
//
// Printing a Request (fmt's verbs) shows no header values and the input with
// its personal data redacted.
type Request struct {
	// Method and Path are the request's HTTP method and URL path.
	Method string
	Path   string
	// Header is the request's header with the values of ApiKey,
	// Authorization and Cookie replaced by "[redacted]".
	Header http.Header
	// Input is the body decoded as far as it decodes; the zero value when
	// it is not a JSON object.
	Input vlens.CreateAuthSessionInput
	// Time is when the request arrived.
	Time time.Time
	// Fault is the fault served instead of the normal answer, or nil.
	Fault *Fault
	// Status is the HTTP status of the answer; 0 while the answer is pending
	// and when the connection was dropped or the client went away first.
	Status int
	// ErrorCode is the envelope's error_code in the answer, 0 when none.
	ErrorCode int
}

// Format prints the request without header values and with the input's
// personal data redacted, for every verb.
func (r Request) Format(f fmt.State, _ rune) {
	fault := "<nil>"
	if r.Fault != nil {
		fault = r.Fault.String()
	}
	fmt.Fprintf(f, "vlenstest.Request{Method:%s, Path:%q, Status:%d, ErrorCode:%d, Fault:%s, Input:%v, Time:%s}",
		r.Method, r.Path, r.Status, r.ErrorCode, fault, r.Input, r.Time.Format(time.RFC3339Nano))
}

// redactedHeaders are the request headers whose values Request never keeps.
var redactedHeaders = []string{"ApiKey", "Authorization", "Cookie"}

func redactHeader(h http.Header) http.Header {
	out := h.Clone()
	for _, name := range redactedHeaders {
		if vs := out.Values(name); len(vs) > 0 {
			masked := make([]string, len(vs))
			for i := range masked {
				masked[i] = "[redacted]"
			}
			out[http.CanonicalHeaderKey(name)] = masked
		}
	}
	return out
}

// clone returns a copy of r that shares nothing mutable with it.
func (r *Request) clone() Request {
	c := *r
	c.Header = r.Header.Clone()
	if r.Fault != nil {
		f := *r.Fault
		c.Fault = &f
	}
	if p := r.Input.SessionPermissions; p != nil {
		cp := *p
		cp.AllowedContractTypeIDs = append([]int(nil), p.AllowedContractTypeIDs...)
		c.Input.SessionPermissions = &cp
	}
	return c
}
