package vlens

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// operation is what an endpoint method tells the pipeline about itself. Each
// endpoint is its input and output types plus a method that fills one in and
// calls Client.do; nothing else in the package knows which endpoint is
// being called.
type operation struct {
	// name is the operation as errors and logs name it: "create auth
	// session".
	name string
	// method is the HTTP method: POST when empty. A GET sends no body and
	// no Content-Type.
	method string
	// path is appended to the base URL; a path parameter in it is escaped
	// by the method that builds it (url.PathEscape).
	path string
	// query, when set, is sent as the URL's query.
	query url.Values
	// auth says which credentials the request carries.
	auth authScheme
	// header holds headers the operation adds to the client's (Login's
	// TenancyName), in canonical form.
	header http.Header
	// retry says which failures may be retried.
	retry retryPolicy
	// input is validated, then marshalled as the request body; it also
	// names the caller's values that must not survive in anything copied
	// out of Vlens's answer (the API key is always added).
	input input
	// data is where the envelope's data is decoded on success: a pointer.
	// When it has a check method, that says whether the decoded data is
	// usable.
	data any
}

// input is an endpoint's input: it checks itself against the rules Vlens
// documents, and names its secrets.
type input interface {
	Validate() error
	// secrets returns the values to redact from Vlens's answers. It is
	// called only when an answer is an error.
	secrets() sensitive
}

// authScheme is how an operation authenticates.
type authScheme int

const (
	// authAPIKey sends the tenant's ApiKey header alone.
	authAPIKey authScheme = iota
	// authAdmin sends the ApiKey header and the admin token source's bearer
	// token. A 401 drops the token, and the request is made once more with
	// a new one.
	authAdmin
)

// call is one endpoint call in flight: the operation, the settings in force
// and what the attempts have learnt so far. go-retryablehttp's hooks are its
// methods, and it is the RoundTripper each attempt goes through, so they
// share this state without anything hidden in the request's context. A call
// is used by one goroutine.
type call struct {
	ctx    context.Context // the caller's: the hooks that are given none use it
	op     operation
	s      settings
	header http.Header       // the headers every attempt starts from (shared: read only)
	base   http.RoundTripper // what attempts are sent through
	start  time.Time

	attempts     int       // attempts sent so far (the limiter let them go)
	attemptStart time.Time // when the latest attempt was sent
	body         []byte    // the latest answer's body, up to the size limit
	tooLarge     bool      // the latest answer's body was over the limit

	conn      atomic.Int32 // how far the latest attempt got to a connection (see unsent)
	maybeSent bool         // an attempt may have reached Vlens (see unsent)
}

// do is the one path every endpoint takes: validate, marshal, send with
// retries, then decode the answer into op.data or a typed error.
func (c *Client) do(ctx context.Context, op operation, opts []CallOption) error {
	if c == nil || c.creds == nil {
		return errors.New("vlens: " + op.name + ": Client not created with NewClient")
	}
	if ctx == nil {
		return errors.New("vlens: " + op.name + ": nil context")
	}
	if c.closed != nil && c.closed.Load() {
		return prefixed(op.name, ErrClosed)
	}
	s := &c.settings // read only
	if len(opts) > 0 {
		own := c.settings
		if err := applyOptions(&own, opts); err != nil {
			return prefixed(op.name, err)
		}
		s = &own
	}
	if err := op.input.Validate(); err != nil {
		return err
	}
	var body []byte
	if op.method != http.MethodGet {
		var err error
		if body, err = json.Marshal(op.input); err != nil {
			return fmt.Errorf("vlens: %s: encoding request: %w", op.name, err)
		}
	}
	if op.auth != authAdmin {
		return c.exchange(ctx, op, s, body, "")
	}
	if c.admin == nil {
		return errors.New("vlens: " + op.name + ": needs an admin token: give NewClient WithAdminCredentials or WithAdminTokenSource")
	}
	for retried := false; ; retried = true {
		bearer, err := c.admin.AccessToken(ctx)
		if err == nil && (strings.TrimSpace(bearer) == "" || !validHeaderValue(bearer)) {
			err = errors.New("the admin token source returned a token no header can carry")
		}
		if err != nil {
			return &adminTokenError{op: op.name, err: err, answered: retried}
		}
		err = c.exchange(ctx, op, s, body, bearer, adminSecrets(c.admin))
		var apiErr *APIError
		if retried {
			return answered(err)
		}
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
			return err
		}
		// Vlens refused the token (revoked early, say): drop it and go
		// once more with a new one.
		if inv, ok := c.admin.(AdminTokenInvalidator); ok {
			inv.InvalidateAccessToken(bearer)
		}
	}
}

// exchange sends body once (retries inside) and decodes the answer.
// bearer, when set, is sent as the admin token; it and secrets (the admin
// token source's other tokens) are redacted from the answer.
func (c *Client) exchange(ctx context.Context, op operation, s *settings, body []byte, bearer string, more ...sensitive) error {
	cl := &call{ctx: ctx, op: op, s: *s, start: time.Now()}
	cl.header, cl.base = c.header(&cl.s), baseTransport(cl.s.httpClient)
	if len(op.header) > 0 || bearer != "" || body == nil {
		cl.header = cl.header.Clone()
		if body == nil {
			cl.header.Del("Content-Type")
		}
		for k, v := range op.header {
			cl.header[k] = v
		}
		if bearer != "" {
			cl.header.Set("Authorization", "Bearer "+bearer)
		}
	}
	target := c.baseURL + op.path
	if len(op.query) > 0 {
		target += "?" + op.query.Encode()
	}
	resp, err := cl.send(target, body)
	creds := c.creds()
	r := newRedactor(creds.apiKey, op.input)
	r.more = append([]sensitive{creds.adminSecrets}, more...)
	if bearer != "" {
		r.extra = append(r.extra, bearer)
	}
	if err != nil {
		err = cl.failure(err, &r)
		cl.logOutcome(0, err)
		return err
	}
	resp.Body.Close() // the attempt has read it into cl.body
	err = cl.decode(resp, &r)
	cl.logOutcome(resp.StatusCode, err)
	return err
}

// send sends body (nil for a GET) with go-retryablehttp, configured for this call: the retry
// policy, backoff and log lines are the call's hooks, and each attempt goes
// through the call itself (see RoundTrip).
func (cl *call) send(url string, body []byte) (*http.Response, error) {
	method := cmp.Or(cl.op.method, http.MethodPost)
	var payload any
	if body != nil {
		payload = body
	}
	req, err := retryablehttp.NewRequestWithContext(cl.traced(), method, url, payload)
	if err != nil {
		return nil, err
	}
	req.Header = cl.header.Clone()
	hc := http.Client{}
	if cl.s.httpClient != nil {
		hc = *cl.s.httpClient // its Jar applies; the caller's value is untouched
		hc.Timeout = 0        // RoundTrip applies it (see attemptBound)
	}
	hc.Transport = cl
	// The ApiKey header is custom, and Go's client would forward it to
	// whatever host a redirect names: refuse every redirect.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	rc := &retryablehttp.Client{
		HTTPClient:   &hc,
		RetryWaitMin: cl.s.retryWaitMin,
		RetryWaitMax: cl.s.retryWaitMax,
		RetryMax:     cl.s.maxRetries,
		CheckRetry:   cl.checkRetry,
		Backoff:      cl.backoff,
		ErrorHandler: passLastResponse,
		PrepareRetry: cl.prepareRetry,
	}
	if cl.s.logger != nil {
		rc.RequestLogHook, rc.ResponseLogHook = cl.logAttempt, cl.logAnswer
	}
	return rc.Do(req)
}

// prepareRetry is go-retryablehttp's PrepareRetry hook: each retry starts
// from the call's own headers, not from what the last attempt's client added
// (a cookie jar adds its cookies to the request in place).
func (cl *call) prepareRetry(req *http.Request) error {
	req.Header = cl.header.Clone()
	cl.conn.Store(connUnknown)
	return nil
}

// failure turns a call that ended without an answer into the error the
// caller sees: the caller's context error when the context ended the call,
// the rate limiter's refusal, or else the last attempt's transport failure.
// The text of the last two is redacted: net/http quotes a server's bytes in
// its parse errors, and a limiter's error is not the SDK's.
func (cl *call) failure(err error, r *redactor) error {
	e := &sendError{op: cl.op.name, attempts: cl.attempts, notSent: !cl.maybeSent}
	var limitErr *limiterError
	switch {
	case cl.ctx.Err() != nil:
		e.err = cl.ctx.Err()
	case errors.As(err, &limitErr):
		e.err = &textError{err: limitErr, text: r.capped(limitErr.Error())}
	default:
		e.err, e.unreachable = &textError{err: err, text: r.capped(err.Error())}, true
	}
	return e
}

// decode turns the final answer into op.data or an *APIError that describes
// it, with secrets redacted from everything copied out of the body.
func (cl *call) decode(resp *http.Response, r *redactor) error {
	apiErr := decodeEnvelope(resp.StatusCode, cl.body, cl.tooLarge, cl.s.maxResponseBytes, r, cl.op.data)
	if apiErr == nil {
		return nil
	}
	apiErr.Operation = cl.op.name
	apiErr.Attempts = cl.attempts
	apiErr.Header = r.header(resp.Header)
	apiErr.RetryAfter, _ = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	return apiErr
}
