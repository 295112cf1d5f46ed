// Command webhandler is a small backend endpoint that gives the signed-in
// user's front end a Vlens session token:
//
//	go run ./examples/webhandler
//	curl -X POST -H 'X-Demo-User: ann' http://127.0.0.1:8081/api/vlens-session
//
// The handler itself is SessionHandler in handler.go. Without VLENS_API_KEY
// it talks to the vlenstest fake in-process; with it (and optionally
// VLENS_BASE_URL) it talks to Vlens.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "webhandler:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr string) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	apiKey, baseURL := os.Getenv("VLENS_API_KEY"), os.Getenv("VLENS_BASE_URL")
	if apiKey == "" {
		srv := vlenstest.NewServer()
		defer srv.Close()
		apiKey, baseURL = srv.APIKey(), srv.URL
		logger.Info("VLENS_API_KEY is not set: using the in-process fake Vlens server", "url", srv.URL)
	}
	var opts []vlens.Option
	if baseURL != "" {
		opts = append(opts, vlens.WithBaseURL(baseURL))
	}
	client, err := vlens.NewClient(apiKey, opts...)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/api/vlens-session", &SessionHandler{
		Vlens:       client,
		Auth:        demoAuth{"ann": {ID: "ann", Phone: "+201234567890"}, "bob": {ID: "bob", Email: "bob@example.com"}},
		Permissions: &vlens.SessionPermissions{MinimalSignatureFlow: true},
		Logger:      logger,
	})
	server := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdown)
	}()
	logger.Info("listening", "url", "http://"+addr+"/api/vlens-session")
	if err := server.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// demoAuth is a STAND-IN FOR YOUR OWN AUTHENTICATION, for this demo only:
// it trusts an X-Demo-User header, so anyone can claim to be anyone.
// Replace it with your session-cookie or JWT check.
type demoAuth map[string]User

func (a demoAuth) Authenticate(r *http.Request) (User, bool) {
	u, ok := a[r.Header.Get("X-Demo-User")]
	return u, ok
}
