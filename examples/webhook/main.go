// Command webhook follows business requests as a backend should: it
// receives Vlens's App.BusinessRequestStatusChange webhooks, keeps each
// request's latest status, and reconciles with ListBusinessRequests so that
// a webhook that never arrives is caught anyway.
//
//	go run ./examples/webhook
//
// With VLENS_API_KEY set it serves the receiver at
// http://VLENS_WEBHOOK_ADDR/hooks/vlens (127.0.0.1:8090 by default: put it
// behind your TLS proxy and set its public URL in Vlens's portal) and
// reconciles every VLENS_RECONCILE_INTERVAL (5m by default) until
// interrupted. It logs in with VLENS_ADMIN_TENANCY, VLENS_ADMIN_USER and
// VLENS_ADMIN_PASSWORD (all three required then: the reads need the admin
// bearer); VLENS_BASE_URL overrides the API's address.
//
// Without it, it starts the vlenstest fake in-process, says so on stderr,
// and plays the whole story there: a session completed, whose webhook is
// delivered and stored; its status moved on with the webhook lost, which
// reconciliation finds; and a forged delivery, which changes nothing. It
// prints request IDs and statuses, never personal data, and exits with
// status 1 and a one-line message when anything fails.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

const (
	// hookPath is where the receiver is served.
	hookPath = "/hooks/vlens"
	// defaultAddr is where the receiver listens unless VLENS_WEBHOOK_ADDR
	// says otherwise.
	defaultAddr = "127.0.0.1:8090"
	// defaultInterval is how often reconciliation runs unless
	// VLENS_RECONCILE_INTERVAL says otherwise: often enough that a lost
	// webhook is not missed for long, rare enough to cost little.
	defaultInterval = 5 * time.Minute
	// demoInterval is reconciliation's interval on the fake.
	demoInterval = 50 * time.Millisecond
	// demoTimeout bounds the story on the fake.
	demoTimeout = 30 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		// One line, whatever the error holds.
		fmt.Fprintln(os.Stderr, "webhook: "+strings.Join(strings.Fields(err.Error()), " "))
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
		return demo(ctx, stdout, stderr)
	}
	interval := defaultInterval
	if v := getenv("VLENS_RECONCILE_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("VLENS_RECONCILE_INTERVAL must be a positive duration, such as 5m")
		}
		interval = d
	}
	addr := getenv("VLENS_WEBHOOK_ADDR")
	if addr == "" {
		addr = defaultAddr
	}
	opts := []vlens.Option{vlens.WithAdminCredentials(vlens.AdminCredentials{
		TenancyName:            getenv("VLENS_ADMIN_TENANCY"),
		UserNameOrEmailAddress: getenv("VLENS_ADMIN_USER"),
		Password:               getenv("VLENS_ADMIN_PASSWORD"),
	})}
	if baseURL != "" {
		opts = append(opts, vlens.WithBaseURL(baseURL))
	}
	client, err := vlens.NewClient(apiKey, opts...)
	if err != nil {
		return err
	}
	defer client.Close()

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	store := NewStore()
	url, stopServing, err := serve(addr, client, store, logger)
	if err != nil {
		return err
	}
	defer stopServing()
	fmt.Fprintf(stdout, "receiving webhooks at %s; reconciling every %s\n", url, interval)
	ReconcileEvery(ctx, client, store, interval, logger, nil)
	return nil
}

// serve serves the receiver on addr at hookPath until stop is called, and
// returns its URL.
func serve(addr string, client *vlens.Client, store *Store, logger *slog.Logger) (url string, stop func(), err error) {
	h, err := Receiver(client, store, logger)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+hookPath, h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String() + hookPath, stop, nil
}

// demo plays the story on the in-process fake.
func demo(ctx context.Context, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()
	// The receiver must listen before the fake is told where to deliver,
	// and the fake must exist before the client that fetches back from it:
	// the handler is built on a client made once the fake is up.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	hookURL := "http://" + ln.Addr().String() + hookPath

	fake := vlenstest.NewServer(vlenstest.WithWebhook(hookURL, vlenstest.WebhookRetryWait(10*time.Millisecond)))
	defer fake.Close()
	fmt.Fprintf(stderr, "VLENS_API_KEY is not set: using the in-process fake Vlens server (vlenstest) at %s\n", fake.URL)
	client, err := fake.NewClient()
	if err != nil {
		return err
	}
	defer client.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := NewStore()
	h, err := Receiver(client, store, quiet)
	if err != nil {
		return err
	}
	mux.Handle("POST "+hookPath, h)

	// 1. A user finishes the iframe: the fake makes a business request and
	// delivers its webhook, which the receiver verifies and stores.
	session, err := client.CreateAuthSession(ctx, vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"})
	if err != nil {
		return err
	}
	id := fake.CompleteSession(session.Token, vlens.StatusPendingApproval)
	if d, err := fake.WaitDeliveries(ctx, 1); err != nil || !d[0].Delivered() {
		return fmt.Errorf("the webhook was not delivered: %v %v", d, err)
	}
	status, _ := store.Status(id)
	fmt.Fprintf(stdout, "webhook delivered:  request %s is %s\n", id, status)

	// 2. The request is approved, and its webhook is lost: reconciliation,
	// which runs from now on, finds the new status.
	passes := make(chan struct{}, 1)
	go ReconcileEvery(ctx, client, store, demoInterval, quiet, func() {
		select {
		case passes <- struct{}{}:
		default:
		}
	})
	fake.DropWebhooks(1)
	if err := fake.SetRequestStatus(id, vlens.StatusApproved); err != nil {
		return err
	}
	for status != vlens.StatusApproved {
		select {
		case <-passes:
		case <-ctx.Done():
			return fmt.Errorf("reconciliation did not find the approval: %w", ctx.Err())
		}
		status, _ = store.Status(id)
	}
	fmt.Fprintf(stdout, "webhook lost, reconciliation found: request %s is %s\n", id, status)

	// 3. Someone who learnt the URL posts a rejection. The receiver reads
	// the request back from Vlens, which says Approved, so nothing changes;
	// a request Vlens does not know is refused outright.
	answer, err := forge(ctx, hookURL, "0b1e2c3d-0000-4000-8000-000000000001", id, "Rejected")
	if err != nil {
		return err
	}
	status, _ = store.Status(id)
	fmt.Fprintf(stdout, "forged \"Rejected\": answered %d, request %s is still %s (read back from Vlens)\n", answer, id, status)
	unknown := "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	if answer, err = forge(ctx, hookURL, "0b1e2c3d-0000-4000-8000-000000000002", unknown, "Approved"); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "forged \"Approved\" for request %s, which Vlens does not know: answered %d\n", unknown, answer)
	return nil
}

// forge posts a status change that Vlens did not send, and returns the
// receiver's HTTP status.
func forge(ctx context.Context, url, eventID, requestID, status string) (int, error) {
	body := fmt.Sprintf(`{"Id":%q,"WebhookEvent":"App.BusinessRequestStatusChange","Attempt":1,`+
		`"Data":{"Id":%q,"NewStatus":%q},"CreationTimeUtc":"2026-12-05T12:00:00.0000000Z"}`, eventID, requestID, status)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
