package vlenstest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vlens-go/vlens"
)

// Webhooks as Vlens sends them (see WithWebhook). What is inferred rather
// than documented by Vlens comes from the platform it runs on, ASP.NET
// Boilerplate: the signature header, the number of attempts and the
// timeout.
const (
	// WebhookEventStatusChange is the one event Vlens documents: a
	// business request's status changed.
	WebhookEventStatusChange = "App.BusinessRequestStatusChange"
	// WebhookSignatureHeader carries "sha256=" and the lowercase hex of the
	// HMAC-SHA256 of the body, keyed with WebhookSecret's secret.
	WebhookSignatureHeader = "abp-webhook-signature"
	// WebhookMaxAttempts is how many times an event is sent before the
	// server gives up on it.
	WebhookMaxAttempts = 5
	// DefaultWebhookTimeout is how long an attempt waits for its answer
	// unless WebhookTimeout says otherwise.
	DefaultWebhookTimeout = 60 * time.Second
	// DefaultWebhookRetryWait is the wait before the second attempt unless
	// WebhookRetryWait says otherwise; each later wait doubles it (1, 2, 4
	// and 8 minutes), as the platform's background jobs back off.
	DefaultWebhookRetryWait = time.Minute
)

// WebhookOption configures the deliveries of WithWebhook. Like a
// ServerOption, it panics on a value that makes no sense.
type WebhookOption func(*webhookConfig)

type webhookConfig struct {
	url             string
	secret          string
	header          http.Header
	timeout         time.Duration
	retryWait       time.Duration
	drop, duplicate int
}

// WithWebhook makes the server POST an App.BusinessRequestStatusChange
// webhook to target whenever a business request's status changes:
// CompleteSession makes a request with a status, and SetRequestStatus
// moves one to another status (setting the status a request already has
// sends nothing). The body is Vlens's, field for field:
//
//	{"Id":"<event UUID>","WebhookEvent":"App.BusinessRequestStatusChange","Attempt":1,
//	 "Data":{"Id":"<business request ID>","NewStatus":"PendingApproval"},
//	 "CreationTimeUtc":"2025-12-11T11:27:18.6197007Z"}
//
// NewStatus is the status's name without spaces ("PendingApproval",
// "CustomerSigned"), or its number as a string ("7") for a status Vlens
// does not name, which vlens.ParseRequestStatus reads back either way.
// CreationTimeUtc is when the status changed, with 7 fractional digits.
// The Content-Type is application/json; charset=utf-8, as .NET sends it.
//
// Deliveries run in the background and never hold up CompleteSession or
// SetRequestStatus. Each event is delivered on its own, so two events sent
// close together may arrive in either order, as from the platform; wait
// for one (WaitDeliveries) before changing the status again to see them in
// order. An attempt that is answered other than 2xx, fails to connect, or
// gets no answer within WebhookTimeout is sent again, with the same Id and
// Attempt one higher, after WebhookRetryWait and then twice as long each
// time, up to WebhookMaxAttempts attempts. Deliveries lists every attempt.
// Reset and Close stop the deliveries in progress; Close waits for them to
// end.
//
// No proxy is used. target must be an absolute http or https URL; it may
// carry a secret (a token in its query or path), which the server never
// logs or shows. WithWebhook panics on any other target.
func WithWebhook(target string, opts ...WebhookOption) ServerOption {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		panic("vlenstest: WithWebhook: the URL must be absolute, http or https")
	}
	cfg := webhookConfig{url: target, header: http.Header{}, timeout: DefaultWebhookTimeout, retryWait: DefaultWebhookRetryWait}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	return func(c *config) { c.webhook = &cfg }
}

// WebhookSecret signs every delivery as the platform does when the
// subscription has a secret: the WebhookSignatureHeader header is
// "sha256=" and the lowercase hex of the HMAC-SHA256 of the body, keyed
// with secret. (ASP.NET Boilerplate writes the hex in upper case with
// dashes; a receiver should accept both.) It panics on an empty secret.
func WebhookSecret(secret string) WebhookOption {
	if secret == "" {
		panic("vlenstest: WebhookSecret: the secret must not be empty")
	}
	return func(c *webhookConfig) { c.secret = secret }
}

// WebhookHeader adds a header to every delivery, as a webhook subscription
// can be set to send one: for example a secret the receiver checks. It may
// be given several times. It panics on a name that is not an HTTP token or
// is one the server sets itself (Content-Type, Content-Length, Host,
// Transfer-Encoding, WebhookSignatureHeader), and on a value with a line
// break or NUL.
func WebhookHeader(name, value string) WebhookOption {
	reserved := []string{"Content-Type", "Content-Length", "Host", "Transfer-Encoding", WebhookSignatureHeader}
	if !validHeaderName(name) || strings.ContainsAny(value, "\r\n\x00") {
		panic("vlenstest: WebhookHeader: the name must be an HTTP token and the value on one line")
	}
	for _, r := range reserved {
		if strings.EqualFold(name, r) {
			panic("vlenstest: WebhookHeader: " + r + " is set by the server")
		}
	}
	return func(c *webhookConfig) { c.header.Add(name, value) }
}

// WebhookTimeout sets how long an attempt waits for its answer before it
// counts as failed and is sent again (default DefaultWebhookTimeout, the
// platform's). It panics unless d is positive.
func WebhookTimeout(d time.Duration) WebhookOption {
	if d <= 0 {
		panic("vlenstest: WebhookTimeout: must be positive")
	}
	return func(c *webhookConfig) { c.timeout = d }
}

// WebhookRetryWait sets the wait before an event's second attempt (default
// DefaultWebhookRetryWait); each later wait is twice the one before. A
// test sets a millisecond, so that five attempts take a few. It panics on
// a negative d.
func WebhookRetryWait(d time.Duration) WebhookOption {
	if d < 0 {
		panic("vlenstest: WebhookRetryWait: must not be negative")
	}
	return func(c *webhookConfig) { c.retryWait = d }
}

// WebhookDrop loses the first n events, as a webhook that never arrives:
// each is listed in Deliveries as Dropped, and is neither sent nor sent
// again. Server.DropWebhooks loses the next ones later on. It panics on a
// negative n.
func WebhookDrop(n int) WebhookOption {
	if n < 0 {
		panic("vlenstest: WebhookDrop: must not be negative")
	}
	return func(c *webhookConfig) { c.drop = n }
}

// WebhookDuplicate sends each attempt of the first n events twice at
// once, as a delivery that arrives twice: the two POSTs carry the same body
// and headers, and the second is listed as Duplicate. An attempt counts as
// delivered when either is answered 2xx. Server.DuplicateWebhooks
// duplicates the next ones later on. It panics on a negative n.
func WebhookDuplicate(n int) WebhookOption {
	if n < 0 {
		panic("vlenstest: WebhookDuplicate: must not be negative")
	}
	return func(c *webhookConfig) { c.duplicate = n }
}

// Delivery is one attempt to deliver a webhook, as Server.Deliveries lists
// it (and the control endpoint, with these JSON names). It holds nothing
// secret: no URL, header or body.
type Delivery struct {
	EventID   string `json:"eventId"`   // the body's Id, the same on every attempt
	RequestID string `json:"requestId"` // the business request's ID (Data.Id)
	NewStatus string `json:"newStatus"` // as sent, such as "PendingApproval"
	Attempt   int    `json:"attempt"`   // 1 to WebhookMaxAttempts
	// Time is when the attempt was sent, or dropped.
	Time time.Time `json:"time"`
	// StatusCode is the receiver's HTTP status; 0 when there was none.
	StatusCode int `json:"statusCode"`
	// Error says why there was no answer: the connection failed, or no
	// answer came within WebhookTimeout ("no answer within 60s").
	Error string `json:"error,omitempty"`
	// Dropped reports an event lost on purpose (WebhookDrop): not sent.
	Dropped bool `json:"dropped,omitempty"`
	// Duplicate reports the second of two POSTs of one attempt
	// (WebhookDuplicate).
	Duplicate bool `json:"duplicate,omitempty"`
}

// Delivered reports whether the receiver answered 2xx, which ends the
// event's attempts.
func (d Delivery) Delivered() bool { return d.StatusCode >= 200 && d.StatusCode <= 299 }

// webhookStatus is NewStatus for status: its name without spaces, or its
// number for a status Vlens does not name.
func webhookStatus(status vlens.RequestStatus) string {
	if name := statusName(status); name != "" {
		return strings.ReplaceAll(name, " ", "")
	}
	return strconv.Itoa(int(status))
}
