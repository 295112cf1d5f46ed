package vlenstest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// Rehearse a bad day: Vlens answers 503 twice, then recovers. The client
// retries, and the server records all three requests but issues one token.
func ExampleServer_Enqueue() {
	srv := vlenstest.NewServer()
	defer srv.Close()
	srv.Enqueue(vlenstest.Fault{Status: 503}, vlenstest.Fault{Status: 503})

	_, err := srv.Client().CreateAuthSession(context.Background(), vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"})
	fmt.Println("error:", err)
	for _, r := range srv.Requests() {
		fmt.Println(r.Status)
	}
	fmt.Println("tokens issued:", len(srv.Tokens()))
	// Output:
	// error: <nil>
	// 503
	// 503
	// 200
	// tokens issued: 1
}

// A slow Vlens: the fault holds the answer back longer than the client's
// per-attempt timeout, so the first attempt times out and the retry succeeds.
func ExampleDelayed() {
	srv := vlenstest.NewServer()
	defer srv.Close()
	srv.Enqueue(vlenstest.Delayed(time.Minute))

	client := srv.Client(vlens.WithAttemptTimeout(50 * time.Millisecond))
	_, err := client.CreateAuthSession(context.Background(), vlens.CreateAuthSessionInput{Email: "ann@example.com"})
	fmt.Println("error:", err, "after", len(srv.Requests()), "attempts")
	// Output:
	// error: <nil> after 2 attempts
}

// In a test, NewTestServer closes the server when the test ends:
//
//	func TestSignup(t *testing.T) {
//		srv := vlenstest.NewTestServer(t, vlenstest.WithTokenFunc(…))
//		…
//	}
//
// An example has no *testing.T, so this one runs those lines with a stand-in
// that runs the cleanups when the "test" ends, and its output is checked. A
// token function makes the token known in advance.
func ExampleNewTestServer() {
	t := &standInT{}
	srv := vlenstest.NewTestServer(t, vlenstest.WithTokenFunc(func(in vlens.CreateAuthSessionInput) string {
		return "token-for-" + in.Email
	}))
	client := srv.Client()
	session, err := client.CreateAuthSession(context.Background(), vlens.CreateAuthSessionInput{Email: "ann@example.com"})
	fmt.Println("token:", session.Token, "error:", err)

	t.end()
	_, err = client.CreateAuthSession(context.Background(), vlens.CreateAuthSessionInput{Email: "ann@example.com"})
	fmt.Println("after the test, the server is closed:", err != nil)
	// Output:
	// token: token-for-ann@example.com error: <nil>
	// after the test, the server is closed: true
}

// standInT stands in for a test's *testing.T in ExampleNewTestServer: it
// keeps the cleanups NewTestServer registers and runs them at end. Any other
// method panics (the embedded TB is nil).
type standInT struct {
	testing.TB
	cleanups []func()
}

func (t *standInT) Helper()          {}
func (t *standInT) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }

// end runs the cleanups last first, as the testing package does.
func (t *standInT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// An administrator revokes the tenant's admin sessions. The client's next
// invitation is refused once, and so is its refresh token; it logs in again
// and the invitation goes through.
func ExampleServer_RevokeAdminTokens() {
	srv := vlenstest.NewServer()
	defer srv.Close()
	client := srv.Client() // logs in with srv.AdminCredentials() when it needs to
	in := vlens.CreateInvitationInput{
		PhoneNumber:         "+201234567890",
		RequestFieldsValues: map[int]map[string]string{414: {"fullName": "Ahmed Mohamed", "monthlyIncome": "5000"}},
	}
	_, err := client.CreateInvitation(context.Background(), in)
	fmt.Println("error:", err)

	srv.RevokeAdminTokens()
	srv.Reset()
	_, err = client.CreateInvitation(context.Background(), in)
	fmt.Println("error:", err)
	for _, r := range srv.Requests() {
		fmt.Println(r.Path, r.Status)
	}
	fmt.Println("logins:", srv.Logins(), "refreshes:", srv.Refreshes())
	// Output:
	// error: <nil>
	// error: <nil>
	// /api/IdentityUserSession/CreateInvitation 401
	// /api/credentials/RefreshToken 401
	// /api/credentials/Login 200
	// /api/IdentityUserSession/CreateInvitation 200
	// logins: 1 refreshes: 0
}
