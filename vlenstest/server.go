package vlenstest

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vlens-go/vlens"
)

// The paths the fake serves, each matched case-insensitively and with or
// without a trailing slash. They are the vlens package's, which the client
// sends to.
const (
	CreateAuthSessionPath = vlens.CreateAuthSessionPath
	CreateInvitationPath  = vlens.CreateInvitationPath
	LoginPath             = vlens.LoginPath
	RefreshTokenPath      = vlens.RefreshTokenPath
)

// EndpointPath is CreateAuthSessionPath's name from when it was the only
// endpoint.
//
// Deprecated: use CreateAuthSessionPath.
const EndpointPath = CreateAuthSessionPath

// paths lists the paths the fake serves.
var paths = []string{CreateAuthSessionPath, CreateInvitationPath, LoginPath, RefreshTokenPath,
	GetBusinessRequestPath, ListBusinessRequestsPath, GetTemplatePath}

// MaxRequestBytes is the largest request body the fake reads; a larger one
// is answered with HTTP 413 and ErrorCodeRequestTooLarge.
const MaxRequestBytes = 64 << 10

// TokenPrefix starts every token the fake issues by default, so a fake token
// is easy to tell from a real one. Admin tokens start with the longer
// AccessTokenPrefix and RefreshTokenPrefix.
const TokenPrefix = "vlenstest_"

// The fake's envelope error codes: 9000 plus the HTTP status they come with.
// Vlens publishes no list of its own codes, so these are the fake's
// inventions; code that handles errors should branch on vlens's sentinels,
// not on these numbers.
const (
	ErrorCodeMalformedBody        = 9400 // the body is empty, not JSON, or has a field of the wrong type; or a read's ID or query is malformed
	ErrorCodeUnauthorized         = 9401 // the ApiKey header, or an admin credential or token, is missing or wrong
	ErrorCodeNotFound             = 9404 // the path is none of the endpoints', or a read names no business request or template
	ErrorCodeMethodNotAllowed     = 9405 // the method is not the endpoint's (POST, or GET for the reads)
	ErrorCodeRequestTooLarge      = 9413 // the body exceeds MaxRequestBytes
	ErrorCodeUnsupportedMediaType = 9415 // the Content-Type is not JSON
	ErrorCodeValidation           = 9422 // the input breaks its Validate method's rules
	ErrorCodeRateLimited          = 9429 // WithRateLimit's limit is exceeded

	// ErrorCodeLockedOut refuses a login while the admin user is locked out
	// (WithLoginLockout). It comes with the status of any refused login
	// (WithLoginRefusal, 401 by default), as on the platform; 423 is HTTP's
	// Locked.
	ErrorCodeLockedOut = 9423
)

// faultCodeBase plus a fault's HTTP status is the error_code of a non-2xx
// fault that names none.
const faultCodeBase = 9000

// Server is a fake Vlens API listening on a loopback port. Create it with
// NewServer or NewTestServer; all its methods are safe for concurrent use.
type Server struct {
	// URL is the server's base URL, "http://127.0.0.1:port", to pass to
	// vlens.WithBaseURL.
	URL string

	cfg       config
	ts        *httptest.Server
	closing   chan struct{}
	closeOnce sync.Once

	mu          sync.Mutex
	faults      []Fault
	requests    []*Request
	dropped     int // requests dropped from the front of requests (see record)
	maxRecord   int // MaxRecordedRequests, or smaller in the package's tests
	tokens      []string
	admin       adminTokens
	logins      int
	refreshes   int
	invitations int
	lockout     lockout
	rateLimit   rateLimit          // nil without WithRateLimit or WithRateLimitPerMinute
	sessions    []session          // in order of issue
	business    []*businessRequest // in order of creation
	requestSeq  int                // the last business request's number
	hooks       *webhooks          // nil without WithWebhook
}

// NewServer starts a fake Vlens server on a random loopback port. The caller
// must Close it. Option values that make no sense panic (see each option).
func NewServer(opts ...ServerOption) *Server {
	s, ts := newServer(opts)
	ts.Start()
	s.URL = ts.URL
	return s
}

// NewTestServer starts a fake Vlens server like NewServer and closes it when
// t and its subtests finish.
func NewTestServer(t testing.TB, opts ...ServerOption) *Server {
	t.Helper()
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// Listen starts a fake Vlens server on addr ("127.0.0.1:8080"), for local
// development against a fixed address; see the vlens-fake command. The
// caller must Close it. It returns an error when addr cannot be listened on.
func Listen(addr string, opts ...ServerOption) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("vlenstest: %w", err)
	}
	s, ts := newServer(opts)
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	s.URL = ts.URL
	return s, nil
}

func newServer(opts []ServerOption) (*Server, *httptest.Server) {
	s := &Server{cfg: defaultConfig(), closing: make(chan struct{}), admin: newAdminTokens(), maxRecord: MaxRecordedRequests}
	for _, opt := range opts {
		if opt != nil {
			opt(&s.cfg)
		}
	}
	s.rateLimit = newRateLimit(s.cfg, time.Now())
	if s.cfg.webhook != nil {
		s.hooks = newWebhooks(*s.cfg.webhook, s.cfg.logger)
	}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	// Dropped connections and clients that time out are the point of a
	// fake; the http.Server has nothing useful to say about them.
	s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	return s, s.ts
}

// Close stops the server, cutting short any delays in progress and the
// webhooks being delivered, and waits for the requests being answered and
// the deliveries to finish. It may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.ts.Close()
		if s.hooks != nil {
			s.hooks.close()
		}
	})
}

// APIKey returns the API key the server accepts.
func (s *Server) APIKey() string { return s.cfg.apiKey }

// NewClient returns a vlens client for this server: its base URL, API key
// and admin credentials (so that CreateInvitation logs in and refreshes by
// itself), retry waits of 1ms to 10ms, and a Retry-After cap of zero, so
// that a test never sleeps on a Retry-After (the client returns the 429 or
// 503 at once, with RetryAfter set). The caller's opts are applied after
// these defaults and may override them, for example with
// vlens.WithMaxRetryAfter to rehearse honouring Retry-After, or
// vlens.WithAdminTokenSource. It returns NewClient's error for an option
// value that makes no sense.
func (s *Server) NewClient(opts ...vlens.Option) (*vlens.Client, error) {
	defaults := []vlens.Option{
		vlens.WithBaseURL(s.URL),
		vlens.WithHTTPClient(s.ts.Client()),
		vlens.WithAdminCredentials(s.cfg.admin),
		vlens.WithRetryWait(time.Millisecond, 10*time.Millisecond),
		vlens.WithMaxRetryAfter(0),
	}
	return vlens.NewClient(s.cfg.apiKey, append(defaults, opts...)...)
}

// Client is NewClient for tests: it panics where NewClient returns an error,
// which only an option value that makes no sense can cause.
func (s *Server) Client(opts ...vlens.Option) *vlens.Client {
	c, err := s.NewClient(opts...)
	if err != nil {
		panic(err.Error())
	}
	return c
}

// Enqueue queues faults to be served, in order and one per request, instead
// of the normal answers. A queued fault is taken by the next request whatever
// its path, API key or body (see the package documentation). It panics on a
// Status other than 0 or 200 to 599, on a negative Delay or RetryAfter, and
// when the queue would hold more than MaxQueuedFaults; it then queues none.
func (s *Server) Enqueue(faults ...Fault) {
	for _, f := range faults {
		if f.Status != 0 && (f.Status < 200 || f.Status > 599) {
			panic("vlenstest: Enqueue: Fault.Status must be 0 or 200 to 599")
		}
		if f.Delay < 0 || f.RetryAfter < 0 {
			panic("vlenstest: Enqueue: Fault.Delay and Fault.RetryAfter must not be negative")
		}
	}
	if _, err := s.enqueue(faults); err != nil {
		panic("vlenstest: Enqueue: " + err.Error())
	}
}

// Requests returns the requests received since the start or the last Reset,
// in order of arrival: all of them, or the newest MaxRecordedRequests when
// more arrived (see DroppedRequests).
func (s *Server) Requests() []Request {
	reqs, _ := s.recorded()
	return reqs
}

// RequestsTo returns the requests received for path since the start or the
// last Reset, in order of arrival, matching paths as the server routes them
// (case-insensitively, with or without a trailing slash);
// RequestsTo(GetBusinessRequestPath) lists the reads of every ID. Whatever their
// answer, they are all there: len(RequestsTo(LoginPath)) is the number of
// login attempts, where Logins counts only the accepted ones.
func (s *Server) RequestsTo(path string) []Request {
	path = strings.TrimSuffix(path, "/")
	byID := strings.EqualFold(path, strings.TrimSuffix(GetBusinessRequestPath, "/"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if byID && endpointPath(r.Path) == GetBusinessRequestPath || strings.EqualFold(strings.TrimSuffix(r.Path, "/"), path) {
			out = append(out, r.clone())
		}
	}
	return out
}

// Tokens returns every session token issued since the start or the last
// Reset, by CreateAuthSession and CreateInvitation, in order. Admin tokens
// are not listed: count them with Logins and Refreshes.
func (s *Server) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

// Reset forgets the recorded requests, the issued session tokens, the
// business requests (not the templates, which are configuration), the
// counts of logins, refreshes, invitations and dropped requests and the
// faults not yet served, refills the rate limit, and ends a login lockout.
// With WithWebhook it also stops the deliveries in progress and forgets
// the Deliveries and the webhooks still to drop or duplicate.
// Admin tokens already issued stay valid (see RevokeAdminTokens), so a
// client carries on without logging in again.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults, s.requests, s.tokens, s.sessions, s.business = nil, nil, nil, nil, nil
	s.logins, s.refreshes, s.invitations, s.dropped, s.requestSeq = 0, 0, 0, 0, 0
	s.lockout = lockout{}
	s.rateLimit.refill(time.Now())
	if s.hooks != nil {
		s.hooks.reset()
	}
}

// Format prints the server's URL, never its API key, for every verb.
func (s *Server) Format(f fmt.State, _ rune) {
	if s == nil {
		_, _ = io.WriteString(f, "<nil>")
		return
	}
	fmt.Fprintf(f, "vlenstest.Server{URL:%s}", s.URL)
}

// serve answers one request: record it, take the next fault, wait out the
// latency, then answer with the fault or the endpoint's behaviour. A
// Processed fault has the request processed first, its answer kept aside
// (and replayed when the fault only delays it). Control
// requests (WithControlEndpoint) go to serveControl instead, before any of
// that.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.cfg.control && isControlPath(r.URL.Path) {
		s.serveControl(w, r)
		return
	}
	start := time.Now()
	rec := &Request{Method: r.Method, Path: r.URL.Path, Header: redactHeader(r.Header), Time: start}
	if r.URL.RawQuery != "" {
		rec.Query = r.URL.Query()
	}
	in := readInput(r, rec)
	fault, hasFault := s.arrive(rec)
	var processed *processedAnswer
	if hasFault && fault.Processed {
		processed = s.process(r, rec, in)
	}

	delay := s.cfg.latency
	if hasFault {
		delay += fault.Delay
	}
	if !s.wait(r.Context(), delay) {
		s.log(r, rec, start)
		return
	}
	switch {
	case hasFault && fault.Drop:
		s.drop(w)
	case hasFault && !fault.delayOnly():
		s.writeFault(w, rec, fault)
	case processed != nil:
		s.replay(w, rec, processed)
	default:
		s.answer(w, r, rec, in)
	}
	s.log(r, rec, start)
}

// arrive records rec and takes the next queued fault, if any.
func (s *Server) arrive(rec *Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record(rec)
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	rec.Fault = &f
	return f, true
}

// wait sleeps for d, and reports false when the client went away or the
// server closed first.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

// answer is the endpoints' normal behaviour, checks in the order the package
// documentation lists.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, rec *Request, in *input) {
	if in.path == "" {
		s.writeError(w, rec, http.StatusNotFound, ErrorCodeNotFound, "no such endpoint: the fake serves "+strings.Join(paths, ", "), nil)
		return
	}
	method := http.MethodPost
	if isRead(in.path) {
		method = http.MethodGet
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		s.writeError(w, rec, http.StatusMethodNotAllowed, ErrorCodeMethodNotAllowed, "method not allowed: use "+method, nil)
		return
	}
	if ok, wait := s.takeRate(); !ok {
		w.Header().Set("Retry-After", retryAfterSeconds(max(wait, time.Second)))
		s.writeError(w, rec, http.StatusTooManyRequests, ErrorCodeRateLimited, "too many requests", nil)
		return
	}
	if !s.authorized(r) {
		s.writeError(w, rec, http.StatusUnauthorized, ErrorCodeUnauthorized, "the ApiKey header is missing or not valid", nil)
		return
	}
	if msg := s.refuseAdmin(r, in.path); msg != "" {
		s.writeError(w, rec, http.StatusUnauthorized, ErrorCodeUnauthorized, msg, nil)
		return
	}
	if isRead(in.path) { // no body to check
		s.read(w, r, rec, in.path)
		return
	}
	if in.tooLarge {
		s.writeError(w, rec, http.StatusRequestEntityTooLarge, ErrorCodeRequestTooLarge, "request body too large", nil)
		return
	}
	if !isJSONContentType(r.Header.Get("Content-Type")) {
		s.writeError(w, rec, http.StatusUnsupportedMediaType, ErrorCodeUnsupportedMediaType, "Content-Type must be application/json", nil)
		return
	}
	if in.malformed != nil {
		s.writeError(w, rec, http.StatusBadRequest, ErrorCodeMalformedBody, "the request body is not a valid "+in.name(), in.malformed)
		return
	}
	if invalid := in.validate(); invalid != nil {
		s.writeError(w, rec, http.StatusUnprocessableEntity, ErrorCodeValidation, "one or more validation errors occurred", invalid)
		return
	}
	switch in.path {
	case CreateAuthSessionPath:
		s.issueSession(w, rec, in.session, nil, false)
	case CreateInvitationPath:
		s.issueSession(w, rec, vlens.CreateAuthSessionInput{PhoneNumber: in.invitation.PhoneNumber,
			Email: in.invitation.Email, SessionPermissions: in.invitation.SessionPermissions},
			in.invitation.RequestFieldsValues, true)
	case LoginPath:
		s.login(w, rec, in.creds)
	case RefreshTokenPath:
		s.refresh(w, rec, in.refreshToken)
	}
}

// processedAnswer is the answer to a request processed for a Processed
// fault, kept aside: the fault's answer usually replaces it.
type processedAnswer struct {
	recorder        *httptest.ResponseRecorder
	status, errCode int
}

// process answers the request as usual into a processedAnswer. rec shows
// no answer until one is written to the caller.
func (s *Server) process(r *http.Request, rec *Request, in *input) *processedAnswer {
	p := &processedAnswer{recorder: httptest.NewRecorder()}
	s.answer(p.recorder, r, rec, in)
	s.mu.Lock()
	defer s.mu.Unlock()
	p.status, p.errCode = rec.Status, rec.ErrorCode
	rec.Status, rec.ErrorCode = 0, 0
	return p
}

// replay writes a processed answer, for a Processed fault that only delays
// it.
func (s *Server) replay(w http.ResponseWriter, rec *Request, p *processedAnswer) {
	for name, values := range p.recorder.Header() {
		w.Header()[name] = values
	}
	s.finish(rec, p.status, p.errCode)
	w.WriteHeader(p.status)
	_, _ = w.Write(p.recorder.Body.Bytes())
}

// issueSession answers with a session token for in, keeps the session for
// CompleteSession with the invitation's pre-filled forms, and counts it as
// an invitation when invitation is true.
func (s *Server) issueSession(w http.ResponseWriter, rec *Request, in vlens.CreateAuthSessionInput, forms map[int]map[string]string, invitation bool) {
	token := s.cfg.tokenFunc(in)
	env := envelope{}
	if token != "" {
		env.Data = token
	}
	s.mu.Lock()
	if token != "" {
		s.tokens = append(s.tokens, token)
		s.sessions = append(s.sessions, sessionFor(token, in, forms))
	}
	if invitation {
		s.invitations++
	}
	rec.Status = http.StatusOK
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, env)
}

func (s *Server) takeRate() (bool, time.Duration) {
	if s.rateLimit == nil {
		return true, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimit.take(time.Now())
}

func (s *Server) authorized(r *http.Request) bool {
	return equalSecret(r.Header.Get("ApiKey"), s.cfg.apiKey)
}

// equalSecret reports whether got is the non-empty secret want, in time
// that does not depend on where they differ.
func equalSecret(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// drop closes the connection without answering. Where the connection cannot
// be taken over (HTTP/2), aborting the handler resets the stream instead.
func (s *Server) drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

func (s *Server) writeFault(w http.ResponseWriter, rec *Request, f Fault) {
	status := f.status()
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterSeconds(f.RetryAfter))
	}
	for name, values := range f.Header {
		w.Header()[http.CanonicalHeaderKey(name)] = values
	}
	if f.RawBody != "" {
		if w.Header().Get("Content-Type") == "" {
			ct := "application/json"
			if strings.HasPrefix(strings.TrimSpace(f.RawBody), "<") {
				ct = "text/html; charset=utf-8"
			}
			w.Header().Set("Content-Type", ct)
		}
		s.finish(rec, status, 0)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, f.RawBody)
		return
	}
	code, message := f.ErrorCode, f.ErrorMessage
	if code == 0 && (status < 200 || status > 299) {
		code = faultCodeBase + status
	}
	if code != 0 && message == "" {
		message = strings.ToLower(http.StatusText(status))
	}
	env := envelope{ErrorDescriptions: f.ErrorDescriptions}
	if code != 0 {
		env.ErrorCode, env.ErrorMessage = &code, &message
	}
	s.finish(rec, status, code)
	writeJSON(w, status, env)
}

func (s *Server) writeError(w http.ResponseWriter, rec *Request, status, code int, message string, descriptions map[string][]string) {
	env := envelope{ErrorCode: &code, ErrorMessage: &message}
	if descriptions != nil {
		env.ErrorDescriptions, _ = json.Marshal(descriptions)
	}
	s.finish(rec, status, code)
	writeJSON(w, status, env)
}

// finish records the answer's status and code before it is written, so that
// a client that has its answer sees a complete record.
func (s *Server) finish(rec *Request, status, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.Status, rec.ErrorCode = status, code
}

func (s *Server) log(r *http.Request, rec *Request, start time.Time) {
	if s.cfg.logger == nil {
		return
	}
	s.mu.Lock()
	status, code, fault := rec.Status, rec.ErrorCode, rec.Fault != nil
	s.mu.Unlock()
	s.cfg.logger.LogAttrs(r.Context(), slog.LevelInfo, "vlenstest: request",
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Int("error_code", code),
		slog.Bool("fault", fault),
		millis("duration_ms", time.Since(start)))
}

// envelope is Vlens's response body. Its fields are always present, null
// when unset, as Vlens sends them. Data is a session token (a string) or an
// admin token's object.
type envelope struct {
	Data              any             `json:"data"`
	ErrorCode         *int            `json:"error_code"`
	ErrorMessage      *string         `json:"error_message"`
	ErrorDescriptions json.RawMessage `json:"error_descriptions"`
}

// writeJSON answers with v, an envelope or a listPage.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if env, ok := v.(envelope); ok && err != nil {
		// Only a Fault's ErrorDescriptions that is not JSON gets here.
		env.ErrorDescriptions = nil
		body, _ = json.Marshal(env)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// readBody reads the whole body, up to MaxRequestBytes; tooLarge reports a
// body over the limit. (A plain limit rather than http.MaxBytesReader lets
// net/http drain a moderately large rest and keep the connection.)
func readBody(r *http.Request) (body []byte, tooLarge bool) {
	body, _ = io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
	if len(body) > MaxRequestBytes {
		return nil, true
	}
	return body, false
}

// decodeJSON decodes body into v the way an ASP.NET backend binds it: field
// names case-insensitive, unknown fields ignored, one JSON value only. It
// returns nil, or the problems by field when the body is not a valid v ("$"
// is the body as a whole); v holds what decoded either way.
func decodeJSON(body []byte, v any) map[string][]string {
	if len(strings.TrimSpace(string(body))) == 0 {
		return map[string][]string{"$": {"a non-empty request body is required"}}
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	err := dec.Decode(v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "$"
		}
		return map[string][]string{field: {"must be " + jsonKind(typeErr.Type)}}
	case err != nil:
		return map[string][]string{"$": {"the body is not valid JSON"}}
	case dec.Decode(new(json.RawMessage)) != io.EOF:
		return map[string][]string{"$": {"the body has data after the JSON value"}}
	}
	return nil
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "an object"
	}
}

// fieldMessages turns a *vlens.ValidationError into error_descriptions.
func fieldMessages(err error) map[string][]string {
	out := map[string][]string{}
	var ve *vlens.ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			out[f.Field] = append(out[f.Field], f.Message)
		}
	}
	return out
}

// isJSONContentType accepts the media types ASP.NET's JSON input formatter
// does: application/json, text/json and application/*+json.
func isJSONContentType(v string) bool {
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "text/json" ||
		(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// randomToken is the default session token: TokenPrefix and 32 random hex
// digits.
func randomToken(vlens.CreateAuthSessionInput) string {
	return randomHex(TokenPrefix)
}

// randomHex is prefix and 32 random hex digits.
func randomHex(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// millis is a duration as a log attribute in milliseconds, a number that
// slog's JSON handler writes as a person reads it (slog.Duration writes
// nanoseconds there), as the SDK's own log lines do.
func millis(key string, d time.Duration) slog.Attr {
	return slog.Float64(key, float64(d.Microseconds())/1000)
}
