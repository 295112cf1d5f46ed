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

// read returns s lower-cased; when decode is set, with one level of
// percent-encoding and JSON escapes undone; when squeeze is set, without the
// separators a phone number or a key may be broken up with. HTML character
// references are not undone: Vlens answers in JSON, the HTML pages of the
// proxies in front of it do not echo a request, and .NET's HTML encoder
// leaves letters, digits, '@', '.', '-' and '_' as they are.
func read(s string, decode, squeeze bool) reading {
	var b strings.Builder
	b.Grow(len(s))
	spans := make([][2]int, 0, len(s))
	for i, n := 0, 1; i < len(s); i += n {
		out := s[i : i+1]
		if decode {
			out, n = decodeUnit(s[i:])
		}
		for _, c := range []byte(out) {
			if !squeeze || !strings.ContainsRune(" \t\r\n\v\f-.()+/", rune(c)) {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				b.WriteByte(c)
				spans = append(spans, [2]int{i, i + n})
			}
		}
	}
	return reading{b.String(), spans}
}

// decodeUnit decodes the escape s starts with, a percent-encoded byte or a
// JSON escape (a surrogate pair as one character), returning its bytes and
// how many bytes of s it took. Any other byte is itself.
func decodeUnit(s string) (string, int) {
	hex := func(i, n int) rune { // s[i:i+n] in hex, or -1
		v, err := strconv.ParseUint(s[min(i, len(s)):min(i+n, len(s))], 16, 32)
		if err != nil || i+n > len(s) {
			return -1
		}
		return rune(v)
	}
	switch {
	case s[0] == '%' && hex(1, 2) >= 0:
		return string([]byte{byte(hex(1, 2))}), 3
	case s[0] != '\\' || len(s) < 2:
	case s[1] == '\\':
		// An escaped backslash is read as nothing, and only its first byte
		// is taken: the second starts the escape of a value escaped twice
		// over ("\\u0040" in JSON for a '@' the server escaped itself).
		return "", 1
	case (s[1] == 'u' || s[1] == 'U') && hex(2, 4) >= 0:
		j := 6 // where the pair's second half starts, escaped again as the first was
		if strings.HasPrefix(s[j:], `\\`) {
			j++
		}
		if c := utf16.DecodeRune(hex(2, 4), hex(j+2, 4)); c != utf8.RuneError && s[j] == '\\' {
			return string(c), j + 6
		}
		return string(hex(2, 4)), 6
	case strings.IndexByte(`"/bfnrt`, s[1]) >= 0:
		i := strings.IndexByte(`"/bfnrt`, s[1])
		return "\"/\b\f\n\r\t"[i : i+1], 2
	}
	return s[:1], 1
}

// safeText makes text from a server safe to put in one log line: white
// space around it (a trailing newline) is trimmed, invalid UTF-8 becomes
// U+FFFD, and control characters (C0, DEL, C1), line and paragraph
// separators and bidirectional overrides within it are written as \u
// escapes, so that a server can neither break a log line in two nor make it
// read differently from what it holds.
func safeText(s string) string {
	s = strings.TrimSpace(s)
	if utf8.ValidString(s) && strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unsafeRune(r) {
			b.WriteString(`\u` + strconv.FormatUint(0x10000+uint64(r), 16)[1:])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unsafeRune reports whether r may not appear raw in a log line.
func unsafeRune(r rune) bool {
	return r < 0x20 || (0x7f <= r && r <= 0x9f) || r == 0x2028 || r == 0x2029 ||
		(0x202a <= r && r <= 0x202e) || (0x2066 <= r && r <= 0x2069)
}
