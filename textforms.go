package vlens

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// How the redactor reads text from a server: decoded one level the ways it
// could have been encoded, and seen through views that skip separators; and
// how server text is made safe for one log line.

// decoded is text decoded one level (percent-encoding, HTML character
// references, JSON and backslash escapes) and ASCII lower-cased, with the
// span of the original each decoded byte came from.
type decoded struct {
	text  []byte
	spans [][2]int
}

func decode(s string) decoded {
	d := decoded{text: make([]byte, 0, len(s)), spans: make([][2]int, 0, len(s))}
	for i := 0; i < len(s); {
		out, n := decodeUnit(s[i:])
		for _, c := range []byte(out) {
			d.text = append(d.text, lowerASCII(c))
			d.spans = append(d.spans, [2]int{i, i + n})
		}
		i += n
	}
	return d
}

// literal is s read as it is, ASCII lower-cased, each byte its own span.
func literal(s string) decoded {
	d := decoded{text: make([]byte, len(s)), spans: make([][2]int, len(s))}
	for i := 0; i < len(s); i++ {
		d.text[i], d.spans[i] = lowerASCII(s[i]), [2]int{i, i + 1}
	}
	return d
}

// decodeUnit decodes the encoded unit s starts with, returning its bytes and
// how many bytes of s it took. A byte that starts no known encoding is
// itself.
func decodeUnit(s string) (string, int) {
	switch s[0] {
	case '%':
		if len(s) >= 3 && isHex(s[1]) && isHex(s[2]) {
			v, _ := strconv.ParseUint(s[1:3], 16, 8)
			return string([]byte{byte(v)}), 3
		}
	case '&':
		if end := strings.IndexByte(s, ';'); end > 1 && end <= 10 {
			if r, ok := htmlEntity(s[1:end]); ok {
				return string(r), end + 1
			}
		}
		// A numeric reference without its ';', which browsers (and
		// html.UnescapeString) read all the same.
		if len(s) > 2 && s[1] == '#' {
			end := 2
			hex := s[2] == 'x' || s[2] == 'X'
			if hex {
				end = 3
			}
			for end < len(s) && end < 12 && (isHex(s[end]) && hex || '0' <= s[end] && s[end] <= '9') {
				end++
			}
			if r, ok := htmlEntity(s[1:end]); ok && end > 2 {
				return string(r), end
			}
		}
	case '\\':
		if len(s) >= 6 && (s[1] == 'u' || s[1] == 'U') && allHex(s[2:6]) {
			v, _ := strconv.ParseUint(s[2:6], 16, 32)
			return string(rune(v)), 6
		}
		if len(s) >= 4 && s[1] == 'x' && isHex(s[2]) && isHex(s[3]) {
			v, _ := strconv.ParseUint(s[2:4], 16, 8)
			return string([]byte{byte(v)}), 4
		}
		if len(s) >= 2 {
			switch s[1] {
			// An escaped backslash decodes to one, but it takes only its
			// first byte: the second may start an escape of its own
			// ("\\u0040" reads either way, and either way is redacted).
			case '\\':
				return "\\", 1
			case '/', '"', '\'':
				return s[1:2], 2
			case 'n':
				return "\n", 2
			case 'r':
				return "\r", 2
			case 't':
				return "\t", 2
			}
		}
	}
	return s[:1], 1
}

// htmlEntity decodes an HTML character reference's name ("#64", "#x40",
// "commat").
func htmlEntity(name string) (rune, bool) {
	if strings.HasPrefix(name, "#x") || strings.HasPrefix(name, "#X") {
		v, err := strconv.ParseUint(name[2:], 16, 32)
		return rune(v), err == nil && v <= utf8.MaxRune
	}
	if strings.HasPrefix(name, "#") {
		v, err := strconv.ParseUint(name[1:], 10, 32)
		return rune(v), err == nil && v <= utf8.MaxRune
	}
	r, ok := map[string]rune{
		"amp": '&', "lt": '<', "gt": '>', "quot": '"', "apos": '\'', "commat": '@', "plus": '+',
		"period": '.', "lpar": '(', "rpar": ')', "hyphen": '-', "dash": '-', "nbsp": ' ', "sol": '/',
		"lowbar": '_', "equals": '=', "num": '#', "excl": '!', "colon": ':', "comma": ',',
	}[strings.ToLower(name)]
	return r, ok
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func allHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// viewed is one view of decoded text, with the index into the decoded text
// of each of its bytes.
type viewed struct {
	text  string
	index []int
}

// viewOf returns view v of decoded text, skipping the bytes the view
// ignores.
func viewOf(v view, text []byte) viewed {
	out := make([]byte, 0, len(text))
	index := make([]int, 0, len(text))
	for i, c := range text {
		if v == viewDigits && isPhoneSeparator(c) || v == viewCompact && isSpace(c) {
			continue
		}
		out = append(out, c)
		index = append(index, i)
	}
	return viewed{text: string(out), index: index}
}

func isPhoneSeparator(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '\v', '\f', '-', '.', '(', ')', '+', '/':
		return true
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// safeText makes text from a server safe to put in one log line: invalid
// UTF-8 becomes U+FFFD, and control characters (C0, DEL, C1), line and
// paragraph separators and bidirectional overrides are written as \u
// escapes, so that a server can neither break a log line in two nor make it
// read differently from what it holds.
func safeText(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unsafeRune(r) {
			b.WriteString(`\u`)
			h := strconv.FormatUint(uint64(r), 16)
			b.WriteString(strings.Repeat("0", 4-len(h)))
			b.WriteString(h)
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
