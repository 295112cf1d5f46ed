// Package vlenstest is an in-process fake of the Vlens API endpoints the SDK
// calls (CreateAuthSession, CreateInvitation, the admin Login and
// RefreshToken, and the business-request reads GetBusinessRequestById,
// CurrentListIds and GetBusinessRequestTypeTemplateFields), for testing
// code that uses package vlens without the network and without a Vlens
// tenant.
//
// A Server answers the way Vlens documents it: the ApiKey header
// authenticates, the body is the endpoint's JSON input, and every answer is
// Vlens's envelope {data, error_code, error_message, error_descriptions},
// with the result in data on success.
//
//	srv := vlenstest.NewTestServer(t)
//	client := srv.Client()
//	session, err := client.CreateAuthSession(ctx, vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"})
//	invitation, err := client.CreateInvitation(ctx, vlens.CreateInvitationInput{PhoneNumber: "+201234567890"})
//
// # Endpoints
//
//	POST CreateAuthSessionPath CreateAuthSession: data is a session token
//	POST CreateInvitationPath  also needs Authorization: Bearer <access token>;
//	                           the body is {"SessionInput": {...}}; data is a session token
//	POST LoginPath             also needs the TenancyName header; the body is a
//	                           vlens.AdminCredentials; data is {accessToken,
//	                           expireInSeconds, refreshToken, refreshTokenExpireInSeconds}
//	POST RefreshTokenPath      the body is {"refreshToken"}; data is {accessToken,
//	                           encryptedAccessToken, expireInSeconds, refreshToken,
//	                           newRefreshToken}
//	GET  GetBusinessRequestPath+id    a business request; see "Business requests"
//	GET  ListBusinessRequestsPath     a page of business requests
//	GET  GetTemplatePath              a contract type's form (WithTemplate)
//
// The server accepts one admin login, DefaultAdminCredentials() unless
// WithAdminCredentials says otherwise, and Server.Client logs in with it, so
// CreateInvitation works out of the box. Every login issues a new access
// token (AccessTokenPrefix) and refresh token (RefreshTokenPrefix). A
// refresh spends its refresh token and issues a new pair, naming the new
// refresh token in both refreshToken and newRefreshToken; an access token
// stays valid until it expires. Tokens last DefaultAccessTokenTTL and
// DefaultRefreshTokenTTL unless WithAdminTokenTTL says otherwise; answers
// give lifetimes in whole seconds, rounded up and at least 1, while the
// server enforces the exact lifetime. RevokeAdminTokens makes the server
// refuse every admin token issued so far.
//
// # What the fake answers
//
// Checks run in this order, and the first that fails decides the answer:
//
//	path is none of the endpoints'            404, ErrorCodeNotFound
//	method is not POST (GET for the reads)    405 with Allow, ErrorCodeMethodNotAllowed
//	rate limit exceeded (WithRateLimit,
//	  WithRateLimitPerMinute)                 429 with Retry-After, ErrorCodeRateLimited
//	ApiKey missing or wrong                   401, ErrorCodeUnauthorized
//	Login: TenancyName header not the tenant  401, ErrorCodeUnauthorized
//	CreateInvitation and the reads: bearer
//	  token missing, unknown, expired or
//	  revoked                                 401, ErrorCodeUnauthorized
//	a read: malformed ID or query             400, ErrorCodeMalformedBody
//	a read: no such business request or
//	  template                                404, ErrorCodeNotFound
//	(a read has no body: the checks below are the writes')
//	body over MaxRequestBytes                 413, ErrorCodeRequestTooLarge
//	Content-Type not JSON                     415, ErrorCodeUnsupportedMediaType
//	body is not the endpoint's JSON object    400, ErrorCodeMalformedBody
//	input breaks its Validate's rules         422, ErrorCodeValidation
//	Login: the user is locked out             401*, ErrorCodeLockedOut
//	Login: credentials not the configured     401*, ErrorCodeUnauthorized
//	RefreshToken: token unknown, expired,
//	  already used or revoked                 401*, ErrorCodeUnauthorized
//	otherwise                                 200, the result in data, error_code null
//
// (*) unless WithLoginRefusal or WithRefreshRefusal says otherwise; see
// "Behaving like the platform" below.
//
// The rules of the 422 are vlens.CreateAuthSessionInput.Validate's,
// vlens.CreateInvitationInput.Validate's and vlens.AdminCredentials.Validate's,
// and for RefreshToken a refreshToken that is not blank. Vlens's older
// documentation lists both 400 and 422; the fake uses 400 for a body it
// cannot read and 422 for input that breaks the rules, and both match
// vlens.ErrInvalidRequest. Errors carry error_descriptions as an object that
// maps each field (by its wire name, "$" for the body as a whole) to a list
// of messages, the shape ASP.NET backends produce and
// vlens.APIError.FieldErrors decodes. JSON field names match
// case-insensitively and unknown fields are ignored, as in an ASP.NET
// backend.
//
// The error codes, their messages and the token formats are the fake's own
// inventions: Vlens publishes neither its codes nor its token format. The
// fake's codes are 9000 plus the HTTP status they come with, but for
// ErrorCodeLockedOut (9423, HTTP's Locked), which comes with a refused
// login's status. Default session
// tokens are TokenPrefix followed by 32 random hex digits. A userPublicKey
// is accepted but the token is not encrypted with it.
//
// # Faults
//
// Enqueue scripts what production can do to a caller: HTTP errors, envelope
// errors on HTTP 200, proxy HTML pages, rate limiting, slow answers and
// dropped connections. Each queued Fault replaces the answer to exactly one
// request, in order, and is taken by the next request whatever its path, key
// or body, as a proxy or an overloaded server in front of Vlens would answer
// before any of the checks above. A client's first CreateInvitation logs in
// first, so that login takes the next fault.
//
// # Behaving like the platform
//
// Vlens runs on ASP.NET Boilerplate / ASP.NET Zero, which differs from the
// fake's plain 401s in ways a client must survive. The fake can behave the
// same way:
//
//   - WithRefreshRefusal(200) or (400) refuses a bad refresh token with
//     that status and an error_code, as the platform does, instead of 401;
//     WithLoginRefusal does the same for a refused login.
//   - The admin user is locked out after DefaultLockoutAttempts failed
//     logins in a row, for DefaultLockoutDuration, as on the platform: this
//     is on by default. While locked out, even the right password is
//     refused, with ErrorCodeLockedOut. WithLoginLockout(3, 50*time.Millisecond)
//     makes it quick to see in a test; WithLoginLockout(0, 0) turns it off.
//   - A Fault with Processed set, such as UpstreamReset, has the request
//     processed before the fault answers: the invitation is recorded, the
//     refresh token spent, and the caller sees a proxy's 503. Enqueue it
//     for the request it should hit: a client's first CreateInvitation logs
//     in first, so queue Fault{} (the normal answer) ahead of it, or make a
//     call first.
//
// Invitations counts the invitations accepted, processed faults included,
// and len(RequestsTo(LoginPath)) the login attempts, refused ones included:
// the counts behind "one call made exactly one invitation" and "twenty
// calls with a wrong password made one login".
//
// # Business requests
//
// What the user of a session does in the Vlens iframe ends in a business
// request. CompleteSession plays that user: given a session token the
// server issued, it makes a business request and returns its ID (a
// lowercase UUID), for the session's contract type (its first
// AllowedContractTypeIDs, else the lowest contract type of an invitation's
// RequestFieldsValues, else DefaultContractTypeID), with the next request
// number ("REQ-000001"), a made-up full name and 14-digit national ID that
// depend only on that number, and for an invitation the pre-filled form as
// its requestFields. Each session completes once; an unknown or spent
// token panics, as a bug in the test. SetRequestStatus then moves the
// request on, as Vlens does on approval, rejection or signing, and returns
// an error for an unknown ID. BusinessRequests lists them, oldest first, as
// the SDK's types. WithTemplate seeds a contract type's form, served by
// GetTemplatePath and used to label the fields of that contract type's
// requests; its related questions (a field whose ParentQuestionKey names
// another of the template's fields) are nested in their parent's
// relatedQuestions.
//
// The reads answer in Vlens's shapes: lowerCamel fields, requeststatus as
// an integer and requestStatusName as Vlens's name for it ("Pending
// Approval"; empty for a number whose name Vlens does not document),
// creationTime with 7 fractional digits and no zone (UTC).
// ListBusinessRequestsPath lists the newest first, MaxResultCount
// (default DefaultPageSize, at most MaxPageSize) from SkipCount, with
// totalCount and returnedCount beside data in the envelope; a request made
// while a client pages shifts the later pages, as on the platform. Query
// names match in any letter case. Faults, the rate limit and Reset (which
// forgets sessions and business requests, not templates) apply to them as
// to the other endpoints, and Request.Query records their query.
//
// # Webhooks
//
// WithWebhook makes the server POST App.BusinessRequestStatusChange to a
// URL whenever a business request's status changes (CompleteSession, and
// SetRequestStatus to another status), in Vlens's format:
//
//	{"Id":"<event UUID>","WebhookEvent":"App.BusinessRequestStatusChange","Attempt":1,
//	 "Data":{"Id":"<request ID>","NewStatus":"PendingApproval"},
//	 "CreationTimeUtc":"2025-12-11T11:27:18.6197007Z"}
//
// in the background, each event on its own. An attempt answered other than
// 2xx, or not at all within WebhookTimeout, is sent again with the same Id
// and Attempt one higher, up to WebhookMaxAttempts, after WebhookRetryWait
// and twice as long each time: the platform's schedule (inferred), which a
// test makes milliseconds. WebhookSecret signs each delivery
// (WebhookSignatureHeader), WebhookHeader adds a header, WebhookDrop and
// DropWebhooks lose events, WebhookDuplicate and DuplicateWebhooks send
// them twice at once. Deliveries lists every attempt and how it was
// answered, and WaitDeliveries waits for them, so that a test never
// sleeps:
//
//	srv := vlenstest.NewTestServer(t, vlenstest.WithWebhook(receiver.URL,
//		vlenstest.WebhookSecret("a-secret-of-16-bytes-or-more"), vlenstest.WebhookRetryWait(time.Millisecond)))
//	id := srv.CompleteSession(token, vlens.StatusPendingApproval)
//	got, err := srv.WaitDeliveries(ctx, 1) // got[0].StatusCode is the receiver's answer
//
// Reset and Close stop the deliveries in progress; Close waits for them.
//
// # Control endpoint
//
// WithControlEndpoint adds a small JSON API under ControlPrefix
// ("/_vlenstest/"), on the server's own address, for scripting faults from
// another process, as the vlens-fake command does for front ends:
// POST ControlFaultsPath with [{"status":503},{"drop":true}] queues faults
// as Enqueue does, GET lists the queued ones and DELETE clears them; GET
// ControlRequestsPath lists the requests recorded, without bodies and with
// secrets redacted; POST ControlResetPath is Reset; POST
// ControlCompletePath with {"token":"…","status":1} is CompleteSession
// (without a token it completes the newest session not yet completed, so
// that a developer with curl needs no token), and POST ControlStatusPath
// with {"id":"…","status":2} is SetRequestStatus; GET ControlWebhooksPath
// lists the webhook deliveries; GET ControlHealthPath
// answers {"status":"ok"} for a container's health check, and is not
// logged. Control requests are
// neither recorded nor subject to faults, latency or the rate limit, and a
// body that is not valid is refused with 400. So that no
// web page can script or read it, the endpoint answers only a loopback or
// its own address as Host (421 otherwise, against DNS rebinding), no
// Origin or a loopback one (403 otherwise), and a POST only as
// application/json (415 otherwise).
//
// # Inspection
//
// Requests lists the requests received (ApiKey and the bearer token
// redacted; Input holds a CreateAuthSession request's decoded body and
// Invitation a CreateInvitation request's, each nil for any other request
// or a body that does not decode); its Path tells the endpoints apart, and
// RequestsTo lists those for one endpoint. Tokens lists every session
// token issued, by CreateAuthSession and CreateInvitation. Logins,
// Refreshes and Invitations count the logins, refreshes and invitations
// accepted; the refused ones are in Requests. Reset forgets all of these
// and the queued faults, and ends a login lockout, but keeps the admin
// tokens, so a client carries on without logging in again. A Server is
// safe for concurrent use.
//
// A long-running server stays bounded: it keeps the newest
// MaxRecordedRequests requests (DroppedRequests counts the older ones it
// let go) and queues at most MaxQueuedFaults faults (Enqueue panics beyond
// that, the control endpoint answers 413).
//
// # Secrets
//
// The fake logs nothing unless given WithLogger, and then never headers,
// bodies or tokens. Request and Server print without the API key, and the
// recorded inputs print with their personal data and the form's values
// redacted. The body of a login or a refresh is never kept, so neither the
// password nor a refresh token can be printed.
package vlenstest
