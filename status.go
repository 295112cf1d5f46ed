package vlens

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// statusNames are the names Vlens documents for its status numbers, as its
// requestStatusName spells them. Vlens also lists Service Provider Signed,
// Customer Partially Signed, Service Provider Partially Signed and
// Completed, but its docs do not give their numbers (5 to 8 in some order),
// so those stay numbers rather than risk a wrong name.
var statusNames = [...]string{
	StatusPendingApproval: "Pending Approval",
	StatusApproved:        "Approved",
	StatusRejected:        "Rejected",
	StatusCustomerSigned:  "Customer Signed",
}

// String returns the status's name as Vlens writes it ("Pending
// Approval"), or "RequestStatus(7)" for a number whose name Vlens does not
// document.
func (s RequestStatus) String() string {
	if s > 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "RequestStatus(" + strconv.Itoa(int(s)) + ")"
}

// ParseRequestStatus reads a status in any of Vlens's spellings: a number
// ("2"), or a documented name in any letter case, its words separated by
// spaces (requestStatusName's "Pending Approval"), by nothing (the
// webhooks' "PendingApproval"), by underscores or by hyphens. Surrounding
// space is ignored.
//
// Any positive decimal number that fits in 32 bits (Vlens's enums are
// 32-bit) parses, a number it does not name included, so that a status
// added later is kept as it came. It reports false for an empty string, an
// unknown name, 0, a sign, a fraction and a number out of range.
func ParseRequestStatus(s string) (RequestStatus, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if isDigits(s) {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil || n == 0 {
			return 0, false
		}
		return RequestStatus(n), true
	}
	for i, name := range statusNames {
		if name != "" && spells(s, name) {
			return RequestStatus(i), true
		}
	}
	return 0, false
}

// spells reports whether s is name in ASCII letters of any case, its words
// joined by one separator used throughout: none, a space, '_' or '-'.
func spells(s, name string) bool {
	words := strings.Fields(name)
	for _, sep := range []string{"", " ", "_", "-"} {
		if asciiEqualFold(s, strings.Join(words, sep)) {
			return true
		}
	}
	return false
}

// asciiEqualFold is strings.EqualFold for ASCII only, so that look-alike
// letters ("ſ" folds to "s") do not name a status.
func asciiEqualFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		a, b := s[i], t[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// UnmarshalJSON reads a status from a JSON integer (2, as Vlens's examples
// send it) or a string holding a number or a name ("2", "Approved",
// "PendingApproval", "pending approval"; see ParseRequestStatus).
//
// It decodes tolerantly, since a status Vlens adds or spells anew must not
// fail a whole answer: a number it does not name is kept as that number,
// and anything else (an unknown name, null, a fraction, a negative number,
// true, an object or array) sets 0 and returns no error. The decoders of
// the SDK's types keep the status's text in StatusName. null sets 0 rather
// than leaving the old value, so that a value decoded into twice never
// reports a stale status. Only a string that is not valid JSON is an error.
//
// A status marshals as its integer: JSON is data, and the number is what
// Vlens sends.
func (s *RequestStatus) UnmarshalJSON(b []byte) error {
	*s = 0
	var text string
	switch b = bytes.TrimSpace(b); {
	case len(b) > 0 && b[0] == '"':
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
	case len(b) > 0 && '0' <= b[0] && b[0] <= '9':
		text = string(b) // an integer parses; a fraction or exponent does not
	default:
		return nil
	}
	if v, ok := ParseRequestStatus(text); ok {
		*s = v
	}
	return nil
}
