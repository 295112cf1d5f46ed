package vlens_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"golang.org/x/time/rate"

	"github.com/vlens-go/vlens"
)

// One process pacing itself under Vlens's per-tenant limits (10 requests/s
// and 60/min in Vlens's older docs) with a token bucket per window from
// golang.org/x/time/rate, combined by vlens.Limiters: every attempt,
// retries included, waits until both windows have a token. Replicas that
// share a tenant's limit pass a limiter backed by shared state (Redis, say)
// instead: anything with Wait(ctx) error will do.
func ExampleWithRateLimiter() {
	// A stand-in for Vlens, so that the example runs without a network.
	vlensAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"data":"session-token","error_code":null}`)
	}))
	defer vlensAPI.Close()

	perSecond := rate.NewLimiter(10, 10)                         // 10 requests/s
	perMinute := rate.NewLimiter(rate.Every(time.Minute/60), 60) // 60 requests/min
	client, err := vlens.NewClient("your-api-key",
		vlens.WithBaseURL(vlensAPI.URL), // omit in production
		vlens.WithRateLimiter(vlens.Limiters(perSecond, perMinute)),
	)
	if err != nil {
		log.Fatal(err)
	}
	created := 0
	for _, phone := range []string{"+201000000001", "+201000000002", "+201000000003"} {
		session, err := client.CreateAuthSession(context.Background(), vlens.CreateAuthSessionInput{PhoneNumber: phone})
		if err != nil {
			log.Fatal(err)
		}
		_ = session.Token // hand it to the user's browser or app
		created++
	}
	fmt.Println("sessions created:", created)
	// Output: sessions created: 3
}
