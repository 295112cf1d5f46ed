package vlenstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The control endpoint's paths (see WithControlEndpoint). No Vlens endpoint
// lives under ControlPrefix.
const (
	ControlPrefix       = "/_vlenstest/"
	ControlFaultsPath   = ControlPrefix + "faults"
	ControlRequestsPath = ControlPrefix + "requests"
	ControlResetPath    = ControlPrefix + "reset"
	ControlCompletePath = ControlPrefix + "complete"
	ControlStatusPath   = ControlPrefix + "status"
	ControlHealthPath   = ControlPrefix + "health"
	ControlWebhooksPath = ControlPrefix + "webhooks"
)

// MaxControlFaults was the most faults one POST to ControlFaultsPath could
// queue; the queue as a whole now holds at most MaxQueuedFaults.
//
// Deprecated: use MaxQueuedFaults.
const MaxControlFaults = MaxQueuedFaults

// WithControlEndpoint serves a small JSON control API under ControlPrefix,
// on the server's own address, so that a process other than the test (a
// front end's end-to-end tests, a developer with curl) can script faults
// without a restart:
//
//	POST   ControlFaultsPath    queue faults, as Enqueue does: a JSON list of
//	                            faults (or one fault); answers {"queued": n}
//	GET    ControlFaultsPath    the faults still queued: {"queued": n, "faults": [...]}
//	DELETE ControlFaultsPath    forget the queued faults: {"queued": 0, "cleared": n}
//	GET    ControlRequestsPath  the requests recorded: {"count": n, "dropped": d, "requests": [...]}
//	POST   ControlResetPath     Reset: {"reset": true}
//	POST   ControlCompletePath  CompleteSession: {"token": "...", "status": 1}; the
//	                            token may be left out to complete the newest session
//	                            not yet completed, the status to make it 1 (Pending
//	                            Approval); answers the business request's {"id",
//	                            "requestNumber", "status", "statusName"}
//	POST   ControlStatusPath    SetRequestStatus: {"id": "...", "status": 2}; answers
//	                            as ControlCompletePath does
//	GET    ControlWebhooksPath  the webhook deliveries (WithWebhook):
//	                            {"count": n, "deliveries": [...]}, each a Delivery
//	GET    ControlHealthPath    {"status": "ok"}, for a container's health check
//
// The health check changes nothing and, unlike the other control requests,
// is not logged: a container runtime asks every few seconds.
//
// A status is a number or a name Vlens documents, in any of its spellings
// (2, "2", "Approved", "Pending Approval"; see vlens.ParseRequestStatus).
// The session tokens themselves are never listed: the front end that
// starts the Vlens iframe has the token, and a developer with curl
// completes the newest session.
//
// A fault is a JSON object with any of the fields
//
//	status       HTTP status, 0 or 200 to 599 (Fault.Status)
//	code         envelope error_code (Fault.ErrorCode)
//	message      envelope error_message (Fault.ErrorMessage)
//	descriptions envelope error_descriptions, any JSON (Fault.ErrorDescriptions)
//	rawBody      the whole body instead of an envelope (Fault.RawBody)
//	retryAfter   Retry-After, a duration (Fault.RetryAfter)
//	header       extra answer headers, {"Name": "value"} (Fault.Header)
//	delay        a duration to hold the answer back (Fault.Delay)
//	drop         true to close the connection unanswered (Fault.Drop)
//	processed    true to process the request before the fault's answer (Fault.Processed)
//	count        queue the fault this many times (default 1)
//
// where a duration is a string in Go's syntax ("2s", "150ms") or a number
// of seconds. For example
//
//	curl -X POST http://127.0.0.1:8080/_vlenstest/faults -H 'Content-Type: application/json' \
//	  -d '[{"status":503},{"drop":true},{"delay":"2s"},{"status":200,"code":1050,"message":"user blocked"}]'
//
// A body that is not such JSON, has an unknown field, or breaks Enqueue's
// rules is refused with HTTP 400 and {"error": "..."}, and queues nothing.
// Faults that would take the queue over MaxQueuedFaults are refused with
// HTTP 413 and queue nothing; the request log keeps the newest
// MaxRecordedRequests requests (see Server.Requests).
//
// The endpoint answers only what a web page cannot send, so that no page a
// developer visits can script or read it:
//
//   - a Host header that is not a loopback name or address (localhost,
//     *.localhost, 127.0.0.0/8, ::1), the address the request came in on,
//     or one of hosts, is refused with HTTP 421 (DNS rebinding);
//   - an Origin header whose host is not one of those is refused with 403;
//   - a POST whose Content-Type is not application/json is refused with
//     415 (a page can send text/plain without asking the server first).
//
// hosts are further host names to accept, without a port, such as the
// service name under which other containers reach the fake in
// docker-compose. WithControlEndpoint panics on an empty host name or one
// with a port, a slash or a space.
//
// Control requests are not Vlens requests: they are not recorded in
// Requests, take no fault, wait out no latency and count against no rate
// limit, and they need no API key. Their answers carry no secret: a listed
// request shows its method, path, endpoint, time, status, error code, fault
// and headers with the API key, the bearer token and cookies redacted,
// never its body. Without this option, paths under ControlPrefix are
// answered as unknown Vlens endpoints (404).
func WithControlEndpoint(hosts ...string) ServerOption {
	allowed := make([]string, len(hosts))
	for i, h := range hosts {
		if h == "" || strings.ContainsAny(h, ":/ \t\r\n") {
			panic("vlenstest: WithControlEndpoint: a host must be a name or an IPv4 address without a port")
		}
		allowed[i] = strings.ToLower(strings.TrimSuffix(h, "."))
	}
	return func(c *config) { c.control, c.controlHosts = true, allowed }
}

// isControlPath reports whether p is under ControlPrefix (in any case).
func isControlPath(p string) bool {
	p = strings.ToLower(p)
	return p == strings.TrimSuffix(ControlPrefix, "/") || strings.HasPrefix(p, ControlPrefix)
}

// controlFault is a Fault as the control endpoint reads and lists it.
type controlFault struct {
	Status       int               `json:"status,omitempty"`
	Code         int               `json:"code,omitempty"`
	Message      string            `json:"message,omitempty"`
	Descriptions json.RawMessage   `json:"descriptions,omitempty"`
	RawBody      string            `json:"rawBody,omitempty"`
	RetryAfter   jsonDuration      `json:"retryAfter,omitempty"`
	Header       map[string]string `json:"header,omitempty"`
	Delay        jsonDuration      `json:"delay,omitempty"`
	Drop         bool              `json:"drop,omitempty"`
	Processed    bool              `json:"processed,omitempty"`
	Count        int               `json:"count,omitempty"`
}

// fault checks cf against Enqueue's rules and returns it as a Fault.
func (cf controlFault) fault() (Fault, error) {
	if cf.Status != 0 && (cf.Status < 200 || cf.Status > 599) {
		return Fault{}, errors.New(`"status" must be 0 or 200 to 599`)
	}
	if cf.RetryAfter < 0 || cf.Delay < 0 {
		return Fault{}, errors.New(`"retryAfter" and "delay" must not be negative`)
	}
	if cf.Count < 0 {
		return Fault{}, errors.New(`"count" must not be negative`)
	}
	f := Fault{
		Status:            cf.Status,
		ErrorCode:         cf.Code,
		ErrorMessage:      cf.Message,
		ErrorDescriptions: cf.Descriptions,
		RawBody:           cf.RawBody,
		RetryAfter:        time.Duration(cf.RetryAfter),
		Delay:             time.Duration(cf.Delay),
		Drop:              cf.Drop,
		Processed:         cf.Processed,
	}
	if len(cf.Header) > 0 {
		f.Header = http.Header{}
		for name, value := range cf.Header {
			if !validHeaderName(name) || strings.ContainsAny(value, "\r\n\x00") {
				return Fault{}, fmt.Errorf(`"header" %q is not a valid header`, name)
			}
			f.Header.Set(name, value)
		}
	}
	return f, nil
}

// controlFaultOf is f as the control endpoint lists it; a header with
// several values is listed with them joined by ", ".
func controlFaultOf(f Fault) controlFault {
	cf := controlFault{
		Status:       f.Status,
		Code:         f.ErrorCode,
		Message:      f.ErrorMessage,
		Descriptions: f.ErrorDescriptions,
		RawBody:      f.RawBody,
		RetryAfter:   jsonDuration(f.RetryAfter),
		Delay:        jsonDuration(f.Delay),
		Drop:         f.Drop,
		Processed:    f.Processed,
	}
	if !json.Valid(cf.Descriptions) {
		cf.Descriptions = nil // as writeJSON would drop it
	}
	if len(f.Header) > 0 {
		cf.Header = make(map[string]string, len(f.Header))
		for name, values := range f.Header {
			cf.Header[name] = strings.Join(values, ", ")
		}
	}
	return cf
}

// validHeaderName reports whether name is an HTTP token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// jsonDuration is a duration written as Go's duration string ("2s") or a
// number of seconds, and listed as the string.
type jsonDuration time.Duration

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return errBadDuration
		}
		*d = jsonDuration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil || secs > float64(1<<62)/float64(time.Second) || secs < -float64(1<<62)/float64(time.Second) {
		return errBadDuration
	}
	*d = jsonDuration(secs * float64(time.Second))
	return nil
}

func (d jsonDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

var errBadDuration = errors.New(`a duration must be a string such as "2s" or "150ms", or a number of seconds`)

// controlRequest is a recorded Request as the control endpoint lists it:
// no body, secrets redacted.
type controlRequest struct {
	Time      time.Time     `json:"time"`
	Method    string        `json:"method"`
	Path      string        `json:"path"`
	Query     string        `json:"query,omitempty"`
	Endpoint  string        `json:"endpoint,omitempty"`
	Status    int           `json:"status"`
	ErrorCode int           `json:"errorCode"`
	Fault     *controlFault `json:"fault"`
	Header    http.Header   `json:"header"`
}

// endpointNames names the endpoints for the listing.
var endpointNames = map[string]string{
	CreateAuthSessionPath: "CreateAuthSession",
	CreateInvitationPath:  "CreateInvitation",
	LoginPath:             "Login",
	RefreshTokenPath:      "RefreshToken",

	GetBusinessRequestPath:   "GetBusinessRequestById",
	ListBusinessRequestsPath: "CurrentListIds",
	GetTemplatePath:          "GetBusinessRequestTypeTemplateFields",
}

// serveControl answers a request under ControlPrefix.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status := s.control(w, r)
	if s.cfg.logger != nil && !strings.EqualFold(strings.TrimSuffix(r.URL.Path, "/"), ControlHealthPath) {
		s.cfg.logger.LogAttrs(r.Context(), slog.LevelInfo, "vlenstest: control",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			millis("duration_ms", time.Since(start)))
	}
}

// control routes a control request and returns the status it answered.
func (s *Server) control(w http.ResponseWriter, r *http.Request) int {
	if status, msg := s.refuseForeign(r); status != 0 {
		return controlError(w, status, msg)
	}
	path := strings.TrimSuffix(strings.ToLower(r.URL.Path), "/")
	allow := func(methods ...string) bool {
		for _, m := range methods {
			if r.Method == m {
				return true
			}
		}
		w.Header().Set("Allow", strings.Join(methods, ", "))
		return false
	}
	switch path {
	case ControlFaultsPath:
		if !allow(http.MethodGet, http.MethodPost, http.MethodDelete) {
			return controlError(w, http.StatusMethodNotAllowed, "method not allowed: use GET, POST or DELETE")
		}
		switch r.Method {
		case http.MethodPost:
			return s.controlEnqueue(w, r)
		case http.MethodDelete:
			s.mu.Lock()
			cleared := len(s.faults)
			s.faults = nil
			s.mu.Unlock()
			return controlJSON(w, http.StatusOK, map[string]int{"queued": 0, "cleared": cleared})
		}
		s.mu.Lock()
		faults := make([]controlFault, len(s.faults))
		for i, f := range s.faults {
			faults[i] = controlFaultOf(f)
		}
		s.mu.Unlock()
		return controlJSON(w, http.StatusOK, struct {
			Queued int            `json:"queued"`
			Faults []controlFault `json:"faults"`
		}{len(faults), faults})
	case ControlRequestsPath:
		if !allow(http.MethodGet) {
			return controlError(w, http.StatusMethodNotAllowed, "method not allowed: use GET")
		}
		reqs, dropped := s.recorded()
		list := make([]controlRequest, len(reqs))
		for i, req := range reqs {
			list[i] = controlRequest{Time: req.Time, Method: req.Method, Path: req.Path, Query: req.Query.Encode(),
				Endpoint: endpointNames[endpointPath(req.Path)], Status: req.Status,
				ErrorCode: req.ErrorCode, Header: req.Header}
			if req.Fault != nil {
				cf := controlFaultOf(*req.Fault)
				list[i].Fault = &cf
			}
		}
		return controlJSON(w, http.StatusOK, struct {
			Count    int              `json:"count"`
			Dropped  int              `json:"dropped"`
			Requests []controlRequest `json:"requests"`
		}{len(list), dropped, list})
	case ControlResetPath:
		if !allow(http.MethodPost) {
			return controlError(w, http.StatusMethodNotAllowed, "method not allowed: use POST")
		}
		s.Reset()
		return controlJSON(w, http.StatusOK, map[string]bool{"reset": true})
	case ControlCompletePath, ControlStatusPath:
		if !allow(http.MethodPost) {
			return controlError(w, http.StatusMethodNotAllowed, "method not allowed: use POST")
		}
		return s.controlBusiness(w, r, path == ControlCompletePath)
	case ControlHealthPath:
		if !allow(http.MethodGet, http.MethodHead) {
			return controlError(w, http.StatusMethodNotAllowed, "method not allowed: use GET")
		}
		return controlJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	case ControlWebhooksPath:
		if !allow(http.MethodGet) {
			return controlError(w, http.StatusMethodNotAllowed, "method not allowed: use GET")
		}
		list := s.Deliveries()
		if list == nil {
			list = []Delivery{}
		}
		return controlJSON(w, http.StatusOK, struct {
			Count      int        `json:"count"`
			Deliveries []Delivery `json:"deliveries"`
		}{len(list), list})
	}
	return controlError(w, http.StatusNotFound, "no such control endpoint: use "+
		strings.Join([]string{ControlFaultsPath, ControlRequestsPath, ControlResetPath, ControlCompletePath, ControlStatusPath, ControlHealthPath, ControlWebhooksPath}, ", "))
}

// refuseForeign returns the status and message that refuse r when a web
// page, rather than a test or a developer, could have sent it; 0 when r is
// the endpoint's own.
func (s *Server) refuseForeign(r *http.Request) (int, string) {
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !s.ownHost(r.Host, local) {
		return http.StatusMisdirectedRequest, fmt.Sprintf("Host %q is not this fake's address or a loopback name: "+
			"call it as 127.0.0.1 or localhost, or name the host in WithControlEndpoint (vlens-fake -control-host)", r.Host)
	}
	if origins, ok := r.Header["Origin"]; ok {
		u, err := url.Parse(strings.Join(origins, ","))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !s.ownHost(u.Host, local) {
			return http.StatusForbidden, "requests from web pages of other origins are refused"
		}
	}
	if r.Method == http.MethodPost {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return http.StatusUnsupportedMediaType, "Content-Type must be application/json (curl -H 'Content-Type: application/json')"
		}
	}
	return 0, ""
}

// ownHost reports whether hostport (a Host header, or an Origin's host)
// names the fake: a loopback name or address, the address local the
// request came in on, or one of WithControlEndpoint's hosts. A name is
// what DNS rebinding needs; an address literal cannot be rebound.
func (s *Server) ownHost(hostport string, local net.Addr) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || slices.Contains(s.cfg.controlHosts, host) {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap().WithZone("")
	if ip.IsLoopback() {
		return true
	}
	if tcp, ok := local.(*net.TCPAddr); ok {
		own, ok := netip.AddrFromSlice(tcp.IP)
		return ok && own.Unmap() == ip
	}
	return false
}

// controlEnqueue queues the faults of r's body, all or none.
func (s *Server) controlEnqueue(w http.ResponseWriter, r *http.Request) int {
	body, tooLarge := readBody(r)
	if tooLarge {
		return controlError(w, http.StatusRequestEntityTooLarge, "request body too large")
	}
	faults, err := decodeControlFaults(body)
	if errors.Is(err, errTooManyFaults) {
		return controlError(w, http.StatusRequestEntityTooLarge, err.Error())
	}
	if err != nil {
		return controlError(w, http.StatusBadRequest, err.Error())
	}
	queued, err := s.enqueue(faults)
	if err != nil {
		return controlError(w, http.StatusRequestEntityTooLarge, err.Error())
	}
	return controlJSON(w, http.StatusOK, map[string]int{"queued": queued})
}

// errTooManyFaults is a body that asks for more faults than the queue can
// ever hold.
var errTooManyFaults = fmt.Errorf("at most %d faults may be queued", MaxQueuedFaults)

// decodeControlFaults reads a JSON list of faults, or one fault, and checks
// every one against Enqueue's rules.
func decodeControlFaults(body []byte) ([]Fault, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errors.New(`the body must be a JSON list of faults, such as [{"status":503}]`)
	}
	if body[0] == '{' {
		body = append(append([]byte{'['}, body...), ']')
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var list []controlFault
	err := dec.Decode(&list)
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		field := typeErr.Field[strings.LastIndexByte(typeErr.Field, '.')+1:]
		return nil, fmt.Errorf("%q must be %s", field, jsonKind(typeErr.Type))
	case errors.As(err, &typeErr):
		return nil, errors.New(`the body must be a JSON list of fault objects, such as [{"status":503}]`)
	case errors.Is(err, errBadDuration):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf(`the body must be a JSON list of faults, such as [{"status":503}]: %s`,
			strings.TrimPrefix(err.Error(), "json: "))
	case dec.Decode(new(json.RawMessage)) != io.EOF:
		return nil, errors.New("the body has data after the JSON value")
	}
	var faults []Fault
	for i, cf := range list {
		f, err := cf.fault()
		if err != nil {
			return nil, fmt.Errorf("fault %d: %w", i, err)
		}
		n := max(cf.Count, 1)
		if n > MaxQueuedFaults-len(faults) {
			return nil, errTooManyFaults
		}
		for range n {
			faults = append(faults, f)
		}
	}
	return faults, nil
}

// controlJSON answers with v as JSON (HTML not escaped, for reading in a
// terminal) and returns status.
func controlJSON(w http.ResponseWriter, status int, v any) int {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body.Bytes())
	return status
}

func controlError(w http.ResponseWriter, status int, message string) int {
	return controlJSON(w, status, map[string]string{"error": message})
}
