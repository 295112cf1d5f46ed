package vlens

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// How the redactor reads text from a server, and how server text is made
// safe for one log line.

// reading is text as the redactor reads it, ASCII lower-cased, with the span
// of the original each of its bytes came from.
type reading struct {
	text  string
	spans [][2]int
}

// read returns s lower-cased and, when decode is set, with one level of
// percent-encoding and JSON escapes undone. HTML character references are
// not undone: Vlens answers in JSON, the HTML pages of the proxies in front
// of it do not echo a request, and .NET's HTML encoder leaves letters,
// digits, '@', '.', '-' and '_' as they are.
func read(s string, decode bool) reading {
	var b strings.Builder
	b.Grow(len(s))
	spans := make([][2]int, 0, len(s))
	for i, n := 0, 1; i < len(s); i += n {
		out := s[i : i+1]
		if n = 1; decode {
			out, n = decodeUnit(s[i:])
		}
		for j := 0; j < len(out); j++ {
			c := out[j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			spans = append(spans, [2]int{i, i + n})
		}
	}
	return reading{b.String(), spans}
}

// squeeze returns t without the separators a phone number or a key may be
// broken up with: white space, '-', '.', '(', ')', '+' and '/'.
func squeeze(t reading) reading {
	var b strings.Builder
	b.Grow(len(t.text))
	spans := make([][2]int, 0, len(t.text))
	for i := 0; i < len(t.text); i++ {
		if !strings.ContainsRune(" \t\r\n\v\f-.()+/", rune(t.text[i])) {
			b.WriteByte(t.text[i])
			spans = append(spans, t.spans[i])
		}
	}
	return reading{b.String(), spans}
}

// decodeUnit decodes the percent-encoded byte or JSON escape s starts with,
// returning its bytes and how many bytes of s it took; any other byte is
// itself.
func decodeUnit(s string) (string, int) {
	if s[0] == '%' && len(s) >= 3 {
		if v, err := strconv.ParseUint(s[1:3], 16, 8); err == nil {
			return string([]byte{byte(v)}), 3
		}
	}
	if s[0] != '\\' || len(s) < 2 {
		return s[:1], 1
	}
	if c := hex4(s[1:]); c >= 0 {
		// A character outside the BMP is escaped as a surrogate pair.
		if utf16.IsSurrogate(c) && len(s) >= 12 && s[6] == '\\' {
			if pair := utf16.DecodeRune(c, hex4(s[7:])); pair != utf8.RuneError {
				return string(pair), 12
			}
		}
		return string(c), 6
	}
	// An escaped backslash decodes to one, but takes only its first byte:
	// the second may start an escape of its own ("\\u0040" reads either
	// way, and either way is redacted).
	if i := strings.IndexByte(`\"/bfnrt`, s[1]); i >= 0 {
		return "\\\"/\b\f\n\r\t"[i : i+1], min(i, 1) + 1
	}
	return s[:1], 1
}

// hex4 is the rune s's leading "uXXXX" escapes, or -1.
func hex4(s string) rune {
	if len(s) < 5 || s[0] != 'u' && s[0] != 'U' {
		return -1
	}
	v, err := strconv.ParseUint(s[1:5], 16, 16)
	if err != nil {
		return -1
	}
	return rune(v)
}

// safeText makes text from a server safe to put in one log line: invalid
// UTF-8 becomes U+FFFD, and control characters (C0, DEL, C1), line and
// paragraph separators and bidirectional overrides are written as \u
// escapes, so that a server can neither break a log line in two nor make it
// read differently from what it holds.
func safeText(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unsafeRune(r) {
			b.WriteString(`\u` + strconv.FormatUint(0x10000+uint64(r), 16)[1:])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// unsafeRune reports whether r may not appear raw in a log line.
func unsafeRune(r rune) bool {
	return r < 0x20 || (0x7f <= r && r <= 0x9f) || r == 0x2028 || r == 0x2029 ||
		(0x202a <= r && r <= 0x202e) || (0x2066 <= r && r <= 0x2069)
}
