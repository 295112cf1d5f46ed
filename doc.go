// Package vlens is a Go client for the Vlens identity platform's embedded
// session API.
//
// A business embeds Vlens's verification and contract-signing flow in an
// iframe or WebView. Its backend asks Vlens for a session token for one of its
// users (POST /api/IdentityUserSession/CreateAuthSession, authenticated by the
// tenant's ApiKey header) and hands that token to the user's browser or app.
// This package is that backend call, and the invitations and business-request
// reads around it: typed, validated and retried.
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
// token (never sending it in its last 10 seconds), refreshes it ahead of
// expiry (RefreshAdminToken), logs in again when the refresh token has
// expired or is refused in any way, and keeps one login or refresh in flight
// however many goroutines need a token. A refused login is not repeated for
// 30 seconds, doubling up to 5 minutes: every call in that window gets the
// refusal at once (the platform locks a user out after 5 failed logins).
// Several clients of a tenant share one login through a LoginSource
// (NewLoginSource, WithAdminTokenSource); WithAdminTokenSource also takes an
// AdminTokenSource of your own. A 401 drops the token and the call is made
// once more with a new one. An invitation may create a record on Vlens's
// side, so it is retried only when the request surely never reached Vlens:
// a connection that could not be made, and 429 (not 503, which proxies
// answer after the server behind them processed the request). When no admin
// token could be had the error matches ErrNoAdminToken, and nothing was
// sent. Client.Close stops a login in flight. See
// ExampleClient_CreateInvitation.
//
// Vlens documents no rule for RequestFieldsValues beyond its shape, so a
// misspelt key or a value a dropdown does not offer would reach the form
// unnoticed. CreateInvitationInput.CheckAgainst checks the input against
// the contract types' templates (GetTemplate) first: it returns a
// *ValidationError naming each unknown key, each value outside its field's
// AvailableValues and each contract type whose template was not given, as
// RequestFieldsValues[414]["gender"], never the values.
//
// # Business requests
//
// What the user does in the iframe ends in a business request, whose status
// moves on (pending approval, approved or rejected, signed). Three reads
// follow it, each with the admin bearer token as for invitations (a 401
// drops it and the call is made once more); since they change nothing, they
// are retried on every transient failure: transport errors and 429, 500,
// 502, 503 and 504, honouring Retry-After.
//
//	for s, err := range client.ListBusinessRequests(ctx, vlens.WithPageSize(50)) {
//		if err != nil {
//			return err // the last pair: the first error, ctx's included
//		}
//		if s.Status == vlens.StatusApproved {
//			req, err := client.GetBusinessRequest(ctx, s.ID)
//			…
//		}
//	}
//	tpl, err := client.GetTemplate(ctx, 414) // the form's keys and allowed values
//
// ListBusinessRequests reads CurrentListIds a page at a time (WithPageSize,
// 100 by default, 1000 at most), each page only when the loop reaches it,
// and stops at totalCount, on a short page or on a page with nothing new. A
// request that moved from one page to the next while the list changed is
// yielded once. Vlens advises polling it alongside webhooks; that the admin
// bearer makes it list the whole tenant is what that advice implies, not
// what Vlens documents. GetBusinessRequest takes a UUID and checks it before
// anything is sent; Raw keeps the whole data object for what the types do
// not model.
//
// Answers are decoded tolerantly (unknown fields ignored, null arrays nil,
// creationTime with or without a zone, every spelling of a status: see
// RequestStatus); data of the wrong shape matches ErrMalformedResponse.
// FullName, IDNumber and the fields' values are personal data (see
// Secrets); a request's ID names a request, not a person.
//
// Package webhook (github.com/vlens-go/vlens/webhook) receives the status
// changes Vlens posts, safely though unsigned, once per event;
// examples/webhook adds a reconcile loop over ListBusinessRequests.
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
// A call that got no answer says whether Vlens may have its request.
// ErrNotSent holds only when no attempt can have reached Vlens: no
// connection could be made (refused, DNS failure, a dial that timed out),
// the rate limiter refused, the context ended before anything went out, or
// no admin token could be had. A reset, an EOF or a timeout once connected
// never matches it, nor does any answer; for an invitation, which may text
// the user, it is what decides a retry. ErrUnreachable holds when the last
// attempt failed in the transport while the context was alive (a handler
// answers 502 or 503):
//
//	switch {
//	case errors.Is(err, vlens.ErrUnreachable) && errors.Is(err, vlens.ErrNotSent):
//		// Vlens never got it: sending the invitation again is safe
//	case errors.Is(err, vlens.ErrUnreachable):
//		// Vlens may have it: find out before sending again
//	}
//
// Wrapped errors name the package once ("vlens: create invitation: getting
// the admin token: login: HTTP 401 …"), and server text in them is one
// line without the white space around it.
//
// # Retries and timeouts
//
// CreateAuthSession (a retry at worst leaves an unused token behind) and the
// reads are retried on transport failures (refused, reset, truncated body,
// per-attempt timeout) and HTTP 429, 500, 502, 503 and 504, twice by
// default, with jittered waits between 500ms and 10s (WithMaxRetries,
// WithRetryWait); invitations, logins and refreshes follow stricter rules.
// Envelope errors, other statuses, validation failures, redirects and
// certificate errors are never retried. A Retry-After header on 429 or 503
// is honoured up to 30s (WithMaxRetryAfter), but never waited less than the
// minimum wait, so a Retry-After of 0 does not bring back-to-back retries;
// when the server asks for longer the client stops at once and returns the
// last answer as an *APIError with RetryAfter set. A retry is made only when
// its wait plus the time the last attempt took still fits before the
// context's deadline; otherwise the last answer is returned at once. The
// client never sleeps past the caller's deadline. An answer over the size
// limit keeps its status, so a 503 is retried like any other and the final
// error matches both ErrServer and ErrResponseTooLarge.
//
// Each attempt is bounded by WithAttemptTimeout (10s by default, covering the
// whole response body, exactly as given; 0 leaves the context alone in charge),
// or by the Timeout of the client given with WithHTTPClient when that is
// shorter, so a call cannot hang even with context.Background(). An attempt
// that runs out of time is retried, and reported as ErrAttemptTimeout. Every
// option's default, zero value and range are tabled in docs/options.md. An
// unsolicited informational answer (101 Switching Protocols) fails the attempt
// at once. Redirects are never followed, since the ApiKey header would go with
// them.
//
// # Pacing
//
// Vlens's older docs give a per-tenant limit of 10 requests/s and 60/min.
// WithRateLimiter makes every attempt, retries included, wait on a Limiter
// first. A *rate.Limiter from golang.org/x/time/rate satisfies it as is, and
// Limiters combines one per window, so that a call waits until every window has
// a token and, giving up, takes from none. A fleet of replicas sharing one
// tenant's limit plugs in a limiter backed by shared state:
// examples/redislimiter is one on Redis, with several windows, a module of its
// own. See ExampleWithRateLimiter.
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
// JSON is data, printing is for logs: encoding/json carries what the
// package's types hold, secrets included (AuthSession's token, the inputs'
// personal data, AdminToken's tokens, AdminCredentials' password), while
// fmt's verbs and slog (through LogValue) show them redacted. slog's JSON
// handler encodes a value nested in a struct, slice or map with
// encoding/json, so log an SDK value as an attribute of its own.
//
// The API key, session tokens, the user's phone number, email and public
// key, the admin user name, password and tokens, pre-filled form values,
// and a business request's full name, national ID number, field values and
// Raw data never appear in a log line, an error string, or the fmt or slog
// output of the package's types (fmt prints a nil pointer to one as <nil>).
// The client logs nothing unless given WithLogger; its log records carry no
// text from the server but that of a failed call's error, redacted as below.
//
// Whatever the server sends back is redacted before it reaches an error:
// APIError's Message, Descriptions (kept valid JSON), FieldErrors and Header
// (names and values), excerpts of bodies that are not JSON, and the text of
// transport errors (which quote a server's bytes). The caller's values come
// in two kinds:
//   - Secrets (the API key, session and admin tokens, the refresh token, the
//     password, and a token an error answer carries as its data when that
//     data is a string) are removed wherever they appear, even inside a
//     word.
//   - Personal values (the phone number, email, public key, admin user name,
//     form values, and the full names and national ID numbers of the pages of
//     ListBusinessRequests already read, the latest 512 of them) are removed
//     where they appear too, but one that is word-like (shorter than 8
//     characters, or only letters and spaces) is removed only where it stands
//     as a whole token. A token is a run of letters and digits; a '-', '_' or
//     '.' between two of them joins them into one. With the user name "admin",
//     "the admin API" loses "admin", while "Administrator" and the host name
//     "admin-gw-3" stay; with the form value "Male", "must be Male or Female"
//     keeps "Female". A value removed anywhere ends a token: a name glued to a
//     national ID number ("Mona Ahmed Ali29901011234567") goes with the
//     number.
//
// Each value is looked for in the forms servers echo it in: in any letter
// case, with one level of percent-encoding or JSON escapes undone (a
// character outside the BMP escaped as a surrogate pair included); the
// phone number also with any spaces, dashes, dots, slashes or parentheses
// between its digits, with its country code written any way, and as its
// national number with and without a trunk 0; the public key also as its
// base64 body without armour or line breaks, and line by line. Server text
// is also made one line: control characters, line separators and
// bidirectional overrides are written as \u escapes and invalid UTF-8 is
// replaced, so a server cannot forge log lines. Error text is bounded
// before it is redacted: Message and Descriptions keep their first 4 KiB
// with a note of how many bytes were cut (a value the cut would split is
// removed whole), and an excerpt of a body that is not JSON keeps 512 bytes.
//
// Where the promise stops: values shorter than 4 characters are not looked for;
// an echo encoded twice over ("%2540" for "@"), written with HTML character
// references (Vlens answers in JSON, and the proxies in front of it do not echo
// a request), or only a fragment of a value (other than a whole line of the
// key), is not recognised; a word-like personal value glued to other letters or
// digits (other than a value removed anywhere) is left, since it is then
// another word; the data of an error answer that is not a string is not taken
// for a secret; errors.As reaching the original transport error (a *url.Error,
// say) gets that error's own, unredacted text; net/http itself writes bytes
// that arrive unsolicited on an idle connection to the process-wide log
// package, which the SDK cannot intercept; and fmt does not call Format on a
// value held in an unexported field of the caller's own struct, so printing
// such a struct shows the input's fields as they are.
//
// # Testing code that uses the client
//
// Package vlenstest (github.com/vlens-go/vlens/vlenstest) is an in-process
// fake of the Vlens endpoints: its Server answers like Vlens, scripts faults
// (HTTP errors, envelope errors, Retry-After, dropped connections, delays),
// records what it received and hands out a client already pointed at it:
//
//	srv := vlenstest.NewTestServer(t)
//	srv.Enqueue(vlenstest.Fault{Status: 503})
//	session, err := srv.Client().CreateAuthSession(ctx, input)
//
// For unit tests without a server, the httpmock idioms work (a mock
// transport passed with WithHTTPClient, ActivateNonDefault, Activate;
// examples/httpmock tests each, and the README says which may run in
// parallel). Register responders at DefaultBaseURL plus the endpoint's
// exported path (CreateAuthSessionPath and the other …Path constants). Or
// point the client at your own httptest server with WithBaseURL (plain http
// is allowed on loopback hosts, and anywhere with WithInsecureHTTP). Shorten
// the retry waits with WithRetryWait so tests stay fast. The README and
// docs/ hold longer notes: testing, webhooks, the fault matrix
// (docs/reliability.md) and benchmarks (docs/performance.md).
package vlens
