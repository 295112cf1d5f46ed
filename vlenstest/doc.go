// Package vlenstest is an in-process fake of the Vlens CreateAuthSession
// endpoint, for testing code that uses package vlens without the network and
// without a Vlens tenant.
//
// A Server answers POST /api/IdentityUserSession/CreateAuthSession the way
// Vlens documents it: the ApiKey header authenticates, the body is the JSON
// CreateAuthSessionInput, and every answer is Vlens's envelope
// {data, error_code, error_message, error_descriptions}, with the session
// token in data on success.
//
//	srv := vlenstest.NewTestServer(t)
//	client := srv.Client()
//	session, err := client.CreateAuthSession(ctx, vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"})
//
// # What the fake answers
//
// Checks run in this order, and the first that fails decides the answer:
//
//	path is not the endpoint             404, ErrorCodeNotFound
//	method is not POST                   405 with Allow: POST, ErrorCodeMethodNotAllowed
//	rate limit exceeded (WithRateLimit)  429 with Retry-After, ErrorCodeRateLimited
//	ApiKey missing or wrong              401, ErrorCodeUnauthorized
//	body over MaxRequestBytes            413, ErrorCodeRequestTooLarge
//	Content-Type not JSON                415, ErrorCodeUnsupportedMediaType
//	body is not a JSON object            400, ErrorCodeMalformedBody
//	input breaks Validate's rules        422, ErrorCodeValidation
//	otherwise                            200, the token in data, error_code null
//
// Vlens's older documentation lists both 400 and 422; the fake uses 400 for a
// body it cannot read and 422 for input that breaks the rules, and both match
// vlens.ErrInvalidRequest. Errors carry error_descriptions as an object that
// maps each field (by its wire name, "$" for the body as a whole) to a list
// of messages, the shape ASP.NET backends produce and
// vlens.APIError.FieldErrors decodes. JSON field names match
// case-insensitively and unknown fields are ignored, as in an ASP.NET
// backend.
//
// The error codes, their messages and the token format are the fake's own
// inventions: Vlens publishes neither its codes nor its token format. The
// fake's codes are 9000 plus the HTTP status they come with. Default tokens
// are TokenPrefix followed by 32 random hex digits. A userPublicKey is
// accepted but the token is not encrypted with it.
//
// # Faults
//
// Enqueue scripts what production can do to a caller: HTTP errors, envelope
// errors on HTTP 200, proxy HTML pages, rate limiting, slow answers and
// dropped connections. Each queued Fault replaces the answer to exactly one
// request, in order, and is taken by the next request whatever its path, key
// or body, as a proxy or an overloaded server in front of Vlens would answer
// before any of the checks above.
//
// # Inspection
//
// Requests lists every request received (input decoded, ApiKey redacted),
// Tokens every token issued, and Reset forgets both and the queued faults.
// A Server is safe for concurrent use.
//
// # Secrets
//
// The fake logs nothing unless given WithLogger, and then never headers,
// bodies or tokens. Request and Server print without the API key, and the
// recorded input prints with its personal data redacted.
package vlenstest
