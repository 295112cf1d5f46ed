package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
)

// SignatureHeader is the header a signed delivery carries (see
// WithSignatureSecret).
const SignatureHeader = "abp-webhook-signature"

// errUnauthenticated is what the built-in authenticators return; the
// handler answers 401 and says no more.
var errUnauthenticated = errors.New("webhook: unauthenticated")

// secretHeader accepts a request whose header name holds value.
func secretHeader(name, value string) func(*http.Request, []byte) error {
	return func(r *http.Request, _ []byte) error {
		if !equalSecret(r.Header.Get(name), value) {
			return errUnauthenticated
		}
		return nil
	}
}

// urlToken accepts a request whose query parameter "token", or whose
// path's last segment, is token.
func urlToken(token string) func(*http.Request, []byte) error {
	return func(r *http.Request, _ []byte) error {
		last := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		// Both are compared, so that the time taken does not say which
		// one was near.
		inQuery := equalSecret(r.URL.Query().Get("token"), token)
		inPath := equalSecret(last, token)
		if !inQuery && !inPath {
			return errUnauthenticated
		}
		return nil
	}
}

// signature accepts a request whose SignatureHeader is the body's
// HMAC-SHA256 under secret.
func signature(secret string) func(*http.Request, []byte) error {
	return func(r *http.Request, body []byte) error {
		got, ok := decodeSignature(r.Header.Get(SignatureHeader))
		if !ok || !hmac.Equal(got, bodyMAC(secret, body)) {
			return errUnauthenticated
		}
		return nil
	}
}

// decodeSignature reads "sha256=<hex>", the prefix optional, the hex in
// either case, with or without dashes between bytes (.NET's
// BitConverter.ToString writes "AB-CD-…").
func decodeSignature(v string) ([]byte, bool) {
	v = strings.TrimSpace(v)
	if len(v) >= 7 && strings.EqualFold(v[:7], "sha256=") {
		v = v[7:]
	}
	mac, err := hex.DecodeString(strings.ReplaceAll(v, "-", ""))
	return mac, err == nil && len(mac) == sha256.Size
}

func bodyMAC(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// SignForTest returns the SignatureHeader value a delivery of body signed
// with secret carries, as the ASP.NET Boilerplate platform writes it:
// "sha256=" and the HMAC-SHA256 in upper-case hex with dashes between
// bytes. It is for tests that post signed deliveries to a handler built
// WithSignatureSecret.
func SignForTest(secret string, body []byte) string {
	mac := strings.ToUpper(hex.EncodeToString(bodyMAC(secret, body)))
	parts := make([]string, 0, len(mac)/2)
	for i := 0; i < len(mac); i += 2 {
		parts = append(parts, mac[i:i+2])
	}
	return "sha256=" + strings.Join(parts, "-")
}

// equalSecret compares in constant time, the length included: both sides
// are hashed first.
func equalSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// validHeaderName reports whether name is an HTTP token (RFC 9110).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlnum(c) && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// urlSafe reports whether s holds only URL-unreserved characters.
func urlSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && !strings.ContainsRune("-_.~", rune(c)) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
