// Package vlens is a Go client for the Vlens identity platform's embedded
// session API.
//
// A business embeds Vlens's verification and contract-signing flow in an
// iframe or WebView. Its backend asks Vlens for a session token for one of its
// users (POST /api/IdentityUserSession/CreateAuthSession, authenticated by the
// tenant's ApiKey header) and hands that token to the user's browser or app.
// This package is that backend call, typed, validated and retried.
//
// # Usage
//
//	client, err := vlens.NewClient(os.Getenv("VLENS_API_KEY"))
//	if err != nil {
//		return err
//	}
//	session, err := client.CreateAuthSession(ctx, vlens.CreateAuthSessionInput{
//		PhoneNumber: "+201234567890",
//		SessionPermissions: &vlens.SessionPermissions{
//			AllowedContractTypeIDs: []int{414},
//			MinimalSignatureFlow:   true,
//		},
//	})
//	if err != nil {
//		return err
//	}
//	// Hand session.Token to the user's browser or app, and nothing else.
//
// Create one Client per API key and share it: it is safe for concurrent use.
// Clients built without WithHTTPClient share one connection pool, so a client
// per tenant key costs nothing extra.
//
// # Invitation sessions
//
// CreateInvitation mints the other kind of session: Vlens pre-fills the
// contract's form with values the business already holds
// (CreateInvitationInput.RequestFieldsValues) and the user only confirms and
// signs. It needs an admin bearer token as well as the API key. With
// WithAdminCredentials the client logs in on first need (Login), caches the
// token, refreshes it ahead of expiry (RefreshAdminToken), logs in again when
// the refresh token has expired or is refused, and keeps one login or refresh
// in flight however many goroutines need a token; WithAdminTokenSource brings
// your own AdminTokenSource instead. A 401 drops the token and the call is
// made once more with a new one. An invitation may create a record on Vlens's
// side, so it is retried only when the request surely was not processed: a
// connection that could not be made, 429 and 503. See ExampleClient_CreateInvitation.
//
// # Options
//
// Options configure a client (NewClient) or a single call: every endpoint
// method takes options after its input, and they apply to that call only,
// over the client's own. The types say where an option is valid: the
// options a call takes are CallOptions, which NewClient takes too, while
// WithBaseURL, WithHTTPClient, WithInsecureHTTP, WithAdminCredentials and
// WithAdminTokenSource shape the client and are plain Options, which a call
// does not compile with; see Option and CallOption.
//
// # Errors
//
// Input that breaks Vlens's documented rules is rejected before anything is
// sent, with a *ValidationError naming every bad field. Every answer from
// Vlens that is not a token is an *APIError carrying the HTTP status, the
// envelope's error_code (Vlens reports errors in the envelope, often with
// HTTP 200), its message and raw error_descriptions. Branch with errors.Is on
// the sentinels (ErrUnauthorized, ErrRateLimited, ErrServer,
// ErrInvalidRequest, ErrMalformedResponse, ErrResponseTooLarge) and read the
// details with errors.As:
//
//	var apiErr *vlens.APIError
//	switch {
//	case errors.Is(err, vlens.ErrUnauthorized):
//		// the API key is wrong: page someone
//	case errors.As(err, &apiErr):
//		log.Printf("vlens refused: status %d, code %d", apiErr.StatusCode, apiErr.Code)
//	}
//
// When the caller's context ends the call, errors.Is(err, context.Canceled)
// or errors.Is(err, context.DeadlineExceeded) holds, and only then. An
// answer read in full is returned as it is (a token, or an *APIError) even
// when the context ends right after it arrived: the context decides only
// whether to wait and try again. An attempt that ran past the SDK's own
// bound (WithAttemptTimeout, or the Timeout of the client given with
// WithHTTPClient) matches ErrAttemptTimeout instead. Anything else is a
// transport failure, wrapped.
//
// # Retries and timeouts
//
// Transport failures (refused, reset, truncated body, per-attempt timeout)
// and HTTP 429, 500, 502, 503 and 504 are retried, twice by default, with
// jittered waits between 500ms and 10s (WithMaxRetries, WithRetryWait).
// Envelope errors, other statuses, validation failures, redirects and
// certificate errors are never retried. A Retry-After header on 429 or 503 is
// honoured up to 30s (WithMaxRetryAfter), but never waited less than the
// minimum wait, so a Retry-After of 0 does not bring back-to-back retries;
// when the server asks for longer the client stops at once and returns the
// last answer as an *APIError with RetryAfter set. A retry is made only when its wait plus the time the last
// attempt took still fits before the context's deadline; otherwise the last
// answer is returned at once. The client never sleeps past the caller's
// deadline. An answer over the size limit keeps its status, so a 503 is
// retried like any other and the final error matches both ErrServer and
// ErrResponseTooLarge.
//
// Retrying is safe for this endpoint: each call only mints a fresh token, and
// the caller uses only the token it receives, so a retried call at worst
// leaves an unused token behind.
//
// Each attempt is bounded by WithAttemptTimeout (10s by default, covering
// the whole response body, exactly as given; 0 leaves the context alone in
// charge), or by the Timeout of the client given with WithHTTPClient when
// that is shorter, so a call cannot hang even with context.Background(). An
// attempt that runs out of time is retried, and reported as
// ErrAttemptTimeout. Every option's default, zero value and range are
// tabled in docs/options.md. An
// unsolicited informational answer (101 Switching Protocols) fails the
// attempt at once. Redirects are never followed, since the ApiKey header
// would go with them.
//
// # Pacing
//
// Vlens's older docs give a per-tenant limit of 10 requests/s and 60/min.
// WithRateLimiter makes every attempt, retries included, wait on a Limiter
// first. A *rate.Limiter from golang.org/x/time/rate satisfies it as is; a
// fleet of replicas sharing one tenant's limit plugs in a limiter backed by
// shared state: examples/redislimiter is one on Redis, a module of its own.
// See ExampleWithRateLimiter.
//
// # Tracing
//
// Every attempt goes through the transport of the client given with
// WithHTTPClient, with the caller's context: wrap it in otelhttp and each
// attempt, retries included, is a client span under the caller's span
// (examples/otel).
//
// # Secrets
//
// The API key, session tokens, the user's phone number, email and public
// key, the admin password and tokens, and pre-filled form values never appear in a log line, an error string, or the fmt or slog output
// of the package's types (printing and logging methods are nil-safe: logging
// a nil *AuthSession on a failure path writes <nil>). The client logs nothing
// unless given WithLogger, and its log records carry no text from the server.
//
// Whatever the server sends back is redacted before it reaches an error:
// APIError's Message, Descriptions (kept valid JSON), FieldErrors and Header
// (names and values), excerpts of bodies that are not JSON, and the text of
// transport errors (which quote a server's bytes). Each secret is looked for
// in the forms servers echo it: after undoing percent-encoding, HTML character
// references, JSON and backslash escapes and letter case; the phone number
// also with any spaces, dashes, dots or parentheses between its digits, with
// its country code written any way, and as its national number with and
// without a trunk 0; the public key also as its base64 body without armour
// or line breaks, and line by line. A token in an error answer's data is
// redacted too. Server text is also made one line: control characters, line
// separators and bidirectional overrides are written as \u escapes and
// invalid UTF-8 is replaced, so a server cannot forge log lines.
//
// Where the promise stops: values shorter than 4 characters are not looked
// for; an echo encoded twice over, or only a fragment of a secret (other than
// a whole line of the key), is not recognised; errors.As reaching the
// original transport error (a *url.Error, say) gets that error's own,
// unredacted text; net/http itself writes bytes that arrive unsolicited on an
// idle connection to the process-wide log package, which the SDK cannot
// intercept; and fmt does not call Format on a value held in an unexported
// field of the caller's own struct, so printing such a struct shows the
// input's fields as they are.
//
// # Testing code that uses the client
//
// Package vlenstest (github.com/vlens-go/vlens/vlenstest) is an in-process
// fake of the Vlens endpoint: its Server answers like Vlens, scripts faults
// (HTTP errors, envelope errors, Retry-After, dropped connections, delays),
// records what it received and hands out a client already pointed at it:
//
//	srv := vlenstest.NewTestServer(t)
//	srv.Enqueue(vlenstest.Fault{Status: 503})
//	session, err := srv.Client().CreateAuthSession(ctx, input)
//
// For unit tests without a server, both httpmock idioms work: a mock
// transport passed with WithHTTPClient (httpmock.ActivateNonDefault works
// before or after NewClient, since the client's fields are read at each
// call), or httpmock.Activate with a client built without WithHTTPClient.
// Or point the client at your own httptest server with WithBaseURL (plain
// http is allowed on loopback hosts, and anywhere with WithInsecureHTTP).
// Shorten the retry waits with WithRetryWait so tests stay fast.
//
// The README and the docs folder hold longer notes: testing, the fault matrix
// (docs/reliability.md) and benchmarks (docs/performance.md).
package vlens
