package vlens

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The fuzzers' seed corpora live in testdata/fuzz/<FuzzName>/ and run as
// ordinary test cases in every `go test`. To fuzz for real:
//
//	go test -run '^$' -fuzz FuzzDecodeEnvelope -fuzztime 30s .
//	go test -run '^$' -fuzz FuzzValidate -fuzztime 30s .

// fuzzSecrets are the values the fuzzed decoder's redactor knows.
var fuzzSecrets = CreateAuthSessionInput{
	PhoneNumber:   "+201234567890",
	Email:         "user+tag@example.com",
	UserPublicKey: "PUBKEY-abcdef",
}

const fuzzAPIKey = "fuzz-api-key"

// statusSentinel is the sentinel an HTTP status maps to, or nil: the
// documented table (401/403, 429, 5xx, 400/422), written out independently
// of APIError.Is.
func statusSentinel(status int) error {
	switch {
	case status == 401 || status == 403:
		return ErrUnauthorized
	case status == 429:
		return ErrRateLimited
	case status >= 500 && status <= 599:
		return ErrServer
	case status == 400 || status == 422:
		return ErrInvalidRequest
	}
	return nil
}

// FuzzDecodeEnvelope feeds arbitrary statuses and bodies to decodeEnvelope.
// It must never panic and must return exactly one of: a non-empty token for
// a 2xx; or an *APIError with the status kept that matches exactly the
// sentinel its status maps to, or, for a 2xx, ErrMalformedResponse unless the
// envelope carried a non-zero error_code (then none). A 2xx error never
// quotes the body (it may hold a token); no error carries a secret the
// redactor knows; Descriptions, when set, is valid JSON.
func FuzzDecodeEnvelope(f *testing.F) {
	all := []error{ErrUnauthorized, ErrRateLimited, ErrServer, ErrInvalidRequest, ErrMalformedResponse, ErrResponseTooLarge}
	f.Fuzz(func(t *testing.T, rawStatus int, body []byte) {
		status := 100 + int(uint(rawStatus)%500) // 100..599, as a server could send
		r := newRedactor(fuzzAPIKey, fuzzSecrets)
		var token sessionToken
		apiErr := decodeEnvelope(status, body, false, defaultMaxResponseBytes, &r, &token)
		is2xx := status >= 200 && status <= 299

		if apiErr == nil {
			if strings.TrimSpace(string(token)) == "" || !is2xx {
				t.Fatalf("status %d: got token %q and no error", status, token)
			}
			return
		}
		var err error = apiErr
		if strings.TrimSpace(string(token)) != "" {
			t.Fatalf("got both token %q and error %v", token, err)
		}
		if apiErr.StatusCode != status {
			t.Fatalf("StatusCode = %d, want %d", apiErr.StatusCode, status)
		}

		want := statusSentinel(status)
		if is2xx && apiErr.Code == 0 {
			want = ErrMalformedResponse
		}
		for _, s := range all {
			if got := errors.Is(err, s); got != (s == want) {
				t.Fatalf("status %d code %d: errors.Is(err, %v) = %v, want sentinel %v", status, apiErr.Code, s, got, want)
			}
		}

		if is2xx && apiErr.Code == 0 {
			switch apiErr.Message {
			case "response body is not a JSON envelope", "response envelope carries no data",
				"response data is not what the endpoint returns":
			default:
				t.Fatalf("2xx error message %q is not one of the fixed descriptions", apiErr.Message)
			}
		}
		if !is2xx && len(apiErr.Message) > maxErrorBodyBytes && !json.Valid(body) {
			t.Fatalf("message of %d bytes from a body that is not JSON", len(apiErr.Message))
		}
		if apiErr.Descriptions != nil && !json.Valid(apiErr.Descriptions) {
			t.Fatalf("Descriptions is not valid JSON: %q", apiErr.Descriptions)
		}
		for _, secret := range []string{fuzzAPIKey, fuzzSecrets.PhoneNumber, fuzzSecrets.Email, fuzzSecrets.UserPublicKey} {
			for _, text := range []string{apiErr.Message, fuzzDecodedText(apiErr.Descriptions), err.Error()} {
				if strings.Contains(strings.ToLower(text), strings.ToLower(secret)) {
					t.Fatalf("secret %q survives in %q", secret, text)
				}
			}
		}
	})
}

// fuzzDecodedText prints raw JSON decoded (numbers as written).
func fuzzDecodedText(raw json.RawMessage) string {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if len(raw) == 0 || d.Decode(&v) != nil {
		return string(raw)
	}
	return fmt.Sprint(v)
}

// fuzzUnsafeText matches what may not stand raw in a log line: C0, DEL, C1,
// line and paragraph separators, bidirectional overrides.
var fuzzUnsafeText = regexp.MustCompile(`[\x00-\x1f\x7f\x{80}-\x{9f}\x{2028}\x{2029}\x{202a}-\x{202e}\x{2066}-\x{2069}]`)

var fuzzE164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// fuzzBareEmail is the reference for "a bare address": what net/mail parses
// as an address in angle brackets with no display name, unchanged, with no
// surrounding space, control characters or bidirectional overrides.
func fuzzBareEmail(s string) bool {
	if s != strings.TrimSpace(s) || strings.ContainsAny(s, "<>") || fuzzUnsafeText.MatchString(s) {
		return false
	}
	a, err := mail.ParseAddress("<" + s + ">")
	return err == nil && a.Name == "" && a.Address == s
}

// FuzzValidate checks CreateAuthSessionInput.Validate against an independent
// statement of the documented rules: at least one of phone and email; a
// phone of '+' and 8 to 15 digits, the first 1 to 9; a bare email address
// without control characters; contract type IDs positive and unique, at most
// maxListedIDs listed one by one. It must never panic, must return nil exactly when the
// rules hold, and otherwise a *ValidationError (matching ErrInvalidRequest)
// naming exactly the bad fields with fixed messages, never the values.
func FuzzValidate(f *testing.F) {
	f.Fuzz(func(t *testing.T, phone, email string, rawIDs []byte, withPerms bool) {
		in := CreateAuthSessionInput{PhoneNumber: phone, Email: email}
		var ids []int
		for _, b := range rawIDs {
			ids = append(ids, int(int8(b)))
		}
		if withPerms {
			in.SessionPermissions = &SessionPermissions{AllowedContractTypeIDs: ids}
		}

		wantFields := map[string]bool{}
		if (phone == "" && email == "") || (phone != "" && !fuzzE164.MatchString(phone)) {
			wantFields["phoneNumber"] = true
		}
		if email != "" && !fuzzBareEmail(email) {
			wantFields["email"] = true
		}
		if withPerms {
			seen := map[int]bool{}
			listed := 0
			for i, id := range ids {
				if id <= 0 || seen[id] {
					if listed == maxListedIDs {
						wantFields["sessionPermissions.allowedContractTypeIds"] = true // "and N more"
					} else {
						wantFields["sessionPermissions.allowedContractTypeIds["+strconv.Itoa(i)+"]"] = true
						listed++
					}
				}
				seen[id] = true
			}
		}

		err := in.Validate()
		if len(wantFields) == 0 {
			if err != nil {
				t.Fatalf("Validate(%q, %q, %v) = %v, want nil", phone, email, ids, err)
			}
			return
		}
		var vErr *ValidationError
		if !errors.As(err, &vErr) || !errors.Is(err, ErrInvalidRequest) {
			t.Fatalf("Validate(%q, %q, %v) = %v, want a *ValidationError for %v", phone, email, ids, err, wantFields)
		}
		gotFields := map[string]bool{}
		for _, fe := range vErr.Fields {
			if gotFields[fe.Field] {
				t.Fatalf("field %q reported twice", fe.Field)
			}
			gotFields[fe.Field] = true
			if !fuzzKnownMessage(fe.Message) {
				t.Fatalf("unexpected message %q for %q", fe.Message, fe.Field)
			}
		}
		if len(gotFields) != len(wantFields) {
			t.Fatalf("Validate(%q, %q, %v) fields %v, want %v", phone, email, ids, gotFields, wantFields)
		}
		for f := range wantFields {
			if !gotFields[f] {
				t.Fatalf("Validate(%q, %q, %v) fields %v, want %v", phone, email, ids, gotFields, wantFields)
			}
		}
	})
}

var (
	fuzzDuplicateMessage = regexp.MustCompile(`^duplicates the ID at index [0-9]+$`)
	fuzzMoreMessage      = regexp.MustCompile(`^and [1-9][0-9]* more bad contract type IDs$`)
)

func fuzzKnownMessage(m string) bool {
	switch m {
	case "required when email is empty (give a phone number, an email, or both)",
		"must be in E.164 form: '+' then 8 to 15 digits, the first 1 to 9, no spaces",
		"must be in E.164 form: '+' then 8 to 15 digits, the first 1 to 9, no spaces; vlens.EgyptianMobileE164 converts an Egyptian mobile number in national form (01…)",
		"must be a bare email address such as name@example.com",
		"must be a positive contract type ID":
		return true
	}
	return fuzzDuplicateMessage.MatchString(m) || fuzzMoreMessage.MatchString(m)
}
