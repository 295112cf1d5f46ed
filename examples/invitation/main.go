// Command invitation creates a Vlens invitation session, whose contract form
// Vlens pre-fills with the values given, and prints its token. It first
// reads the contract type's template and checks the values against it, so
// that a misspelt key or a value the form does not offer fails here, before
// anything is sent, rather than as a form that opens half empty.
//
//	go run ./examples/invitation
//
// With VLENS_API_KEY set it calls Vlens, logging in with VLENS_ADMIN_TENANCY,
// VLENS_ADMIN_USER and VLENS_ADMIN_PASSWORD (all three required then;
// VLENS_BASE_URL overrides the API's address, VLENS_PHONE the user, and
// VLENS_CONTRACT_TYPE the contract type ID, 414 by default). Without it, it
// starts the vlenstest fake in-process, seeded with sampleTemplate as the
// contract type's form, and says so on stderr, so it runs anywhere with no
// credentials. It exits with status 1 and a one-line
// message when anything fails.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// samplePhone is the phone number Vlens's own documentation uses.
const samplePhone = "+201234567890"

// callTimeout bounds the whole run: the admin login, the template read and
// the invitation, retries included.
const callTimeout = 30 * time.Second

// defaultContractType is the contract type invited to unless
// VLENS_CONTRACT_TYPE names another.
const defaultContractType = 414

// form is what the business already knows, pre-filled for the user to
// confirm.
var form = map[string]string{"fullName": "Ahmed Mohamed", "monthlyIncome": "5000", "employment": "Employed"}

// sampleTemplate is the form the fake serves for the contract type, when the
// example runs without credentials: on Vlens, the template is whatever the
// tenant set up.
func sampleTemplate(contractType int) *vlens.Template {
	return &vlens.Template{ID: contractType, Name: "Personal loan", Fields: []vlens.TemplateField{
		{Key: "fullName", Type: "text", DisplayText: "Full name", DisplayArText: "الاسم بالكامل"},
		{Key: "monthlyIncome", Type: "number", DisplayText: "Monthly income (EGP)", DisplayArText: "الدخل الشهري"},
		{Key: "employment", Type: "dropdown", DisplayText: "Employment", DisplayArText: "العمل",
			AvailableValues: []string{"Employed", "Self-employed", "Retired"}},
	}}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		// One line, whatever the error holds.
		fmt.Fprintln(os.Stderr, "invitation: "+strings.Join(strings.Fields(err.Error()), " "))
		os.Exit(1)
	}
}

// run is the whole program, with its environment and output injected so that
// it can be tested.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	apiKey, baseURL := getenv("VLENS_API_KEY"), getenv("VLENS_BASE_URL")
	creds := vlens.AdminCredentials{
		TenancyName:            getenv("VLENS_ADMIN_TENANCY"),
		UserNameOrEmailAddress: getenv("VLENS_ADMIN_USER"),
		Password:               getenv("VLENS_ADMIN_PASSWORD"),
	}
	contractType := defaultContractType
	if v := getenv("VLENS_CONTRACT_TYPE"); v != "" {
		var err error
		if contractType, err = strconv.Atoi(v); err != nil {
			return errors.New("VLENS_CONTRACT_TYPE must be a contract type ID (a number)")
		}
	}
	if apiKey == "" {
		if baseURL != "" {
			return errors.New("VLENS_BASE_URL is set but VLENS_API_KEY is not; set both, or neither to use the fake")
		}
		srv := vlenstest.NewServer(vlenstest.WithTemplate(sampleTemplate(contractType)))
		defer srv.Close()
		apiKey, baseURL, creds = srv.APIKey(), srv.URL, srv.AdminCredentials()
		fmt.Fprintf(stderr, "VLENS_API_KEY is not set: using the in-process fake Vlens server (vlenstest) at %s\n", srv.URL)
	}

	opts := []vlens.Option{vlens.WithAdminCredentials(creds)}
	if baseURL != "" {
		opts = append(opts, vlens.WithBaseURL(baseURL))
	}
	client, err := vlens.NewClient(apiKey, opts...)
	if err != nil {
		return err
	}

	in := vlens.CreateInvitationInput{
		PhoneNumber:         getenv("VLENS_PHONE"),
		SessionPermissions:  &vlens.SessionPermissions{AllowedContractTypeIDs: []int{contractType}, MinimalSignatureFlow: true},
		RequestFieldsValues: map[int]map[string]string{contractType: form},
	}
	if in.PhoneNumber == "" {
		in.PhoneNumber = samplePhone
		fmt.Fprintln(stderr, "VLENS_PHONE is not set: using the documentation's sample number")
	}

	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	// The form's keys and the values its lists offer, to check the
	// pre-filled values against before inviting anyone.
	tmpl, err := client.GetTemplate(ctx, contractType)
	if err != nil {
		return err
	}
	if err := in.CheckAgainst(tmpl); err != nil {
		return err
	}
	session, err := client.CreateInvitation(ctx, in)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "invitation session token: %s\n\n", session.Token)
	fmt.Fprint(stdout, `Next: hand this token to the user's browser or app, which opens the Vlens
iframe or WebView with it, as for an auth session. The contract form opens
pre-filled; the user confirms and signs. Treat the token as a secret.
`)
	return nil
}
