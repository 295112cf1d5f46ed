package vlenstest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

var validInput = vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"}

// callResult is what one CreateAuthSession call through a real client did,
// as the server saw it.
type callResult struct {
	session  *vlens.AuthSession
	err      error
	requests []vlenstest.Request
	tokens   []string
}

// callWithFaults queues faults on a fresh server and makes one call through
// a client built with opts.
func callWithFaults(t *testing.T, faults []vlenstest.Fault, opts ...vlens.Option) callResult {
	t.Helper()
	srv := vlenstest.NewTestServer(t)
	srv.Enqueue(faults...)
	session, err := srv.Client(opts...).CreateAuthSession(context.Background(), validInput)
	return callResult{session: session, err: err, requests: srv.Requests(), tokens: srv.Tokens()}
}

func statuses(reqs []vlenstest.Request) []int {
	out := make([]int, len(reqs))
	for i, r := range reqs {
		out[i] = r.Status
	}
	return out
}

func TestFaultsRecoveredByRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		faults   []vlenstest.Fault
		opts     []vlens.Option
		statuses []int
	}{
		{"two 503s then success", []vlenstest.Fault{{Status: 503}, {Status: 503}}, nil, []int{503, 503, 200}},
		{"dropped connection is retried", []vlenstest.Fault{vlenstest.DropConnection()}, nil, []int{0, 200}},
		{"proxy page then success", []vlenstest.Fault{vlenstest.ProxyPage(502)}, nil, []int{502, 200}},
		{"429 with Retry-After 0 is retried", []vlenstest.Fault{{Status: 429, Header: http.Header{"Retry-After": {"0"}}}}, nil, []int{429, 200}},
		{"delay beyond the per-attempt timeout is retried", []vlenstest.Fault{vlenstest.Delayed(time.Minute)},
			[]vlens.Option{vlens.WithAttemptTimeout(50 * time.Millisecond)}, []int{0, 200}},
		{"delay alone answers normally", []vlenstest.Fault{vlenstest.Delayed(2 * time.Millisecond)}, nil, []int{200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := callWithFaults(t, tt.faults, tt.opts...)
			require.NoError(t, got.err)
			require.Len(t, got.tokens, 1)
			assert.Equal(t, got.tokens[0], got.session.Token)
			assert.Equal(t, tt.statuses, statuses(got.requests))
			for i, r := range got.requests {
				if i < len(tt.faults) {
					require.NotNil(t, r.Fault, "request %d", i)
					assert.Equal(t, tt.faults[i], *r.Fault, "request %d", i)
				} else {
					assert.Nil(t, r.Fault, "request %d", i)
				}
			}
		})
	}
}

func TestFaultsReturnedAsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		faults    []vlenstest.Fault
		sentinel  error
		status    int
		code      int
		message   string
		attempts  int
		retryWait time.Duration
	}{
		{"envelope error on 200 is not retried", []vlenstest.Fault{vlenstest.EnvelopeError(1050, "user is blocked")},
			nil, 200, 1050, "user is blocked", 1, 0},
		{"503 until retries run out", []vlenstest.Fault{{Status: 503}, {Status: 503}, {Status: 503}},
			vlens.ErrServer, 503, 9503, "service unavailable", 3, 0},
		{"proxy HTML page until retries run out", []vlenstest.Fault{vlenstest.ProxyPage(502), vlenstest.ProxyPage(502), vlenstest.ProxyPage(502)},
			vlens.ErrServer, 502, 0, "502 Bad Gateway", 3, 0},
		{"Retry-After beyond the client's cap returns at once", []vlenstest.Fault{vlenstest.RateLimited(1500 * time.Millisecond)},
			vlens.ErrRateLimited, 429, 9429, "too many requests", 1, 2 * time.Second},
		{"2xx fault without a token is malformed", []vlenstest.Fault{{Status: 200}},
			vlens.ErrMalformedResponse, 200, 0, "", 1, 0},
		{"401 fault is not retried", []vlenstest.Fault{{Status: 401}},
			vlens.ErrUnauthorized, 401, 9401, "unauthorized", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := callWithFaults(t, tt.faults)
			require.Error(t, got.err)
			var apiErr *vlens.APIError
			require.ErrorAs(t, got.err, &apiErr)
			if tt.sentinel != nil {
				assert.ErrorIs(t, got.err, tt.sentinel)
			}
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, tt.code, apiErr.Code)
			assert.Contains(t, apiErr.Message, tt.message)
			assert.Equal(t, tt.attempts, apiErr.Attempts)
			assert.Equal(t, tt.retryWait, apiErr.RetryAfter)
			assert.Len(t, got.requests, tt.attempts)
			assert.Empty(t, got.tokens)
		})
	}
}

func TestFaultDescriptionsReachTheClient(t *testing.T) {
	t.Parallel()
	got := callWithFaults(t, []vlenstest.Fault{{
		Status: 422, ErrorCode: 77, ErrorMessage: "invalid",
		ErrorDescriptions: json.RawMessage(`{"email":["is already used"]}`),
	}})
	var apiErr *vlens.APIError
	require.ErrorAs(t, got.err, &apiErr)
	assert.ErrorIs(t, got.err, vlens.ErrInvalidRequest)
	assert.Equal(t, []vlens.FieldError{{Field: "email", Message: "is already used"}}, apiErr.FieldErrors())
}

func TestFaultHeaderWins(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	srv.Enqueue(vlenstest.Fault{Status: 200, Header: http.Header{"Content-Type": {"text/plain"}}})
	resp, err := http.Post(srv.URL+vlenstest.CreateAuthSessionPath, "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "text/plain", resp.Header.Get("Content-Type"))
}

func TestFaultIsTakenBeforeAuthentication(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	srv.Enqueue(vlenstest.Fault{Status: 503})
	resp := post(t, srv.URL+vlenstest.CreateAuthSessionPath, http.Header{"Content-Type": {"application/json"}}, `{}`)
	assert.Equal(t, 503, resp.status)
	resp = post(t, srv.URL+vlenstest.CreateAuthSessionPath, http.Header{"Content-Type": {"application/json"}}, `{}`)
	assert.Equal(t, 401, resp.status)
}

func TestWrongAPIKeyIsUnauthorized(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithAPIKey("the-right-key"))
	client, err := vlens.NewClient("a-wrong-key", vlens.WithBaseURL(srv.URL))
	require.NoError(t, err)

	_, err = client.CreateAuthSession(context.Background(), validInput)
	var apiErr *vlens.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.ErrorIs(t, err, vlens.ErrUnauthorized)
	assert.Equal(t, vlenstest.ErrorCodeUnauthorized, apiErr.Code)
	assert.Equal(t, 1, apiErr.Attempts)
	assert.Empty(t, srv.Tokens())

	_, err = srv.Client().CreateAuthSession(context.Background(), validInput)
	assert.NoError(t, err, "Server.Client uses the key the server accepts")
}

// response is a raw HTTP answer with its envelope decoded.
type response struct {
	status int
	header http.Header
	env    struct {
		Data              json.RawMessage     `json:"data"` // "null" when none
		ErrorCode         *int                `json:"error_code"`
		ErrorMessage      *string             `json:"error_message"`
		ErrorDescriptions map[string][]string `json:"error_descriptions"`
	}
}

func do(t *testing.T, method, url string, header http.Header, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := response{status: resp.StatusCode, header: resp.Header}
	require.NoError(t, json.Unmarshal(raw, &r.env), "every answer is an envelope")
	return r
}

// isError checks that r is an error envelope with code, a message, no
// data, and descriptions for exactly fields.
func (r response) isError(t *testing.T, code int, fields []string) {
	t.Helper()
	assert.JSONEq(t, "null", string(r.env.Data))
	require.NotNil(t, r.env.ErrorCode)
	assert.Equal(t, code, *r.env.ErrorCode)
	require.NotNil(t, r.env.ErrorMessage)
	assert.NotEmpty(t, *r.env.ErrorMessage)
	var got []string
	for f := range r.env.ErrorDescriptions {
		got = append(got, f)
	}
	assert.ElementsMatch(t, fields, got)
}

// data decodes the envelope's data into v.
func (r response) data(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.env.Data, v), "data: %s", r.env.Data)
}

func post(t *testing.T, url string, header http.Header, body string) response {
	t.Helper()
	return do(t, http.MethodPost, url, header, body)
}

func TestEndpointAnswers(t *testing.T) {
	t.Parallel()
	good := func() http.Header {
		return http.Header{"Apikey": {vlenstest.TestAPIKey}, "Content-Type": {"application/json"}}
	}
	with := func(name, value string) http.Header {
		h := good()
		if value == "" {
			h.Del(name)
		} else {
			h.Set(name, value)
		}
		return h
	}
	tests := []struct {
		name   string
		method string
		path   string
		header http.Header
		body   string
		status int
		code   int
		fields []string // keys of error_descriptions
	}{
		{"valid input issues a token", "POST", vlenstest.CreateAuthSessionPath, good(), `{"phoneNumber":"+201234567890"}`, 200, 0, nil},
		{"field names match case-insensitively and unknown fields are ignored", "POST", vlenstest.CreateAuthSessionPath, good(),
			`{"PHONENUMBER":"+201234567890","somethingNew":1,"sessionPermissions":{"digitalIdentityOnly":true}}`, 200, 0, nil},
		{"path matches case-insensitively", "POST", strings.ToLower(vlenstest.CreateAuthSessionPath), good(), `{"email":"a@example.com"}`, 200, 0, nil},
		{"JSON with charset", "POST", vlenstest.CreateAuthSessionPath, with("Content-Type", "application/json; charset=utf-8"), `{"email":"a@example.com"}`, 200, 0, nil},
		{"other path is 404", "POST", "/api/IdentityUserSession/GetSession", good(), `{}`, 404, vlenstest.ErrorCodeNotFound, nil},
		{"GET is 405", "GET", vlenstest.CreateAuthSessionPath, good(), ``, 405, vlenstest.ErrorCodeMethodNotAllowed, nil},
		{"missing ApiKey is 401", "POST", vlenstest.CreateAuthSessionPath, with("ApiKey", ""), `{"phoneNumber":"+201234567890"}`, 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"wrong ApiKey is 401", "POST", vlenstest.CreateAuthSessionPath, with("ApiKey", "nope"), `{"phoneNumber":"+201234567890"}`, 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"body over the limit is 413", "POST", vlenstest.CreateAuthSessionPath, good(), `{"email":"` + strings.Repeat("a", vlenstest.MaxRequestBytes) + `"}`, 413, vlenstest.ErrorCodeRequestTooLarge, nil},
		{"text/plain is 415", "POST", vlenstest.CreateAuthSessionPath, with("Content-Type", "text/plain"), `{"phoneNumber":"+201234567890"}`, 415, vlenstest.ErrorCodeUnsupportedMediaType, nil},
		{"missing Content-Type is 415", "POST", vlenstest.CreateAuthSessionPath, with("Content-Type", ""), `{"phoneNumber":"+201234567890"}`, 415, vlenstest.ErrorCodeUnsupportedMediaType, nil},
		{"non-JSON body is 400", "POST", vlenstest.CreateAuthSessionPath, good(), `phoneNumber=+201234567890`, 400, vlenstest.ErrorCodeMalformedBody, []string{"$"}},
		{"empty body is 400", "POST", vlenstest.CreateAuthSessionPath, good(), ``, 400, vlenstest.ErrorCodeMalformedBody, []string{"$"}},
		{"JSON array is 400", "POST", vlenstest.CreateAuthSessionPath, good(), `[]`, 400, vlenstest.ErrorCodeMalformedBody, []string{"$"}},
		{"trailing data is 400", "POST", vlenstest.CreateAuthSessionPath, good(), `{"phoneNumber":"+201234567890"} {}`, 400, vlenstest.ErrorCodeMalformedBody, []string{"$"}},
		{"field of the wrong type is 400 naming it", "POST", vlenstest.CreateAuthSessionPath, good(), `{"phoneNumber":201234567890}`, 400, vlenstest.ErrorCodeMalformedBody, []string{"phoneNumber"}},
		{"nested field of the wrong type is 400 naming it", "POST", vlenstest.CreateAuthSessionPath, good(),
			`{"phoneNumber":"+201234567890","sessionPermissions":{"allowedContractTypeIds":"414"}}`, 400, vlenstest.ErrorCodeMalformedBody, []string{"sessionPermissions.allowedContractTypeIds"}},
		{"no phone or email is 422", "POST", vlenstest.CreateAuthSessionPath, good(), `{}`, 422, vlenstest.ErrorCodeValidation, []string{"phoneNumber"}},
		{"every bad field is named", "POST", vlenstest.CreateAuthSessionPath, good(),
			`{"phoneNumber":"0123","email":"Ann <a@example.com>","sessionPermissions":{"allowedContractTypeIds":[414,-1,414]}}`,
			422, vlenstest.ErrorCodeValidation,
			[]string{"email", "phoneNumber", "sessionPermissions.allowedContractTypeIds[1]", "sessionPermissions.allowedContractTypeIds[2]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := vlenstest.NewTestServer(t)
			got := do(t, tt.method, srv.URL+tt.path, tt.header, tt.body)

			assert.Equal(t, tt.status, got.status)
			assert.Equal(t, "application/json; charset=utf-8", got.header.Get("Content-Type"))
			if tt.status == 200 {
				assert.Nil(t, got.env.ErrorCode)
				var token string
				got.data(t, &token)
				assert.Equal(t, srv.Tokens(), []string{token})
				return
			}
			got.isError(t, tt.code, tt.fields)
			if tt.status == 405 {
				assert.Equal(t, "POST", got.header.Get("Allow"))
			}
			assert.Empty(t, srv.Tokens())
			reqs := srv.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.status, reqs[0].Status)
			assert.Equal(t, tt.code, reqs[0].ErrorCode)
		})
	}
}

func TestRecordedRequest(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	in := vlens.CreateAuthSessionInput{
		PhoneNumber: "+201234567890",
		Email:       "ann@example.com",
		SessionPermissions: &vlens.SessionPermissions{
			AllowedContractTypeIDs: []int{414},
			DigitalIdentityOnly:    true,
		},
	}
	before := time.Now()
	_, err := srv.Client().CreateAuthSession(context.Background(), in)
	require.NoError(t, err)

	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, vlenstest.CreateAuthSessionPath, r.Path)
	assert.Equal(t, &in, r.Input)
	assert.Equal(t, []string{"[redacted]"}, r.Header.Values("ApiKey"))
	assert.Contains(t, r.Header.Get("User-Agent"), "vlens-go/")
	assert.WithinDuration(t, before, r.Time, time.Minute)
	assert.Equal(t, 200, r.Status)

	// What Requests returns is the caller's to change.
	r.Header.Set("X-Changed", "1")
	r.Input.SessionPermissions.AllowedContractTypeIDs[0] = 1
	again := srv.Requests()[0]
	assert.Empty(t, again.Header.Get("X-Changed"))
	assert.Equal(t, 414, again.Input.SessionPermissions.AllowedContractTypeIDs[0])
}

func TestNothingSecretIsPrintedOrLogged(t *testing.T) {
	t.Parallel()
	const (
		key   = "sk-canary-key-1234"
		phone = "+209876543210"
		email = "canary@example.com"
		pub   = "canary-public-key"
	)
	var logs bytes.Buffer
	srv := vlenstest.NewTestServer(t, vlenstest.WithAPIKey(key),
		vlenstest.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	srv.Enqueue(vlenstest.Fault{Status: 503})
	session, err := srv.Client().CreateAuthSession(context.Background(),
		vlens.CreateAuthSessionInput{PhoneNumber: phone, Email: email, UserPublicKey: pub})
	require.NoError(t, err)

	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	printed := logs.String()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		printed += fmt.Sprintf(verb, reqs) + fmt.Sprintf(verb, reqs[0]) + fmt.Sprintf(verb, srv)
	}
	assert.Contains(t, logs.String(), "status=503")
	assert.Regexp(t, `duration_ms=\d+(\.\d+)?( |\n)`, logs.String(), "milliseconds, as a number")
	for _, secret := range []string{key, phone, "209876543210", email, pub, session.Token} {
		assert.NotContains(t, printed, secret)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	t.Run("default tokens are unique and prefixed", func(t *testing.T) {
		t.Parallel()
		srv := vlenstest.NewTestServer(t)
		client := srv.Client()
		for range 3 {
			_, err := client.CreateAuthSession(context.Background(), validInput)
			require.NoError(t, err)
		}
		tokens := srv.Tokens()
		require.Len(t, tokens, 3)
		format := regexp.MustCompile("^" + vlenstest.TokenPrefix + "[0-9a-f]{32}$")
		for _, tok := range tokens {
			assert.Regexp(t, format, tok)
		}
		assert.NotEqual(t, tokens[0], tokens[1])
		assert.NotEqual(t, tokens[1], tokens[2])
	})
	t.Run("token func sees the input", func(t *testing.T) {
		t.Parallel()
		srv := vlenstest.NewTestServer(t, vlenstest.WithTokenFunc(func(in vlens.CreateAuthSessionInput) string {
			return "token-for-" + in.Email
		}))
		session, err := srv.Client().CreateAuthSession(context.Background(), vlens.CreateAuthSessionInput{Email: "a@example.com"})
		require.NoError(t, err)
		assert.Equal(t, "token-for-a@example.com", session.Token)
	})
	t.Run("empty token is a malformed answer", func(t *testing.T) {
		t.Parallel()
		srv := vlenstest.NewTestServer(t, vlenstest.WithTokenFunc(func(vlens.CreateAuthSessionInput) string { return "" }))
		_, err := srv.Client().CreateAuthSession(context.Background(), validInput)
		assert.ErrorIs(t, err, vlens.ErrMalformedResponse)
		assert.Empty(t, srv.Tokens())
	})
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithRateLimit(1, 2))
	client := srv.Client()
	for i := range 2 {
		_, err := client.CreateAuthSession(context.Background(), validInput)
		require.NoError(t, err, "request %d is within the burst", i)
	}

	_, err := client.CreateAuthSession(context.Background(), validInput)
	var apiErr *vlens.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.ErrorIs(t, err, vlens.ErrRateLimited)
	assert.Equal(t, vlenstest.ErrorCodeRateLimited, apiErr.Code)
	assert.Equal(t, time.Second, apiErr.RetryAfter, "Retry-After is rounded up to whole seconds")

	got := post(t, srv.URL+vlenstest.CreateAuthSessionPath, http.Header{"Content-Type": {"application/json"}}, `{}`)
	assert.Equal(t, 429, got.status, "requests that would fail authentication count too")
	assert.Equal(t, "1", got.header.Get("Retry-After"))

	srv.Reset()
	_, err = client.CreateAuthSession(context.Background(), validInput)
	assert.NoError(t, err, "Reset refills the bucket")
}

func TestRateLimitRefills(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithRateLimit(500, 1))
	client := srv.Client(vlens.WithMaxRetries(0))
	_, err := client.CreateAuthSession(context.Background(), validInput)
	require.NoError(t, err)
	// At 500 per second a token is back within 2ms; wait a little longer.
	time.Sleep(5 * time.Millisecond)
	_, err = client.CreateAuthSession(context.Background(), validInput)
	require.NoError(t, err)
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	const calls, faults = 40, 15
	srv := vlenstest.NewTestServer(t)
	for range faults {
		srv.Enqueue(vlenstest.Fault{Status: 503})
	}
	client := srv.Client(vlens.WithMaxRetries(faults))

	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := client.CreateAuthSession(context.Background(), validInput)
			errs <- err
		}()
	}
	stop := make(chan struct{})
	readers := sync.WaitGroup{}
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
					_ = srv.Requests()
					_ = srv.Tokens()
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	reqs, tokens := srv.Requests(), srv.Tokens()
	assert.Len(t, reqs, calls+faults)
	assert.Len(t, tokens, calls)
	unique := map[string]bool{}
	for _, tok := range tokens {
		unique[tok] = true
	}
	assert.Len(t, unique, calls)
	served, ok := 0, 0
	for _, r := range reqs {
		if r.Fault != nil {
			served++
			assert.Equal(t, 503, r.Status)
		} else if r.Status == 200 {
			ok++
		}
	}
	assert.Equal(t, faults, served)
	assert.Equal(t, calls, ok)
}

func TestReset(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	client := srv.Client()
	_, err := client.CreateAuthSession(context.Background(), validInput)
	require.NoError(t, err)
	srv.Enqueue(vlenstest.EnvelopeError(1050, "never served"))

	srv.Reset()
	assert.Empty(t, srv.Requests())
	assert.Empty(t, srv.Tokens())
	_, err = client.CreateAuthSession(context.Background(), validInput)
	require.NoError(t, err, "queued faults are forgotten")
	assert.Len(t, srv.Requests(), 1)
}

func TestClose(t *testing.T) {
	t.Parallel()
	t.Run("NewTestServer closes when the test ends", func(t *testing.T) {
		t.Parallel()
		var url string
		t.Run("inner", func(t *testing.T) {
			url = vlenstest.NewTestServer(t).URL
		})
		_, err := http.Post(url+vlenstest.CreateAuthSessionPath, "application/json", strings.NewReader(`{}`))
		assert.Error(t, err)
	})
	t.Run("Close cuts delays short", func(t *testing.T) {
		t.Parallel()
		srv := vlenstest.NewServer()
		srv.Enqueue(vlenstest.Delayed(time.Hour))
		done := make(chan error, 1)
		go func() {
			_, err := srv.Client(vlens.WithMaxRetries(0)).CreateAuthSession(context.Background(), validInput)
			done <- err
		}()
		require.Eventually(t, func() bool { return len(srv.Requests()) == 1 }, 5*time.Second, time.Millisecond)
		closed := make(chan struct{})
		go func() { srv.Close(); srv.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not return")
		}
		assert.Error(t, <-done)
	})
}

func TestListen(t *testing.T) {
	t.Parallel()
	srv, err := vlenstest.Listen("127.0.0.1:0")
	require.NoError(t, err)
	defer srv.Close()
	assert.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"))
	_, err = srv.Client().CreateAuthSession(context.Background(), validInput)
	require.NoError(t, err)

	_, err = vlenstest.Listen(strings.TrimPrefix(srv.URL, "http://"))
	assert.Error(t, err, "the address is taken")
}

func TestClientOptions(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	_, err := srv.NewClient(vlens.WithMaxRetries(-1))
	assert.Error(t, err)
	assert.Panics(t, func() { srv.Client(vlens.WithMaxRetries(-1)) })

	// Caller options come after the defaults and override them.
	srv.Enqueue(vlenstest.Fault{Status: 503})
	_, err = srv.Client(vlens.WithMaxRetries(0)).CreateAuthSession(context.Background(), validInput)
	var apiErr *vlens.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 1, apiErr.Attempts)
}

func TestOptionsPanicOnNonsense(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(){
		"empty key":        func() { vlenstest.WithAPIKey(" ") },
		"nil token func":   func() { vlenstest.WithTokenFunc(nil) },
		"zero rate":        func() { vlenstest.WithRateLimit(0, 1) },
		"zero burst":       func() { vlenstest.WithRateLimit(1, 0) },
		"zero per minute":  func() { vlenstest.WithRateLimitPerMinute(0) },
		"zero minute":      func() { vlenstest.WithRateLimitMinute(0) },
		"negative latency": func() { vlenstest.WithLatency(-time.Second) },
		"no password": func() {
			vlenstest.WithAdminCredentials(vlens.AdminCredentials{TenancyName: "t", UserNameOrEmailAddress: "u"})
		},
		"zero access TTL":  func() { vlenstest.WithAdminTokenTTL(0, time.Hour) },
		"negative refresh": func() { vlenstest.WithAdminTokenTTL(time.Hour, -time.Second) },
	} {
		assert.Panics(t, f, name)
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithLatency(20*time.Millisecond))
	start := time.Now()
	_, err := srv.Client().CreateAuthSession(context.Background(), validInput)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	_, err = srv.Client().CreateAuthSession(ctx, validInput)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
}
