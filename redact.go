package vlens

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// How text from a server is redacted and made safe for one log line. The
// rules are those of the "Secrets" section of doc.go.

// redacted replaces secrets and personal data wherever the SDK prints or
// copies text that might contain them.
const redacted = "[redacted]"

// sensitive are the caller's values that must not survive in server text.
type sensitive struct {
	secrets  []string // removed wherever they appear, even inside a word
	personal []string // the same, but only as whole tokens when wordLike
}

// redactor removes the values of one call from its server text. It works
// out their forms on first use, so a call that succeeds pays nothing.
type redactor struct {
	apiKey   string
	in       input       // in.secrets() is read on first use
	more     []sensitive // the admin login's and token source's, which any answer may echo
	extra    []string    // more secrets: the bearer token, an error envelope's string data
	patterns []pattern   // nil until worked out
}

// pattern is one form of a value, read as server text is.
type pattern struct {
	needle   string
	squeezed bool // looked for in the text without separators (phone, key)
	whole    bool // matched only as a whole token
}

// newRedactor returns a redactor for the API key and in's values.
func newRedactor(apiKey string, in input) redactor {
	return redactor{apiKey: apiKey, in: in}
}

const (
	minSecretLen      = 4       // shorter values would rewrite too much; validated inputs are longer
	minWordLikeLen    = 8       // a personal value shorter than this is word-like
	minPEMLineLen     = 16      // shorter key lines (the "IDAQAB" RSA keys end with) say nothing
	maxErrorTextBytes = 4 << 10 // of Message, Descriptions and a header value, before redaction
	cutSlack          = 4 << 10 // read past a cut, so that a value the cut would split goes whole
)

// addAnswerSecrets adds an error envelope's data to the secrets when it is a
// string, the shape of the token a failing server may send anyway; data of
// another shape is the server's own words.
func (r *redactor) addAnswerSecrets(data json.RawMessage) {
	var s string
	if json.Unmarshal(data, &s) == nil {
		r.extra, r.patterns = append(r.extra, s), nil
	}
}

// list returns the patterns to look for.
func (r *redactor) list() []pattern {
	if r.patterns == nil {
		in := sensitive{}
		if r.in != nil {
			in = r.in.secrets()
		}
		for _, set := range append([]sensitive{{secrets: append([]string{r.apiKey}, r.extra...)}, in}, r.more...) {
			for i, s := range slices.Concat(set.secrets, set.personal) {
				r.add(s, i >= len(set.secrets))
			}
		}
	}
	return r.patterns
}

// add adds the forms of value s: as it is; a phone number as its digits
// with the country code and as its national number with and without a
// trunk '0'; a key as its body without armour or line breaks, and line by
// line.
func (r *redactor) add(s string, personal bool) {
	if len(s) < minSecretLen {
		return
	}
	whole := personal && wordLike(s)
	r.patterns = append(r.patterns, pattern{needle: read(s, true, false).text, whole: whole})
	var forms []string
	switch {
	case isE164(s):
		nsn := s[1+countryCodeLen(s[1:]):]
		forms = []string{s[1:], nsn, "0" + nsn}
	case !whole && (strings.Contains(s, "-----BEGIN") || len(s) >= 64):
		body := ""
		for _, line := range strings.Split(strings.ReplaceAll(s, `\n`, "\n"), "\n") {
			if line = strings.TrimSpace(line); !strings.HasPrefix(line, "-----") {
				if body += line; len(line) >= minPEMLineLen {
					forms = append(forms, line)
				}
			}
		}
		forms = append(forms, body)
	}
	for _, form := range forms {
		if needle := read(form, true, true).text; needle != "" {
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

// countryCodeLen is the length of the E.164 country code digits start with.
// Country codes are prefix-free: 1 and 7 are the one-digit codes, the
// two-digit ones are listed, and every other is three digits long.
func countryCodeLen(digits string) int {
	switch {
	case digits[0] == '1' || digits[0] == '7':
		return 1
	case strings.Contains("20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 "+
		"60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98", digits[:2]):
		return 2
	}
	return 3
}

// head returns s's first keep bytes with every value replaced, and how many
// bytes of s it left out. It reads cutSlack bytes past the cut, so that a
// value the cut would split is replaced whole.
func (r *redactor) head(s string, keep int) (string, int) {
	keep = min(keep, len(s))
	for keep < len(s) && keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	cuts := find(s[:min(len(s), keep+cutSlack)], r.list())
	if len(cuts) == 0 && keep == len(s) {
		return s, 0
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

// find returns the spans of s that hold a pattern, in order. It reads s
// twice, decoded and as it is: "%admin@…" decodes to 0xAD and "min@…". It
// looks for the values matched anywhere first: what they cover ends a token
// for the word-like ones, so that a name glued to a national ID number
// ("Ali29901011234567") goes with it.
func find(s string, patterns []pattern) [][2]int {
	var cuts [][2]int
	for _, whole := range []bool{false, true} {
		ends := cuts // spans that end a token
		inEnds := func(k int) bool {
			return slices.ContainsFunc(ends, func(c [2]int) bool { return c[0] <= k && k < c[1] })
		}
		for _, decode := range []bool{true, false} {
			texts := [2]reading{read(s, decode, false), read(s, decode, true)}
			for _, p := range patterns {
				if p.whole != whole {
					continue
				}
				t := &texts[0]
				if p.squeezed {
					t = &texts[1]
				}
				for at := 0; ; at++ {
					i := strings.Index(t.text[at:], p.needle)
					if i < 0 {
						break
					}
					at += i
					if end := at + len(p.needle); !p.whole || wholeToken(t, at, end, inEnds) {
						cuts = append(cuts, [2]int{t.spans[at][0], t.spans[end-1][1]})
					}
				}
			}
		}
	}
	slices.SortFunc(cuts, func(a, b [2]int) int { return a[0] - b[0] })
	return cuts
}

// wholeToken reports whether t.text[i:j] is a whole token. A token is a run
// of letters and digits, and a '-', '_' or '.' between two of them joins
// them into one: "admin" is a token of "admin's" and "user admin.", but not
// of "Administrator" or the host name "admin-gw-3". A character whose
// original byte k is one for which ends(k) holds (a value being redacted)
// ends a token as a space would.
func wholeToken(t *reading, i, j int, ends func(k int) bool) bool {
	word := func(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }
	joins := func(c, next rune) bool { return word(c) || strings.ContainsRune("-_.", c) && word(next) }
	last := func(k int) (rune, int) { // the character before t.text[k]
		c, n := utf8.DecodeLastRuneInString(t.text[:k])
		if n > 0 && ends(t.spans[k-n][0]) {
			c = ' '
		}
		return c, n
	}
	first := func(k int) (rune, int) { // the character at t.text[k]
		c, n := utf8.DecodeRuneInString(t.text[k:])
		if n > 0 && ends(t.spans[k][0]) {
			c = ' '
		}
		return c, n
	}
	before, n := last(i)
	beyond, _ := last(i - n)
	after, m := first(j)
	next, _ := first(j + m)
	return !joins(before, beyond) && !joins(after, next)
}

// capped returns server text redacted and made one line, its first
// maxErrorTextBytes kept and a note of how much was cut.
func (r *redactor) capped(s string) string {
	return noteCut(r.head(s, maxErrorTextBytes))
}

func noteCut(text string, cut int) string {
	if text = safeText(text); cut > 0 {
		text += " [" + strconv.Itoa(cut) + " bytes cut]"
	}
	return text
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

// json returns raw JSON with every value replaced, as it is when it
// mentions none. It stays valid JSON: when it is cut, or not JSON, or a
// replacement broke its syntax (a phone number echoed as a JSON number), it
// becomes a JSON string of the text.
func (r *redactor) json(raw json.RawMessage) json.RawMessage {
	text, cut := r.head(string(raw), maxErrorTextBytes)
	if cut == 0 && json.Valid([]byte(text)) {
		return json.RawMessage(text)
	}
	out, _ := json.Marshal(noteCut(text, cut))
	return out
}
