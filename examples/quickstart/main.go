// Command quickstart creates a Vlens embedded-session token and prints it,
// with what to do next.
//
//	go run ./examples/quickstart
//
// With VLENS_API_KEY set it calls Vlens (VLENS_BASE_URL overrides the API's
// address; VLENS_PHONE and VLENS_EMAIL choose the user, by default the
// documentation's sample number). Without it, it starts the vlenstest fake
// in-process and says so on stderr, so it runs anywhere with no credentials.
// It exits with status 1 and a one-line message when anything fails.
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

// samplePhone is the phone number Vlens's own documentation uses.
const samplePhone = "+201234567890"

// callTimeout bounds the whole call, retries included.
const callTimeout = 30 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		// One line, whatever the error holds (a proxy's HTML page, say).
		fmt.Fprintln(os.Stderr, "quickstart: "+strings.Join(strings.Fields(err.Error()), " "))
		os.Exit(1)
	}
}

// run is the whole program, with its environment and output injected so that
// it can be tested.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	apiKey, baseURL := getenv("VLENS_API_KEY"), getenv("VLENS_BASE_URL")
	if apiKey == "" {
		if baseURL != "" {
			return errors.New("VLENS_BASE_URL is set but VLENS_API_KEY is not; set both, or neither to use the fake")
		}
		srv := vlenstest.NewServer()
		defer srv.Close()
		apiKey, baseURL = srv.APIKey(), srv.URL
		fmt.Fprintf(stderr, "VLENS_API_KEY is not set: using the in-process fake Vlens server (vlenstest) at %s\n", srv.URL)
	}

	var opts []vlens.Option
	if baseURL != "" {
		opts = append(opts, vlens.WithBaseURL(baseURL))
	}
	client, err := vlens.NewClient(apiKey, opts...)
	if err != nil {
		return err
	}

	in := vlens.CreateAuthSessionInput{PhoneNumber: getenv("VLENS_PHONE"), Email: getenv("VLENS_EMAIL")}
	if in.PhoneNumber == "" && in.Email == "" {
		in.PhoneNumber = samplePhone
		fmt.Fprintln(stderr, "VLENS_PHONE and VLENS_EMAIL are not set: using the documentation's sample number")
	}

	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	session, err := client.CreateAuthSession(ctx, in)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "session token: %s\n\n", session.Token)
	fmt.Fprint(stdout, `Next: your backend hands this token to the signed-in user's browser or app,
which opens the Vlens iframe or WebView with it (the iframe needs
allow="camera; microphone" for the liveness check). Treat the token as a
secret: never log it or put it in a URL that is logged.
`)
	return nil
}
