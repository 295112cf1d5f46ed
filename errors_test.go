package vlens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var allSentinels = map[string]error{
	"ErrUnauthorized":      ErrUnauthorized,
	"ErrRateLimited":       ErrRateLimited,
	"ErrServer":            ErrServer,
	"ErrInvalidRequest":    ErrInvalidRequest,
	"ErrMalformedResponse": ErrMalformedResponse,
	"ErrResponseTooLarge":  ErrResponseTooLarge,
}

// TestSentinelsMatchExactlyTheirKind checks every sentinel through a real
// call, and that no error matches a sentinel of another kind.
func TestSentinelsMatchExactlyTheirKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    []Option
		in      CreateAuthSessionInput
		answer  httpmock.Responder
		matches []string // sentinel names; every other sentinel must not match
	}{
		{name: "401 is unauthorized only", answer: reply(401, ""), matches: []string{"ErrUnauthorized"}},
		{name: "403 is unauthorized only", answer: reply(403, errorBody(1, "no")), matches: []string{"ErrUnauthorized"}},
		{name: "429 is rate limited only", answer: reply(429, "", "Retry-After", "0"), matches: []string{"ErrRateLimited"}},
		{name: "500 is a server error only", answer: reply(500, ""), matches: []string{"ErrServer"}},
		{name: "502 is a server error only", answer: reply(502, "<html>"), matches: []string{"ErrServer"}},
		{name: "503 is a server error only", answer: reply(503, ""), matches: []string{"ErrServer"}},
		{name: "504 is a server error only", answer: reply(504, ""), matches: []string{"ErrServer"}},
		{name: "501 is a server error only", answer: reply(501, ""), matches: []string{"ErrServer"}},
		{name: "400 is an invalid request only", answer: reply(400, ""), matches: []string{"ErrInvalidRequest"}},
		{name: "422 is an invalid request only", answer: reply(422, ""), matches: []string{"ErrInvalidRequest"}},
		{name: "validation failure is an invalid request only", in: CreateAuthSessionInput{}, matches: []string{"ErrInvalidRequest"}},
		{name: "malformed 2xx is malformed only", answer: reply(200, "not json"), matches: []string{"ErrMalformedResponse"}},
		{name: "2xx without token is malformed only", answer: reply(200, `{"data":null}`), matches: []string{"ErrMalformedResponse"}},
		{
			name: "oversized 2xx is too large only", opts: []Option{WithMaxResponseBytes(4)},
			answer: reply(200, tokenBody("tok")), matches: []string{"ErrResponseTooLarge"},
		},
		{
			name: "oversized 503 is too large and a server error", opts: []Option{WithMaxResponseBytes(4)},
			answer: reply(503, "a long page"), matches: []string{"ErrResponseTooLarge", "ErrServer"},
		},
		{name: "envelope error on 200 matches no sentinel", answer: reply(200, errorBody(5, "no"))},
		{name: "404 matches no sentinel", answer: reply(404, "")},
		{name: "409 matches no sentinel", answer: reply(409, errorBody(5, "no"))},
		{name: "redirect matches no sentinel", answer: reply(302, "", "Location", "https://elsewhere.example/")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, c := setup(t, append([]Option{WithMaxRetries(0)}, tt.opts...)...)
			if tt.answer != nil {
				mt.RegisterResponder(http.MethodPost, testEndpoint, tt.answer)
			}
			in := tt.in
			if tt.answer != nil {
				in = validInput()
			}

			_, err := c.CreateAuthSession(context.Background(), in)
			require.Error(t, err)
			for name, sentinel := range allSentinels {
				want := false
				for _, m := range tt.matches {
					want = want || m == name
				}
				assert.Equal(t, want, errors.Is(err, sentinel), "errors.Is(err, %s)", name)
			}
			assert.NotErrorIs(t, err, context.Canceled)
			assert.NotErrorIs(t, err, context.DeadlineExceeded)
		})
	}
}

func TestSentinelsAreDistinct(t *testing.T) {
	t.Parallel()
	for a, errA := range allSentinels {
		for b, errB := range allSentinels {
			assert.Equal(t, a == b, errors.Is(errA, errB), "errors.Is(%s, %s)", a, b)
		}
		assert.True(t, strings.HasPrefix(errA.Error(), "vlens: "), a)
	}
}

func TestHandBuiltAPIErrorMatchesByStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		want   error
	}{
		{401, ErrUnauthorized}, {403, ErrUnauthorized}, {429, ErrRateLimited},
		{500, ErrServer}, {599, ErrServer}, {400, ErrInvalidRequest}, {422, ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d matches %v", tt.status, tt.want), func(t *testing.T) {
			t.Parallel()
			err := fmt.Errorf("wrapped: %w", &APIError{StatusCode: tt.status})
			assert.ErrorIs(t, err, tt.want)
			assert.NotErrorIs(t, err, ErrMalformedResponse, "kind is set by the SDK only")
			assert.NotErrorIs(t, err, ErrResponseTooLarge, "kind is set by the SDK only")
		})
	}
}

func TestAPIErrorString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *APIError
		want string
	}{
		{"status only", &APIError{Operation: "create auth session", StatusCode: 404}, "vlens: create auth session: HTTP 404"},
		{"built by hand without an operation", &APIError{StatusCode: 404}, "vlens: HTTP 404"},
		{"envelope error", &APIError{Operation: "create auth session", StatusCode: 200, Code: 12, Message: "user blocked", Attempts: 1},
			"vlens: create auth session: HTTP 200, error_code 12: user blocked"},
		{"retries exhausted with Retry-After", &APIError{Operation: "create auth session", StatusCode: 503, Message: "busy", RetryAfter: 2 * time.Second, Attempts: 3},
			"vlens: create auth session: HTTP 503: busy (retry after 2s) (after 3 attempts)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
}

func TestFieldErrorsWithoutDescriptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  string
	}{
		{"empty", ""},
		{"number", "42"},
		{"list of strings", `["a","b"]`},
		{"list of empty objects", `[{}]`},
		{"map with a number", `{"email":3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := &APIError{Descriptions: json.RawMessage(tt.raw)}
			if tt.raw == "" {
				e.Descriptions = nil
			}
			assert.Nil(t, e.FieldErrors())
		})
	}
}

func TestValidationErrorMatchesOnlyInvalidRequest(t *testing.T) {
	t.Parallel()
	err := &ValidationError{Fields: []FieldError{{Field: "email", Message: "must be a bare email address"}}}
	for name, sentinel := range allSentinels {
		assert.Equal(t, sentinel == ErrInvalidRequest, errors.Is(err, sentinel), name)
	}
	var apiErr *APIError
	assert.False(t, errors.As(err, &apiErr), "a validation failure is not an answer from Vlens")
}
