package vlens

// Redaction keeps ordinary words and stays bounded: the rules of the
// "# Secrets" section of doc.go, through the public API.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// adminAnswering returns a client logged in as admin user "admin" whose
// invitations get answer.
func adminAnswering(t *testing.T, password string, answer httpmock.Responder) *Client {
	t.Helper()
	mt, c := setup(t, WithAdminCredentials(AdminCredentials{TenancyName: "acme", UserNameOrEmailAddress: "admin", Password: password}))
	mt.RegisterResponder(http.MethodPost, DefaultBaseURL+LoginPath,
		reply(200, `{"data":{"accessToken":"access-Zx81","expireInSeconds":86400,"refreshToken":"refresh-Zx81"}}`))
	mt.RegisterResponder(http.MethodPost, DefaultBaseURL+CreateInvitationPath, answer)
	return c
}

func TestOrdinaryWordsStay(t *testing.T) {
	t.Parallel()
	invite := func(c *Client, form map[string]string) *APIError {
		_, err := c.CreateInvitation(context.Background(), CreateInvitationInput{PhoneNumber: testPhone,
			RequestFieldsValues: map[int]map[string]string{414: form}})
		return requireAPIError(t, err)
	}

	t.Run("a short user name goes only as a whole token", func(t *testing.T) {
		t.Parallel()
		c := adminAnswering(t, "s3cret-pass-w0rd", reply(403, errorBody(7, "Administrator must enable the admin API for this tenant"),
			"X-Served-By", "admin-gw-3", "X-User", "admin"))
		apiErr := invite(c, nil)
		assert.Equal(t, "Administrator must enable the [redacted] API for this tenant", apiErr.Message)
		assert.Equal(t, "admin-gw-3", apiErr.Header.Get("X-Served-By"), "a host name is one token")
		assert.Equal(t, redacted, apiErr.Header.Get("X-User"))
	})
	t.Run("a short form value goes only as a whole token", func(t *testing.T) {
		t.Parallel()
		c := adminAnswering(t, "s3cret-pass-w0rd", reply(422, errorBody(7, "gender must be Male or Female, not MALE.")))
		apiErr := invite(c, map[string]string{"gender": "Male"})
		assert.Equal(t, "gender must be [redacted] or Female, not [redacted].", apiErr.Message)
	})
	t.Run("a word-like value glued to one redacted anywhere goes with it", func(t *testing.T) {
		t.Parallel()
		c := adminAnswering(t, "s3cret-pass-w0rd", reply(422, errorBody(7,
			"no match for Mona Ahmed Ali29901011234567; Mona Ahmed Alia is someone else")))
		apiErr := invite(c, map[string]string{"fullName": "Mona Ahmed Ali", "idNumber": "29901011234567"})
		assert.Equal(t, "no match for [redacted][redacted]; Mona Ahmed Alia is someone else", apiErr.Message)
	})
	t.Run("an error envelope's data object is not secret", func(t *testing.T) {
		t.Parallel()
		_, _, err := createWith(t, reply(422,
			`{"data":{"field":"email","rule":"format"},"error_code":7,"error_message":"email has the wrong format"}`))
		assert.Equal(t, "email has the wrong format", requireAPIError(t, err).Message)
	})
	t.Run("an error envelope's data string is secret even inside a word", func(t *testing.T) {
		t.Parallel()
		_, _, err := createWith(t, reply(200, `{"data":"tok-81x","error_code":7,"error_message":"issued tok-81x, then mytok-81xs"}`))
		assert.Equal(t, "issued [redacted], then my[redacted]s", requireAPIError(t, err).Message)
	})
	t.Run("secrets go even inside a word", func(t *testing.T) {
		t.Parallel()
		c := adminAnswering(t, "admin", reply(403, errorBody(7, "Administrator: bad token xaccess-Zx81 for key "+testAPIKey+"s")))
		apiErr := invite(c, nil)
		assert.Equal(t, "[redacted]istrator: bad token x[redacted] for key [redacted]s", apiErr.Message,
			"the password, the bearer and the API key")
	})
}

// TestSurrogatePairEscapesAreRead: a character outside the BMP is escaped in
// JSON as a surrogate pair; a secret holding one is found in that form too.
func TestSurrogatePairEscapesAreRead(t *testing.T) {
	t.Parallel()
	const password = "p\u00e4ss-\U0001F600-9x"
	for name, answer := range map[string]httpmock.Responder{
		"escaped twice in a message": reply(401, `{"error_code":1,"error_message":"bad password p\\u00e4ss-\\ud83d\\ude00-9x"}`),
		"in a body that is not JSON": reply(500, `{"error": "bad password p\u00e4ss-\ud83d\uDE00-9x" oops`),
		"raw in a message":           reply(401, `{"error_code":1,"error_message":"bad password p\u00e4ss-\ud83d\ude00-9x"}`),
		"escaped twice in descriptions": reply(422, `{"error_code":1,"error_message":"bad password",`+
			`"error_descriptions":{"password":["bad password p\\u00e4ss-\\ud83d\\ude00-9x"]}}`),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			mt, c := setup(t, WithMaxRetries(0))
			mt.RegisterResponder(http.MethodPost, DefaultBaseURL+LoginPath, answer)
			_, err := c.Login(context.Background(), AdminCredentials{TenancyName: "acme", UserNameOrEmailAddress: "admin", Password: password})
			apiErr := requireAPIError(t, err)
			assert.Contains(t, apiErr.Message+string(apiErr.Descriptions), "bad password [redacted]")
			assertNoLeakOf(t, everythingPrinted(t, err), []string{password}, nil)
		})
	}
}

func TestErrorTextIsCappedBeforeRedaction(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 2040) + "ab " + testAPIKey + " " + strings.Repeat("x", 10_000) // the key straddles 4 KiB
	descriptions, _ := json.Marshal(map[string]string{"email": long})
	_, _, err := createWith(t, reply(422, fmt.Sprintf(`{"error_code":7,"error_message":%q,"error_descriptions":%s}`, long, descriptions)))
	apiErr := requireAPIError(t, err)

	const kept = 4080 + 3 + len(testAPIKey) // the cut moves to the key's end
	assert.Equal(t, strings.Repeat("é", 2040)+"ab [redacted] ["+strconv.Itoa(len(long)-kept)+" bytes cut]", apiErr.Message)
	var d string
	require.NoError(t, json.Unmarshal(apiErr.Descriptions, &d), "cut, Descriptions is a JSON string")
	assert.True(t, strings.HasPrefix(d, `{"email":"`+strings.Repeat("é", 2040)), d[:40])
	assert.Contains(t, d, " bytes cut]")
	assert.Less(t, len(d), maxErrorTextBytes+100)
	assertNoLeakOf(t, everythingPrinted(t, err), []string{testAPIKey}, nil)
	assert.Nil(t, apiErr.FieldErrors())
}

// bodyTransport answers every attempt with the same body, allocating next to
// nothing itself.
type bodyTransport struct {
	status int
	body   []byte
}

func (b bodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: b.status, Header: http.Header{}, Request: req,
		Body: io.NopCloser(bytes.NewReader(b.body)), ContentLength: int64(len(b.body))}, nil
}

// TestOneMiBErrorAllocatesBoundedMemory: a failed call whose 1 MiB body is all
// error_message allocates at most 8 MiB (67 MiB before the cap). The
// process-wide counter also counts other goroutines, so the least of a few
// runs is taken.
func TestOneMiBErrorAllocatesBoundedMemory(t *testing.T) {
	prefix := `{"error_code":7,"error_message":"`
	filler := strings.Repeat("user "+testEmail+" not found; ", 1<<20/20)[:1<<20-len(prefix)-2]
	body := []byte(prefix + filler + `"}`)
	require.True(t, json.Valid(body))
	c, err := NewClient(testAPIKey, WithHTTPClient(&http.Client{Transport: bodyTransport{422, body}}), WithMaxRetries(0))
	require.NoError(t, err)
	in := CreateAuthSessionInput{Email: testEmail}
	least := uint64(1 << 62)
	for range 5 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := c.CreateAuthSession(context.Background(), in)
		runtime.ReadMemStats(&after)
		require.Error(t, err)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	t.Logf("one failed call with a 1 MiB message allocates %d bytes", least)
	assert.LessOrEqual(t, least, uint64(8<<20))
}

// BenchmarkRedactTypicalError is the redaction cost of a typical 200-byte
// error answer: message, descriptions and headers, with echoes.
func BenchmarkRedactTypicalError(b *testing.B) {
	body := []byte(`{"data":null,"error_code":31,"error_message":"No user is registered with the phone number +20 123 456 7890.",` +
		`"error_descriptions":{"phoneNumber":["201234567890 is not registered"],"email":["must be a valid address"]}}`)
	header := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "X-Request-Id": {"0HN5QK2A1B3C4:00000001"}}
	in := CreateAuthSessionInput{PhoneNumber: testPhone, Email: testEmail}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for range b.N {
		r := newRedactor(testAPIKey, in)
		var token sessionToken
		e := decodeEnvelope(422, body, false, defaultMaxResponseBytes, &r, &token)
		e.Header = r.header(header)
	}
}
