package vlens

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateAuthSessionSendsExactBodyAndHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   CreateAuthSessionInput
		want string
	}{
		{
			name: "every field set",
			in: CreateAuthSessionInput{
				PhoneNumber:   testPhone,
				Email:         testEmail,
				UserPublicKey: "PUBLIC-KEY",
				SessionPermissions: &SessionPermissions{
					AllowedContractTypeIDs: []int{414, 7},
					MinimalSignatureFlow:   true,
					DigitalIdentityOnly:    true,
				},
			},
			want: `{"phoneNumber":"+201234567890","email":"user@example.com","userPublicKey":"PUBLIC-KEY",` +
				`"sessionPermissions":{"allowedContractTypeIds":[414,7],"minimalSignatureFlow":true,"DigitalIdentityOnly":true}}`,
		},
		{
			name: "phone only omits empty strings and nil permissions",
			in:   CreateAuthSessionInput{PhoneNumber: testPhone},
			want: `{"phoneNumber":"+201234567890"}`,
		},
		{
			name: "email only omits the phone",
			in:   CreateAuthSessionInput{Email: testEmail},
			want: `{"email":"user@example.com"}`,
		},
		{
			name: "false booleans are sent when permissions are present",
			in: CreateAuthSessionInput{
				PhoneNumber:        testPhone,
				SessionPermissions: &SessionPermissions{AllowedContractTypeIDs: []int{414}},
			},
			want: `{"phoneNumber":"+201234567890","sessionPermissions":{"allowedContractTypeIds":[414],"minimalSignatureFlow":false,"DigitalIdentityOnly":false}}`,
		},
		{
			name: "nil ID list is omitted",
			in: CreateAuthSessionInput{
				Email:              testEmail,
				SessionPermissions: &SessionPermissions{DigitalIdentityOnly: true},
			},
			want: `{"email":"user@example.com","sessionPermissions":{"minimalSignatureFlow":false,"DigitalIdentityOnly":true}}`,
		},
		{
			name: "empty ID list is omitted",
			in: CreateAuthSessionInput{
				Email:              testEmail,
				SessionPermissions: &SessionPermissions{AllowedContractTypeIDs: []int{}, MinimalSignatureFlow: true},
			},
			want: `{"email":"user@example.com","sessionPermissions":{"minimalSignatureFlow":true,"DigitalIdentityOnly":false}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, c := setup(t, WithUserAgent("myapp/1.2"))
			var rec recorder
			mt.RegisterResponder(http.MethodPost, testEndpoint, rec.wrap(reply(200, tokenBody("tok"))))

			_, err := c.CreateAuthSession(context.Background(), tt.in)
			require.NoError(t, err)

			reqs := rec.all()
			require.Len(t, reqs, 1)
			got := reqs[0]
			assert.Equal(t, http.MethodPost, got.method)
			assert.Equal(t, "https://api.vlenseg.com/api/IdentityUserSession/CreateAuthSession", got.url)
			assert.Equal(t, tt.want, string(got.body))
			assert.Equal(t, testAPIKey, got.header.Get("ApiKey"))
			assert.Equal(t, "application/json", got.header.Get("Content-Type"))
			assert.Equal(t, "application/json", got.header.Get("Accept"))
			ua := got.header.Get("User-Agent")
			assert.True(t, strings.HasPrefix(ua, "vlens-go/"+Version+" go"), "User-Agent %q", ua)
			assert.True(t, strings.HasSuffix(ua, " myapp/1.2"), "User-Agent %q", ua)
			assert.Empty(t, got.header.Get("Authorization"))
		})
	}
}

func TestUserAgentWithoutSuffix(t *testing.T) {
	t.Parallel()
	mt, c := setup(t)
	var rec recorder
	mt.RegisterResponder(http.MethodPost, testEndpoint, rec.wrap(reply(200, tokenBody("tok"))))

	_, err := c.CreateAuthSession(context.Background(), validInput())
	require.NoError(t, err)
	require.Len(t, rec.all(), 1)
	ua := rec.all()[0].header.Get("User-Agent")
	assert.Regexp(t, `^vlens-go/`+strings.ReplaceAll(Version, ".", `\.`)+` go\S+$`, ua)
}

func TestBaseURLSetsTheEndpoint(t *testing.T) {
	t.Parallel()
	mt, c := setup(t, WithBaseURL("http://127.0.0.1:8080/"))
	mt.RegisterResponder(http.MethodPost, "http://127.0.0.1:8080/api/IdentityUserSession/CreateAuthSession",
		reply(200, tokenBody("tok")))

	s, err := c.CreateAuthSession(context.Background(), validInput())
	require.NoError(t, err)
	assert.Equal(t, "tok", s.Token)
}

func TestRetriedCallSendsIdenticalBodyEveryAttempt(t *testing.T) {
	t.Parallel()
	mt, c := setup(t)
	var rec recorder
	mt.RegisterResponder(http.MethodPost, testEndpoint, rec.wrap(sequence(t,
		reply(503, errorBody(1, "busy")),
		httpmock.NewErrorResponder(errors.New("connection reset by peer")),
		reply(200, tokenBody("tok")),
	)))
	in := CreateAuthSessionInput{
		PhoneNumber: testPhone, Email: testEmail, UserPublicKey: "PUBLIC-KEY",
		SessionPermissions: &SessionPermissions{AllowedContractTypeIDs: []int{1, 2}, MinimalSignatureFlow: true},
	}

	s, err := c.CreateAuthSession(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, "tok", s.Token)

	reqs := rec.all()
	require.Len(t, reqs, 3)
	assert.NotEmpty(t, reqs[0].body)
	for i, r := range reqs[1:] {
		assert.Equal(t, string(reqs[0].body), string(r.body), "attempt %d", i+2)
		assert.Equal(t, reqs[0].header, r.header, "attempt %d", i+2)
	}
}

func TestCreateAuthSessionSucceeds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
	}{
		{"error_code null", `{"data":"tok-123","error_code":null,"error_message":null,"error_descriptions":null}`},
		{"error_code 0 with empty message", `{"data":"tok-123","error_code":0,"error_message":"","error_descriptions":null}`},
		{"error fields absent", `{"data":"tok-123"}`},
		{"unknown envelope fields ignored", `{"data":"tok-123","error_code":null,"trace_id":"abc","meta":{"x":[1,2]}}`},
		{"leading white space", " \n\t{\"data\":\"tok-123\"}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, s, err := createWith(t, reply(200, tt.body))
			require.NoError(t, err)
			require.NotNil(t, s)
			assert.Equal(t, "tok-123", s.Token)
			assert.Equal(t, 1, mt.GetTotalCallCount())
		})
	}
}

func TestCreateAuthSessionAnswersThatAreNotATokenAreAPIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		body        string
		sentinel    error
		wantCode    int
		wantMessage string
	}{
		{
			name: "envelope error on 200", status: 200,
			body:     `{"data":null,"error_code":1023,"error_message":"user is blocked","error_descriptions":null}`,
			wantCode: 1023, wantMessage: "user is blocked",
		},
		{
			name: "envelope error on 200 with data set", status: 200,
			body:     `{"data":"not-a-token","error_code":7,"error_message":"nope"}`,
			wantCode: 7, wantMessage: "nope",
		},
		{
			name: "401 with envelope is unauthorized", status: 401,
			body:     errorBody(401, "invalid api key"),
			sentinel: ErrUnauthorized, wantCode: 401, wantMessage: "invalid api key",
		},
		{
			name: "401 with empty body is unauthorized", status: 401, body: "",
			sentinel: ErrUnauthorized, wantMessage: "Unauthorized",
		},
		{
			name: "403 is unauthorized", status: 403,
			body:     errorBody(403, "forbidden"),
			sentinel: ErrUnauthorized, wantCode: 403, wantMessage: "forbidden",
		},
		{
			name: "400 is an invalid request", status: 400,
			body:     errorBody(400, "bad request"),
			sentinel: ErrInvalidRequest, wantCode: 400, wantMessage: "bad request",
		},
		{
			name: "404 plain text keeps the body", status: 404, body: "Not Found",
			wantMessage: "Not Found",
		},
		{
			name: "409 envelope", status: 409, body: errorBody(12, "conflict"),
			wantCode: 12, wantMessage: "conflict",
		},
		{
			name: "4xx envelope with null error_code", status: 400,
			body:     `{"data":null,"error_code":null,"error_message":null}`,
			sentinel: ErrInvalidRequest, wantMessage: "Bad Request",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, s, err := createWith(t, reply(tt.status, tt.body))
			assert.Nil(t, s)
			apiErr := requireAPIError(t, err)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, tt.wantCode, apiErr.Code)
			assert.Equal(t, tt.wantMessage, apiErr.Message)
			assert.Equal(t, 1, apiErr.Attempts)
			assert.Equal(t, 1, mt.GetTotalCallCount(), "never retried")
			if tt.sentinel != nil {
				assert.ErrorIs(t, err, tt.sentinel)
			}
		})
	}
}

func TestUnprocessableEntityKeepsDescriptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		descriptions string
		want         []FieldError
	}{
		{
			name:         "map of field to message list",
			descriptions: `{"phoneNumber":["is not registered","is blocked"],"email":["is invalid"]}`,
			want: []FieldError{
				{Field: "email", Message: "is invalid"},
				{Field: "phoneNumber", Message: "is not registered"},
				{Field: "phoneNumber", Message: "is blocked"},
			},
		},
		{
			name:         "map of field to one message",
			descriptions: `{"email":"is invalid"}`,
			want:         []FieldError{{Field: "email", Message: "is invalid"}},
		},
		{
			name:         "list of field and message objects",
			descriptions: `[{"field":"email","message":"is invalid"},{"name":"phoneNumber","error":"is blocked"}]`,
			want: []FieldError{
				{Field: "email", Message: "is invalid"},
				{Field: "phoneNumber", Message: "is blocked"},
			},
		},
		{
			name:         "unknown shape stays raw only",
			descriptions: `"something went wrong"`,
		},
		{
			name:         "map with a nested object is an unknown shape",
			descriptions: `{"email":{"code":3}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, c := setup(t)
			body := `{"data":null,"error_code":422,"error_message":"validation failed","error_descriptions":` + tt.descriptions + `}`
			mt.RegisterResponder(http.MethodPost, testEndpoint, reply(422, body))

			_, err := c.CreateAuthSession(context.Background(), validInput())
			apiErr := requireAPIError(t, err)
			assert.ErrorIs(t, err, ErrInvalidRequest)
			assert.Equal(t, 422, apiErr.StatusCode)
			assert.Equal(t, 422, apiErr.Code)
			assert.Equal(t, "validation failed", apiErr.Message)
			assert.Equal(t, tt.descriptions, string(apiErr.Descriptions), "kept raw")
			assert.Equal(t, tt.want, apiErr.FieldErrors())
			assert.Equal(t, 1, mt.GetTotalCallCount())
		})
	}
}

func TestNullDescriptionsAreNil(t *testing.T) {
	t.Parallel()
	_, _, err := createWith(t, reply(422, errorBody(5, "bad")))
	apiErr := requireAPIError(t, err)
	assert.Nil(t, apiErr.Descriptions)
	assert.Nil(t, apiErr.FieldErrors())
}

func TestNonJSONErrorBodyKeepsAtMost512Bytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want string
	}{
		{
			name: "short proxy page is kept whole",
			body: "<html><body>502 Bad Gateway</body></html>",
			want: "<html><body>502 Bad Gateway</body></html>",
		},
		{
			name: "long proxy page is cut at 512 bytes",
			body: "<html>" + strings.Repeat("x", 4096) + "</html>",
			want: ("<html>" + strings.Repeat("x", 4096))[:512],
		},
		{
			name: "multi-byte text is cut on a rune boundary",
			body: strings.Repeat("é", 600), // 2 bytes each
			want: strings.Repeat("é", 256),
		},
		{
			name: "empty body is described by its status",
			body: "",
			want: "Bad Gateway",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := createWith(t, reply(502, tt.body, "Content-Type", "text/html"), WithMaxRetries(0))
			apiErr := requireAPIError(t, err)
			assert.ErrorIs(t, err, ErrServer)
			assert.Equal(t, 502, apiErr.StatusCode)
			assert.Equal(t, 0, apiErr.Code)
			assert.LessOrEqual(t, len(apiErr.Message), 512)
			assert.Equal(t, tt.want, apiErr.Message)
		})
	}
}

func TestMalformedSuccessIsAnAPIErrorThatDoesNotEchoTheBody(t *testing.T) {
	t.Parallel()
	const secretToken = "tok-SECRET-4242"
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"2xx HTML", 200, "<html>" + secretToken + "</html>"},
		{"2xx truncated JSON", 200, `{"data":"` + secretToken},
		{"2xx JSON that is not an object", 200, `["` + secretToken + `"]`},
		{"2xx data of the wrong type", 200, `{"data":{"token":"` + secretToken + `"}}`},
		{"2xx error_code of the wrong type", 200, `{"data":"` + secretToken + `","error_code":"0"}`},
		{"2xx without data", 200, `{"error_code":null}`},
		{"2xx with null data", 200, `{"data":null,"error_code":0}`},
		{"2xx with empty token", 200, `{"data":"","error_code":null}`},
		{"201 empty body", 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, s, err := createWith(t, reply(tt.status, tt.body))
			assert.Nil(t, s)
			apiErr := requireAPIError(t, err)
			assert.ErrorIs(t, err, ErrMalformedResponse)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.NotEmpty(t, apiErr.Message)
			assert.NotContains(t, apiErr.Message, secretToken)
			assert.NotContains(t, err.Error(), secretToken)
			assert.NotContains(t, fmt.Sprintf("%+v %#v", err, apiErr), secretToken)
			assert.Equal(t, 1, mt.GetTotalCallCount(), "never retried")
		})
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	transportErr := errors.New("connection refused")
	tests := []struct {
		name       string
		opts       []Option
		answers    []httpmock.Responder
		wantToken  string
		wantStatus int // of the *APIError when the call fails with one
	}{
		{
			name: "429 then success retries twice",
			answers: []httpmock.Responder{
				reply(429, errorBody(429, "slow down"), "Retry-After", "0"),
				reply(429, errorBody(429, "slow down"), "Retry-After", "0"),
				reply(200, tokenBody("tok")),
			},
			wantToken: "tok",
		},
		{
			name: "each retryable 5xx is retried",
			opts: []Option{WithMaxRetries(4)},
			answers: []httpmock.Responder{
				reply(500, ""), reply(502, ""), reply(503, ""), reply(504, ""),
				reply(200, tokenBody("tok")),
			},
			wantToken: "tok",
		},
		{
			name: "transport failure then success",
			answers: []httpmock.Responder{
				httpmock.NewErrorResponder(transportErr),
				reply(200, tokenBody("tok")),
			},
			wantToken: "tok",
		},
		{
			name: "body broken off then success",
			answers: []httpmock.Responder{
				breakBody(200, `{"data":"to`, io.ErrUnexpectedEOF),
				reply(200, tokenBody("tok")),
			},
			wantToken: "tok",
		},
		{
			name:       "max retries 0 makes one attempt",
			opts:       []Option{WithMaxRetries(0)},
			answers:    []httpmock.Responder{reply(503, errorBody(9, "down"))},
			wantStatus: 503,
		},
		{name: "400 is never retried", answers: []httpmock.Responder{reply(400, "")}, wantStatus: 400},
		{name: "401 is never retried", answers: []httpmock.Responder{reply(401, "")}, wantStatus: 401},
		{name: "404 is never retried", answers: []httpmock.Responder{reply(404, "")}, wantStatus: 404},
		{name: "409 is never retried", answers: []httpmock.Responder{reply(409, "")}, wantStatus: 409},
		{name: "422 is never retried", answers: []httpmock.Responder{reply(422, "")}, wantStatus: 422},
		{name: "501 is never retried", answers: []httpmock.Responder{reply(501, "")}, wantStatus: 501},
		{
			name:       "envelope error on 200 is never retried",
			answers:    []httpmock.Responder{reply(200, errorBody(3, "nope"))},
			wantStatus: 200,
		},
		{
			name:       "envelope error on 4xx is never retried",
			answers:    []httpmock.Responder{reply(418, errorBody(3, "nope"))},
			wantStatus: 418,
		},
		{
			name:       "redirect is never retried",
			answers:    []httpmock.Responder{reply(307, "", "Location", "https://elsewhere.example/")},
			wantStatus: 307,
		},
		{
			name:       "oversized 503 is retried like any 503",
			opts:       []Option{WithMaxResponseBytes(8)},
			answers:    []httpmock.Responder{reply(503, strings.Repeat("x", 64)), reply(503, strings.Repeat("x", 64)), reply(503, strings.Repeat("x", 64))},
			wantStatus: 503,
		},
		{
			name:      "oversized 429 then a token",
			opts:      []Option{WithMaxResponseBytes(96)},
			answers:   []httpmock.Responder{reply(429, strings.Repeat("x", 97)), reply(200, tokenBody("tok"))},
			wantToken: "tok",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, s, err := createWith(t, sequence(t, tt.answers...), tt.opts...)
			assert.Equal(t, len(tt.answers), mt.GetTotalCallCount())
			if tt.wantToken != "" {
				require.NoError(t, err)
				assert.Equal(t, tt.wantToken, s.Token)
				return
			}
			apiErr := requireAPIError(t, err)
			assert.Equal(t, tt.wantStatus, apiErr.StatusCode)
			assert.Equal(t, len(tt.answers), apiErr.Attempts)
		})
	}
}

func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		retries  int
		status   int
		header   []string
		sentinel error
	}{
		{name: "503 until exhausted", retries: 2, status: 503, sentinel: ErrServer},
		{name: "500 until exhausted with 4 retries", retries: 4, status: 500, sentinel: ErrServer},
		{name: "504 until exhausted with 1 retry", retries: 1, status: 504, sentinel: ErrServer},
		{name: "429 until exhausted", retries: 2, status: 429, header: []string{"Retry-After", "0"}, sentinel: ErrRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, c := setup(t, WithMaxRetries(tt.retries))
			body := `{"data":null,"error_code":77,"error_message":"try later","error_descriptions":{"svc":["db down"]}}`
			mt.RegisterResponder(http.MethodPost, testEndpoint, reply(tt.status, body, tt.header...))

			_, err := c.CreateAuthSession(context.Background(), validInput())
			apiErr := requireAPIError(t, err)
			assert.ErrorIs(t, err, tt.sentinel)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, 77, apiErr.Code)
			assert.Equal(t, "try later", apiErr.Message)
			assert.JSONEq(t, `{"svc":["db down"]}`, string(apiErr.Descriptions))
			assert.Equal(t, tt.retries+1, apiErr.Attempts)
			assert.Equal(t, tt.retries+1, mt.GetTotalCallCount())
			assert.NotContains(t, err.Error(), "giving up", "go-retryablehttp's error must not leak")
		})
	}
}

func TestRetryAfterLongerThanTheCapReturnsAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		retryAfter string
		maxWait    time.Duration
		want       time.Duration
	}{
		{name: "429 asking 120s over a 30s cap", status: 429, retryAfter: "120", maxWait: 30 * time.Second, want: 120 * time.Second},
		{name: "503 asking 60s over a 10s cap", status: 503, retryAfter: "60", maxWait: 10 * time.Second, want: time.Minute},
		{name: "429 asking 5s when the cap is 0", status: 429, retryAfter: "5", maxWait: 0, want: 5 * time.Second},
		{
			name: "503 asking more seconds than fit in uint64", status: 503, retryAfter: "99999999999999999999", maxWait: time.Hour,
			want: time.Duration((1<<63-1)/int64(time.Second)) * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, c := setup(t, WithMaxRetryAfter(tt.maxWait))
			mt.RegisterResponder(http.MethodPost, testEndpoint,
				reply(tt.status, errorBody(1, "later"), "Retry-After", tt.retryAfter))

			start := time.Now()
			_, err := c.CreateAuthSession(context.Background(), validInput())
			elapsed := time.Since(start)

			apiErr := requireAPIError(t, err)
			assert.Less(t, elapsed, prompt, "must not wait")
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, tt.want, apiErr.RetryAfter, "the full wait the server asked for")
			assert.Equal(t, 1, apiErr.Attempts)
			assert.Equal(t, 1, mt.GetTotalCallCount())
			assert.Contains(t, err.Error(), "retry after "+tt.want.String())
		})
	}
}

func TestRetryAfterAsHTTPDate(t *testing.T) {
	t.Parallel()

	t.Run("date beyond the cap returns at once with the wait", func(t *testing.T) {
		t.Parallel()
		mt, c := setup(t)
		date := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
		mt.RegisterResponder(http.MethodPost, testEndpoint, reply(503, "", "Retry-After", date))

		start := time.Now()
		_, err := c.CreateAuthSession(context.Background(), validInput())
		assert.Less(t, time.Since(start), prompt)
		apiErr := requireAPIError(t, err)
		// The date has one-second resolution and the call may take a while
		// on a busy machine; a minute still tells it from a misread date.
		assert.InDelta(t, time.Hour.Seconds(), apiErr.RetryAfter.Seconds(), time.Minute.Seconds())
		assert.Equal(t, 1, mt.GetTotalCallCount())
	})

	t.Run("date in the past waits the backoff's minimum only", func(t *testing.T) {
		t.Parallel()
		const min = 20 * time.Millisecond
		mt, c := setup(t, WithRetryWait(min, time.Hour))
		date := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
		mt.RegisterResponder(http.MethodPost, testEndpoint, sequence(t,
			reply(429, "", "Retry-After", date),
			reply(200, tokenBody("tok")),
		))

		start := time.Now()
		s, err := c.CreateAuthSession(context.Background(), validInput())
		require.NoError(t, err)
		assert.Equal(t, "tok", s.Token)
		assert.Less(t, time.Since(start), prompt, "Retry-After replaces the jittered backoff")
		assert.GreaterOrEqual(t, time.Since(start), min, "never less than the minimum")
		assert.Equal(t, 2, mt.GetTotalCallCount())
	})

	t.Run("unparsable value falls back to the backoff", func(t *testing.T) {
		t.Parallel()
		mt, c := setup(t)
		mt.RegisterResponder(http.MethodPost, testEndpoint, sequence(t,
			reply(503, "", "Retry-After", "soon"),
			reply(200, tokenBody("tok")),
		))

		_, err := c.CreateAuthSession(context.Background(), validInput())
		require.NoError(t, err)
		assert.Equal(t, 2, mt.GetTotalCallCount())
	})
}

func TestContextDeadlineShorterThanTheNextWaitReturnsTheLastAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   []Option
		header []string
	}{
		{name: "backoff longer than the deadline", opts: []Option{WithRetryWait(time.Minute, time.Minute)}},
		{name: "Retry-After longer than the deadline", header: []string{"Retry-After", "60"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, c := setup(t, tt.opts...)
			mt.RegisterResponder(http.MethodPost, testEndpoint, reply(503, errorBody(8, "busy"), tt.header...))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			start := time.Now()
			_, err := c.CreateAuthSession(ctx, validInput())
			assert.Less(t, time.Since(start), prompt, "must not sleep towards the deadline")

			apiErr := requireAPIError(t, err)
			assert.Equal(t, 503, apiErr.StatusCode)
			assert.Equal(t, 8, apiErr.Code)
			assert.Equal(t, "busy", apiErr.Message)
			assert.Equal(t, 1, apiErr.Attempts)
			assert.Equal(t, 1, mt.GetTotalCallCount())
			assert.NoError(t, ctx.Err(), "returned before the deadline")
		})
	}
}

func TestCancellationMidWaitReturnsPromptly(t *testing.T) {
	t.Parallel()
	mt, c := setup(t, WithRetryWait(time.Minute, time.Minute))
	attempted := make(chan struct{}, 1)
	mt.RegisterResponder(http.MethodPost, testEndpoint, func(req *http.Request) (*http.Response, error) {
		attempted <- struct{}{}
		return reply(503, "")(req)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-attempted
		time.Sleep(2 * time.Millisecond) // let the client start waiting
		cancel()
	}()

	start := time.Now()
	_, err := c.CreateAuthSession(ctx, validInput())
	assert.Less(t, time.Since(start), prompt)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestContextAlreadyDoneSendsNothing(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	tests := []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"cancelled", cancelled, context.Canceled},
		{"deadline passed", expired, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, c := setup(t)
			mt.RegisterResponder(http.MethodPost, testEndpoint, reply(200, tokenBody("tok")))

			s, err := c.CreateAuthSession(tt.ctx, validInput())
			assert.Nil(t, s)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "vlens: create auth session: "), err.Error())
			assert.Equal(t, 0, mt.GetTotalCallCount(), "nothing is sent")
		})
	}
}

func TestCallerDeadlineDuringAnAttemptIsDeadlineExceeded(t *testing.T) {
	t.Parallel()
	// The deadline must pass while the attempt is in flight. On a busy
	// machine a short one can pass before the attempt is sent (and the
	// client rightly sends nothing); then the call is made again with a
	// deadline ten times longer, up to 5s.
	for d := 5 * time.Millisecond; ; d *= 10 {
		mt, c := setup(t, WithAttemptTimeout(0))
		mt.RegisterResponder(http.MethodPost, testEndpoint, blockUntilDone)
		ctx, cancel := context.WithTimeout(context.Background(), d)
		_, err := c.CreateAuthSession(ctx, validInput())
		cancel()
		if mt.GetTotalCallCount() == 0 && d < 5*time.Second {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			t.Logf("the %v deadline passed before the attempt was sent; again with a longer one", d)
			continue
		}

		assert.ErrorIs(t, err, context.DeadlineExceeded)
		var apiErr *APIError
		assert.False(t, errors.As(err, &apiErr))
		assert.Equal(t, 1, mt.GetTotalCallCount(), "nothing is retried after the caller's context ended")
		return
	}
}

func TestRedirectsAreNeverFollowed(t *testing.T) {
	t.Parallel()
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(strconv.Itoa(status)+" to another host", func(t *testing.T) {
			t.Parallel()
			mt, c := setup(t)
			const other = "https://attacker.example/steal"
			mt.RegisterResponder(http.MethodPost, testEndpoint, reply(status, "", "Location", other))
			mt.RegisterResponder(http.MethodPost, other, reply(200, tokenBody("stolen")))
			mt.RegisterResponder(http.MethodGet, other, reply(200, tokenBody("stolen")))

			s, err := c.CreateAuthSession(context.Background(), validInput())
			assert.Nil(t, s)
			apiErr := requireAPIError(t, err)
			assert.Equal(t, status, apiErr.StatusCode)
			assert.Equal(t, 1, apiErr.Attempts)
			assert.Contains(t, apiErr.Message, "redirect")
			info := mt.GetCallCountInfo()
			assert.Equal(t, 0, info["POST "+other], "the other host gets nothing")
			assert.Equal(t, 0, info["GET "+other], "the other host gets nothing")
			assert.Equal(t, 1, mt.GetTotalCallCount())
			for _, sentinel := range []error{ErrUnauthorized, ErrRateLimited, ErrServer, ErrInvalidRequest, ErrMalformedResponse, ErrResponseTooLarge} {
				assert.NotErrorIs(t, err, sentinel)
			}
		})
	}
}

func TestOversizedBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		sentinel error // the status's own, besides ErrResponseTooLarge
		attempts int
	}{
		{"2xx over the limit", 200, nil, 1},
		{"retryable 503 over the limit is still a 503", 503, ErrServer, 3},
		{"retryable 429 over the limit is still a 429", 429, ErrRateLimited, 3},
		{"4xx over the limit", 400, ErrInvalidRequest, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, s, err := createWith(t, reply(tt.status, tokenBody(strings.Repeat("t", 64))), WithMaxResponseBytes(32))
			assert.Nil(t, s)
			apiErr := requireAPIError(t, err)
			assert.ErrorIs(t, err, ErrResponseTooLarge)
			if tt.sentinel != nil {
				assert.ErrorIs(t, err, tt.sentinel)
			}
			assert.NotErrorIs(t, err, ErrMalformedResponse)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, tt.attempts, apiErr.Attempts)
			assert.NotContains(t, err.Error(), "ttttt")
			assert.Equal(t, tt.attempts, mt.GetTotalCallCount())
		})
	}

	t.Run("body exactly at the limit is read", func(t *testing.T) {
		t.Parallel()
		body := tokenBody("tok")
		_, s, err := createWith(t, reply(200, body), WithMaxResponseBytes(int64(len(body))))
		require.NoError(t, err)
		assert.Equal(t, "tok", s.Token)
	})
}

func TestBodyBrokenOffUntilRetriesRunOutIsATransportError(t *testing.T) {
	t.Parallel()
	mt, s, err := createWith(t, breakBody(200, `{"data":"tok-`, io.ErrUnexpectedEOF))
	assert.Nil(t, s)
	require.Error(t, err)
	var apiErr *APIError
	assert.False(t, errors.As(err, &apiErr), "got *APIError %v", apiErr)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, 3, mt.GetTotalCallCount())
	assert.True(t, strings.HasPrefix(err.Error(), "vlens: create auth session: "), err.Error())
	assert.NotContains(t, err.Error(), "tok-")
	assert.NotContains(t, err.Error(), "giving up")
}

func TestTransportErrors(t *testing.T) {
	t.Parallel()

	t.Run("retried then returned wrapped", func(t *testing.T) {
		t.Parallel()
		cause := errors.New("connection reset by peer")
		mt, _, err := createWith(t, httpmock.NewErrorResponder(cause))
		require.Error(t, err)
		assert.ErrorIs(t, err, cause)
		var apiErr *APIError
		assert.False(t, errors.As(err, &apiErr))
		assert.Equal(t, 3, mt.GetTotalCallCount())
		assert.True(t, strings.HasPrefix(err.Error(), "vlens: create auth session: "), err.Error())
		assert.Contains(t, err.Error(), "3 attempt(s)")
		assert.NotContains(t, err.Error(), "giving up")
		for _, sentinel := range []error{ErrUnauthorized, ErrRateLimited, ErrServer, ErrInvalidRequest,
			ErrMalformedResponse, ErrResponseTooLarge, context.Canceled, context.DeadlineExceeded} {
			assert.NotErrorIs(t, err, sentinel)
		}
	})

	t.Run("certificate errors are never retried", func(t *testing.T) {
		t.Parallel()
		mt, c := setup(t)
		mt.RegisterResponder(http.MethodPost, testEndpoint,
			httpmock.NewErrorResponder(&tls.CertificateVerificationError{Err: errors.New("x509: unknown authority")}))

		_, err := c.CreateAuthSession(context.Background(), validInput())
		var certErr *tls.CertificateVerificationError
		assert.ErrorAs(t, err, &certErr)
		assert.Equal(t, 1, mt.GetTotalCallCount())
	})
}

func TestPerAttemptTimeoutIsRetriedAndIsNotTheCallersDeadline(t *testing.T) {
	t.Parallel()
	mt, c := setup(t, WithAttemptTimeout(5*time.Millisecond))
	mt.RegisterResponder(http.MethodPost, testEndpoint, blockUntilDone)

	start := time.Now()
	_, err := c.CreateAuthSession(context.Background(), validInput())
	assert.Less(t, time.Since(start), prompt)
	require.Error(t, err)
	assert.Equal(t, 3, mt.GetTotalCallCount())
	assert.NotErrorIs(t, err, context.DeadlineExceeded, "the caller's context did not end")
	assert.NotErrorIs(t, err, context.Canceled)
	var apiErr *APIError
	assert.False(t, errors.As(err, &apiErr))
	var netErr net.Error
	require.ErrorAs(t, err, &netErr)
	assert.True(t, netErr.Timeout())
}

func TestPerAttemptTimeoutThenSuccess(t *testing.T) {
	t.Parallel()
	// The timeout must not also cut short the answer the retry gets at
	// once: a second is far more than a busy machine takes to hand it over.
	mt, c := setup(t, WithAttemptTimeout(time.Second))
	mt.RegisterResponder(http.MethodPost, testEndpoint, sequence(t,
		blockUntilDone,
		reply(200, tokenBody("tok")),
	))

	s, err := c.CreateAuthSession(context.Background(), validInput())
	require.NoError(t, err)
	assert.Equal(t, "tok", s.Token)
	assert.Equal(t, 2, mt.GetTotalCallCount())
}

func TestCallerHTTPClientIsNotModified(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	hc := &http.Client{Transport: mt, Timeout: 7 * time.Second}
	c, err := NewClient(testAPIKey, WithHTTPClient(hc), WithRetryWait(time.Millisecond, 2*time.Millisecond))
	require.NoError(t, err)
	mt.RegisterResponder(http.MethodPost, testEndpoint, reply(302, "", "Location", "https://elsewhere.example/"))

	_, err = c.CreateAuthSession(context.Background(), validInput())
	requireAPIError(t, err)

	assert.Same(t, mt, hc.Transport.(*httpmock.MockTransport))
	assert.Nil(t, hc.CheckRedirect)
	assert.Equal(t, 7*time.Second, hc.Timeout)
	assert.Nil(t, hc.Jar)
}

func TestCallerHTTPClientKeepsItsRedirectPolicyButTheSDKRefuses(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	follow := func(*http.Request, []*http.Request) error { return nil }
	hc := &http.Client{Transport: mt, CheckRedirect: follow}
	c, err := NewClient(testAPIKey, WithHTTPClient(hc))
	require.NoError(t, err)
	const other = "https://attacker.example/"
	mt.RegisterResponder(http.MethodPost, testEndpoint, reply(308, "", "Location", other))
	mt.RegisterResponder(http.MethodPost, other, reply(200, tokenBody("stolen")))

	_, err = c.CreateAuthSession(context.Background(), validInput())
	apiErr := requireAPIError(t, err)
	assert.Equal(t, 308, apiErr.StatusCode)
	assert.Equal(t, 0, mt.GetCallCountInfo()["POST "+other])
	require.NotNil(t, hc.CheckRedirect)
	assert.Equal(t, fmt.Sprintf("%p", follow), fmt.Sprintf("%p", hc.CheckRedirect))
}

func TestCallerHTTPClientTimeoutAppliesPerAttempt(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	// The timeout must not also cut short the answer the retry gets at
	// once: a second is far more than a busy machine takes to hand it over.
	hc := &http.Client{Transport: mt, Timeout: time.Second}
	c, err := NewClient(testAPIKey, WithHTTPClient(hc), WithAttemptTimeout(0),
		WithRetryWait(time.Millisecond, 2*time.Millisecond))
	require.NoError(t, err)
	mt.RegisterResponder(http.MethodPost, testEndpoint, sequence(t,
		blockUntilDone,
		reply(200, tokenBody("tok")),
	))

	start := time.Now()
	s, err := c.CreateAuthSession(context.Background(), validInput())
	require.NoError(t, err)
	assert.Equal(t, "tok", s.Token)
	assert.Less(t, time.Since(start), hc.Timeout+prompt)
	assert.Equal(t, 2, mt.GetTotalCallCount(), "the timed-out attempt was retried")
}

func TestConcurrentCallsShareOneClient(t *testing.T) {
	t.Parallel()
	mt, c := setup(t, WithLogger(discardLogger()))
	var mu sync.Mutex
	seen := map[string]int{}
	mt.RegisterResponder(http.MethodPost, testEndpoint, func(req *http.Request) (*http.Response, error) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		seen[string(body)]++
		first := seen[string(body)] == 1
		mu.Unlock()
		if first { // every call is retried once
			return httpmock.NewStringResponse(503, ""), nil
		}
		phone := strings.TrimSuffix(strings.TrimPrefix(string(body), `{"phoneNumber":"`), `"}`)
		return httpmock.NewStringResponse(200, tokenBody("tok"+phone)), nil
	})

	const n = 32
	var wg sync.WaitGroup
	errs := make([]error, n)
	tokens := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			phone := fmt.Sprintf("+2010000%05d", i)
			s, err := c.CreateAuthSession(context.Background(), CreateAuthSessionInput{PhoneNumber: phone})
			errs[i] = err
			if err == nil {
				tokens[i] = s.Token
			}
		}()
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "call %d", i)
		assert.Equal(t, fmt.Sprintf("tok+2010000%05d", i), tokens[i])
	}
	assert.Equal(t, 2*n, mt.GetTotalCallCount())
}

// idleCounter is a caller's transport that counts CloseIdleConnections calls.
type idleCounter struct {
	*httpmock.MockTransport
	closed atomic.Int32
}

func (t *idleCounter) CloseIdleConnections() { t.closed.Add(1) }

func TestCallerIdleConnectionsAreNotClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer httpmock.Responder
	}{
		{"retries exhausted on 503", reply(503, "")},
		{"transport failures", httpmock.NewErrorResponder(errors.New("connection reset"))},
		{"oversized body", reply(200, strings.Repeat("x", 64))},
		{"success", reply(200, tokenBody("tok"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rt := &idleCounter{MockTransport: httpmock.NewMockTransport()}
			rt.RegisterResponder(http.MethodPost, testEndpoint, tt.answer)
			c, err := NewClient(testAPIKey, WithHTTPClient(&http.Client{Transport: rt}),
				WithRetryWait(time.Millisecond, 2*time.Millisecond), WithMaxResponseBytes(32))
			require.NoError(t, err)

			_, _ = c.CreateAuthSession(context.Background(), validInput())
			assert.Equal(t, int32(0), rt.closed.Load())
			assert.Positive(t, rt.GetTotalCallCount())
		})
	}
}

// closeTracker is a response body that records how far it was read and
// whether it was closed.
type closeTracker struct {
	r      io.Reader
	mu     sync.Mutex
	closed bool
	eof    bool
}

func (b *closeTracker) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.mu.Lock()
		b.eof = true
		b.mu.Unlock()
	}
	return n, err
}

func (b *closeTracker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

func TestEveryResponseBodyIsClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		body     string
		wantRead bool // read to its end, so the connection can be reused
	}{
		{"success", 200, tokenBody("tok"), true},
		{"envelope error", 200, errorBody(1, "no"), true},
		{"retried 503", 503, errorBody(1, "busy"), true},
		{"redirect", 302, "moved", true},
		{"oversized", 200, strings.Repeat("x", 4096), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var bodies []*closeTracker
			mt, c := setup(t, WithMaxResponseBytes(1024))
			mt.RegisterResponder(http.MethodPost, testEndpoint, func(*http.Request) (*http.Response, error) {
				b := &closeTracker{r: strings.NewReader(tt.body)}
				mu.Lock()
				bodies = append(bodies, b)
				mu.Unlock()
				return &http.Response{StatusCode: tt.status, Header: http.Header{}, Body: b}, nil
			})

			_, _ = c.CreateAuthSession(context.Background(), validInput())
			mu.Lock()
			defer mu.Unlock()
			require.NotEmpty(t, bodies)
			for i, b := range bodies {
				b.mu.Lock()
				assert.True(t, b.closed, "body %d closed", i)
				assert.Equal(t, tt.wantRead, b.eof, "body %d read to its end", i)
				b.mu.Unlock()
			}
		})
	}
}
