package vlens_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// These examples run against vlenstest, the in-process fake Vlens server,
// so that go test checks their output. In production, create the client
// with vlens.NewClient(os.Getenv("VLENS_API_KEY")) and no base URL.

// Mint a session token for a user and hand it to their browser or app.
func Example() {
	srv := vlenstest.NewServer(vlenstest.WithTokenFunc(func(vlens.CreateAuthSessionInput) string {
		return "example-token"
	}))
	defer srv.Close()

	client, err := vlens.NewClient(srv.APIKey(), vlens.WithBaseURL(srv.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	session, err := client.CreateAuthSession(ctx, vlens.CreateAuthSessionInput{
		PhoneNumber: "+201234567890",
		SessionPermissions: &vlens.SessionPermissions{
			AllowedContractTypeIDs: []int{414},
			MinimalSignatureFlow:   true,
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(session.Token) // the value for the front end
	fmt.Println(session)       // printing redacts it, so logs stay clean
	// Output:
	// example-token
	// vlens.AuthSession{Token:[redacted]}
}

// Branch on the kind of failure with errors.Is and the sentinels, and read
// the details with errors.As. Enqueue makes the fake fail on purpose.
func ExampleAPIError() {
	srv := vlenstest.NewServer()
	defer srv.Close()
	client := srv.Client() // no retry sleeps, Retry-After returned at once
	user := vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"}

	srv.Enqueue(
		// Vlens's usual error: HTTP 200 with an error_code.
		vlenstest.EnvelopeError(1050, "user is blocked"),
		// 429 asking for a longer wait than the client allows.
		vlenstest.RateLimited(30*time.Second),
		// 503 on every attempt.
		vlenstest.Fault{Status: 503}, vlenstest.Fault{Status: 503}, vlenstest.Fault{Status: 503},
	)
	for range 3 {
		describe(client.CreateAuthSession(context.Background(), user))
	}

	wrongKey, _ := vlens.NewClient("not-the-key", vlens.WithBaseURL(srv.URL))
	describe(wrongKey.CreateAuthSession(context.Background(), user))

	describe(client.CreateAuthSession(context.Background(), vlens.CreateAuthSessionInput{PhoneNumber: "01234"}))
	// Output:
	// Vlens refused: HTTP 200, error_code 1050: user is blocked
	// rate limited: try again in 30s
	// Vlens is failing: HTTP 503 after 3 attempts
	// our API key is wrong: page someone
	// invalid input, nothing sent: phoneNumber: must be in E.164 form: '+' then 8 to 15 digits, the first 1 to 9, no spaces; vlens.EgyptianMobileE164 converts an Egyptian mobile number in national form (01…)
}

func describe(_ *vlens.AuthSession, err error) {
	var (
		apiErr      *vlens.APIError
		validateErr *vlens.ValidationError
	)
	switch {
	case errors.As(err, &validateErr):
		for _, f := range validateErr.Fields {
			fmt.Printf("invalid input, nothing sent: %s: %s\n", f.Field, f.Message)
		}
	case errors.Is(err, vlens.ErrUnauthorized):
		fmt.Println("our API key is wrong: page someone")
	case errors.Is(err, vlens.ErrRateLimited) && errors.As(err, &apiErr):
		fmt.Println("rate limited: try again in", apiErr.RetryAfter)
	case errors.Is(err, vlens.ErrServer) && errors.As(err, &apiErr):
		fmt.Printf("Vlens is failing: HTTP %d after %d attempts\n", apiErr.StatusCode, apiErr.Attempts)
	case errors.As(err, &apiErr):
		fmt.Printf("Vlens refused: HTTP %d, error_code %d: %s\n", apiErr.StatusCode, apiErr.Code, apiErr.Message)
	case err != nil:
		fmt.Println("network trouble or deadline:", err)
	}
}

// Tune retries and timeouts: here a 503, a dropped connection and an attempt
// that outlives its per-attempt timeout are all retried, and the fourth
// attempt gets the token, within the caller's overall deadline.
func ExampleWithMaxRetries() {
	srv := vlenstest.NewServer()
	defer srv.Close()
	srv.Enqueue(vlenstest.Fault{Status: 503}, vlenstest.DropConnection(), vlenstest.Delayed(time.Minute))

	client, err := vlens.NewClient(srv.APIKey(),
		vlens.WithBaseURL(srv.URL),
		vlens.WithMaxRetries(3),                                      // up to 4 attempts
		vlens.WithRetryWait(5*time.Millisecond, 50*time.Millisecond), // backoff bounds
		vlens.WithAttemptTimeout(100*time.Millisecond),               // each attempt
		vlens.WithMaxRetryAfter(5*time.Second),                       // longest Retry-After honoured
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // the whole call
	defer cancel()
	if _, err := client.CreateAuthSession(ctx, vlens.CreateAuthSessionInput{Email: "ann@example.com"}); err != nil {
		fmt.Println(err)
		return
	}
	for i, r := range srv.Requests() {
		what := "token"
		if r.Fault != nil {
			what = r.Fault.String()
		}
		fmt.Printf("attempt %d: %s\n", i+1, what)
	}
	// Output:
	// attempt 1: HTTP 503
	// attempt 2: drop connection
	// attempt 3: delay 1m0s
	// attempt 4: token
}

// sessionHandler stands for your own code: an endpoint that mints a token
// for the signed-in user (see examples/webhandler for a complete one).
func sessionHandler(client *vlens.Client) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		session, err := client.CreateAuthSession(r.Context(), vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"})
		if err != nil {
			http.Error(w, `{"error":"try again later"}`, http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, `{"token":%q}`, session.Token)
	}
}

// Test your own code against the fake: check what your handler answers and
// what Vlens received. In a test function, use vlenstest.NewTestServer(t),
// which closes the server when the test ends.
func Example_testingYourCode() {
	srv := vlenstest.NewServer(vlenstest.WithTokenFunc(func(vlens.CreateAuthSessionInput) string {
		return "token-1"
	}))
	defer srv.Close()
	handler := sessionHandler(srv.Client())

	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/session", nil))
	fmt.Println(rec.Code, rec.Body.String())
	fmt.Println("Vlens received a request for", srv.Requests()[0].Input.PhoneNumber)

	srv.Enqueue(vlenstest.EnvelopeError(1050, "user is blocked"))
	rec = httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/session", nil))
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	// Output:
	// 200 {"token":"token-1"}
	// Vlens received a request for +201234567890
	// 502 {"error":"try again later"}
}

// Create an invitation session: Vlens pre-fills the contract's form with what
// the business already knows. WithAdminCredentials makes the client log in
// (once, however many calls need it) and refresh the admin token by itself.
func ExampleClient_CreateInvitation() {
	srv := vlenstest.NewServer(vlenstest.WithTokenFunc(func(vlens.CreateAuthSessionInput) string {
		return "invitation-token"
	}))
	defer srv.Close()

	client, err := vlens.NewClient(srv.APIKey(), vlens.WithBaseURL(srv.URL),
		vlens.WithAdminCredentials(srv.AdminCredentials())) // in production: your tenant admin's login
	if err != nil {
		fmt.Println(err)
		return
	}
	in := vlens.CreateInvitationInput{
		PhoneNumber:        "+201234567890",
		SessionPermissions: &vlens.SessionPermissions{AllowedContractTypeIDs: []int{414}, MinimalSignatureFlow: true},
		RequestFieldsValues: map[int]map[string]string{
			414: {"fullName": "Ahmed Mohamed", "monthlyIncome": "5000"},
		},
	}
	for range 2 {
		session, err := client.CreateInvitation(context.Background(), in)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(session.Token)
	}
	fmt.Println("logins:", srv.Logins())
	fmt.Println(in) // printing never shows the user's data or the form's values
	// Output:
	// invitation-token
	// invitation-token
	// logins: 1
	// vlens.CreateInvitationInput{PhoneNumber:[redacted], Email:"", SessionPermissions:&{AllowedContractTypeIDs:[414] MinimalSignatureFlow:true DigitalIdentityOnly:false}, RequestFieldsValues:map[414:map["fullName":[redacted] "monthlyIncome":[redacted]]]}
}

// sharedToken stands for a token source of your own: here, an admin token
// that another process keeps fresh in a shared secret store.
type sharedToken struct{ store map[string]string }

func (s sharedToken) AccessToken(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	token, ok := s.store["vlens-admin-token"]
	if !ok {
		return "", errors.New("no admin token in the store yet")
	}
	return token, nil
}

// Bring your own admin token source, when replicas share one token: the
// client sends whatever it returns as the bearer token.
func ExampleWithAdminTokenSource() {
	srv := vlenstest.NewServer()
	defer srv.Close()

	// Another process logs in and keeps the store fresh.
	admin, _ := vlens.NewClient(srv.APIKey(), vlens.WithBaseURL(srv.URL))
	token, err := admin.Login(context.Background(), srv.AdminCredentials())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("token printed:", strings.Contains(fmt.Sprint(token), token.AccessToken)) // printing redacts it
	store := map[string]string{"vlens-admin-token": token.AccessToken}

	client, err := vlens.NewClient(srv.APIKey(), vlens.WithBaseURL(srv.URL),
		vlens.WithAdminTokenSource(sharedToken{store: store}))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = client.CreateInvitation(context.Background(), vlens.CreateInvitationInput{Email: "ann@example.com"})
	fmt.Println("invitation created:", err == nil, "logins:", srv.Logins())
	// Output:
	// token printed: false
	// invitation created: true logins: 1
}
