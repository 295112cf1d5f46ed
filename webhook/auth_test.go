package webhook_test

import (
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vlens-go/vlens/webhook"
)

func TestEachAuthenticationRefusesForgedDeliveries(t *testing.T) {
	t.Parallel()
	setHeader := func(name, value string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set(name, value) }
	}
	setURL := func(target string) func(*http.Request) {
		return func(r *http.Request) { r.URL.Path, r.URL.RawQuery, _ = strings.Cut(target, "?") }
	}
	body := delivery("evt-auth", 1, "Approved")
	for _, tc := range []struct {
		name   string
		option webhook.Option
		good   []func(*http.Request)
		forged map[string]func(*http.Request)
	}{
		{
			name:   "secret header",
			option: webhook.WithSecretHeader("X-Vlens-Secret", testSecret),
			good:   []func(*http.Request){setHeader("X-Vlens-Secret", testSecret)},
			forged: map[string]func(*http.Request){
				"none":    func(*http.Request) {},
				"wrong":   setHeader("X-Vlens-Secret", testSecret+"x"),
				"prefix":  setHeader("X-Vlens-Secret", testSecret[:len(testSecret)-1]),
				"another": setHeader("X-Other", testSecret),
			},
		},
		{
			name:   "URL token",
			option: webhook.WithURLToken(testSecret),
			good:   []func(*http.Request){setURL("/hooks/vlens?token=" + testSecret), setURL("/hooks/vlens/" + testSecret)},
			forged: map[string]func(*http.Request){
				"none":          setURL("/hooks/vlens"),
				"wrong query":   setURL("/hooks/vlens?token=whs_0123456789abcdeX"),
				"wrong segment": setURL("/hooks/vlens/whs_0123456789abcdeX"),
				"not last":      setURL("/hooks/" + testSecret + "/vlens"),
				"other param":   setURL("/hooks/vlens?secret=" + testSecret),
			},
		},
		{
			name:   "signature",
			option: webhook.WithSignatureSecret(testSecret),
			good:   []func(*http.Request){setHeader(webhook.SignatureHeader, webhook.SignForTest(testSecret, body))},
			forged: map[string]func(*http.Request){
				"none":           func(*http.Request) {},
				"other secret":   setHeader(webhook.SignatureHeader, webhook.SignForTest(testSecret+"x", body)),
				"other body":     setHeader(webhook.SignatureHeader, webhook.SignForTest(testSecret, append(body, ' '))),
				"not hex":        setHeader(webhook.SignatureHeader, "sha256=zz"),
				"short":          setHeader(webhook.SignatureHeader, webhook.SignForTest(testSecret, body)[:40]),
				"secret as text": setHeader(webhook.SignatureHeader, testSecret),
			},
		},
		{
			name: "authenticator",
			option: webhook.WithAuthenticator(func(r *http.Request, _ []byte) error {
				if r.Header.Get("Authorization") != "Bearer "+testSecret {
					return errors.New("no")
				}
				return nil
			}),
			good:   []func(*http.Request){setHeader("Authorization", "Bearer "+testSecret)},
			forged: map[string]func(*http.Request){"none": func(*http.Request) {}, "wrong": setHeader("Authorization", "Bearer x")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c runs
			h := newHandler(t, &c, tc.option)
			for name, forge := range tc.forged {
				w := post(h, body, forge)
				assert.Equal(t, http.StatusUnauthorized, w.Code, name)
				assert.NotContains(t, w.Body.String(), testSecret, name)
			}
			assert.Zero(t, c.total(), "fn ran for a forged delivery")
			for _, good := range tc.good {
				assert.Equal(t, http.StatusOK, post(h, body, good).Code)
			}
			assert.Equal(t, 1, c.total(), "the genuine delivery runs fn once")
		})
	}
}

func TestSignatureSpellings(t *testing.T) {
	t.Parallel()
	body := delivery("evt-sig", 1, "Approved")
	signed := webhook.SignForTest(testSecret, body) // sha256=AB-CD-…
	assert.Regexp(t, `^sha256=([0-9A-F]{2}-){31}[0-9A-F]{2}$`, signed)
	upper := strings.ReplaceAll(strings.TrimPrefix(signed, "sha256="), "-", "")
	lower := strings.ToLower(upper)
	mac, err := hex.DecodeString(lower)
	require.NoError(t, err)
	mac[5] ^= 0x01 // one bit of the MAC
	flipped := hex.EncodeToString(mac)
	for _, tc := range []struct {
		name, value string
		want        int
	}{
		{"upper with dashes and prefix", signed, http.StatusOK},
		{"upper with dashes", strings.TrimPrefix(signed, "sha256="), http.StatusOK},
		{"upper with prefix", "sha256=" + upper, http.StatusOK},
		{"upper", upper, http.StatusOK},
		{"lower with prefix", "sha256=" + lower, http.StatusOK},
		{"lower", lower, http.StatusOK},
		{"one bit flipped", "sha256=" + flipped, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c runs
			h := newHandler(t, &c, webhook.WithSignatureSecret(testSecret))
			w := post(h, body, func(r *http.Request) { r.Header.Set(webhook.SignatureHeader, tc.value) })
			assert.Equal(t, tc.want, w.Code)
			assert.Equal(t, tc.want == http.StatusOK, c.total() == 1)
		})
	}
}

func TestSignatureFlippedBodyBit(t *testing.T) {
	t.Parallel()
	var c runs
	h := newHandler(t, &c, webhook.WithSignatureSecret(testSecret))
	body := delivery("evt-bit", 1, "Rejected")
	signed := webhook.SignForTest(testSecret, body)
	tampered := append([]byte(nil), body...)
	i := strings.Index(string(tampered), "Rejected")
	tampered[i] ^= 0x20 // "rejected": one bit of the body
	w := post(h, tampered, func(r *http.Request) { r.Header.Set(webhook.SignatureHeader, signed) })
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Zero(t, c.total())
}
