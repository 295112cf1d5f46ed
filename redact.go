package vlens

import (
	"bytes"
	"encoding/json"
	"strings"
)

// redacted replaces secrets and personal data wherever the SDK prints or
// copies text that might contain them.
const redacted = "[redacted]"

// redactor removes the caller's secrets (API key, phone number, email, public
// key) from text that Vlens sends back, so an error never carries them. It
// collects the secrets on first use, so a call that succeeds pays nothing
// for it.
type redactor struct {
	apiKey  string
	in      *CreateAuthSessionInput
	secrets []string
	ready   bool
}

func newRedactor(apiKey string, in *CreateAuthSessionInput) redactor {
	return redactor{apiKey: apiKey, in: in}
}

// minSecretLen keeps the redactor from rewriting every occurrence of a one-
// or two-character value; the validated inputs are all longer.
const minSecretLen = 4

// list returns the secrets to redact.
func (r *redactor) list() []string {
	if r.ready {
		return r.secrets
	}
	r.ready = true
	r.add(r.apiKey)
	if in := r.in; in != nil {
		r.add(in.PhoneNumber)
		r.add(strings.TrimPrefix(in.PhoneNumber, "+"))
		r.add(in.Email)
		r.add(in.UserPublicKey)
	}
	return r.secrets
}

func (r *redactor) add(s string) {
	if len(s) >= minSecretLen {
		r.secrets = append(r.secrets, s)
	}
}

// string returns s with every secret replaced, matching case-insensitively
// (servers often lower-case emails).
func (r *redactor) string(s string) string {
	for _, secret := range r.list() {
		s = replaceFold(s, secret)
	}
	return s
}

// json returns raw with every secret replaced inside its string values (and
// numbers equal to a secret, such as a phone number echoed without its '+'),
// keeping it valid JSON. Raw JSON that mentions no secret is returned as is.
func (r *redactor) json(raw json.RawMessage) json.RawMessage {
	lower := bytes.ToLower(raw)
	found := false
	for _, secret := range r.list() {
		if bytes.Contains(lower, []byte(strings.ToLower(secret))) {
			found = true
			break
		}
	}
	if !found {
		return raw
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		// Not JSON after all: keep it as a JSON string of the redacted text.
		out, _ := json.Marshal(r.string(string(raw)))
		return out
	}
	out, err := json.Marshal(r.value(v))
	if err != nil {
		return json.RawMessage(`"` + redacted + `"`)
	}
	return out
}

func (r *redactor) value(v any) any {
	switch v := v.(type) {
	case string:
		return r.string(v)
	case json.Number:
		if s := r.string(v.String()); s != v.String() {
			return s
		}
		return v
	case []any:
		for i := range v {
			v[i] = r.value(v[i])
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[r.string(k)] = r.value(x)
		}
		return out
	}
	return v
}

// replaceFold replaces every case-insensitive occurrence of old in s.
func replaceFold(s, old string) string {
	lowerS, lowerOld := strings.ToLower(s), strings.ToLower(old)
	if len(lowerS) != len(s) || len(lowerOld) != len(old) {
		// Lower-casing changed byte offsets (rare non-ASCII text): fall
		// back to exact matching rather than cut at the wrong place.
		return strings.ReplaceAll(s, old, redacted)
	}
	if !strings.Contains(lowerS, lowerOld) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(lowerS, lowerOld)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(redacted)
		s, lowerS = s[i+len(old):], lowerS[i+len(old):]
	}
}
