package webhook

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/vlens-go/vlens"
)

// Defaults of NewHandler and NewMemoryDeduper.
const (
	// DefaultMaxBodyBytes is the largest body a handler reads unless
	// WithMaxBodyBytes says otherwise. Vlens's status changes are a few
	// hundred bytes.
	DefaultMaxBodyBytes = 64 << 10
	// DefaultDedupeTTL is how long the default deduper remembers a
	// processed event: Vlens's platform tries an event about 5 times, over
	// far less than a day.
	DefaultDedupeTTL = 24 * time.Hour
	// DefaultDedupeMax is how many events the default deduper remembers at
	// most (a few tens of bytes each).
	DefaultDedupeMax = 100_000
)

// minSecretBytes is the shortest secret the authentication options take,
// so that a secret cannot be guessed by trying.
const minSecretBytes = 16

// Option configures NewHandler. An option given a value that makes no sense
// makes NewHandler return an error naming the option and its rule.
type Option func(*config) error

// config is what the options set.
type config struct {
	auths      []string // the authentication options given, by name
	auth       func(r *http.Request, body []byte) error
	fetch      *vlens.Client
	deduper    Deduper
	maxBody    int64
	logger     *slog.Logger
	warnNoAuth bool
}

// setAuth records an authentication option; NewHandler checks that exactly
// one was given.
func (c *config) setAuth(name string, auth func(*http.Request, []byte) error) {
	c.auths = append(c.auths, name)
	c.auth = auth
}

// WithSecretHeader authenticates a delivery by a header that the webhook
// subscription is set to send (Vlens's portal lets a subscription add
// headers): the header name must carry value, compared in constant time.
// name must be a valid header name and value at least 16 bytes.
func WithSecretHeader(name, value string) Option {
	return func(c *config) error {
		if !validHeaderName(name) {
			return errors.New("webhook: WithSecretHeader: name must be a valid HTTP header name")
		}
		if len(value) < minSecretBytes {
			return fmt.Errorf("webhook: WithSecretHeader: value must be at least %d bytes", minSecretBytes)
		}
		c.setAuth("WithSecretHeader", secretHeader(name, value))
		return nil
	}
}

// WithURLToken authenticates a delivery by a secret in the URL the
// subscription posts to: either the query parameter "token"
// (https://example.com/hooks/vlens?token=…) or the path's last segment
// (https://example.com/hooks/vlens/…), compared in constant time. token
// must be at least 16 characters, each a letter, digit, '-', '_', '.' or
// '~', so that it reads the same in a path and a query.
func WithURLToken(token string) Option {
	return func(c *config) error {
		if len(token) < minSecretBytes || !urlSafe(token) {
			return fmt.Errorf("webhook: WithURLToken: token must be at least %d characters, each a letter, digit, '-', '_', '.' or '~'", minSecretBytes)
		}
		c.setAuth("WithURLToken", urlToken(token))
		return nil
	}
}

// WithSignatureSecret authenticates a delivery by the header
// abp-webhook-signature: "sha256=" and the HMAC-SHA256 of the raw body
// keyed with the subscription's secret, in hex (lower or upper case, with
// or without dashes between bytes; the prefix may be left out), compared
// in constant time. This is how the ASP.NET Boilerplate platform that
// Vlens's webhooks come from signs them; Vlens does not document it (see
// docs/webhooks.md). secret must be at least 16 bytes.
func WithSignatureSecret(secret string) Option {
	return func(c *config) error {
		if len(secret) < minSecretBytes {
			return fmt.Errorf("webhook: WithSignatureSecret: secret must be at least %d bytes", minSecretBytes)
		}
		c.setAuth("WithSignatureSecret", signature(secret))
		return nil
	}
}

// WithVerifyByFetching trusts nothing a delivery says but its event ID and
// request ID: for a status change it reads the request back with
// client.GetBusinessRequest and hands fn an event whose Data (and so
// StatusChange) is what Vlens says now: {"Id":…,"NewStatus":…}, the status
// named without spaces as a delivery names it, and nothing else of the
// delivered Data. The event's ID, Attempt and CreatedAt are as delivered.
// A forged delivery then costs at most one read and cannot change the
// status fn sees.
//
// A request ID that Vlens does not know (HTTP 404) or refuses as malformed
// is answered 401, like a wrong credential. A read that fails otherwise
// (transport, 429, 5xx, the client's own credentials refused) is answered
// 503 with Retry-After, and fn does not run, so that Vlens delivers again.
// An event of another type cannot be verified this way: it is acknowledged
// (200) without running fn. The body is parsed (400 when malformed) before
// the read, since the read needs Data.Id.
func WithVerifyByFetching(client *vlens.Client) Option {
	return func(c *config) error {
		if client == nil {
			return errors.New("webhook: WithVerifyByFetching: client must not be nil")
		}
		c.setAuth("WithVerifyByFetching", nil)
		c.fetch = client
		return nil
	}
}

// WithAuthenticator authenticates a delivery with auth, which gets the
// request and its raw body (read up to the limit, not yet parsed) and
// returns nil to accept it. Any error is answered 401; its text is neither
// answered nor logged.
func WithAuthenticator(auth func(r *http.Request, body []byte) error) Option {
	return func(c *config) error {
		if auth == nil {
			return errors.New("webhook: WithAuthenticator: auth must not be nil")
		}
		c.setAuth("WithAuthenticator", auth)
		return nil
	}
}

// WithoutAuthentication accepts every delivery, for local development
// only: anyone who can reach the URL can post "Approved". NewHandler logs a
// warning once (to the WithLogger logger, or slog's default).
func WithoutAuthentication() Option {
	return func(c *config) error {
		c.setAuth("WithoutAuthentication", func(*http.Request, []byte) error { return nil })
		c.warnNoAuth = true
		return nil
	}
}

// WithDeduper sets what makes each event run fn once: share one Deduper
// across replicas (a Redis one, say) so that they process an event once
// between them. The default is NewMemoryDeduper(DefaultDedupeTTL,
// DefaultDedupeMax), one per handler.
func WithDeduper(d Deduper) Option {
	return func(c *config) error {
		if d == nil {
			return errors.New("webhook: WithDeduper: deduper must not be nil")
		}
		c.deduper = d
		return nil
	}
}

// WithMaxBodyBytes sets the largest body the handler reads, DefaultMaxBodyBytes
// (64 KiB) by default. A larger body is answered 413, having read no more
// than n+1 bytes of it. n must be positive.
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return errors.New("webhook: WithMaxBodyBytes: must be positive")
		}
		c.maxBody = n
		return nil
	}
}

// WithLogger makes the handler log one line per delivery to l: the event's
// ID, type and attempt when it got that far, the outcome, the HTTP status
// and the duration, and the error of a Deduper or of the read-back when
// one failed (vlens's errors carry no secrets). Never the body, Data, or
// the text of fn's or an authenticator's error. Without it (or with nil)
// the handler logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}
