package vlens

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// DefaultBaseURL is Vlens's production API. Vlens has no separate sandbox
// host: a non-production tenant (its own API key) serves as a test
// environment.
const DefaultBaseURL = "https://api.vlenseg.com"

// Version is the SDK's version, sent in the User-Agent header.
const Version = "0.1.0"

// createAuthSessionPath is the endpoint CreateAuthSession posts to.
const createAuthSessionPath = "/api/IdentityUserSession/CreateAuthSession"

// Client calls the Vlens API with one tenant's API key. Create it with
// NewClient and share it: a *Client is safe for concurrent use by many
// goroutines, and reusing it reuses connections.
//
// Printing a Client (fmt's verbs) never shows the API key.
type Client struct {
	endpoint      string
	maxRetries    int
	retryWaitMin  time.Duration
	retryWaitMax  time.Duration
	maxRetryAfter time.Duration
	logger        *slog.Logger
	http          *retryablehttp.Client
	// secret returns what carries the API key. It is a function rather than
	// a pointer because fmt prints a function as an address under every
	// verb, so no way of printing a Client, even a copied value nested in an
	// unexported field, can reach the key.
	secret func() *clientSecret
}

// clientSecret holds what carries the API key: the key itself and the
// request every call copies (method, URL and headers are built once, not
// per call).
type clientSecret struct {
	apiKey  string
	request *http.Request
	// shareHeader reports whether calls may share request.Header. They may
	// when the SDK built the whole stack below Do, none of which writes to
	// a request's headers; a caller's client may have a cookie jar (which
	// adds to them) or a transport that does, so each call then gets its
	// own header map.
	shareHeader bool
}

// NewClient returns a client that authenticates with apiKey, the static
// tenant key from the Vlens dashboard. It returns an error, and never panics,
// for an empty API key, an unusable base URL (see WithBaseURL) and option
// values that make no sense (see each option).
//
// Defaults: DefaultBaseURL; 2 retries with waits between 500ms and 10s;
// Retry-After honoured up to 30s; 30s per attempt; responses up to 1 MiB;
// no logging.
func NewClient(apiKey string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(apiKey) == "" {
		return nil, errors.New("vlens: NewClient: API key must not be empty")
	}
	if strings.ContainsAny(apiKey, "\r\n") {
		return nil, errors.New("vlens: NewClient: API key must not contain line breaks")
	}
	s := defaultSettings()
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&s); err != nil {
			return nil, err
		}
	}
	base, err := checkBaseURL(s.baseURL)
	if err != nil {
		return nil, err
	}
	ua := "vlens-go/" + Version + " " + runtime.Version()
	if s.userAgent != "" {
		ua += " " + s.userAgent
	}
	tmpl, err := newRequestTemplate(base+createAuthSessionPath, apiKey, ua)
	if err != nil {
		return nil, err
	}
	c := &Client{
		endpoint:      base + createAuthSessionPath,
		maxRetries:    s.maxRetries,
		retryWaitMin:  s.retryWaitMin,
		retryWaitMax:  s.retryWaitMax,
		maxRetryAfter: s.maxRetryAfter,
		logger:        s.logger,
	}
	secret := &clientSecret{apiKey: apiKey, request: tmpl, shareHeader: s.httpClient == nil}
	c.secret = func() *clientSecret { return secret }
	c.http = c.newRetryClient(attemptClient(s))
	return c, nil
}

// newRequestTemplate builds the request that each call copies and gives its
// own context and body.
func newRequestTemplate(endpoint, apiKey, userAgent string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, endpoint, nil)
	if err != nil {
		return nil, errors.New("vlens: base URL does not parse")
	}
	// With Host empty the transport takes the host from URL, and
	// http.Client skips the URL copy it makes per call when Host is set.
	req.Host = ""
	req.Header.Set("ApiKey", apiKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	return req, nil
}

// newRequest returns the request for one call, with st as its context and
// body as its body. Its URL, and its header values, are the template's:
// nothing below retryablehttp's Do modifies them.
func (c *Client) newRequest(st *call) (*retryablehttp.Request, error) {
	secret := c.secret()
	tmpl := secret.request
	req := tmpl.WithContext(st)
	if !secret.shareHeader {
		req.Header = make(http.Header, len(tmpl.Header))
		for k, v := range tmpl.Header {
			req.Header[k] = v[:len(v):len(v)]
		}
	}
	rreq := &retryablehttp.Request{Request: req}
	if err := rreq.SetBody(retryablehttp.ReaderFunc(st.requestBody)); err != nil {
		return nil, err
	}
	return rreq, nil
}

// checkBaseURL enforces WithBaseURL's rules and returns the URL as
// scheme://host, ready for paths to be appended.
func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("vlens: base URL does not parse")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return "", errors.New("vlens: base URL must use https")
	case u.Host == "":
		return "", errors.New("vlens: base URL has no host")
	case u.User != nil:
		return "", errors.New("vlens: base URL must not contain credentials")
	case u.Path != "" && u.Path != "/":
		return "", errors.New("vlens: base URL must have no path")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", errors.New("vlens: base URL must have no query or fragment")
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return "", errors.New("vlens: base URL must use https (plain http is allowed only on loopback hosts)")
	}
	return u.Scheme + "://" + u.Host, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// attemptClient builds the *http.Client that makes each attempt: the
// caller's (shallow-copied) or a tuned default, never following redirects,
// with a transport that times and fully reads each attempt.
func attemptClient(s settings) *http.Client {
	var hc http.Client
	var base http.RoundTripper
	if s.httpClient != nil {
		hc = *s.httpClient
		base = hc.Transport
	}
	if base == nil {
		base = defaultTransport(s.timeout)
	}
	// The ApiKey header is custom, and Go's client would forward it to
	// whatever host a redirect names: refuse every redirect.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc.Transport = &attemptTransport{
		base:     base,
		timeout:  s.timeout,
		maxBytes: s.maxResponseBytes,
		logger:   s.logger,
		limiter:  s.limiter,
	}
	return &hc
}

// defaultTransport is http.DefaultTransport's settings plus a response-header
// timeout, so that no attempt hangs on a server that never answers, and
// enough idle connections per host for a busy backend to reuse them.
func defaultTransport(timeout time.Duration) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = defaultTimeout
	if timeout > 0 && timeout < t.ResponseHeaderTimeout {
		t.ResponseHeaderTimeout = timeout
	}
	t.MaxIdleConnsPerHost = 64
	return t
}

// Format prints the client's endpoint with its API key redacted, for every
// verb. It has a value receiver so that a dereferenced Client prints the
// same way as a *Client.
func (c Client) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "vlens.Client{Endpoint:%s, APIKey:%s}", c.endpoint, redacted)
}

// String describes the client with its API key redacted.
func (c *Client) String() string {
	if c == nil {
		return "<nil>"
	}
	return fmt.Sprint(*c)
}

// GoString describes the client with its API key redacted, for %#v.
func (c *Client) GoString() string { return c.String() }

// send posts st's body with retries and turns the answer into a token or a
// typed error.
func (c *Client) send(st *call) (string, error) {
	req, err := c.newRequest(st)
	if err != nil {
		return "", fmt.Errorf("vlens: create auth session: building request: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		err = c.callError(st, err)
		c.logDone(st, 0, err)
		return "", err
	}
	defer resp.Body.Close()
	r := newRedactor(c.secret().apiKey, &st.in)
	token, err := decodeResponse(resp.StatusCode, bufferedBytes(resp), &r)
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			apiErr.Attempts = st.attempts
			apiErr.RetryAfter = retryAfterHeader(resp, time.Now())
		}
	}
	c.logDone(st, resp.StatusCode, err)
	return token, err
}

// callError turns a failure without a usable answer into the error the
// caller sees: the caller's context error when the context ended the call,
// an *APIError when the SDK judged an answer unusable, the rate limiter's
// refusal, and otherwise the transport failure of the last attempt.
func (c *Client) callError(st *call, err error) error {
	if ctxErr := st.Err(); ctxErr != nil {
		return fmt.Errorf("vlens: create auth session: %w", ctxErr)
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		apiErr.Attempts = st.attempts
		return apiErr
	}
	var limitErr *limiterError
	if errors.As(err, &limitErr) {
		return fmt.Errorf("vlens: create auth session: %w", limitErr)
	}
	return fmt.Errorf("vlens: create auth session: %d attempt(s) failed: %w", st.attempts, err)
}

func (c *Client) logDone(st *call, status int, err error) {
	if c.logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.Int("attempts", st.attempts),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(st.start)),
	}
	if err == nil {
		c.logger.LogAttrs(st, slog.LevelDebug, "vlens: session created", attrs...)
		return
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		attrs = append(attrs, slog.Int("error_code", apiErr.Code))
	}
	c.logger.LogAttrs(st, slog.LevelWarn, "vlens: create auth session failed", attrs...)
}

// call is one CreateAuthSession call's state. It is also the context of the
// call's request: the caller's context, plus this state as a value that the
// shared retry hooks and the attempt transport look up. Being both saves a
// context.WithValue per call.
type call struct {
	context.Context // the caller's

	client *Client
	// in is the caller's input: it is marshalled from here and, on the
	// error path, redacted out of Vlens's answer.
	in CreateAuthSessionInput
	// body is in marshalled, sent unchanged on every attempt.
	body     []byte
	start    time.Time
	attempts int

	// reader is the body reader requestBody lends the first attempt.
	reader bytes.Reader
}

type callKey struct{}

// Value returns the call for callKey and asks the caller's context for
// anything else.
func (st *call) Value(key any) any {
	if key == (callKey{}) {
		return st
	}
	return st.Context.Value(key)
}

// String names the context (for context's own String methods) without the
// call's data, which holds the user's phone number and email.
func (st *call) String() string { return "vlens.call" }

// Format prints only the context's name, for every verb.
func (st *call) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, st.String()) }

func callFrom(ctx context.Context) *call {
	if st, ok := ctx.(*call); ok {
		return st
	}
	st, _ := ctx.Value(callKey{}).(*call)
	return st
}

// requestBody is the retryablehttp.ReaderFunc the request body is read from.
// Until the first attempt is under way (retryablehttp calls it once to
// measure the body, which reads nothing, and once for the first attempt) it
// hands out the reader kept in st. From then on (retries, and replays
// through Request.GetBody) each call gets a new reader over the same bytes,
// because the connection of an earlier attempt may still be reading its
// reader. Keying this on st.attempts, not on how often it was called, keeps
// it safe whatever retryablehttp's measuring does.
//
// The reader is a plain *bytes.Reader (retryablehttp wraps it in
// io.NopCloser) because net/http recognises that type as in memory and
// writes headers and body in one go; any other type costs an extra TCP
// write per request.
func (st *call) requestBody() (io.Reader, error) {
	if st.attempts == 0 {
		st.reader.Reset(st.body)
		return &st.reader, nil
	}
	return bytes.NewReader(st.body), nil
}

// attemptTransport makes one attempt: it bounds the attempt with the
// per-attempt timeout and reads the whole body (within the size limit) before
// returning, so that a body that breaks off is a transport failure that the
// retry logic sees, and so that the connection goes back to the pool at once.
//
// It deliberately has no CloseIdleConnections method: go-retryablehttp calls
// that on its client when a call fails, and the SDK must not close the idle
// connections of a transport the caller owns, nor throw away its own pool.
type attemptTransport struct {
	base     http.RoundTripper
	timeout  time.Duration
	maxBytes int64
	logger   *slog.Logger
	limiter  Limiter
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	parent := req.Context()
	// Go's own transport checks this, but a caller's RoundTripper need not:
	// once the caller's context has ended, nothing more may be sent.
	if err := parent.Err(); err != nil {
		closeBody(req)
		return nil, err
	}
	if t.limiter != nil {
		if err := t.limiter.Wait(parent); err != nil {
			closeBody(req)
			return nil, &limiterError{err: err}
		}
	}
	st := callFrom(parent)
	if st != nil {
		st.attempts++
	}
	start := time.Now()
	ctx := parent
	if t.timeout > 0 && !endsWithin(parent, start, t.timeout) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(parent, t.timeout)
		defer cancel()
		req = req.WithContext(ctx)
	}
	resp, err := t.base.RoundTrip(req)
	if err == nil {
		err = t.readBody(resp)
	}
	// The transport's response-header timeout also matches
	// context.DeadlineExceeded; while the caller's context is alive, it is
	// this attempt's timeout like any other.
	if err != nil && parent.Err() == nil && (ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded)) {
		err = &attemptTimeoutError{timeout: t.timeout}
	}
	if t.logger != nil && st != nil {
		status := 0
		if resp != nil && err == nil {
			status = resp.StatusCode
		}
		t.logger.LogAttrs(parent, slog.LevelDebug, "vlens: attempt",
			slog.Int("attempt", st.attempts),
			slog.Int("status", status),
			slog.Bool("failed", err != nil),
			slog.Duration("duration", time.Since(start)))
	}
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// endsWithin reports whether ctx's deadline comes no later than d after now:
// the caller's context then ends the attempt first, and an attempt timer
// would never fire.
func endsWithin(ctx context.Context, now time.Time, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return ok && !deadline.After(now.Add(d))
}

// readBody replaces resp.Body with its full contents in a pooled buffer, or
// closes it and returns why it could not be read.
func (t *attemptTransport) readBody(resp *http.Response) error {
	body := resp.Body
	defer body.Close()
	buf := getResponseBuffer()
	tooLarge, err := buf.readFrom(body, t.maxBytes)
	if err != nil || tooLarge {
		putResponseBuffer(buf)
	}
	if err != nil {
		return fmt.Errorf("reading response body: %w", err)
	}
	if tooLarge {
		// Closing unread costs this one connection; draining an answer of
		// unknown size could cost far more.
		return &APIError{
			StatusCode: resp.StatusCode,
			Message:    "response body exceeds " + strconv.FormatInt(t.maxBytes, 10) + " bytes",
			kind:       ErrResponseTooLarge,
		}
	}
	b := &bufferedBody{buf: buf}
	b.Reset(buf.data)
	resp.Body = b
	return nil
}

// bufferedBody is a response body already read into a pooled buffer. The
// first Close returns the buffer to the pool; nothing may keep a reference
// to the bytes after that (decoding copies what it keeps).
type bufferedBody struct {
	bytes.Reader
	buf *responseBuffer
}

func (b *bufferedBody) Close() error {
	if b.buf != nil {
		b.Reset(nil)
		putResponseBuffer(b.buf)
		b.buf = nil
	}
	return nil
}

// bufferedBytes returns the body attemptTransport read. It is valid until
// the body is closed.
func bufferedBytes(resp *http.Response) []byte {
	if b, ok := resp.Body.(*bufferedBody); ok && b.buf != nil {
		return b.buf.data
	}
	data, _ := io.ReadAll(resp.Body)
	return data
}

// responseBuffer is a reusable buffer that response bodies are read into.
type responseBuffer struct {
	data []byte
}

// maxPooledBuffer keeps an occasional large answer from pinning its buffer
// in the pool.
const maxPooledBuffer = 64 << 10

var responseBuffers = sync.Pool{New: func() any { return &responseBuffer{data: make([]byte, 0, 1024)} }}

func getResponseBuffer() *responseBuffer { return responseBuffers.Get().(*responseBuffer) }

func putResponseBuffer(b *responseBuffer) {
	if cap(b.data) > maxPooledBuffer {
		return
	}
	b.data = b.data[:0]
	responseBuffers.Put(b)
}

// readFrom reads r to its end into b, reading at most one byte more than
// limit; tooLarge reports that r held more than limit bytes.
func (b *responseBuffer) readFrom(r io.Reader, limit int64) (tooLarge bool, err error) {
	b.data = b.data[:0]
	for {
		if int64(len(b.data)) > limit {
			return true, nil
		}
		if len(b.data) == cap(b.data) {
			b.data = append(b.data, 0)[:len(b.data)]
		}
		free := b.data[len(b.data):cap(b.data)]
		if rest := limit + 1 - int64(len(b.data)); int64(len(free)) > rest {
			free = free[:rest]
		}
		n, err := r.Read(free)
		b.data = b.data[:len(b.data)+n]
		if err == io.EOF {
			return int64(len(b.data)) > limit, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// attemptTimeoutError is an attempt that ran past the per-attempt timeout
// while the caller's context was still alive; it is retried.
type attemptTimeoutError struct {
	timeout time.Duration
}

func (e *attemptTimeoutError) Error() string {
	if e.timeout <= 0 {
		return "attempt timed out waiting for response headers"
	}
	return "attempt timed out after " + e.timeout.String()
}

// Timeout reports true, as net.Error timeouts do.
func (e *attemptTimeoutError) Timeout() bool { return true }

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
