package vlens

import "strings"

// EgyptianMobileE164 returns an Egyptian mobile number, as people type it, in
// the E.164 form PhoneNumber takes: EgyptianMobileE164("010 0123-4567") is
// "+201001234567".
//
// It accepts the national form, 11 digits starting 010, 011, 012 or 015
// ("01001234567"), and the international ones: Egypt's country code 20
// after a '+', after "00" or alone, then the national number with or
// without its leading 0 ("+20 100 123 4567", "0020 10 0123 4567",
// "201001234567", "+20 010 0123 4567"). Spaces and dashes anywhere are
// ignored, and so is space around the number. Digits may be ASCII or
// Arabic-Indic (٠ to ٩), as Arabic keyboards type them.
//
// Anything else is refused with a *ValidationError (matching
// ErrInvalidRequest) that names the rule and never the number: another
// country's number, an Egyptian landline, a wrong length or prefix. The SDK
// knows no other numbering plan; give such numbers in E.164 yourself.
func EgyptianMobileE164(s string) (string, error) {
	s = strings.TrimSpace(s)
	digits, ok := phoneDigits(strings.TrimPrefix(s, "+"))
	if !ok {
		return "", egyptianMobileError("may hold only digits, spaces and dashes, after an optional '+'")
	}
	var national string // the number after the country code and the trunk 0
	switch {
	case digits == "":
		return "", egyptianMobileError("is empty")
	case strings.HasPrefix(s, "+") || strings.HasPrefix(digits, "00"):
		after, egyptian := strings.CutPrefix(strings.TrimPrefix(digits, "00"), "20")
		if !egyptian {
			return "", egyptianMobileError("has a country code other than Egypt's (20); only Egyptian mobile numbers are converted")
		}
		national = strings.TrimPrefix(after, "0")
	case strings.HasPrefix(digits, "0"):
		national = digits[1:]
	case strings.HasPrefix(digits, "20"):
		national = strings.TrimPrefix(digits[2:], "0")
	}
	if len(national) != 10 || !isEgyptianMobilePrefix(national[:2]) {
		return "", egyptianMobileError("must be 11 digits starting 010, 011, 012 or 015, or +20 then the same without its 0")
	}
	return "+20" + national, nil
}

// phoneDigits returns s's digits as ASCII, skipping spaces and dashes, and
// false if s holds anything else.
func phoneDigits(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '٠' && r <= '٩': // Arabic-Indic digits, U+0660 to U+0669
			b.WriteRune('0' + r - '٠')
		case r == ' ' || r == '-':
		default:
			return "", false
		}
	}
	return b.String(), true
}

// isEgyptianMobilePrefix reports whether p, the first two digits of a
// national number without its trunk 0, are a mobile network's.
func isEgyptianMobilePrefix(p string) bool {
	return p == "10" || p == "11" || p == "12" || p == "15"
}

// egyptianMobileError is EgyptianMobileE164's refusal, naming the field the
// number is for and the rule it breaks.
func egyptianMobileError(rule string) error {
	return &ValidationError{Fields: []FieldError{{Field: "phoneNumber", Message: rule}}, input: "Egyptian mobile number"}
}

// phoneNumberRule is Validate's message for a phone number that is not in
// E.164. A number in national form (a leading 0, no '+') is pointed to
// EgyptianMobileE164, the one conversion the SDK knows.
func phoneNumberRule(s string) string {
	const rule = "must be in E.164 form: '+' then 8 to 15 digits, the first 1 to 9, no spaces"
	if strings.HasPrefix(strings.TrimSpace(s), "0") {
		return rule + "; vlens.EgyptianMobileE164 converts an Egyptian mobile number in national form (01…)"
	}
	return rule
}
