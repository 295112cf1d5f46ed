package vlenstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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
)

// MaxControlFaults is the most faults one POST to ControlFaultsPath may
// queue, counts included.
const MaxControlFaults = 10000

// WithControlEndpoint serves a small JSON control API under ControlPrefix,
// on the server's own address, so that a process other than the test (a
// front end's end-to-end tests, a developer with curl) can script faults
// without a restart:
//
//	POST   ControlFaultsPath    queue faults, as Enqueue does: a JSON list of
//	                            faults (or one fault); answers {"queued": n}
//	GET    ControlFaultsPath    the faults still queued: {"queued": n, "faults": [...]}
//	DELETE ControlFaultsPath    forget the queued faults: {"queued": 0, "cleared": n}
//	GET    ControlRequestsPath  the requests received: {"count": n, "requests": [...]}
//	POST   ControlResetPath     Reset: {"reset": true}
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
//	[{"status":503},{"drop":true},{"delay":"2s"},{"status":200,"code":1050,"message":"user blocked"},{"status":429,"retryAfter":"5s"}]
//
// A body that is not such JSON, has an unknown field, or breaks Enqueue's
// rules is refused with HTTP 400 and {"error": "..."}, and queues nothing.
// The Content-Type is not checked, so that curl -d works as is.
//
// Control requests are not Vlens requests: they are not recorded in
// Requests, take no fault, wait out no latency and count against no rate
// limit, and they need no API key. Their answers carry no secret: a listed
// request shows its method, path, endpoint, time, status, error code, fault
// and headers with the API key, the bearer token and cookies redacted,
// never its body. Without this option, paths under ControlPrefix are
// answered as unknown Vlens endpoints (404).
func WithControlEndpoint() ServerOption {
	return func(c *config) { c.control = true }
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
	if cf.Count < 0 || cf.Count > MaxControlFaults {
		return Fault{}, fmt.Errorf(`"count" must be 0 to %d`, MaxControlFaults)
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
	Endpoint  string        `json:"endpoint,omitempty"`
	Status    int           `json:"status"`
	ErrorCode int           `json:"errorCode"`
	Fault     *controlFault `json:"fault"`
	Header    http.Header   `json:"header"`
}

// endpointNames names the endpoints for the listing.
var endpointNames = map[string]string{
	EndpointPath:         "CreateAuthSession",
	CreateInvitationPath: "CreateInvitation",
	LoginPath:            "Login",
	RefreshTokenPath:     "RefreshToken",
}

// serveControl answers a request under ControlPrefix.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status := s.control(w, r)
	if s.cfg.logger != nil {
		s.cfg.logger.LogAttrs(r.Context(), slog.LevelInfo, "vlenstest: control",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)))
	}
}

// control routes a control request and returns the status it answered.
func (s *Server) control(w http.ResponseWriter, r *http.Request) int {
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
		reqs := s.Requests()
		list := make([]controlRequest, len(reqs))
		for i, req := range reqs {
			list[i] = controlRequest{Time: req.Time, Method: req.Method, Path: req.Path,
				Endpoint: endpointNames[endpointPath(req.Path)], Status: req.Status,
				ErrorCode: req.ErrorCode, Header: req.Header}
			if req.Fault != nil {
				cf := controlFaultOf(*req.Fault)
				list[i].Fault = &cf
			}
		}
		return controlJSON(w, http.StatusOK, struct {
			Count    int              `json:"count"`
			Requests []controlRequest `json:"requests"`
		}{len(list), list})
	case ControlResetPath:
		if !allow(http.MethodPost) {
			return controlError(w, http.StatusMethodNotAllowed, "method not allowed: use POST")
		}
		s.Reset()
		return controlJSON(w, http.StatusOK, map[string]bool{"reset": true})
	}
	return controlError(w, http.StatusNotFound, "no such control endpoint: use "+
		strings.Join([]string{ControlFaultsPath, ControlRequestsPath, ControlResetPath}, ", "))
}

// controlEnqueue queues the faults of r's body, all or none.
func (s *Server) controlEnqueue(w http.ResponseWriter, r *http.Request) int {
	body, tooLarge := readBody(r)
	if tooLarge {
		return controlError(w, http.StatusRequestEntityTooLarge, "request body too large")
	}
	faults, err := decodeControlFaults(body)
	if err != nil {
		return controlError(w, http.StatusBadRequest, err.Error())
	}
	s.Enqueue(faults...)
	s.mu.Lock()
	queued := len(s.faults)
	s.mu.Unlock()
	return controlJSON(w, http.StatusOK, map[string]int{"queued": queued})
}

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
		if len(faults)+n > MaxControlFaults {
			return nil, fmt.Errorf("at most %d faults at once", MaxControlFaults)
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
