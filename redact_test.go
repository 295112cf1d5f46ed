package vlens

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Canaries: values that must never be printed or logged by the SDK.
const (
	canaryAPIKey    = "apikey-CANARY-7f3a9c"
	canaryPhone     = "+201098765432"
	canaryEmail     = "canary.user@vlens-canary.example"
	canaryPublicKey = "PUBKEY-CANARY-MIIBIjANBgkqh"
	canaryToken     = "token-CANARY-5d1e0b"
)

// canaryEchoes are the canaries in the other forms servers echo them in.
// HTML character references are not among them: Vlens answers in JSON (see
// read).
var canaryEchoes = []string{
	"canary.user%40vlens-canary.example", `canary.user\u0040vlens-canary.example`, "+20 109 876 5432", "(+20) 109-876-5432",
	"01098765432", "1098765432", "apikey%2DCANARY%2D7f3a9c",
}

// canaries lists every form in which a canary could leak, including the
// phone without its '+', the email as a server might case it, and every
// echo form.
var canaries = append([]string{
	canaryAPIKey, canaryPhone, strings.TrimPrefix(canaryPhone, "+"),
	canaryEmail, strings.ToUpper(canaryEmail), canaryPublicKey, canaryToken,
}, canaryEchoes...)

func assertNoCanary(t *testing.T, what, s string) {
	t.Helper()
	for _, c := range canaries {
		assert.NotContains(t, strings.ToLower(s), strings.ToLower(c), "%s leaks a canary", what)
	}
}

// printed is every fmt rendering of v the canary test checks.
func printed(v any) string {
	var b strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%q", "%x"} {
		fmt.Fprintf(&b, verb+"\n", v)
	}
	return b.String()
}

func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	echo := fmt.Sprintf(`user %s / %s (%s) key %s api %s; echoed as %s`,
		canaryPhone, strings.ToUpper(canaryEmail), strings.TrimPrefix(canaryPhone, "+"), canaryPublicKey, canaryAPIKey,
		strings.Join(canaryEchoes, " | "))
	envelopeEcho := fmt.Sprintf(`{"data":%q,"error_code":31,"error_message":%q,"error_descriptions":{%q:[%q],"phone":%s,"list":[{"field":"email","message":%q}]}}`,
		canaryToken, echo, canaryEmail, echo, strings.TrimPrefix(canaryPhone, "+"), canaryEmail)
	in := CreateAuthSessionInput{
		PhoneNumber: canaryPhone, Email: canaryEmail, UserPublicKey: canaryPublicKey,
		SessionPermissions: &SessionPermissions{AllowedContractTypeIDs: []int{414}},
	}
	tests := []struct {
		name    string
		in      CreateAuthSessionInput
		answer  httpmock.Responder
		wantErr bool
		unsent  bool // rejected before anything is sent, so nothing is logged
	}{
		{name: "success", in: in, answer: reply(200, tokenBody(canaryToken))},
		{name: "envelope error on 200 echoing the input", in: in, answer: reply(200, envelopeEcho), wantErr: true},
		{name: "422 echoing the input", in: in, answer: reply(422, envelopeEcho), wantErr: true},
		{name: "5xx exhausted echoing the input", in: in, answer: reply(503, envelopeEcho), wantErr: true},
		{name: "non-JSON 502 echoing the input", in: in, answer: reply(502, "<html>"+echo+"</html>"), wantErr: true},
		{name: "malformed 2xx holding the token", in: in, answer: reply(200, `{"data":"`+canaryToken), wantErr: true},
		{name: "oversized 2xx holding the token", in: in, answer: reply(200, tokenBody(canaryToken+strings.Repeat("x", 2<<20))), wantErr: true},
		{name: "transport error", in: in, answer: httpmock.NewErrorResponder(errors.New("connection reset")), wantErr: true},
		{name: "body broken off after the token", in: in, answer: breakBody(200, `{"data":"`+canaryToken, io.ErrUnexpectedEOF), wantErr: true},
		{
			name:   "validation error",
			in:     CreateAuthSessionInput{PhoneNumber: canaryPhone + " ", Email: "Canary <" + canaryEmail + ">", UserPublicKey: canaryPublicKey},
			answer: reply(200, tokenBody(canaryToken)), wantErr: true, unsent: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			jsonLogger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			mt := httpmock.NewMockTransport()
			mt.RegisterResponder(http.MethodPost, testEndpoint, tt.answer)
			c, err := NewClient(canaryAPIKey,
				WithHTTPClient(&http.Client{Transport: mt}),
				WithRetryWait(0, 0),
				WithLogger(logger))
			require.NoError(t, err)

			s, err := c.CreateAuthSession(context.Background(), tt.in)
			if tt.wantErr {
				require.Error(t, err)
				assert.Nil(t, s)
			} else {
				require.NoError(t, err)
				require.Equal(t, canaryToken, s.Token)
			}
			if !tt.unsent {
				require.NotEmpty(t, logs.String(), "the debug logger saw the call")
			}

			// Log everything the caller might log, the way a caller would.
			for _, l := range []*slog.Logger{logger, jsonLogger} {
				l.Info("caller", "client", c, "input", tt.in, "inputPtr", &tt.in, "err", err)
				if s != nil {
					l.Info("caller", "session", s, "sessionValue", *s)
				}
			}
			assertNoCanary(t, "the log", logs.String())
			if err != nil {
				assertNoCanary(t, "err.Error()", err.Error())
				assertNoCanary(t, "the error printed", printed(err))
				var apiErr *APIError
				if errors.As(err, &apiErr) {
					assertNoCanary(t, "the *APIError printed", printed(apiErr))
					assertNoCanary(t, "the *APIError printed", printed(*apiErr))
					assertNoCanary(t, "Message", apiErr.Message)
					assertNoCanary(t, "Descriptions", string(apiErr.Descriptions))
					assertNoCanary(t, "FieldErrors", printed(apiErr.FieldErrors()))
				}
			}
			assertNoCanary(t, "the client printed", printed(c))
			assertNoCanary(t, "the client value printed", printed(*c))
			assertNoCanary(t, "the session printed", printed(s))
			if s != nil {
				assertNoCanary(t, "the session value printed", printed(*s))
			}
			assertNoCanary(t, "the input printed", printed(tt.in))
			assertNoCanary(t, "the input pointer printed", printed(&tt.in))
		})
	}
}

func TestEchoedInputIsRedactedButTheRestIsKept(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	c, err := NewClient(canaryAPIKey, WithHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	body := fmt.Sprintf(`{"error_code":31,"error_message":"no user with phone %s","error_descriptions":{"phoneNumber":["%s is not registered"]}}`,
		canaryPhone, strings.TrimPrefix(canaryPhone, "+"))
	mt.RegisterResponder(http.MethodPost, testEndpoint, reply(200, body))

	_, err = c.CreateAuthSession(context.Background(), CreateAuthSessionInput{PhoneNumber: canaryPhone})
	apiErr := requireAPIError(t, err)
	assert.Equal(t, "no user with phone [redacted]", apiErr.Message)
	assert.JSONEq(t, `{"phoneNumber":["[redacted] is not registered"]}`, string(apiErr.Descriptions))
	assert.Equal(t, []FieldError{{Field: "phoneNumber", Message: "[redacted] is not registered"}}, apiErr.FieldErrors())
}

// TestNothingIsLoggedWithoutLogger runs calls that succeed, retry and fail
// in a child process with no logger configured, and checks that the child
// wrote nothing to stderr (where go-retryablehttp's default logger writes)
// and nothing through the log and slog defaults.
func TestNothingIsLoggedWithoutLogger(t *testing.T) {
	if os.Getenv("VLENS_TEST_QUIET_CHILD") == "1" {
		runQuietScenarios(t)
		return
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestNothingIsLoggedWithoutLogger$", "-test.count=1")
	// atexit_sleep_ms=0: a -race child otherwise lingers a second on exit.
	cmd.Env = append(os.Environ(), "VLENS_TEST_QUIET_CHILD=1", "GORACE=atexit_sleep_ms=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "child failed:\n%s\n%s", stdout.String(), stderr.String())
	assert.Empty(t, stderr.String(), "the client wrote to stderr")
	var other []string
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if line != "PASS" && !strings.HasPrefix(line, "coverage:") {
			other = append(other, line)
		}
	}
	assert.Empty(t, other, "the client wrote to stdout")
}

func runQuietScenarios(t *testing.T) {
	var global bytes.Buffer
	log.SetOutput(&global)
	slog.SetDefault(slog.New(slog.NewTextHandler(&global, &slog.HandlerOptions{Level: slog.LevelDebug})))

	mt := httpmock.NewMockTransport()
	c, err := NewClient(canaryAPIKey,
		WithHTTPClient(&http.Client{Transport: mt}),
		WithRetryWait(0, 0))
	require.NoError(t, err)
	in := CreateAuthSessionInput{PhoneNumber: canaryPhone}
	for _, answer := range []httpmock.Responder{
		sequence(t, reply(503, ""), reply(200, tokenBody(canaryToken))),
		reply(503, errorBody(1, "down")),
		httpmock.NewErrorResponder(errors.New("connection reset")),
		breakBody(200, "{", io.ErrUnexpectedEOF),
		reply(200, "not json"),
		reply(302, "", "Location", "https://elsewhere.example/"),
	} {
		mt.RegisterResponder(http.MethodPost, testEndpoint, answer)
		_, _ = c.CreateAuthSession(context.Background(), in)
	}
	_, _ = c.CreateAuthSession(context.Background(), CreateAuthSessionInput{})
	assert.Empty(t, global.String(), "the client logged through the log or slog defaults")
}

func TestClientPrintsRedacted(t *testing.T) {
	t.Parallel()
	c, err := NewClient(canaryAPIKey)
	require.NoError(t, err)
	want := "vlens.Client{BaseURL:" + DefaultBaseURL + ", APIKey:[redacted]}"
	assert.Equal(t, want, c.String())
	assert.Equal(t, want, c.GoString())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		assertNoCanary(t, "a *Client printed with "+verb, fmt.Sprintf(verb, c))
		if verb[1] == 'v' || verb[1] == 's' {
			assert.Equal(t, want, fmt.Sprintf(verb, c), verb)
		}
		// A dereferenced Client has no methods of its own: its fields
		// print, and the key is not among them.
		assertNoCanary(t, "a Client value printed with "+verb, fmt.Sprintf(verb, *c))
	}

	// A Client nested in a caller's value, by pointer or by value.
	type service struct {
		Client       *Client
		ByValue      Client
		hidden       *Client
		hiddenValue  Client
		hiddenInList []Client
	}
	svc := service{Client: c, ByValue: *c, hidden: c, hiddenValue: *c, hiddenInList: []Client{*c}}
	assertNoCanary(t, "a nested client printed", printed(svc))
	assertNoCanary(t, "a nested client printed", printed(&svc))

	var nilClient *Client
	assert.Equal(t, "<nil>", nilClient.String())
	assert.Equal(t, "<nil>", fmt.Sprintf("%v", nilClient))
	assert.Equal(t, "<nil>", fmt.Sprintf("%#v", nilClient))
}

// TestLogRecordsCarryOnlyCallFacts checks the shape of what WithLogger
// receives: attempt numbers, status, error_code, wait and duration, a
// failure's reason and redacted text, and nothing else.
func TestLogRecordsCarryOnlyCallFacts(t *testing.T) {
	t.Parallel()
	allowed := map[string]bool{
		"time": true, "level": true, "msg": true, "operation": true, "attempt": true, "attempts": true,
		"status": true, "duration_ms": true, "wait_ms": true, "error_code": true, "reason": true, "error": true,
	}
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mt, c := setup(t, WithLogger(logger))
	mt.RegisterResponder(http.MethodPost, testEndpoint, sequence(t,
		reply(503, ""),
		httpmock.NewErrorResponder(errors.New("connection reset")),
		reply(200, errorBody(44, "nope")),
	))

	_, err := c.CreateAuthSession(context.Background(), validInput())
	apiErr := requireAPIError(t, err)
	assert.Equal(t, 44, apiErr.Code)

	var msgs []string
	var last map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		for k := range rec {
			assert.True(t, allowed[k], "unexpected log attribute %q in %s", k, line)
		}
		msgs = append(msgs, rec["msg"].(string))
		last = rec
	}
	assert.Equal(t, []string{
		"vlens: attempt", "vlens: answer", "vlens: retrying",
		"vlens: attempt", "vlens: retrying", // the reset gets no answer
		"vlens: attempt", "vlens: answer", "vlens: call failed",
	}, msgs)
	assert.Equal(t, "create auth session", last["operation"])
	assert.Equal(t, "WARN", last["level"])
	assert.Equal(t, float64(3), last["attempts"])
	assert.Equal(t, float64(200), last["status"])
	assert.Equal(t, float64(44), last["error_code"])
}
