package vlens

// Hostile servers: secrets echoed in other encodings, forged log lines, and
// input built to make validation slow. Everything goes through the public
// API.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens/internal/faultserver"
)

const (
	hostileAPIKey = "hostile-apikey-Qm3Vx9Lp"
	hostilePhone  = "+201234567890"
	hostileEmail  = "ann@example.com"
	hostileToken  = "tok-9f8e7d6c5b4a3928"
	// hostileKeyBody is the base64 body of hostilePublicKey.
	hostileKeyBody = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0"
)

var hostilePublicKey = "-----BEGIN PUBLIC KEY-----\n" + hostileKeyBody[:64] + "\n" + hostileKeyBody[64:] + "\n-----END PUBLIC KEY-----"

func hostileInput() CreateAuthSessionInput {
	return CreateAuthSessionInput{PhoneNumber: hostilePhone, Email: hostileEmail, UserPublicKey: hostilePublicKey}
}

// leakedForms are what must not appear in any output, looked for
// case-insensitively in the output as it is and decoded each way a server
// could have encoded it (see outputForms).
var leakedForms = []string{hostileAPIKey, hostileEmail, hostileKeyBody[:40], hostileKeyBody[64:], hostileToken}

// leakedDigits are the phone number's forms, looked for in the output's
// forms with every phone separator removed.
var leakedDigits = []string{"201234567890", "1234567890"}

var (
	percentEscape = regexp.MustCompile(`%[0-9a-fA-F]{2}`)
	jsonEscape    = regexp.MustCompile(`\\[uU][dD][89abAB][0-9a-fA-F]{2}\\[uU][dD][c-fC-F][0-9a-fA-F]{2}|\\[uU][0-9a-fA-F]{4}`)
	phoneSep      = regexp.MustCompile(`[\s\-.()+/]`)
)

// outputForms is out as it is, percent-decoded and JSON-unescaped (surrogate
// pairs joined): an oracle independent of the redactor's own decoding.
func outputForms(out string) []string {
	pct := percentEscape.ReplaceAllStringFunc(out, func(m string) string {
		v, _ := strconv.ParseUint(m[1:], 16, 8)
		return string([]byte{byte(v)})
	})
	js := jsonEscape.ReplaceAllStringFunc(out, func(m string) string {
		var units []uint16
		for i := 0; i < len(m); i += 6 {
			v, _ := strconv.ParseUint(m[i+2:i+6], 16, 16)
			units = append(units, uint16(v))
		}
		return string(utf16.Decode(units))
	})
	return []string{out, pct, js}
}

// everythingPrinted is every way err reaches a log or a person.
func everythingPrinted(t *testing.T, err error) string {
	t.Helper()
	var b strings.Builder
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		fmt.Fprintf(&b, verb+"\n", err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Error("call failed", "err", err)
	slog.New(slog.NewTextHandler(&logs, nil)).Error("call failed", "err", err)
	b.WriteString(logs.String())
	if apiErr, ok := err.(*APIError); ok {
		fmt.Fprintf(&b, "%s\n%s\n%v\n%#v\n%v\n", apiErr.Message, apiErr.Descriptions, decodedDescriptions(apiErr.Descriptions),
			apiErr.FieldErrors(), apiErr.Header)
	}
	return b.String()
}

func decodedDescriptions(raw json.RawMessage) any {
	var v any
	_ = json.Unmarshal(raw, &v)
	return v
}

func assertNoLeak(t *testing.T, out string) {
	t.Helper()
	assertNoLeakOf(t, out, leakedForms, leakedDigits)
}

func assertNoLeakOf(t *testing.T, out string, secrets, digitForms []string) {
	t.Helper()
	for _, o := range outputForms(out) {
		lower := strings.ToLower(o)
		for _, secret := range secrets {
			assert.NotContains(t, lower, strings.ToLower(secret), "leaked %q in:\n%s", secret, out)
		}
		digits := phoneSep.ReplaceAllString(lower, "")
		for _, secret := range digitForms {
			assert.NotContains(t, digits, secret, "leaked the phone in:\n%s", out)
		}
	}
}

// assertNoWordLeak checks that no word stands as a whole token in out's
// forms: a token is a run of letters and digits, and '-', '_' or '.'
// between two of them joins them.
func assertNoWordLeak(t *testing.T, out string, words []string) {
	t.Helper()
	for _, o := range outputForms(out) {
		for _, w := range words {
			token := regexp.MustCompile(`(^|[^\pL\pN._-]|(^|[^\pL\pN])[._-])` + regexp.QuoteMeta(strings.ToLower(w)) +
				`($|[^\pL\pN._-]|[._-]($|[^\pL\pN]))`)
			assert.False(t, token.MatchString(strings.ToLower(o)), "leaked the word %q in:\n%s", w, out)
		}
	}
}

func hostileClient(t *testing.T, answer httpmock.Responder) *Client {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, testEndpoint, answer)
	c, err := NewClient(hostileAPIKey, WithHTTPClient(&http.Client{Transport: mt}), WithMaxRetries(0))
	require.NoError(t, err)
	return c
}

func TestEchoesInOtherEncodingsAreRedacted(t *testing.T) {
	t.Parallel()
	envelope := func(message string, descriptions any, data any) string {
		b, _ := json.Marshal(map[string]any{"data": data, "error_code": 7, "error_message": message, "error_descriptions": descriptions})
		return string(b)
	}
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"email URL-encoded", 422, envelope("no user ann%40example.com", nil, nil)},
		{"email upper-case URL-encoded", 422, envelope("no user ANN%40EXAMPLE.COM", nil, nil)},
		{"email in a proxy page", 502, "<html><body>bad user ann@example.com</body></html>"},
		{"email JSON-escaped in a body that is not JSON", 500, `{"error": "ann\u0040example.com" oops`},
		{"email JSON-escaped twice in a message", 422, envelope(`no user ann\u0040example.com`, nil, nil)},
		{"phone with its '+' escaped as .NET writes it", 422, envelope(`bad phone \u002B201234567890`, nil, nil)},
		{"phone with spaces", 422, envelope("bad phone +20 123 456 7890", nil, nil)},
		{"phone with parentheses and dashes", 422, envelope("bad phone (+20) 123-456-7890", nil, nil)},
		{"phone with dots", 422, envelope("bad phone +20.123.456.7890", nil, nil)},
		{"phone with 00 for +", 422, envelope("bad phone 0020 123 456 7890", nil, nil)},
		{"phone in national form with trunk 0", 422, envelope("bad phone 01234567890", nil, nil)},
		{"phone as the national significant number", 422, envelope("bad phone 1234567890", nil, nil)},
		{"phone as a JSON number in descriptions", 422, envelope("bad", map[string]any{"phone": 201234567890}, nil)},
		{"public key body without armour in descriptions", 422, envelope("bad key", map[string]any{"userPublicKey": hostileKeyBody}, nil)},
		{"public key body with escaped line breaks", 422, envelope("bad key", map[string]any{"k": hostileKeyBody[:64] + `\n` + hostileKeyBody[64:]}, nil)},
		{"token in an error envelope's data", 200, envelope("blocked", nil, hostileToken)},
		{"token in an error envelope's descriptions", 409, envelope("blocked", map[string]any{"issued": hostileToken}, hostileToken)},
		{"API key URL-encoded", 401, envelope("bad key hostile%2Dapikey%2DQm3Vx9Lp", nil, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := hostileClient(t, reply(tt.status, tt.body))
			_, err := c.CreateAuthSession(context.Background(), hostileInput())
			apiErr := requireAPIError(t, err)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assertNoLeak(t, everythingPrinted(t, err))
			if len(apiErr.Descriptions) > 0 {
				assert.True(t, json.Valid(apiErr.Descriptions), "%s", apiErr.Descriptions)
			}
		})
	}
}

func TestEchoedHeaderValuesAreRedacted(t *testing.T) {
	t.Parallel()
	c := hostileClient(t, reply(503, "", "X-Echo", "ApiKey="+hostileAPIKey, "X-User", "ann%40example.com"))
	_, err := c.CreateAuthSession(context.Background(), hostileInput())
	apiErr := requireAPIError(t, err)
	assert.Equal(t, "ApiKey="+redacted, apiErr.Header.Get("X-Echo"))
	assertNoLeak(t, everythingPrinted(t, err))
}

// TestTransportErrorsQuotingTheServerAreRedacted: net/http quotes a server's
// bytes in its parse errors; the SDK's error text is redacted while
// errors.As still reaches the original.
func TestTransportErrorsQuotingTheServerAreRedacted(t *testing.T) {
	t.Parallel()
	for name, answer := range map[string]string{
		"malformed header line": "HTTP/1.1 200 OK\r\nApiKey " + hostileAPIKey + "\r\n\r\n",
		"malformed status code": "HTTP/1.1 2" + hostileAPIKey + " OK\r\n\r\n",
		"malformed status line": hostileAPIKey + " ann%40example.com\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, err := faultserver.Start(func(_ int, ex *faultserver.Exchange) bool {
				_, _ = ex.Conn.Write([]byte(answer))
				return false
			})
			require.NoError(t, err)
			t.Cleanup(srv.Close)
			c, err := NewClient(hostileAPIKey, WithBaseURL(srv.URL()), WithMaxRetries(0))
			require.NoError(t, err)
			_, err = c.CreateAuthSession(context.Background(), hostileInput())
			require.Error(t, err)
			assert.Contains(t, err.Error(), "1 attempt(s) failed")
			assertNoLeak(t, everythingPrinted(t, err))
			var cause interface{ Unwrap() error }
			assert.ErrorAs(t, err, &cause, "the original is still reachable")
		})
	}
}

// TestServerTextCannotForgeLogLines: control characters, line separators and
// bidirectional overrides from the server are escaped, and invalid UTF-8 is
// replaced, so a logged error is one line that reads as it is.
func TestServerTextCannotForgeLogLines(t *testing.T) {
	t.Parallel()
	forged := "denied\r\ntime=2026-01-01 level=INFO msg=\"payment ok\"\x1b[2J\u2028x\u202egnp.exe\x00\x7f\u0085\xff"
	envelope, _ := json.Marshal(map[string]any{"data": nil, "error_code": 3, "error_message": forged,
		"error_descriptions": map[string]any{"phone\n": "bad\r\nlevel=ERROR"}})
	for name, answer := range map[string]httpmock.Responder{
		"error_message":      reply(422, string(envelope)),
		"proxy page":         reply(502, "<html>\r\n<h1>"+forged+"</h1>\n</html>"),
		"non-JSON 4xx":       reply(400, forged),
		"hand-built message": nil,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var err error
			if answer == nil {
				err = &APIError{StatusCode: 400, Message: forged}
			} else {
				_, err = hostileClient(t, answer).CreateAuthSession(context.Background(), hostileInput())
			}
			apiErr := requireAPIError(t, err)
			for what, text := range map[string]string{"Error()": err.Error(), "%v": fmt.Sprintf("%v", err)} {
				assert.NotRegexp(t, "[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]", text, what)
				assert.True(t, strings.ToValidUTF8(text, "") == text, "%s is valid UTF-8", what)
			}
			if answer != nil {
				assert.NotRegexp(t, "[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]", apiErr.Message)
				for _, fe := range apiErr.FieldErrors() {
					assert.NotRegexp(t, "[\x00-\x1f]", fe.Field+fe.Message)
				}
			}
			assert.Contains(t, err.Error(), `\u000d\u000a`, "escaped, not dropped")
		})
	}
}

func TestNonJSONExcerptStaysBounded(t *testing.T) {
	t.Parallel()
	c := hostileClient(t, reply(502, strings.Repeat("\x1b\u202e", 100_000)))
	_, err := c.CreateAuthSession(context.Background(), hostileInput())
	apiErr := requireAPIError(t, err)
	assert.LessOrEqual(t, len(apiErr.Message), maxErrorBodyBytes)
	assert.Less(t, len(err.Error()), 2*maxErrorBodyBytes)
}

func TestValidationIsLinearAndItsErrorBounded(t *testing.T) {
	t.Parallel()
	ids := make([]int, 200_000)
	for i := range ids {
		ids[i] = 1 + i%2 // all but the first two are duplicates
	}
	in := CreateAuthSessionInput{PhoneNumber: hostilePhone, SessionPermissions: &SessionPermissions{AllowedContractTypeIDs: ids}}
	start := time.Now()
	err := in.Validate()
	// Quadratic detection took minutes for this many; linear takes
	// milliseconds. The bound is for a very busy machine under -race.
	assert.Less(t, time.Since(start), 10*time.Second)
	var vErr *ValidationError
	require.ErrorAs(t, err, &vErr)
	assert.Len(t, vErr.Fields, maxListedIDs+1)
	last := vErr.Fields[len(vErr.Fields)-1]
	assert.Equal(t, "sessionPermissions.allowedContractTypeIds", last.Field)
	assert.Equal(t, "and "+strconv.Itoa(len(ids)-2-maxListedIDs)+" more bad contract type IDs", last.Message)
	assert.Less(t, len(err.Error()), 2048)
}

func TestValidationRefusesLeadingZeroCountryCodesAndUnsafeEmails(t *testing.T) {
	t.Parallel()
	for _, in := range []CreateAuthSessionInput{
		{PhoneNumber: "+0123456789"},
		{PhoneNumber: "+00201234567"},
		{Email: "ann\x00@example.com"},
		{Email: "ann\u202e@example.com"},
		{Email: "ann@exa\x1bmple.com"},
		{Email: "ann@example.com\u2066"},
	} {
		err := in.Validate()
		assert.ErrorIs(t, err, ErrInvalidRequest, "%#v", []string{in.PhoneNumber, in.Email})
		assertNoLeak(t, fmt.Sprint(err))
	}
}
