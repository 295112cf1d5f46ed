package vlens

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultBaseURL is Vlens's production API. Vlens has no separate sandbox
// host: a non-production tenant (its own API key) serves as a test
// environment.
const DefaultBaseURL = "https://api.vlenseg.com"

// Version is the SDK's version, sent in the User-Agent header.
const Version = "0.2.0"

// Client calls the Vlens API with one tenant's API key. Create it with
// NewClient and share it: a *Client is safe for concurrent use by many
// goroutines. Clients built without WithHTTPClient share one connection pool,
// so a backend may create one client per tenant key at no cost in
// connections or goroutines.
//
// Printing a Client (fmt's verbs) never shows the API key.
type Client struct {
	// baseURL is scheme://host[/prefix], without a trailing slash.
	baseURL string
	// settings are the client's options; each call copies them.
	settings settings
	// creds returns what carries the API key. It is a function rather than
	// a pointer because fmt prints a function as an address under every
	// verb, so no way of printing a Client, even a copied value nested in an
	// unexported field of the caller's, can reach the key.
	creds func() *credentials
	// admin supplies admin bearer tokens; nil without WithAdminCredentials
	// or WithAdminTokenSource.
	admin AdminTokenSource
	// closed is set by Close: later calls fail with ErrClosed. A pointer,
	// so that a copy of the Client value (printing one) copies no lock.
	closed *atomic.Bool
}

// credentials are the API key and the headers every request starts from,
// built once per client, and the admin login's secrets, redacted from every
// answer.
type credentials struct {
	apiKey       string
	header       http.Header
	adminSecrets sensitive
}

// NewClient returns a client that authenticates with apiKey, the static
// tenant key from the Vlens dashboard. It returns an error, and never panics,
// for an empty API key, one that begins or ends with white space (a space or
// newline kept from a file or a secret store: a copying slip, better caught
// here than guessed at) or one with bytes no HTTP header may carry, an
// unusable base URL (see WithBaseURL) and option values that make no sense
// (see each option). The errors never show the key.
//
// Defaults: DefaultBaseURL; 2 retries with waits between 500ms and 10s;
// Retry-After honoured up to 30s; 10s per attempt; responses up to 1 MiB;
// no logging.
func NewClient(apiKey string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(apiKey) == "" {
		return nil, errors.New("vlens: NewClient: API key must not be empty")
	}
	if strings.TrimSpace(apiKey) != apiKey {
		return nil, errors.New("vlens: NewClient: API key must not begin or end with white space (a space or newline): trim it")
	}
	if !validHeaderValue(apiKey) {
		return nil, errors.New("vlens: NewClient: API key must not contain control characters")
	}
	s := defaultSettings()
	if err := applyOptions(&s, opts); err != nil {
		return nil, err
	}
	base, err := checkBaseURL(s.baseURL, s.insecureHTTP)
	if err != nil {
		return nil, err
	}
	creds := &credentials{apiKey: apiKey, header: requestHeader(apiKey, s.userAgent)}
	c := &Client{baseURL: base, settings: s, creds: func() *credentials { return creds }, admin: s.adminSource, closed: new(atomic.Bool)}
	if s.adminCreds != nil {
		c.admin = newLoginSource(c, *s.adminCreds)
		creds.adminSecrets = s.adminCreds.secrets()
	}
	c.settings.adminCreds = nil // kept only inside the source
	return c, nil
}

// header returns the headers every request of a call with settings s starts
// from. It is the client's own unless the call changed the User-Agent; the
// caller must not modify it.
func (c *Client) header(s *settings) http.Header {
	creds := c.creds()
	if s.userAgent == c.settings.userAgent {
		return creds.header
	}
	return requestHeader(creds.apiKey, s.userAgent)
}

// requestHeader builds the headers of a request: the API key, JSON both
// ways, and the User-Agent with the caller's product tokens.
func requestHeader(apiKey, userAgent string) http.Header {
	ua := "vlens-go/" + Version + " " + runtime.Version()
	if userAgent != "" {
		ua += " " + userAgent
	}
	return http.Header{
		"Apikey":       {apiKey}, // canonical form of ApiKey: header names are case-insensitive
		"Content-Type": {"application/json"},
		"Accept":       {"application/json"},
		"User-Agent":   {ua},
	}
}

// baseTransport returns the RoundTripper a call's attempts go through: the
// Transport of the caller's client (read now, so that a transport swapped in
// after NewClient, as httpmock.ActivateNonDefault does, takes effect), or else
// the process's default transport.
func baseTransport(hc *http.Client) http.RoundTripper {
	if hc != nil && hc.Transport != nil {
		return hc.Transport
	}
	return defaultTransport()
}

// stdTransport is net/http's own default transport, as the process started.
var stdTransport, _ = http.DefaultTransport.(*http.Transport)

// sharedTransport is stdTransport's settings with an idle pool large enough
// for a busy backend; every client built without WithHTTPClient uses it. It
// sets no response-header timeout: WithAttemptTimeout alone bounds an attempt.
var sharedTransport = sync.OnceValue(func() *http.Transport {
	t := stdTransport.Clone()
	t.MaxIdleConnsPerHost = 64
	return t
})

// defaultTransport is sharedTransport while http.DefaultTransport is still
// net/http's own. When the process has replaced it (httpmock.Activate, a
// tracing agent), it is used as it is: that is what the process asked for.
func defaultTransport() http.RoundTripper {
	if t, ok := http.DefaultTransport.(*http.Transport); ok && t == stdTransport && t != nil {
		return sharedTransport()
	}
	return http.DefaultTransport
}

// CloseIdleConnections closes the idle connections of the transport the
// client sends through: the caller's client's (WithHTTPClient) or else the
// default one, which clients built without WithHTTPClient share. Calls in
// flight are not affected. The SDK never calls it by itself.
func (c *Client) CloseIdleConnections() {
	if c == nil || c.creds == nil {
		return // not created with NewClient: it has no transport
	}
	if hc := c.settings.httpClient; hc != nil {
		hc.CloseIdleConnections()
		return
	}
	if t, ok := defaultTransport().(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

// Close releases what the client holds: it stops a login or refresh of its
// WithAdminCredentials source that is in flight (callers waiting on it get
// ErrClosed), and closes idle connections as CloseIdleConnections does.
// Calls made after Close fail with ErrClosed and send nothing; calls already
// on the wire finish within their own contexts. A LoginSource given with
// WithAdminTokenSource is not the client's: close it yourself. Close always
// returns nil; calling it again does no harm.
func (c *Client) Close() error {
	if c.closed != nil {
		c.closed.Store(true)
	}
	// A LoginSource logging in with c itself is the one WithAdminCredentials
	// built: no other can be c's source, since c did not exist to build it.
	if src, ok := c.admin.(*LoginSource); ok && src.client == c {
		_ = src.Close()
	}
	c.CloseIdleConnections()
	return nil
}

// checkBaseURL enforces WithBaseURL's rules and returns the URL ready for
// paths to be appended: scheme://host and any path prefix, with no trailing
// slash.
func checkBaseURL(raw string, insecureHTTP bool) (string, error) {
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
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", errors.New("vlens: base URL must have no query or fragment")
	case u.Scheme == "http" && !insecureHTTP && !isLoopback(u.Hostname()):
		return "", errors.New("vlens: base URL must use https (plain http is allowed on loopback hosts, or anywhere with WithInsecureHTTP)")
	}
	return u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validHeaderValue reports whether net/http would send s as a header value:
// no control characters other than tab, and no DEL.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

// Format prints the client's base URL with its API key redacted, for every
// verb.
func (c *Client) Format(f fmt.State, _ rune) {
	if c == nil {
		_, _ = f.Write([]byte("<nil>"))
		return
	}
	fmt.Fprintf(f, "vlens.Client{BaseURL:%s, APIKey:%s}", c.baseURL, redacted)
}

// String describes the client with its API key redacted.
func (c *Client) String() string { return fmt.Sprint(c) }

// GoString describes the client with its API key redacted, for %#v.
func (c *Client) GoString() string { return c.String() }
