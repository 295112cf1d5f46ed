package vlenstest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// controlCall sends one control request and returns the status and the raw
// answer, which must be JSON.
func controlCall(t *testing.T, srv *vlenstest.Server, method, path, body string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, rd)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.True(t, json.Valid(raw), "%s %s answered %q", method, path, raw)
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	return resp.StatusCode, string(raw)
}

// queued is the number of faults the control endpoint says are queued.
func queued(t *testing.T, srv *vlenstest.Server) int {
	t.Helper()
	status, body := controlCall(t, srv, http.MethodGet, vlenstest.ControlFaultsPath, "")
	require.Equal(t, http.StatusOK, status, body)
	var v struct{ Queued int }
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	return v.Queued
}

func TestControlEnqueuesFaults(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint())
	status, body := controlCall(t, srv, http.MethodPost, vlenstest.ControlFaultsPath,
		`[{"status":503},{"drop":true},{"delay":"5ms"},{"status":200,"code":1050,"message":"user blocked"},{"status":429,"retryAfter":"5s"},
		  {"status":502,"rawBody":"<html>bad gateway</html>"},{"status":503,"header":{"Retry-After":"0"},"count":2}]`)
	require.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `{"queued":8}`, body)

	client := srv.Client(vlens.WithMaxRetries(0))
	call := func() error {
		_, err := client.CreateAuthSession(context.Background(), validInput)
		return err
	}
	var apiErr *vlens.APIError

	err := call()
	require.ErrorIs(t, err, vlens.ErrServer)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)

	err = call()
	require.Error(t, err, "dropped")
	assert.False(t, errors.As(err, &apiErr), "a dropped connection has no answer: %v", err)

	start := time.Now()
	require.NoError(t, call(), "delayed only")
	assert.GreaterOrEqual(t, time.Since(start), 5*time.Millisecond)

	err = call()
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 1050, apiErr.Code)
	assert.Equal(t, 200, apiErr.StatusCode)

	err = call()
	require.ErrorIs(t, err, vlens.ErrRateLimited)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 5*time.Second, apiErr.RetryAfter)

	err = call()
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 502, apiErr.StatusCode)

	for range 2 {
		require.ErrorIs(t, call(), vlens.ErrServer)
	}
	require.NoError(t, call(), "the queue is empty")

	reqs := srv.Requests()
	require.Len(t, reqs, 9, "control requests are not recorded")
	for i, want := range []string{"HTTP 503", "drop connection", "delay 5ms", "HTTP 200, error_code 1050",
		"HTTP 429, Retry-After 5", "HTTP 502, raw body", "HTTP 503", "HTTP 503"} {
		require.NotNil(t, reqs[i].Fault, "request %d", i)
		assert.Equal(t, want, reqs[i].Fault.String())
	}
	assert.Equal(t, http.Header{"Retry-After": {"0"}}, reqs[7].Fault.Header)
	assert.Nil(t, reqs[8].Fault)
}

func TestControlListsAndClearsFaults(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint())
	srv.Enqueue(vlenstest.Fault{Status: 422, ErrorCode: 7, ErrorDescriptions: json.RawMessage(`{"email":["taken"]}`),
		Header: http.Header{"X-A": {"1", "2"}}}, vlenstest.ProxyPage(502))
	status, body := controlCall(t, srv, http.MethodPost, vlenstest.ControlFaultsPath,
		` {"delay":1.5,"retryAfter":2,"drop":true} `) // one object, numbers of seconds
	require.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `{"queued":3}`, body)

	status, body = controlCall(t, srv, http.MethodGet, vlenstest.ControlFaultsPath+"/", "")
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"queued":3,"faults":[
		{"status":422,"code":7,"descriptions":{"email":["taken"]},"header":{"X-A":"1, 2"}},
		{"status":502,"rawBody":"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n"},
		{"retryAfter":"2s","delay":"1.5s","drop":true}]}`, body)
	assert.NotContains(t, body, `\u003c`, "HTML is not escaped")

	status, body = controlCall(t, srv, http.MethodDelete, vlenstest.ControlFaultsPath, "")
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"queued":0,"cleared":3}`, body)
	assert.Equal(t, 0, queued(t, srv))

	_, err := srv.Client().CreateAuthSession(context.Background(), validInput)
	require.NoError(t, err)
}

func TestControlRefusesBadJSON(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint())
	for name, body := range map[string]string{
		"empty":             "",
		"blank":             " \n",
		"not JSON":          "status=503",
		"truncated":         `[{"status":503}`,
		"not a list":        `"503"`,
		"list of numbers":   `[503]`,
		"unknown field":     `[{"stauts":503}]`,
		"status a string":   `[{"status":"503"}]`,
		"status too small":  `[{"status":42}]`,
		"status too large":  `[{"status":600}]`,
		"bad duration":      `[{"delay":"soon"}]`,
		"duration bool":     `[{"delay":true}]`,
		"negative delay":    `[{"delay":"-1s"}]`,
		"negative seconds":  `[{"retryAfter":-1}]`,
		"huge seconds":      `[{"delay":1e300}]`,
		"negative count":    `[{"count":-1}]`,
		"too many":          `[{"count":10000},{"status":503}]`,
		"bad header name":   `[{"header":{"Bad Name":"x"}}]`,
		"bad header value":  `[{"header":{"X-A":"a\r\nb"}}]`,
		"header not string": `[{"header":{"X-A":1}}]`,
		"trailing data":     `[{"status":503}] []`,
		"two objects":       `{"status":503}{"status":503}`,
		"one bad of two":    `[{"status":503},{"status":42}]`,
		"descriptions bad":  `[{"descriptions":}]`,
	} {
		status, answer := controlCall(t, srv, http.MethodPost, vlenstest.ControlFaultsPath, body)
		assert.Equal(t, http.StatusBadRequest, status, "%s: %s", name, answer)
		var v struct{ Error string }
		require.NoError(t, json.Unmarshal([]byte(answer), &v), name)
		assert.NotEmpty(t, v.Error, name)
		assert.NotContains(t, v.Error, "controlFault", "%s: no Go internals in %q", name, v.Error)
	}
	assert.Equal(t, 0, queued(t, srv), "a refused body queues nothing")

	status, answer := controlCall(t, srv, http.MethodPost, vlenstest.ControlFaultsPath,
		strings.Repeat(" ", vlenstest.MaxRequestBytes+1))
	assert.Equal(t, http.StatusRequestEntityTooLarge, status, answer)

	status, answer = controlCall(t, srv, http.MethodPost, vlenstest.ControlFaultsPath, `[]`)
	assert.Equal(t, http.StatusOK, status, answer)
	assert.JSONEq(t, `{"queued":0}`, answer)
	assert.Empty(t, srv.Requests())
}

func TestControlBypassesLatencyRateLimitAndFaults(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint(),
		vlenstest.WithRateLimit(0.001, 1), vlenstest.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	srv.Enqueue(vlenstest.DropConnection())
	for range 3 {
		assert.Equal(t, 1, queued(t, srv), "control requests take no fault")
	}
	status, _ := controlCall(t, srv, http.MethodGet, vlenstest.ControlRequestsPath, "")
	require.Equal(t, http.StatusOK, status)
	assert.Empty(t, srv.Requests(), "control requests are not recorded")

	status, _ = controlCall(t, srv, http.MethodDelete, vlenstest.ControlFaultsPath, "")
	require.Equal(t, http.StatusOK, status)
	_, err := srv.Client().CreateAuthSession(context.Background(), validInput)
	require.NoError(t, err, "control requests took nothing from the rate limit")
	assert.Contains(t, logs.String(), `msg="vlenstest: control" method=DELETE path=/_vlenstest/faults status=200`)

	slow := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint(), vlenstest.WithLatency(time.Hour))
	start := time.Now()
	assert.Equal(t, 0, queued(t, slow))
	assert.Less(t, time.Since(start), time.Minute, "control requests wait out no latency")
}

func TestControlListsRequestsWithoutSecrets(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint())
	client := srv.Client()
	_, err := client.CreateAuthSession(context.Background(), validInput)
	require.NoError(t, err)
	invitation, err := client.CreateInvitation(context.Background(), vlens.CreateInvitationInput{
		Email: "secret.person@example.com", RequestFieldsValues: map[int]map[string]string{414: {"fullName": "Secret Name"}}})
	require.NoError(t, err)
	srv.Enqueue(vlenstest.EnvelopeError(1050, "user blocked"))
	_, err = client.CreateAuthSession(context.Background(), validInput)
	require.Error(t, err)

	status, body := controlCall(t, srv, http.MethodGet, vlenstest.ControlRequestsPath, "")
	require.Equal(t, http.StatusOK, status)
	var v struct {
		Count    int
		Requests []struct {
			Time      time.Time
			Method    string
			Path      string
			Endpoint  string
			Status    int
			ErrorCode int
			Fault     *struct{ Status, Code int }
			Header    http.Header
		}
	}
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	require.Equal(t, 4, v.Count)
	require.Len(t, v.Requests, 4)
	var endpoints []string
	for _, r := range v.Requests {
		endpoints = append(endpoints, r.Endpoint)
		assert.Equal(t, http.MethodPost, r.Method)
		assert.False(t, r.Time.IsZero())
		assert.Equal(t, []string{"[redacted]"}, r.Header.Values("ApiKey"))
	}
	assert.Equal(t, []string{"CreateAuthSession", "Login", "CreateInvitation", "CreateAuthSession"}, endpoints)
	assert.Equal(t, vlenstest.CreateInvitationPath, v.Requests[2].Path)
	assert.Equal(t, []string{"[redacted]"}, v.Requests[2].Header.Values("Authorization"))
	assert.Equal(t, 200, v.Requests[0].Status)
	assert.Nil(t, v.Requests[0].Fault)
	require.NotNil(t, v.Requests[3].Fault)
	assert.Equal(t, 1050, v.Requests[3].Fault.Code)
	assert.Equal(t, 1050, v.Requests[3].ErrorCode)

	for _, secret := range []string{srv.APIKey(), srv.AdminCredentials().Password, srv.AdminCredentials().UserNameOrEmailAddress,
		vlenstest.TokenPrefix, invitation.Token, validInput.PhoneNumber, "secret.person", "Secret Name"} {
		assert.NotContains(t, body, secret)
	}
}

func TestControlReset(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint())
	_, err := srv.Client().CreateAuthSession(context.Background(), validInput)
	require.NoError(t, err)
	srv.Enqueue(vlenstest.Fault{Status: 503})
	status, body := controlCall(t, srv, http.MethodPost, vlenstest.ControlResetPath, "")
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"reset":true}`, body)
	assert.Empty(t, srv.Requests())
	assert.Empty(t, srv.Tokens())
	assert.Equal(t, 0, queued(t, srv))
}

func TestControlRoutes(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint())
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{http.MethodPut, vlenstest.ControlFaultsPath, 405},
		{http.MethodPost, vlenstest.ControlRequestsPath, 405},
		{http.MethodGet, vlenstest.ControlResetPath, 405},
		{http.MethodGet, "/_vlenstest/nope", 404},
		{http.MethodGet, "/_vlenstest", 404},
		{http.MethodGet, "/_VLENSTEST/Faults/", 200},
	} {
		status, body := controlCall(t, srv, tc.method, tc.path, "")
		assert.Equal(t, tc.status, status, "%s %s: %s", tc.method, tc.path, body)
		if tc.status == 404 {
			assert.Contains(t, body, vlenstest.ControlFaultsPath)
		}
	}
	req, err := http.NewRequest(http.MethodPut, srv.URL+vlenstest.ControlFaultsPath, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "GET, POST, DELETE", resp.Header.Get("Allow"))
	assert.Empty(t, srv.Requests())
}

func TestControlEndpointIsOptIn(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	resp, err := http.Post(srv.URL+vlenstest.ControlFaultsPath, "application/json", strings.NewReader(`[{"status":503}]`))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	var env struct {
		ErrorCode int `json:"error_code"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
	assert.Equal(t, vlenstest.ErrorCodeNotFound, env.ErrorCode)
	require.Len(t, srv.Requests(), 1, "without the option it is an unknown Vlens endpoint")
}
