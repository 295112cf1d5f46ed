package vlens

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// redacted replaces secrets and personal data wherever the SDK prints or
// copies text that might contain them.
const redacted = "[redacted]"

// sensitive are the caller's values that must not survive in text from a
// server.
type sensitive struct {
	// secrets (the API key, tokens, passwords) are removed wherever they
	// appear, even inside a word.
	secrets []string
	// personal values (phone, email, public key, user name, form values)
	// are removed where they appear, except that a word-like one (see
	// wordLike) is removed only as a whole token: the user name "admin"
	// leaves "Administrator" and "admin-gw-3" alone.
	personal []string
}

// redactor removes the caller's values from text that came from the server
// (error messages, descriptions, bodies, headers, the transport's own error
// text). Servers echo a value in more forms than the one sent, so it matches
// forms: the text is read twice, as it is and with percent-encoding and JSON
// escapes undone, both ASCII lower-cased; each value is looked for in both,
// and a phone number or public key also with separators and white space
// skipped (see pattern). It works out the forms on first use, so a call that
// succeeds pays nothing.
type redactor struct {
	apiKey   string
	in       input     // in.secrets() is read on first use
	admin    sensitive // the admin login's, which any call's answer may echo
	extra    []string  // more secrets: the bearer token, an error envelope's string data
	patterns []pattern
	ready    bool
}

// pattern is one form of a value, lower-cased.
type pattern struct {
	needle   string
	squeezed bool // looked for in the text without separators
	whole    bool // matched only as a whole token
}

// newRedactor returns a redactor for the API key and in's values.
func newRedactor(apiKey string, in input) redactor {
	return redactor{apiKey: apiKey, in: in}
}

// Sizes that decide how values are looked for.
const (
	minSecretLen   = 4  // shorter values would rewrite too much; the validated inputs are longer
	minWordLikeLen = 8  // a personal value shorter than this is word-like
	minPEMLineLen  = 16 // shorter key lines (the "IDAQAB" RSA keys end with) say nothing
)

// addAnswerSecrets adds an error envelope's data to the secrets when it is a
// string, the shape of the token a failing server may send anyway. Data of
// another shape is the server's own and is not looked for.
func (r *redactor) addAnswerSecrets(data json.RawMessage) {
	var s string
	if json.Unmarshal(data, &s) == nil {
		r.extra, r.ready = append(r.extra, s), false
	}
}

// list returns the patterns to look for.
func (r *redactor) list() []pattern {
	if r.ready {
		return r.patterns
	}
	r.ready, r.patterns = true, r.patterns[:0]
	var in sensitive
	if r.in != nil {
		in = r.in.secrets()
	}
	for _, set := range []sensitive{{secrets: append([]string{r.apiKey}, r.extra...)}, in, r.admin} {
		for _, s := range set.secrets {
			r.add(s, false)
		}
		for _, s := range set.personal {
			r.add(s, true)
		}
	}
	return r.patterns
}

// add adds the forms of value s.
func (r *redactor) add(s string, personal bool) {
	if len(s) < minSecretLen {
		return
	}
	r.patterns = append(r.patterns, pattern{needle: read(s, true).text, whole: personal && wordLike(s)})
	var forms []string
	switch {
	case isE164(s):
		forms = phoneForms(s)
	case strings.Contains(s, "-----BEGIN") || len(s) >= 64:
		var body strings.Builder
		for _, line := range strings.Split(strings.ReplaceAll(s, `\n`, "\n"), "\n") {
			if line = strings.TrimSpace(line); !strings.HasPrefix(line, "-----") {
				body.WriteString(line)
				if len(line) >= minPEMLineLen {
					forms = append(forms, line) // an echo cut at a line break
				}
			}
		}
		forms = append(forms, body.String())
	}
	for _, form := range forms {
		if needle := squeeze(read(form, true)).text; needle != "" {
			r.patterns = append(r.patterns, pattern{needle: needle, squeezed: true})
		}
	}
}

// wordLike reports whether a personal value could be an ordinary word: it is
// shorter than minWordLikeLen characters, or made of letters and spaces.
func wordLike(s string) bool {
	return utf8.RuneCountInString(s) < minWordLikeLen ||
		strings.IndexFunc(s, func(c rune) bool { return !unicode.IsLetter(c) && c != ' ' }) < 0
}

// phoneForms are the digit strings an E.164 number is echoed as: all its
// digits (the country code however written before them), its national
// significant number, and that with a trunk '0'.
func phoneForms(e164 string) []string {
	digits := e164[1:]
	forms := []string{digits}
	if cc := countryCodeLen(digits); cc < len(digits) {
		forms = append(forms, digits[cc:], "0"+digits[cc:])
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

// Bounds on the server text that is redacted.
const (
	maxErrorTextBytes = 4 << 10 // of Message and Descriptions, before redaction
	cutSlack          = 4 << 10 // read past a cut, so that no secret is split by it
)

// head returns s's first keep bytes with every value replaced, and how many
// bytes of s it left out. It reads cutSlack bytes past the cut, so that a
// value the cut would split is replaced whole.
func (r *redactor) head(s string, keep int) (string, int) {
	if keep >= len(s) {
		keep = len(s)
	}
	for keep < len(s) && keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	var cuts [][2]int
	if patterns := r.list(); len(patterns) > 0 {
		cuts = find(s[:min(len(s), keep+cutSlack)], patterns)
	}
	var b strings.Builder
	at := 0
	for _, c := range cuts {
		if c[0] >= at {
			if c[0] >= keep {
				break
			}
			b.WriteString(s[at:c[0]])
			b.WriteString(redacted)
		} // else it overlaps the previous cut, which it extends
		at = max(at, c[1])
	}
	if at < keep {
		b.WriteString(s[at:keep])
		at = keep
	}
	return b.String(), len(s) - at
}

// find returns the spans of s that hold a pattern, in order.
func find(s string, patterns []pattern) [][2]int {
	var cuts [][2]int
	for _, decode := range []bool{true, false} {
		// Read as it is too: "%admin@…" decodes to 0xAD and "min@…".
		text := read(s, decode)
		squeezed := squeeze(text)
		for _, p := range patterns {
			t := &text
			if p.squeezed {
				t = &squeezed
			}
			for off := 0; ; off++ {
				i := strings.Index(t.text[off:], p.needle)
				if i < 0 {
					break
				}
				off += i
				if end := off + len(p.needle); !p.whole || wholeToken(t.text, off, end) {
					cuts = append(cuts, [2]int{t.spans[off][0], t.spans[end-1][1]})
				}
			}
		}
	}
	slices.SortFunc(cuts, func(a, b [2]int) int { return a[0] - b[0] })
	return cuts
}

// wholeToken reports whether text[i:j] is a whole token. A token is a run of
// letters and digits, and a '-', '_' or '.' between two of them joins them
// into one: so "admin" is a token of "admin's" and "user admin.", but not of
// "Administrator" or the host name "admin-gw-3".
func wholeToken(text string, i, j int) bool {
	before, n := utf8.DecodeLastRuneInString(text[:i])
	if isWordRune(before) || strings.ContainsRune("-_.", before) && isWordRune(lastRune(text[:i-n])) {
		return false
	}
	after, n := utf8.DecodeRuneInString(text[j:])
	return !isWordRune(after) && !(strings.ContainsRune("-_.", after) && isWordRune(firstRune(text[j+n:])))
}

func isWordRune(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }

func firstRune(s string) rune { c, _ := utf8.DecodeRuneInString(s); return c }

func lastRune(s string) rune { c, _ := utf8.DecodeLastRuneInString(s); return c }

// string returns s with every value replaced.
func (r *redactor) string(s string) string {
	out, _ := r.head(s, len(s))
	return out
}

// capped returns server text redacted and made one line, its first
// maxErrorTextBytes kept and a note of how much was cut.
func (r *redactor) capped(s string) string {
	out, cut := r.head(s, maxErrorTextBytes)
	if out = safeText(out); cut > 0 {
		out += " [" + strconv.Itoa(cut) + " bytes cut]"
	}
	return out
}

// header returns a copy of h with every name and value redacted and made
// one line (a lenient parser can take a whole malformed line for a name).
func (r *redactor) header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		k = r.capped(k)
		for _, v := range vs {
			out[k] = append(out[k], r.capped(v))
		}
	}
	return out
}

// json returns raw with every value replaced inside its strings, keys and
// numbers (a phone number echoed without its '+'), keeping it valid JSON.
// Raw JSON that mentions no value is returned as is. Text that is not JSON,
// or longer than maxErrorTextBytes, becomes a JSON string of the capped
// text: a cut cannot keep it JSON.
func (r *redactor) json(raw json.RawMessage) json.RawMessage {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if len(raw) > maxErrorTextBytes || d.Decode(&v) != nil || d.More() {
		out, _ := json.Marshal(r.capped(string(raw)))
		return out
	}
	changed := false
	if v = r.value(v, &changed); !changed {
		return raw
	}
	out, _ := json.Marshal(v) // strings, numbers, lists and maps always marshal
	return out
}

// value redacts v in place where it can, and sets *changed when it did.
func (r *redactor) value(v any, changed *bool) any {
	switch v := v.(type) {
	case string:
		s := r.string(v)
		*changed = *changed || s != v
		return s
	case json.Number:
		if s := r.string(v.String()); s != v.String() {
			*changed = true
			return s
		}
	case []any:
		for i := range v {
			v[i] = r.value(v[i], changed)
		}
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[r.value(k, changed).(string)] = r.value(x, changed)
		}
		return out
	}
	return v
}
