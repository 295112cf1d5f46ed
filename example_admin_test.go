package vlens_test

import (
	"context"
	"fmt"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// Share one admin login among several clients of a tenant (one per
// component, say): each takes its tokens from the same LoginSource, so there
// is one login and one refresh for all of them.
func ExampleNewLoginSource() {
	srv := vlenstest.NewServer()
	defer srv.Close()

	base, err := vlens.NewClient(srv.APIKey(), vlens.WithBaseURL(srv.URL)) // logs in and refreshes
	if err != nil {
		fmt.Println(err)
		return
	}
	defer base.Close()
	login, err := vlens.NewLoginSource(base, srv.AdminCredentials()) // in production: your tenant admin's login
	if err != nil {
		fmt.Println(err)
		return
	}
	defer login.Close() // stops a login in flight; the clients do not close it

	for range 3 {
		client, err := vlens.NewClient(srv.APIKey(), vlens.WithBaseURL(srv.URL), vlens.WithAdminTokenSource(login))
		if err != nil {
			fmt.Println(err)
			return
		}
		_, err = client.CreateInvitation(context.Background(), vlens.CreateInvitationInput{Email: "ann@example.com"})
		fmt.Println("invitation created:", err == nil)
	}
	fmt.Println("logins:", srv.Logins())
	// Output:
	// invitation created: true
	// invitation created: true
	// invitation created: true
	// logins: 1
}
