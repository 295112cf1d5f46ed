package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// stubAuth signs in the user it holds, or nobody.
type stubAuth struct {
	user *User
}

func (a stubAuth) Authenticate(*http.Request) (User, bool) {
	if a.user == nil {
		return User{}, false
	}
	return *a.user, true
}

var ann = &User{ID: "ann", Phone: "+201234567890", Email: "ann@example.com"}

// vlensMessage is what the fake says in its errors below; it must never
// reach the browser.
const vlensMessage = "tenant 42 has no contract type 414"

func TestSessionHandler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		method     string
		user       *User
		faults     []vlenstest.Fault
		clientKey  string // default: the fake's key
		timeout    time.Duration
		status     int
		retryAfter string
		calls      int // requests Vlens receives
	}{
		{name: "signed-in user gets a token", user: ann, status: 200, calls: 1},
		{name: "GET is not allowed", method: "GET", user: ann, status: 405},
		{name: "nobody signed in", status: 401},
		{name: "profile without a usable phone or email", user: &User{ID: "x", Phone: "0123"}, status: 400},
		{name: "wrong Vlens API key is our problem", user: ann, clientKey: "wrong-key", status: 502, calls: 1},
		{name: "Vlens envelope error", user: ann, faults: []vlenstest.Fault{vlenstest.EnvelopeError(1050, vlensMessage)}, status: 502, calls: 1},
		{name: "Vlens rejects the input", user: ann, faults: []vlenstest.Fault{{Status: 422, ErrorCode: 7, ErrorMessage: vlensMessage}}, status: 400, calls: 1},
		{name: "Vlens keeps failing", user: ann, faults: []vlenstest.Fault{{Status: 503}, {Status: 503}, {Status: 503}}, status: 502, calls: 3},
		{name: "Vlens unreachable", user: ann, faults: []vlenstest.Fault{vlenstest.DropConnection(), vlenstest.DropConnection(), vlenstest.DropConnection()}, status: 503, retryAfter: "5", calls: 3},
		{name: "rate limited passes Retry-After on", user: ann, faults: []vlenstest.Fault{vlenstest.RateLimited(2 * time.Second)}, status: 503, retryAfter: "2", calls: 1},
		{name: "rate limited without Retry-After", user: ann, faults: []vlenstest.Fault{{Status: 429}, {Status: 429}, {Status: 429}}, status: 503, retryAfter: "1", calls: 3},
		// The timeout must not pass before the request reaches Vlens: a
		// second is far more than a busy machine takes to send it.
		{name: "Vlens too slow", user: ann, faults: []vlenstest.Fault{vlenstest.Delayed(time.Minute)}, timeout: time.Second, status: 504, calls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vlenstest.NewTestServer(t, vlenstest.WithTokenFunc(func(vlens.CreateAuthSessionInput) string { return "session-token" }))
			srv.Enqueue(tt.faults...)
			client := srv.Client()
			if tt.clientKey != "" {
				var err error
				client, err = vlens.NewClient(tt.clientKey, vlens.WithBaseURL(srv.URL))
				require.NoError(t, err)
			}
			var logs bytes.Buffer
			h := &SessionHandler{
				Vlens:       client,
				Auth:        stubAuth{tt.user},
				Permissions: &vlens.SessionPermissions{AllowedContractTypeIDs: []int{414}},
				Timeout:     tt.timeout,
				Logger:      slog.New(slog.NewTextHandler(&logs, nil)),
			}
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(method, "/api/vlens-session", nil))

			assert.Equal(t, tt.status, rec.Code)
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			assert.Equal(t, tt.retryAfter, rec.Header().Get("Retry-After"))
			assert.Len(t, srv.Requests(), tt.calls)
			var body map[string]string
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
			if tt.status == 200 {
				assert.Equal(t, map[string]string{"token": "session-token"}, body)
				in := srv.Requests()[0].Input
				require.NotNil(t, in)
				assert.Equal(t, ann.Phone, in.PhoneNumber, "the user comes from our records")
				assert.Equal(t, []int{414}, in.SessionPermissions.AllowedContractTypeIDs)
				return
			}
			assert.NotEmpty(t, body["error"])
			assert.NotContains(t, rec.Body.String(), vlensMessage)
			assert.NotContains(t, rec.Body.String(), "ApiKey")
			for _, secret := range []string{"session-token", ann.Phone, ann.Email, "wrong-key"} {
				assert.NotContains(t, logs.String(), secret)
			}
		})
	}
}

// callRecorder passes calls on to a client and keeps the error the last
// one returned, so that a test can see what the handler's call did.
type callRecorder struct {
	SessionCreator
	err error
}

func (c *callRecorder) CreateAuthSession(ctx context.Context, in vlens.CreateAuthSessionInput, opts ...vlens.CallOption) (*vlens.AuthSession, error) {
	s, err := c.SessionCreator.CreateAuthSession(ctx, in, opts...)
	c.err = err
	return s, err
}

// TestSessionHandlerBrowserGone: when the browser goes away, the handler's
// Vlens call ends with the browser's request (before anything is sent, or
// while Vlens is answering), and the handler neither answers nor logs:
// nobody is listening, and a departed browser is not a failure to report.
func TestSessionHandlerBrowserGone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		midCall  bool // the browser leaves while Vlens holds its answer back
		requests int  // requests Vlens receives
	}{
		{name: "gone before the call", requests: 0},
		{name: "gone while Vlens answers", midCall: true, requests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vlenstest.NewTestServer(t)
			if tt.midCall {
				srv.Enqueue(vlenstest.Delayed(time.Minute))
			}
			calls := &callRecorder{SessionCreator: srv.Client()}
			var logs bytes.Buffer
			h := &SessionHandler{Vlens: calls, Auth: stubAuth{ann},
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if !tt.midCall {
				cancel()
			}
			rec := httptest.NewRecorder()
			done := make(chan struct{})
			go func() {
				defer close(done)
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/vlens-session", nil).WithContext(ctx))
			}()
			if tt.midCall {
				require.Eventually(t, func() bool { return len(srv.Requests()) == 1 }, 5*time.Second, time.Millisecond,
					"the request reaches Vlens")
				cancel()
			}
			select {
			case <-done:
			case <-time.After(5 * time.Second): // far below the handler's 10s timeout and the fault's minute
				t.Fatal("the handler's call outlived the browser's request")
			}

			assert.ErrorIs(t, calls.err, context.Canceled, "the Vlens call ends with the browser's request")
			assert.Len(t, srv.Requests(), tt.requests)
			assert.Empty(t, srv.Tokens(), "Vlens issued no token")
			assert.Empty(t, rec.Header().Get("Content-Type"), "no answer was written")
			assert.Empty(t, rec.Body.String(), "nobody is listening")
			assert.Empty(t, logs.String(), "a departed browser is not an error to log")
		})
	}
}
