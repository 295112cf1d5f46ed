// Command vlens-fake serves the vlenstest fake Vlens API on a fixed address,
// for front-end developers and manual testing:
//
//	go run ./vlenstest/cmd/vlens-fake -addr 127.0.0.1:8080
//
// It prints the base URL, the API key and the admin login the fake accepts
// (vlenstest.DefaultAdminCredentials, for CreateInvitation), logs one line
// per request (never headers, bodies or tokens), and shuts down cleanly on
// SIGINT or SIGTERM. Point a backend at it with VLENS_BASE_URL and
// VLENS_API_KEY, or vlens.WithBaseURL.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/vlens-go/vlens/vlenstest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "vlens-fake:", err)
		os.Exit(1)
	}
}

// run parses the flags, serves until ctx ends, then closes the server.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vlens-fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (host:port); keep it on loopback")
	key := fs.String("key", vlenstest.TestAPIKey, "the only API key the fake accepts")
	rate := fs.Float64("rate", 0, "rate limit in requests per second (0: none)")
	burst := fs.Int("burst", 1, "burst size of the rate limit")
	latency := fs.Duration("latency", 0, "delay added to every answer")
	quiet := fs.Bool("quiet", false, "do not log requests")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	opts, err := serverOptions(*key, *rate, *burst, *latency)
	if err != nil {
		return err
	}
	if !*quiet {
		opts = append(opts, vlenstest.WithLogger(slog.New(slog.NewTextHandler(stderr, nil))))
	}

	srv, err := vlenstest.Listen(*addr, opts...)
	if err != nil {
		return err
	}
	defer srv.Close()

	fmt.Fprintf(stdout, "fake Vlens API listening\n  VLENS_BASE_URL=%s\n  VLENS_API_KEY=%s\n", srv.URL, srv.APIKey())
	admin := srv.AdminCredentials() // a fixed, public fake login
	fmt.Fprintf(stdout, "  VLENS_ADMIN_TENANCY=%s\n  VLENS_ADMIN_USER=%s\n  VLENS_ADMIN_PASSWORD=%s\n",
		admin.TenancyName, admin.UserNameOrEmailAddress, admin.Password)
	for _, path := range []string{vlenstest.EndpointPath, vlenstest.CreateInvitationPath, vlenstest.LoginPath, vlenstest.RefreshTokenPath} {
		fmt.Fprintf(stdout, "  endpoint: POST %s%s\n", srv.URL, path)
	}
	if host, _, err := net.SplitHostPort(*addr); err == nil && !isLoopback(host) {
		fmt.Fprintln(stderr, "warning: listening beyond loopback; vlens clients accept plain http only on loopback hosts")
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "shutting down")
	return nil
}

// serverOptions checks the flags, so that a bad value is an error message
// rather than the options' panic.
func serverOptions(key string, rate float64, burst int, latency time.Duration) ([]vlenstest.ServerOption, error) {
	if strings.TrimSpace(key) == "" || strings.ContainsAny(key, "\r\n") {
		return nil, fmt.Errorf("-key must be non-empty and on one line")
	}
	opts := []vlenstest.ServerOption{vlenstest.WithAPIKey(key)}
	if rate < 0 || burst < 1 {
		return nil, fmt.Errorf("-rate must not be negative and -burst must be at least 1")
	}
	if rate > 0 {
		opts = append(opts, vlenstest.WithRateLimit(rate, burst))
	}
	if latency < 0 {
		return nil, fmt.Errorf("-latency must not be negative")
	}
	return append(opts, vlenstest.WithLatency(latency)), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
