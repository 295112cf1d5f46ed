package vlens

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

// redacted replaces secrets and personal data wherever the SDK prints or
// copies text that might contain them.
const redacted = "[redacted]"

// redactor removes the caller's secrets from text that came from the server
// (error messages, descriptions, bodies, headers, the transport's own error
// text), so that an error never carries them. Servers echo a value in more
// forms than the one sent, so it matches forms, not strings: the text is
// first decoded the ways it could have been encoded (percent-encoding, HTML
// entities, JSON and backslash escapes, ASCII letter case), and then
//   - the API key, the email, a token and any other secret are looked for as
//     they are;
//   - a phone number is looked for as its digits with any separators
//     (spaces, dashes, dots, parentheses, '+') between them: with its country
//     code however written ("+20", "0020", "20"), and as its national
//     significant number with and without a trunk '0';
//   - a public key is looked for as it is, and as its base64 body without
//     PEM armour and line breaks.
//
// Every match is replaced in the original text, whatever its encoding there.
// It works out the forms on first use, so a call that succeeds pays nothing.
type redactor struct {
	apiKey   string
	in       input    // its secrets()
	extra    []string // secrets from the answer itself (a token in an error envelope)
	patterns []pattern
	ready    bool
}

// pattern is one form of a secret: a needle to find in one view of the
// decoded text.
type pattern struct {
	needle string
	view   view
}

// view is a way of looking at decoded text.
type view int

const (
	viewText    view = iota // decoded, ASCII lower-cased
	viewDigits              // viewText without phone separators
	viewCompact             // viewText without white space
)

// newRedactor returns a redactor for the API key and in's secrets.
func newRedactor(apiKey string, in input) redactor {
	return redactor{apiKey: apiKey, in: in}
}

// minSecretLen keeps the redactor from rewriting every occurrence of a one-
// to three-character value; the validated inputs are all longer.
const minSecretLen = 4

// addAnswerSecrets adds the string values of an error envelope's data (a
// session token an erring server sent anyway) to the secrets.
func (r *redactor) addAnswerSecrets(data json.RawMessage) {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			r.extra = append(r.extra, v)
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	r.ready = false
}

// list returns the patterns to look for.
func (r *redactor) list() []pattern {
	if r.ready {
		return r.patterns
	}
	r.ready = true
	r.patterns = r.patterns[:0]
	r.add(viewText, r.apiKey)
	var secrets []string
	if r.in != nil {
		secrets = r.in.secrets()
	}
	for _, s := range append(secrets, r.extra...) {
		r.add(viewText, s)
		switch {
		case isE164(s):
			for _, form := range phoneForms(s) {
				r.add(viewDigits, form)
			}
		case strings.Contains(s, "-----BEGIN") || len(s) >= 64:
			body, lines := pemBody(s)
			r.add(viewCompact, body)
			for _, line := range lines {
				if len(line) >= minPEMLineLen {
					r.add(viewCompact, line) // an echo cut at a line break
				}
			}
		}
	}
	return r.patterns
}

// add adds secret s, decoded as text is and seen through view v.
func (r *redactor) add(v view, s string) {
	if len(s) >= minSecretLen {
		r.patterns = append(r.patterns, pattern{needle: viewOf(v, decode(s).text).text, view: v})
	}
}

// phoneForms are the digit strings an E.164 number is echoed as: all its
// digits (the country code however written before them), its national
// significant number, and that with a trunk '0'.
func phoneForms(e164 string) []string {
	digits := e164[1:]
	forms := []string{digits}
	if cc := countryCodeLen(digits); cc < len(digits) {
		nsn := digits[cc:]
		forms = append(forms, nsn, "0"+nsn)
	}
	return forms
}

// countryCodeLen is the length of the E.164 country code digits start with.
// Country codes are prefix-free: 1 and 7 are the one-digit codes, the
// two-digit ones are listed, and every other is three digits long.
func countryCodeLen(digits string) int {
	if digits[0] == '1' || digits[0] == '7' {
		return 1
	}
	switch digits[:2] {
	case "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48", "49",
		"51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66",
		"81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98":
		return 2
	}
	return 3
}

// minPEMLineLen is the shortest line of a key body looked for on its own:
// shorter ones (the "IDAQAB" every RSA key ends with) say nothing.
const minPEMLineLen = 16

// pemBody is a PEM block's base64 body without armour lines or white space,
// and its lines; for anything else, the value without white space.
func pemBody(s string) (body string, lines []string) {
	var b strings.Builder
	for _, line := range strings.Split(strings.ReplaceAll(s, `\n`, "\n"), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "-----") {
			continue
		}
		b.WriteString(line)
		lines = append(lines, line)
	}
	return b.String(), lines
}

// string returns s with every form of every secret replaced.
func (r *redactor) string(s string) string {
	patterns := r.list()
	if len(patterns) == 0 || s == "" {
		return s
	}
	// The text is read decoded and also as it is: "%admin@…" decodes to
	// 0xAD and "min@…", hiding the literal echo from the decoded reading.
	var cuts [][2]int // spans of s to replace
	for _, d := range []decoded{decode(s), literal(s)} {
		var views [3]*viewed
		for _, p := range patterns {
			v := views[p.view]
			if v == nil {
				vw := viewOf(p.view, d.text)
				v, views[p.view] = &vw, &vw
			}
			for off := 0; ; {
				i := strings.Index(v.text[off:], p.needle)
				if i < 0 {
					break
				}
				i += off
				first, last := v.index[i], v.index[i+len(p.needle)-1]
				cuts = append(cuts, [2]int{d.spans[first][0], d.spans[last][1]})
				off = i + 1
			}
		}
	}
	if len(cuts) == 0 {
		return s
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i][0] < cuts[j][0] })
	var b strings.Builder
	at := 0
	for _, c := range cuts {
		if c[1] <= at {
			continue // inside the previous cut
		}
		if c[0] >= at {
			b.WriteString(s[at:c[0]])
			b.WriteString(redacted)
		} // else it overlaps the previous cut, which it extends
		at = c[1]
	}
	b.WriteString(s[at:])
	return b.String()
}

// header returns a copy of h with every name and value redacted and made
// one line (a lenient parser can take a whole malformed line for a name).
func (r *redactor) header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		k = safeText(r.string(k))
		for _, v := range vs {
			out[k] = append(out[k], safeText(r.string(v)))
		}
	}
	return out
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
	if d.Decode(&v) != nil || d.More() {
		// Not JSON after all: keep it as a JSON string of the redacted,
		// one-line text.
		s := safeText(r.string(string(raw)))
		out, _ := json.Marshal(s)
		return out
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
