package vlenstest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// controlCall sends one control request, as JSON when it is a POST, and
// returns the status and the raw answer, which must be JSON.
func controlCall(t *testing.T, srv *vlenstest.Server, method, path, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	require.NoError(t, err)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	return controlSend(t, req)
}

// controlSend sends req and returns the status and the raw answer, which
// must be JSON.
func controlSend(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.True(t, json.Valid(raw), "%s %s answered %q", req.Method, req.URL.Path, raw)
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

// TestControlRefusesWebPages checks that the control endpoint refuses what
// a web page can send: a simple (unpreflighted) POST, another origin, and a
// rebound host name, for reads too; and accepts curl's and the fake's own.
func TestControlRefusesWebPages(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint("vlens-fake"))
	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	require.NoError(t, err)
	const faults = `[{"status":503}]`
	tests := []struct {
		name         string
		method, path string
		header       http.Header
		host         string // the Host header; "" for the URL's
		status       int
	}{
		{"a text/plain POST, as any page may send", "POST", vlenstest.ControlFaultsPath, http.Header{"Content-Type": {"text/plain"}}, "", 415},
		{"a form POST", "POST", vlenstest.ControlFaultsPath, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "", 415},
		{"a POST without Content-Type", "POST", vlenstest.ControlFaultsPath, http.Header{}, "", 415},
		{"a reset as text/plain", "POST", vlenstest.ControlResetPath, http.Header{"Content-Type": {"text/plain"}}, "", 415},
		{"text/json is not application/json", "POST", vlenstest.ControlFaultsPath, http.Header{"Content-Type": {"text/json"}}, "", 415},
		{"another origin's POST", "POST", vlenstest.ControlFaultsPath, http.Header{"Content-Type": {"application/json"}, "Origin": {"https://evil.example"}}, "", 403},
		{"another origin's read", "GET", vlenstest.ControlRequestsPath, http.Header{"Origin": {"http://evil.example"}}, "", 403},
		{"an opaque origin", "GET", vlenstest.ControlFaultsPath, http.Header{"Origin": {"null"}}, "", 403},
		{"a rebound host name's POST", "POST", vlenstest.ControlFaultsPath, http.Header{"Content-Type": {"application/json"}}, "evil.example:" + port, 421},
		{"a rebound host name's read", "GET", vlenstest.ControlRequestsPath, http.Header{}, "evil.example:" + port, 421},
		{"a rebound host name's DELETE", "DELETE", vlenstest.ControlFaultsPath, http.Header{}, "evil.example", 421},
		{"a name that merely starts as loopback", "GET", vlenstest.ControlFaultsPath, http.Header{}, "localhost.evil.example", 421},
		{"another address", "GET", vlenstest.ControlFaultsPath, http.Header{}, "192.0.2.1:" + port, 421},

		{"curl's JSON POST", "POST", vlenstest.ControlFaultsPath, http.Header{"Content-Type": {"application/json; charset=utf-8"}}, "", 200},
		{"localhost", "GET", vlenstest.ControlRequestsPath, http.Header{}, "localhost:" + port, 200},
		{"a .localhost name", "GET", vlenstest.ControlRequestsPath, http.Header{}, "app.localhost:" + port, 200},
		{"another loopback address", "GET", vlenstest.ControlRequestsPath, http.Header{}, "127.0.0.2", 200},
		{"IPv6 loopback", "GET", vlenstest.ControlRequestsPath, http.Header{}, "[::1]:" + port, 200},
		{"a host WithControlEndpoint names", "GET", vlenstest.ControlRequestsPath, http.Header{}, "VLENS-FAKE:8080", 200},
		{"the fake's own origin", "POST", vlenstest.ControlFaultsPath, http.Header{"Content-Type": {"application/json"}, "Origin": {srv.URL}}, "", 200},
		{"a loopback origin", "POST", vlenstest.ControlFaultsPath, http.Header{"Content-Type": {"application/json"}, "Origin": {"http://localhost:3000"}}, "", 200},
		{"a named host's origin", "GET", vlenstest.ControlFaultsPath, http.Header{"Origin": {"http://vlens-fake:8080"}}, "vlens-fake:8080", 200},
	}
	want := 0
	for _, tt := range tests {
		var body io.Reader
		if tt.method == "POST" && tt.path == vlenstest.ControlFaultsPath {
			body = strings.NewReader(faults)
		}
		req, err := http.NewRequest(tt.method, srv.URL+tt.path, body)
		require.NoError(t, err)
		req.Header = tt.header
		if tt.host != "" {
			req.Host = tt.host
		}
		status, answer := controlSend(t, req)
		assert.Equal(t, tt.status, status, "%s: %s", tt.name, answer)
		if tt.status != 200 {
			var v struct{ Error string }
			require.NoError(t, json.Unmarshal([]byte(answer), &v), tt.name)
			assert.NotEmpty(t, v.Error, tt.name)
		} else if body != nil {
			want++
		}
	}
	assert.Equal(t, want, queued(t, srv), "only the accepted POSTs queued faults")
	assert.Empty(t, srv.Requests())
}

func TestControlCapsTheFaultQueue(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint())
	status, body := controlCall(t, srv, http.MethodPost, vlenstest.ControlFaultsPath, `[{"status":503,"count":10001}]`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status, body)
	status, body = controlCall(t, srv, http.MethodPost, vlenstest.ControlFaultsPath, `[{"count":10000},{"status":503}]`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status, body)
	assert.Equal(t, 0, queued(t, srv))

	status, body = controlCall(t, srv, http.MethodPost, vlenstest.ControlFaultsPath, `{"status":503,"count":9999}`)
	require.Equal(t, http.StatusOK, status, body)
	status, body = controlCall(t, srv, http.MethodPost, vlenstest.ControlFaultsPath, `[{"status":502},{"status":502}]`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status, body)
	assert.Contains(t, body, `"error":"at most 10000 faults may be queued: 9999 are, 2 more refused; clear them with DELETE /_vlenstest/faults or Reset"`)
	assert.Equal(t, 9999, queued(t, srv), "a refused POST queues none")
	assert.Panics(t, func() { srv.Enqueue(vlenstest.Fault{Status: 502}, vlenstest.Fault{Status: 502}) })
	assert.Equal(t, 9999, queued(t, srv), "a refused Enqueue queues none")

	srv.Enqueue(vlenstest.Fault{Status: 502}) // the last place
	assert.Equal(t, vlenstest.MaxQueuedFaults, queued(t, srv))
	status, _ = controlCall(t, srv, http.MethodDelete, vlenstest.ControlFaultsPath, "")
	require.Equal(t, http.StatusOK, status)
	status, body = controlCall(t, srv, http.MethodPost, vlenstest.ControlFaultsPath, `{"status":503}`)
	assert.Equal(t, http.StatusOK, status, body)
}

func TestRequestLogKeepsTheNewest(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint())
	vlenstest.SetMaxRecordedRequests(srv, 3)
	client := srv.Client()
	for i := range 5 {
		_, err := client.CreateAuthSession(context.Background(), vlens.CreateAuthSessionInput{PhoneNumber: fmt.Sprintf("+2012345678%02d", i)})
		require.NoError(t, err)
	}
	var phones []string
	for _, r := range srv.Requests() {
		phones = append(phones, r.Input.PhoneNumber)
	}
	assert.Equal(t, []string{"+201234567802", "+201234567803", "+201234567804"}, phones, "the newest, in order")
	assert.Equal(t, 2, srv.DroppedRequests())

	status, body := controlCall(t, srv, http.MethodGet, vlenstest.ControlRequestsPath, "")
	require.Equal(t, http.StatusOK, status)
	var listed struct{ Count, Dropped int }
	require.NoError(t, json.Unmarshal([]byte(body), &listed))
	assert.Equal(t, 3, listed.Count)
	assert.Equal(t, 2, listed.Dropped)

	srv.Reset()
	assert.Equal(t, 0, srv.DroppedRequests())
}

// TestControlHealth: the health check answers 200 through the control
// endpoint's Host rules (a container checks it as localhost), changes
// nothing, and is neither recorded nor logged.
func TestControlHealth(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint(), vlenstest.WithRateLimit(0.001, 1),
		vlenstest.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	srv.Enqueue(vlenstest.Fault{Status: 503})
	for range 3 {
		status, body := controlCall(t, srv, http.MethodGet, vlenstest.ControlHealthPath, "")
		require.Equal(t, http.StatusOK, status, body)
		assert.JSONEq(t, `{"status":"ok"}`, body)
	}
	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodGet, srv.URL+vlenstest.ControlHealthPath, nil)
	require.NoError(t, err)
	req.Host = "localhost:" + port
	status, _ := controlSend(t, req)
	assert.Equal(t, http.StatusOK, status, "as a container's health check asks")
	req.Host = "evil.example:" + port
	status, _ = controlSend(t, req)
	assert.Equal(t, http.StatusMisdirectedRequest, status, "the Host rules hold")
	status, _ = controlCall(t, srv, http.MethodPost, vlenstest.ControlHealthPath, "{}")
	assert.Equal(t, http.StatusMethodNotAllowed, status)

	assert.Empty(t, srv.Requests(), "not recorded")
	assert.Equal(t, 1, queued(t, srv), "took no fault")
	assert.NotContains(t, logs.String(), "health", "not logged")
	_, err = srv.Client(vlens.WithMaxRetries(0)).CreateAuthSession(context.Background(), validInput)
	assert.ErrorIs(t, err, vlens.ErrServer, "the queued fault is still the next answer")
	_, err = srv.Client(vlens.WithMaxRetries(0)).CreateAuthSession(context.Background(), validInput)
	assert.NoError(t, err, "the rate limit's one token is still there: the checks took none")
}
