package vlenstest

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"time"

	"github.com/vlens-go/vlens"
)

// MaxRecordedRequests is the most requests a Server keeps for Requests and
// the control endpoint's listing. Beyond it the oldest are dropped, and
// counted by DroppedRequests, so that a long-running fake keeps a bounded
// log of the recent past.
const MaxRecordedRequests = 10000

// Request is one request the server received, as Server.Requests lists it.
// Path tells which endpoint it was for: compare it with CreateAuthSessionPath,
// CreateInvitationPath, LoginPath and RefreshTokenPath, which the SDK sends
// exactly.
//
// Printing a Request (fmt's verbs) shows no header values, and the inputs
// with their personal data and the form's values redacted. The body of a
// login or a refresh is never kept: it holds the password or a refresh
// token.
type Request struct {
	// Method and Path are the request's HTTP method and URL path.
	Method string
	Path   string
	// Query is the URL's query (the paging of ListBusinessRequestsPath,
	// the requestTypeId of GetTemplatePath), nil when there is none.
	Query url.Values
	// Header is the request's header with the values of ApiKey,
	// Authorization (the admin bearer token) and Cookie replaced by
	// "[redacted]".
	Header http.Header
	// Input and Invitation are the decoded body of a CreateAuthSession
	// request and of a CreateInvitation request (its SessionInput). Each is
	// nil unless the request was for its endpoint and its body decoded as
	// that endpoint's JSON object; a body that decoded but breaks the
	// input's rules (HTTP 422) is kept. At most one of them is set.
	Input      *vlens.CreateAuthSessionInput
	Invitation *vlens.CreateInvitationInput
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

// Format prints the request without header values and with the inputs'
// personal data and the form's values redacted, for every verb.
func (r Request) Format(f fmt.State, _ rune) {
	fault := "<nil>"
	if r.Fault != nil {
		fault = r.Fault.String()
	}
	// The inputs' own Format methods redact.
	input, invitation := "<nil>", "<nil>"
	if r.Input != nil {
		input = fmt.Sprint(*r.Input)
	}
	if r.Invitation != nil {
		invitation = fmt.Sprint(*r.Invitation)
	}
	fmt.Fprintf(f, "vlenstest.Request{Method:%s, Path:%q, Query:%q, Status:%d, ErrorCode:%d, Fault:%s, Input:%s, Invitation:%s, Time:%s}",
		r.Method, r.Path, r.Query.Encode(), r.Status, r.ErrorCode, fault, input, invitation, r.Time.Format(time.RFC3339Nano))
}

// record appends rec to the recorded requests, dropping the oldest beyond
// the limit. The caller holds s.mu.
func (s *Server) record(rec *Request) {
	if len(s.requests) >= s.maxRecord {
		n := len(s.requests) - s.maxRecord + 1
		clear(s.requests[:n]) // let the dropped ones be collected
		s.requests = s.requests[n:]
		s.dropped += n
	}
	s.requests = append(s.requests, rec)
}

// recorded returns copies of the recorded requests and the count of those
// dropped, at one instant.
func (s *Server) recorded() ([]Request, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.clone()
	}
	return out, s.dropped
}

// DroppedRequests returns how many requests, the oldest, were dropped from
// Requests since the start or the last Reset to keep at most
// MaxRecordedRequests.
func (s *Server) DroppedRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
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
	if r.Query != nil {
		c.Query = url.Values(http.Header(r.Query).Clone())
	}
	if r.Fault != nil {
		f := *r.Fault
		c.Fault = &f
	}
	c.Input = cloneInput(r.Input)
	c.Invitation = cloneInvitation(r.Invitation)
	return c
}

func clonePermissions(p *vlens.SessionPermissions) *vlens.SessionPermissions {
	if p == nil {
		return nil
	}
	cp := *p
	cp.AllowedContractTypeIDs = append([]int(nil), p.AllowedContractTypeIDs...)
	return &cp
}

func cloneInput(in *vlens.CreateAuthSessionInput) *vlens.CreateAuthSessionInput {
	if in == nil {
		return nil
	}
	c := *in
	c.SessionPermissions = clonePermissions(in.SessionPermissions)
	return &c
}

func cloneInvitation(in *vlens.CreateInvitationInput) *vlens.CreateInvitationInput {
	if in == nil {
		return nil
	}
	c := *in
	c.SessionPermissions = clonePermissions(in.SessionPermissions)
	if in.RequestFieldsValues != nil {
		c.RequestFieldsValues = make(map[int]map[string]string, len(in.RequestFieldsValues))
		for id, form := range in.RequestFieldsValues {
			c.RequestFieldsValues[id] = maps.Clone(form)
		}
	}
	return &c
}
