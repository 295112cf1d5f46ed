package vlens

import (
	"bytes"
	"encoding/json"
	"strings"
)

// redacted replaces secrets and personal data wherever the SDK prints or
// copies text that might contain them.
const redacted = "[redacted]"

// redactor removes the caller's secrets (the API key and whatever the
// operation names: phone number, email, public key) from text that Vlens
// sends back, so an error never carries them. It works out the forms to look
// for on first use, so a call that succeeds pays nothing for it.
type redactor struct {
	apiKey  string
	in      input
	secrets []string
	ready   bool
}

// newRedactor returns a redactor for the API key and in's secrets.
func newRedactor(apiKey string, in input) redactor {
	return redactor{apiKey: apiKey, in: in}
}

// minSecretLen keeps the redactor from rewriting every occurrence of a one-
// or two-character value; the validated inputs are all longer.
const minSecretLen = 4

// list returns the secrets to redact: each one given, and a phone number
// also without its '+'.
func (r *redactor) list() []string {
	if r.ready {
		return r.secrets
	}
	r.ready = true
	r.add(r.apiKey)
	for _, s := range r.in.secrets() {
		r.add(s)
		if strings.HasPrefix(s, "+") {
			r.add(s[1:])
		}
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

// json returns raw with every secret replaced inside its string values and
// keys (and numbers equal to a secret, such as a phone number echoed without
// its '+'), keeping it valid JSON. The values are compared decoded, since an
// echo may be escaped ("\u002B" for '+', as .NET servers write it). Raw JSON
// that mentions no secret is returned as is.
func (r *redactor) json(raw json.RawMessage) json.RawMessage {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		// Not JSON after all: keep it as a JSON string of the redacted text.
		if s := r.string(string(raw)); s != string(raw) {
			out, _ := json.Marshal(s)
			return out
		}
		return raw
	}
	changed := false
	v = r.value(v, &changed)
	if !changed {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`"` + redacted + `"`)
	}
	return out
}

// value redacts v in place where it can, and sets *changed when it did.
func (r *redactor) value(v any, changed *bool) any {
	switch v := v.(type) {
	case string:
		s := r.string(v)
		if s != v {
			*changed = true
		}
		return s
	case json.Number:
		if s := r.string(v.String()); s != v.String() {
			*changed = true
			return s
		}
		return v
	case []any:
		for i := range v {
			v[i] = r.value(v[i], changed)
		}
		return v
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[r.value(k, changed).(string)] = r.value(x, changed)
		}
		return out
	}
	return v
}

// replaceFold replaces every occurrence of old in s, ignoring ASCII case
// (servers often lower- or upper-case emails). Folding ASCII letters only
// keeps every byte offset of s and of its folded copy equal, whatever else s
// holds (non-ASCII text, invalid UTF-8), so the match is never skipped.
func replaceFold(s, old string) string {
	lowerS, lowerOld := asciiLower(s), asciiLower(old)
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

// asciiLower lower-cases the ASCII letters of s and nothing else.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
