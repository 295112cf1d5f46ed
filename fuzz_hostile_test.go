package vlens

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/vlens-go/vlens/internal/faultserver"
)

// Where FuzzHostileAnswer puts the payload in the answer.
const (
	inMessage      = iota // error_message of an error envelope
	inDescriptions        // a value in error_descriptions
	inBody                // a body that is not JSON
	inHeader              // a well-formed header's value
	inHeaderLine          // a header line without a colon
	inStatusLine          // the status line
	places
)

// The fuzzed calls, one per endpoint, and the caller's values each one's
// answers may echo. The session token is not among them (the client cannot
// know a token it never received); it stands in the data of every error
// envelope the fuzzer serves, and must not leak from there.
const (
	hostileBearer    = "hostile-bearer-Lk29Qw"
	hostileFormName  = "Ahmed Mohamed" // word-like: redacted as a whole token
	hostileFormEmoji = "Ahmed \U0001F600 Mo"
	hostilePassword  = "Pw-9xq2Lm-hostile"
	hostileAdmin     = "admin@acme.example"
)

var hostileEndpoints = []struct {
	name    string
	secrets []string // what the answer echoes (which picks one)
	leaks   []string // what must not come out (the phone is checked apart)
	words   []string // what must not come out as a whole token (see wordLike)
	call    func(c *Client, opts ...CallOption) error
}{
	{"create auth session", []string{hostileAPIKey, hostileEmail, hostilePhone, hostileKeyBody}, leakedForms[:len(leakedForms)-1], nil,
		func(c *Client, opts ...CallOption) error {
			_, err := c.CreateAuthSession(context.Background(), hostileInput(), opts...)
			return err
		}},
	{"create invitation", []string{hostileAPIKey, hostileEmail, hostilePhone, hostileBearer, hostileFormName, hostileFormEmoji},
		[]string{hostileAPIKey, hostileEmail, hostileBearer, hostileFormEmoji}, []string{hostileFormName},
		func(c *Client, opts ...CallOption) error {
			_, err := c.CreateInvitation(context.Background(), CreateInvitationInput{PhoneNumber: hostilePhone, Email: hostileEmail,
				RequestFieldsValues: map[int]map[string]string{414: {"fullName": hostileFormName, "nickname": hostileFormEmoji}}}, opts...)
			return err
		}},
	{"login", []string{hostileAPIKey, hostileAdmin, hostilePassword}, []string{hostileAPIKey, hostileAdmin, hostilePassword}, nil,
		func(c *Client, opts ...CallOption) error {
			_, err := c.Login(context.Background(), AdminCredentials{TenancyName: "acme", UserNameOrEmailAddress: hostileAdmin, Password: hostilePassword}, opts...)
			return err
		}},
}

// jsonEscapes writes s with JSON \u escapes, surrogate pairs outside the
// BMP: for every rune, or for all but ASCII letters and digits as .NET's
// encoder does (it escapes '+', '<', '&' and everything outside ASCII).
func jsonEscapes(s string, every bool) string {
	var b strings.Builder
	for _, r := range s {
		if !every && r < utf8.RuneSelf && percentPunct.FindString(string(r)) == "" {
			b.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&b, `\u%04X`, u)
		}
	}
	return b.String()
}

// encodeSecret writes secret the way a server might echo it.
func encodeSecret(secret string, encoding uint8) string {
	switch encoding % 10 {
	case 1:
		return strings.ToUpper(secret)
	case 2: // percent-encode every byte
		var b strings.Builder
		for i := 0; i < len(secret); i++ {
			fmt.Fprintf(&b, "%%%02X", secret[i])
		}
		return b.String()
	case 3: // percent-encode punctuation only, as url.QueryEscape does
		return percentPunct.ReplaceAllStringFunc(secret, func(m string) string { return fmt.Sprintf("%%%02X", m[0]) })
	case 4: // JSON escapes as .NET writes them
		return jsonEscapes(secret, false)
	case 5: // JSON escapes for every character
		return jsonEscapes(secret, true)
	case 6: // JSON \u escapes for every byte
		var b strings.Builder
		for i := 0; i < len(secret); i++ {
			fmt.Fprintf(&b, `\u%04x`, secret[i])
		}
		return b.String()
	case 7: // phone formatted with spaces; others with a line break inside
		if secret == hostilePhone {
			return "+20 123 456 7890"
		}
		return secret
	case 8: // phone in national form with trunk 0
		if secret == hostilePhone {
			return "01234567890"
		}
		return secret
	case 9: // phone with parentheses and dashes; key with line breaks
		if secret == hostilePhone {
			return "(+20) 123-456-7890"
		}
		if secret == hostileKeyBody {
			return secret[:64] + "\n" + secret[64:]
		}
		return secret
	}
	return secret
}

var percentPunct = regexp.MustCompile(`[^A-Za-z0-9]`)

// hostileAnswer builds the raw HTTP/1.1 answer with payload at place.
func hostileAnswer(place uint8, status int, payload string) []byte {
	envelope := func(message string, descriptions any) string {
		b, _ := json.Marshal(map[string]any{"data": hostileToken, "error_code": 3, "error_message": message, "error_descriptions": descriptions})
		return string(b)
	}
	switch place % places {
	case inMessage:
		return faultserver.Response(status, envelope(payload, nil))
	case inDescriptions:
		return faultserver.Response(status, envelope("bad", map[string]any{"field": payload}))
	case inBody:
		return faultserver.Response(status, "<html><body>"+payload+"</body></html>")
	case inHeader:
		return faultserver.Response(status, envelope("bad", nil), "X-Echo: "+payload)
	case inHeaderLine:
		return []byte("HTTP/1.1 " + strconv.Itoa(status) + " OK\r\nX-Echo " + payload + "\r\nContent-Length: 0\r\n\r\n")
	default:
		return []byte("HTTP/1.1 " + payload + "\r\nContent-Length: 0\r\n\r\n")
	}
}

// FuzzHostileAnswer serves, over a real loopback socket, answers that put
// the caller's secrets, in random encodings and between random bytes
// (control characters among them), into error messages, descriptions,
// non-JSON bodies, header values and malformed header and status lines. No
// secret may reach Error(), %v/%+v/%#v, the APIError fields or slog's
// output, and no raw control character may reach Error() or Message.
func FuzzHostileAnswer(f *testing.F) {
	// One seed for each case the hostile-text issue names.
	f.Add(uint8(inMessage), uint8(3), uint8(1), "no user ", "", uint16(422))                                         // email URL-encoded
	f.Add(uint8(inBody), uint8(5), uint8(1), "<p>bad ", "</p>", uint16(502))                                         // email JSON-escaped in a proxy page
	f.Add(uint8(inBody), uint8(6), uint8(1), `{"e":"`, `" oops`, uint16(500))                                        // email JSON-escaped in a body that is not JSON
	f.Add(uint8(inMessage), uint8(7), uint8(2), "phone ", "", uint16(422))                                           // +20 123 456 7890
	f.Add(uint8(inMessage), uint8(9), uint8(2), "phone ", "", uint16(422))                                           // (+20) 123-456-7890
	f.Add(uint8(inMessage), uint8(8), uint8(2), "phone ", "", uint16(422))                                           // 01234567890
	f.Add(uint8(inDescriptions), uint8(0), uint8(3), "", "", uint16(422))                                            // public key body without armour
	f.Add(uint8(inDescriptions), uint8(9), uint8(3), "", "", uint16(422))                                            // with line breaks
	f.Add(uint8(inDescriptions), uint8(0), uint8(0), "issued "+hostileToken+" ", "", uint16(409))                    // token in descriptions (and data)
	f.Add(uint8(inHeaderLine), uint8(0), uint8(0), "ApiKey ", "", uint16(200))                                       // malformed MIME header quoting the API key
	f.Add(uint8(inStatusLine), uint8(0), uint8(0), "2", " OK", uint16(200))                                          // malformed HTTP status code
	f.Add(uint8(inMessage), uint8(0), uint8(0), "denied\r\nlevel=INFO msg=ok\x1b[2J", "\u202e\x00\xff", uint16(403)) // forged log lines
	f.Add(uint8(inBody), uint8(1), uint8(1), "\r\n<h1>", "\u2028\x85</h1>", uint16(502))                             // control characters in a proxy page
	f.Add(uint8(inHeader), uint8(2), uint8(0), "key=", "", uint16(503))
	// The same on the other endpoints: which/16 picks the endpoint, and
	// which modulo the endpoint's number of secrets the secret.
	f.Add(uint8(inMessage), uint8(3), uint8(16+5), "bad token ", "", uint16(401))      // invitation: the bearer token
	f.Add(uint8(inDescriptions), uint8(4), uint8(16+0), "", "", uint16(422))           // invitation: a pre-filled value
	f.Add(uint8(inBody), uint8(5), uint8(16+1), "<p>", "</p>", uint16(500))            // invitation: a value with a surrogate pair
	f.Add(uint8(inMessage), uint8(0), uint8(16+0), "Mr. ", "'s name", uint16(422))     // invitation: a word-like value as a token
	f.Add(uint8(inBody), uint8(0), uint8(16+4), "<p>", "</p>", uint16(502))            // invitation: the phone
	f.Add(uint8(inMessage), uint8(1), uint8(32+0), "wrong password ", "", uint16(401)) // login: the password
	f.Add(uint8(inHeaderLine), uint8(0), uint8(32+2), "User ", "", uint16(200))        // login: the user

	var mu sync.Mutex
	var answer []byte
	srv, err := faultserver.Start(func(_ int, ex *faultserver.Exchange) bool {
		mu.Lock()
		a := answer
		mu.Unlock()
		_, _ = ex.Conn.Write(a)
		return false
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(srv.Close)
	c, err := NewClient(hostileAPIKey, WithBaseURL(srv.URL()), WithMaxRetries(0),
		WithAdminTokenSource(tokenSourceFunc(func(context.Context) (string, error) { return hostileBearer, nil })))
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, place, encoding, which uint8, prefix, suffix string, status uint16) {
		endpoint := hostileEndpoints[int(which/16)%len(hostileEndpoints)]
		secret := endpoint.secrets[int(which)%len(endpoint.secrets)]
		payload := prefix + encodeSecret(secret, encoding) + suffix
		mu.Lock()
		answer = hostileAnswer(place, 200+int(status)%400, payload)
		mu.Unlock()

		var logs bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		err := endpoint.call(c, WithLogger(logger))
		if err == nil {
			return // the fuzzer wrote a valid token answer
		}
		// The token is known to the client only from an error envelope it
		// could read (one with the fuzzer's error_code 3): a token in bytes
		// that broke the framing is, to the client, text like any other.
		secrets := endpoint.leaks
		if apiErr, ok := err.(*APIError); ok && apiErr.Code == 3 {
			secrets = append(secrets[:len(secrets):len(secrets)], hostileToken)
		}
		var digits []string
		if slices.Contains(endpoint.secrets, hostilePhone) {
			digits = leakedDigits
		}
		out := everythingPrinted(t, err) + logs.String()
		assertNoLeakOf(t, out, secrets, digits)
		assertNoWordLeak(t, out, endpoint.words)
		for what, text := range map[string]string{"Error()": err.Error(), "%v": fmt.Sprintf("%v", err), "%+v": fmt.Sprintf("%+v", err)} {
			if fuzzUnsafeText.MatchString(text) || !utf8.ValidString(text) {
				t.Fatalf("%s is not one safe line: %q", what, text)
			}
		}
		if apiErr, ok := err.(*APIError); ok {
			if fuzzUnsafeText.MatchString(apiErr.Message) {
				t.Fatalf("Message is not one safe line: %q", apiErr.Message)
			}
			if apiErr.Descriptions != nil && !json.Valid(apiErr.Descriptions) {
				t.Fatalf("Descriptions is not valid JSON: %q", apiErr.Descriptions)
			}
		}
	})
}
