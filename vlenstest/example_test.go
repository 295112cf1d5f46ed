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

// In a test, NewTestServer closes the server when the test ends.
func ExampleNewTestServer() {
	var t *testing.T // the test's t
	srv := vlenstest.NewTestServer(t, vlenstest.WithTokenFunc(func(vlens.CreateAuthSessionInput) string {
		return "test-token"
	}))
	session, err := srv.Client().CreateAuthSession(context.Background(), vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"})
	if err != nil {
		t.Fatal(err)
	}
	if session.Token != "test-token" {
		t.Errorf("got token %q, want %q", session.Token, "test-token")
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
