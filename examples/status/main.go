// Command status follows business requests: what became of the sessions
// users finished in the Vlens iframe. It lists the newest requests with
// their statuses and reads the newest one in full.
//
//	go run ./examples/status
//
// With VLENS_API_KEY set it reads them from Vlens, logging in with
// VLENS_ADMIN_TENANCY, VLENS_ADMIN_USER and VLENS_ADMIN_PASSWORD (all three
// required then; VLENS_BASE_URL overrides the API's address). Without it, it
// starts the vlenstest fake in-process and says so on stderr, creates a
// session there and has the fake complete it, as a user finishing the
// iframe would, so that it runs anywhere with no credentials. It prints
// IDs, request numbers and statuses, never the customers' names or national
// IDs. It exits with status 1 and a one-line message when anything fails.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// callTimeout bounds the whole program's calls, retries included.
const callTimeout = 30 * time.Second

// listed is how many of the newest requests the program lists.
const listed = 5

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		// One line, whatever the error holds.
		fmt.Fprintln(os.Stderr, "status: "+strings.Join(strings.Fields(err.Error()), " "))
		os.Exit(1)
	}
}

// run is the whole program, with its environment and output injected so that
// it can be tested.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	apiKey, baseURL := getenv("VLENS_API_KEY"), getenv("VLENS_BASE_URL")
	creds := vlens.AdminCredentials{
		TenancyName:            getenv("VLENS_ADMIN_TENANCY"),
		UserNameOrEmailAddress: getenv("VLENS_ADMIN_USER"),
		Password:               getenv("VLENS_ADMIN_PASSWORD"),
	}
	var fake *vlenstest.Server
	if apiKey == "" {
		if baseURL != "" {
			return errors.New("VLENS_BASE_URL is set but VLENS_API_KEY is not; set both, or neither to use the fake")
		}
		fake = vlenstest.NewServer()
		defer fake.Close()
		apiKey, baseURL, creds = fake.APIKey(), fake.URL, fake.AdminCredentials()
		fmt.Fprintf(stderr, "VLENS_API_KEY is not set: using the in-process fake Vlens server (vlenstest) at %s\n", fake.URL)
	}

	opts := []vlens.Option{vlens.WithAdminCredentials(creds)}
	if baseURL != "" {
		opts = append(opts, vlens.WithBaseURL(baseURL))
	}
	client, err := vlens.NewClient(apiKey, opts...)
	if err != nil {
		return err
	}
	defer client.Close()

	if fake != nil {
		// On the fake, make a request to follow: a session, which the fake
		// completes as the user finishing the iframe would.
		session, err := client.CreateAuthSession(ctx, vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"})
		if err != nil {
			return err
		}
		fake.CompleteSession(session.Token, vlens.StatusPendingApproval)
		fmt.Fprintln(stderr, "created a session and had the fake complete it, as its user would")
	}

	fmt.Fprintf(stdout, "the newest business requests:\n")
	var newest string
	n := 0
	for req, err := range client.ListBusinessRequests(ctx, vlens.WithPageSize(listed)) {
		if err != nil {
			return err
		}
		if newest == "" {
			newest = req.ID
		}
		fmt.Fprintf(stdout, "  %s  %s  %s\n", req.ID, req.RequestNumber, req.Status)
		if n++; n == listed {
			break // one page is enough here; the iterator sends no further request
		}
	}
	if newest == "" {
		fmt.Fprintln(stdout, "  none yet")
		return nil
	}

	req, err := client.GetBusinessRequest(ctx, newest)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nrequest %s (%s): %s, contract type %d, %d fields, created %s\n",
		req.ID, req.RequestNumber, req.Status, req.ContractTypeID, len(req.Fields), req.CreatedAt.Format(time.RFC3339))
	return nil
}
