package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/vlens-go/vlens"
)

// User is what your application's own authentication knows about the
// signed-in user. The phone number and email come from your records, never
// from the browser's request: the browser must not choose whose identity
// session it gets.
type User struct {
	ID    string
	Phone string // E.164, "+201234567890"
	Email string
}

// Authenticator identifies the signed-in user of a request with your
// application's own authentication (session cookie, JWT, ...).
type Authenticator interface {
	Authenticate(r *http.Request) (User, bool)
}

// SessionCreator is the part of *vlens.Client the handler uses.
type SessionCreator interface {
	CreateAuthSession(ctx context.Context, in vlens.CreateAuthSessionInput, opts ...vlens.CallOption) (*vlens.AuthSession, error)
}

// defaultTimeout bounds the Vlens call when SessionHandler.Timeout is zero.
const defaultTimeout = 10 * time.Second

// SessionHandler answers POST requests from the signed-in user's front end
// with {"token": "..."}, a Vlens session token for that user to open the
// Vlens iframe or WebView with. Failures are answered with {"error": "..."}
// and a status the front end can act on, never with Vlens's own message.
// Every answer carries Cache-Control: no-store, since the token is a secret.
type SessionHandler struct {
	Vlens SessionCreator
	Auth  Authenticator
	// Permissions are the session permissions every token gets; nil leaves
	// them to the tenant's defaults.
	Permissions *vlens.SessionPermissions
	// Timeout bounds the Vlens call, retries included (default 10s).
	Timeout time.Duration
	// Logger receives one record per failure (the user's ID and the SDK's
	// error, which never holds the token or personal data); nil discards.
	Logger *slog.Logger
}

// ServeHTTP mints a session token for the signed-in user.
func (h *SessionHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST"})
		return
	}
	user, ok := h.Auth.Authenticate(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "sign in first"})
		return
	}

	timeout := h.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	session, err := h.Vlens.CreateAuthSession(ctx, vlens.CreateAuthSessionInput{
		PhoneNumber:        user.Phone,
		Email:              user.Email,
		SessionPermissions: h.Permissions,
	})
	if err != nil {
		h.fail(w, r, user, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": session.Token})
}

// fail logs err for the operators and answers the browser with only what it
// can act on.
func (h *SessionHandler) fail(w http.ResponseWriter, r *http.Request, user User, err error) {
	if r.Context().Err() != nil {
		return // the browser went away; nobody is listening
	}
	a := answerFor(err)
	if h.Logger != nil {
		h.Logger.LogAttrs(r.Context(), a.level, "vlens session failed",
			slog.String("user_id", user.ID), slog.Int("status", a.status), slog.String("error", err.Error()))
	}
	if a.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((a.retryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, a.status, map[string]string{"error": a.message})
}

// answer is what the browser is told about a failure.
type answer struct {
	status     int
	message    string
	retryAfter time.Duration
	level      slog.Level
}

// answerFor maps an SDK error to an answer for the browser. Vlens's own
// message stays in the server's log: it may describe the tenant's
// configuration, and the browser can do nothing with it.
func answerFor(err error) answer {
	unavailable := "identity verification is unavailable right now; try again later"
	var apiErr *vlens.APIError
	errors.As(err, &apiErr)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return answer{http.StatusGatewayTimeout, "identity verification is taking too long; try again", 0, slog.LevelWarn}
	case errors.Is(err, vlens.ErrInvalidRequest):
		// Our own record of the user is what Vlens (or the SDK) rejected.
		return answer{http.StatusBadRequest, "add a valid phone number (with country code) or email to your profile first", 0, slog.LevelWarn}
	case errors.Is(err, vlens.ErrRateLimited):
		wait := time.Second
		if apiErr != nil && apiErr.RetryAfter > wait {
			wait = apiErr.RetryAfter
		}
		return answer{http.StatusServiceUnavailable, "too many verification requests; try again shortly", wait, slog.LevelWarn}
	case errors.Is(err, vlens.ErrUnreachable):
		// No answer from Vlens at all (refused, reset, timed out): likely
		// passing, so the browser may try again soon.
		return answer{http.StatusServiceUnavailable, unavailable, 5 * time.Second, slog.LevelWarn}
	case errors.Is(err, vlens.ErrUnauthorized):
		// Our API key is wrong: our fault, not the browser's. Page someone.
		return answer{http.StatusBadGateway, unavailable, 0, slog.LevelError}
	default:
		return answer{http.StatusBadGateway, unavailable, 0, slog.LevelWarn}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
