package vlenstest

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/vlens-go/vlens"
)

// TestAPIKey is the API key a Server accepts unless WithAPIKey says
// otherwise. It is a fixed, public value: it only ever opens a fake.
const TestAPIKey = "vlenstest-api-key"

// ServerOption configures a Server. NewServer panics when an option is given
// a value that makes no sense: that is a bug in the test, not a condition to
// handle.
type ServerOption func(*config)

type config struct {
	apiKey     string
	admin      vlens.AdminCredentials
	accessTTL  time.Duration
	refreshTTL time.Duration
	tokenFunc  func(vlens.CreateAuthSessionInput) string
	rate       float64
	burst      int
	perMinute  int           // WithRateLimitPerMinute's; 0: no such window
	minute     time.Duration // WithRateLimitMinute's
	latency    time.Duration
	logger     *slog.Logger
	control    bool
	// controlHosts are WithControlEndpoint's extra host names.
	controlHosts []string
	// templates are WithTemplate's, by ID.
	templates map[int]vlens.Template
	// webhook is WithWebhook's, or nil.
	webhook *webhookConfig

	// How the server refuses an admin: the HTTP status of a refused login
	// and of a refused refresh, and the login lockout.
	loginRefusal    int
	refreshRefusal  int
	lockoutAttempts int // 0: no lockout
	lockoutDuration time.Duration
}

func defaultConfig() config {
	return config{
		apiKey:     TestAPIKey,
		admin:      DefaultAdminCredentials(),
		accessTTL:  DefaultAccessTokenTTL,
		refreshTTL: DefaultRefreshTokenTTL,
		tokenFunc:  randomToken,
		minute:     time.Minute,

		loginRefusal:    http.StatusUnauthorized,
		refreshRefusal:  http.StatusUnauthorized,
		lockoutAttempts: DefaultLockoutAttempts,
		lockoutDuration: DefaultLockoutDuration,
	}
}

// WithAPIKey sets the only API key the server accepts (default TestAPIKey).
// It panics on an empty key or one with line breaks.
func WithAPIKey(key string) ServerOption {
	if strings.TrimSpace(key) == "" || strings.ContainsAny(key, "\r\n") {
		panic("vlenstest: WithAPIKey: key must be non-empty and on one line")
	}
	return func(c *config) { c.apiKey = key }
}

// DefaultAdminCredentials returns the admin login a Server accepts unless
// WithAdminCredentials says otherwise, and the one Server.Client logs in
// with. Like TestAPIKey, it is fixed and public and only ever opens a fake.
// It is a function, returning a new copy each time, so that no test can
// change what the servers of other tests accept.
func DefaultAdminCredentials() vlens.AdminCredentials {
	return vlens.AdminCredentials{
		TenancyName:            "vlenstest",
		UserNameOrEmailAddress: "admin@vlenstest.example",
		Password:               "vlenstest-password",
	}
}

// Default lifetimes of the admin tokens a Server issues, as Vlens documents
// them (expireInSeconds 86400 and refreshTokenExpireInSeconds 604800).
const (
	DefaultAccessTokenTTL  = 24 * time.Hour
	DefaultRefreshTokenTTL = 7 * 24 * time.Hour
)

// WithAdminCredentials sets the only admin login the server accepts
// (default DefaultAdminCredentials()): Login must carry creds.TenancyName in
// its TenancyName header and all three fields, compared exactly, in its
// body. Server.Client logs in with them. It panics on credentials that
// creds.Validate refuses, since no vlens client could send them.
func WithAdminCredentials(creds vlens.AdminCredentials) ServerOption {
	if err := creds.Validate(); err != nil {
		panic("vlenstest: WithAdminCredentials: " + err.Error())
	}
	return func(c *config) { c.admin = creds }
}

// WithAdminTokenTTL sets how long the admin access and refresh tokens the
// server issues stay valid (defaults DefaultAccessTokenTTL and
// DefaultRefreshTokenTTL). Short lifetimes let a test see a client refresh
// and log in again within milliseconds. Answers give lifetimes in whole
// seconds, rounded up and at least 1, so a client believes a 50ms token
// lasts a second; the server refuses the token after 50ms all the same,
// and the client recovers through its 401 handling, as it would from a
// token revoked early. It panics unless both are positive.
func WithAdminTokenTTL(access, refresh time.Duration) ServerOption {
	if access <= 0 || refresh <= 0 {
		panic("vlenstest: WithAdminTokenTTL: lifetimes must be positive")
	}
	return func(c *config) { c.accessTTL, c.refreshTTL = access, refresh }
}

// WithTokenFunc makes the server issue the session tokens f returns, for
// CreateAuthSession and CreateInvitation alike, for example to make tests
// and examples deterministic. f sees the decoded, valid input (for an
// invitation: its phone number, email and session permissions) and may be
// called from many goroutines at once. An empty string makes the
// server answer with data null, the malformed success that the client
// reports as vlens.ErrMalformedResponse. By default tokens are TokenPrefix
// followed by 32 random hex digits, unique and opaque. It panics on nil.
func WithTokenFunc(f func(vlens.CreateAuthSessionInput) string) ServerOption {
	if f == nil {
		panic("vlenstest: WithTokenFunc: func must not be nil")
	}
	return func(c *config) { c.tokenFunc = f }
}

// WithRateLimit limits the endpoints to perSecond requests per second on
// average, with bursts of up to burst requests (a token bucket that starts
// full). A request over the limit is answered with HTTP 429,
// ErrorCodeRateLimited and a Retry-After header giving, in whole seconds
// rounded up and at least 1, the time until a request would be accepted
// again. Every request to an endpoint counts, logins and refreshes included,
// as do ones that then fail authentication, as at a gateway. By default there is no limit
// (Vlens's documentation gives 10 per second and 60 per minute per tenant;
// WithRateLimitPerMinute adds the second window).
// It panics unless perSecond > 0 and burst >= 1.
func WithRateLimit(perSecond float64, burst int) ServerOption {
	if !(perSecond > 0) || burst < 1 {
		panic("vlenstest: WithRateLimit: perSecond must be positive and burst at least 1")
	}
	return func(c *config) { c.rate, c.burst = perSecond, burst }
}

// WithRateLimitPerMinute adds a per-minute window to WithRateLimit's (or
// is the only window without it): a token bucket holding up to perMinute
// requests that refills perMinute per minute and starts full, so that
// WithRateLimit(10, 10) and WithRateLimitPerMinute(60) are Vlens's quoted
// limits. A request is accepted only when every window has a token, and
// takes one from each; one refused takes from none, and is answered as
// WithRateLimit says, with the Retry-After of the window that refused it
// (the later one when both do). Vlens does not document how it counts a
// minute; a token bucket is the model golang.org/x/time/rate and
// redis_rate pace by. It panics unless perMinute >= 1.
func WithRateLimitPerMinute(perMinute int) ServerOption {
	if perMinute < 1 {
		panic("vlenstest: WithRateLimitPerMinute: perMinute must be at least 1")
	}
	return func(c *config) { c.perMinute = perMinute }
}

// WithRateLimitMinute sets how long the minute of WithRateLimitPerMinute
// lasts (default time.Minute), so that a test sees a minute's pacing in
// a fraction of a second: with WithRateLimitMinute(200*time.Millisecond),
// WithRateLimitPerMinute(12) refills 12 requests every 200ms. It panics
// unless d is positive.
func WithRateLimitMinute(d time.Duration) ServerOption {
	if d <= 0 {
		panic("vlenstest: WithRateLimitMinute: d must be positive")
	}
	return func(c *config) { c.minute = d }
}

// WithLatency delays every answer, faults included, by d, as a distant
// server would. The delay ends early when the client goes away or the
// server closes. It panics on a negative d.
func WithLatency(d time.Duration) ServerOption {
	if d < 0 {
		panic("vlenstest: WithLatency: must not be negative")
	}
	return func(c *config) { c.latency = d }
}

// WithLogger makes the server log one line per request: method, path,
// status, error_code, whether a fault was served, and duration. It never
// logs headers, bodies or tokens. By default the server logs nothing.
func WithLogger(l *slog.Logger) ServerOption {
	return func(c *config) { c.logger = l }
}

// The platform Vlens is built on (ASP.NET Boilerplate / ASP.NET Zero) locks
// a user out after DefaultLockoutAttempts failed logins in a row, for
// DefaultLockoutDuration; the fake does the same unless WithLoginLockout
// says otherwise.
const (
	DefaultLockoutAttempts = 5
	DefaultLockoutDuration = 5 * time.Minute
)

// WithLoginLockout sets after how many failed logins in a row the admin
// user is locked out, and for how long (defaults DefaultLockoutAttempts and
// DefaultLockoutDuration, as on the platform). A test sets a short d, such
// as 50ms, to see the lockout end. WithLoginLockout(0, 0) turns the lockout
// off. A login counts as failed when it names the configured user (tenancy
// and user name) with another password; one naming an unknown user is
// refused without counting, since the platform locks a user's record, not a
// name. A successful login resets the count, and so does the lockout
// itself. While the user is locked out every login naming it is refused,
// the right password too, with the status of a refused login
// (WithLoginRefusal) and ErrorCodeLockedOut, and counts toward nothing.
// Reset ends a lockout and clears the count. It panics unless attempts and
// d are both positive, or both zero.
func WithLoginLockout(attempts int, d time.Duration) ServerOption {
	if !(attempts > 0 && d > 0) && !(attempts == 0 && d == 0) {
		panic("vlenstest: WithLoginLockout: attempts and d must both be positive, or both zero to turn the lockout off")
	}
	return func(c *config) { c.lockoutAttempts, c.lockoutDuration = attempts, d }
}

// WithLoginRefusal sets the HTTP status with which the server refuses a
// login: wrong credentials or a locked-out user (default 401). The platform
// answers some refusals with 200 and others with 400 or 500, always with an
// error_code in the envelope; a client must not take a refused login for a
// transient failure, whatever its status. The error_code stays
// ErrorCodeUnauthorized (ErrorCodeLockedOut for a lockout). It panics unless
// status is 200 or 400 to 599.
func WithLoginRefusal(status int) ServerOption {
	checkRefusal("WithLoginRefusal", status)
	return func(c *config) { c.loginRefusal = status }
}

// WithRefreshRefusal sets the HTTP status with which the server refuses a
// refresh token that is unknown, expired, already used or revoked (default
// 401). The platform refuses one with HTTP 200 or 400 plus an error_code,
// not only with 401, so a client should treat any refusal of a refresh as
// "log in again"; this option lets a test check that it does. The error_code
// stays ErrorCodeUnauthorized. A refresh request that breaks the input rules
// (a blank token) is still answered 422. It panics unless status is 200 or
// 400 to 599.
func WithRefreshRefusal(status int) ServerOption {
	checkRefusal("WithRefreshRefusal", status)
	return func(c *config) { c.refreshRefusal = status }
}

// checkRefusal panics unless status can carry a refusal: 200 with an
// error_code, as Vlens reports most errors, or a 4xx or 5xx.
func checkRefusal(option string, status int) {
	if status != http.StatusOK && (status < 400 || status > 599) {
		panic("vlenstest: " + option + ": status must be 200 or 400 to 599")
	}
}
