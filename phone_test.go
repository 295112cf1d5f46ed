package vlens_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
)

func TestEgyptianMobileE164(t *testing.T) {
	t.Parallel()
	const (
		badChars   = "may hold only digits, spaces and dashes, after an optional '+'"
		empty      = "is empty"
		notEgypt   = "has a country code other than Egypt's (20)"
		notAMobile = "must be 11 digits starting 010, 011, 012 or 015"
	)
	tests := []struct {
		name, in, want, rule string
	}{
		{"national", "01001234567", "+201001234567", ""},
		{"national 011", "01112345678", "+201112345678", ""},
		{"national 012", "01212345678", "+201212345678", ""},
		{"national 015", "01512345678", "+201512345678", ""},
		{"national with spaces", "010 0123 4567", "+201001234567", ""},
		{"national with dashes", "010-0123-4567", "+201001234567", ""},
		{"space around it", " \t01001234567\n", "+201001234567", ""},
		{"Arabic-Indic digits", "٠١٠٠١٢٣٤٥٦٧", "+201001234567", ""},
		{"Arabic-Indic digits with spaces", "٠١٠ ٠١٢٣ ٤٥٦٧", "+201001234567", ""},
		{"already E.164", "+201001234567", "+201001234567", ""},
		{"+20 with spaces", "+20 100 123 4567", "+201001234567", ""},
		{"+20 keeping the national 0", "+20 010 0123 4567", "+201001234567", ""},
		{"0020", "0020 100 123 4567", "+201001234567", ""},
		{"0020 keeping the national 0", "00200100 123 4567", "+201001234567", ""},
		{"20 without +", "201001234567", "+201001234567", ""},
		{"20 without + keeping the national 0", "2001001234567", "+201001234567", ""},

		{"empty", "", "", empty},
		{"only spaces and dashes", " - - ", "", empty},
		{"letters", "010O1234567", "", badChars},
		{"parentheses", "(010) 0123 4567", "", badChars},
		{"dots", "010.0123.4567", "", badChars},
		{"a '+' inside", "010+01234567", "", badChars},
		{"two '+'", "++201001234567", "", badChars},
		{"another country after +", "+44 7700 900123", "", notEgypt},
		{"another country after 00", "0044 7700 900123", "", notEgypt},
		{"too short", "0100123456", "", notAMobile},
		{"too long", "010012345678", "", notAMobile},
		{"+20 too short", "+20100123456", "", notAMobile},
		{"unknown mobile prefix 013", "01301234567", "", notAMobile},
		{"unknown mobile prefix 016", "01601234567", "", notAMobile},
		{"Cairo landline", "02 2345 6789", "", notAMobile},
		{"Cairo landline after +20", "+20 2 2345 6789", "", notAMobile},
		{"national number without its 0", "1001234567", "", notAMobile},
		{"two trunk zeros", "+20 0010 0123 4567", "", notAMobile},
		{"only the country code", "+ 20", "", notAMobile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := vlens.EgyptianMobileE164(tc.in)
			if tc.rule == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
				require.NoError(t, vlens.CreateAuthSessionInput{PhoneNumber: got}.Validate(), "the result is E.164")
				return
			}
			require.Error(t, err)
			assert.Empty(t, got)
			assert.ErrorContains(t, err, "phoneNumber: "+tc.rule)
			assert.True(t, errors.Is(err, vlens.ErrInvalidRequest), "matches ErrInvalidRequest: %v", err)
			var ve *vlens.ValidationError
			require.True(t, errors.As(err, &ve), "a *ValidationError: %v", err)
			require.Len(t, ve.Fields, 1)
			assert.Equal(t, "phoneNumber", ve.Fields[0].Field)
			// The number is personal data: no run of its digits shows.
			digits := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, tc.in)
			if len(digits) >= 4 {
				assert.NotContains(t, err.Error(), digits[len(digits)-4:], "the number's last digits")
			}
			if strings.TrimSpace(tc.in) != "" {
				assert.NotContains(t, err.Error(), strings.TrimSpace(tc.in))
			}
		})
	}
}

// TestNationalNumberNamesTheHelper checks that Validate points a number in
// national form to EgyptianMobileE164, for both inputs that take one, and
// leaves other malformed numbers' message alone.
func TestNationalNumberNamesTheHelper(t *testing.T) {
	t.Parallel()
	const hint = "vlens.EgyptianMobileE164"
	tests := []struct {
		phone    string
		wantHint bool
	}{
		{"01001234567", true},
		{"010 0123 4567", true},
		{"00201001234567", true},
		{"201001234567", false},
		{"+20 100 123 4567", false},
		{"not a number", false},
	}
	for _, tc := range tests {
		for name, validate := range map[string]func() error{
			"CreateAuthSessionInput": vlens.CreateAuthSessionInput{PhoneNumber: tc.phone}.Validate,
			"CreateInvitationInput":  vlens.CreateInvitationInput{PhoneNumber: tc.phone}.Validate,
		} {
			err := validate()
			require.Error(t, err, "%s %q", name, tc.phone)
			assert.ErrorContains(t, err, "phoneNumber: must be in E.164 form", name)
			if tc.wantHint {
				assert.ErrorContains(t, err, hint, "%s %q", name, tc.phone)
			} else {
				assert.NotContains(t, err.Error(), hint, "%s %q", name, tc.phone)
			}
			assert.NotContains(t, err.Error(), "4567", "%s never echoes the number", name)
		}
	}
}

// A number typed by a person becomes the E.164 form PhoneNumber takes; the
// error names the rule, never the number.
func ExampleEgyptianMobileE164() {
	for _, typed := range []string{"010 0123-4567", "+20 100 123 4567", "0123"} {
		phone, err := vlens.EgyptianMobileE164(typed)
		fmt.Println(phone, err)
	}
	// Output:
	// +201001234567 <nil>
	// +201001234567 <nil>
	//  vlens: invalid Egyptian mobile number: phoneNumber: must be 11 digits starting 010, 011, 012 or 015, or +20 then the same without its 0
}

// FuzzEgyptianMobileE164 checks that any input gives either a number that
// Validate accepts or an error whose text is one of the fixed rules, so it
// can never carry the input.
func FuzzEgyptianMobileE164(f *testing.F) {
	for _, s := range []string{"01001234567", "+20 010 0123 4567", "0020 100 123 4567", "٠١٠٠١٢٣٤٥٦٧", "+44 7700 900123", "", "+"} {
		f.Add(s)
	}
	rules := map[string]bool{}
	for _, s := range []string{"", "x", "0044", "0"} {
		_, err := vlens.EgyptianMobileE164(s)
		rules[err.Error()] = true
	}
	require.Len(f, rules, 4)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := vlens.EgyptianMobileE164(s)
		if err != nil {
			assert.Empty(t, got)
			assert.True(t, rules[err.Error()], "an error of its own: %v", err)
			return
		}
		assert.Len(t, got, len("+201001234567"))
		assert.NoError(t, vlens.CreateAuthSessionInput{PhoneNumber: got}.Validate())
	})
}
