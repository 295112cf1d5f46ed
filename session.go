package vlens

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"
)

// CreateAuthSessionInput identifies the user a session is for and what the
// session may do. At least one of PhoneNumber and Email is required; both may
// be given. Empty strings and a nil SessionPermissions are left out of the
// request body.
//
// Printing the input (fmt's verbs, slog) shows which fields are set but never
// their values.
type CreateAuthSessionInput struct {
	// PhoneNumber is the user's phone number in E.164 form: '+', then 8 to
	// 15 digits starting with the country code (1 to 9), no spaces
	// ("+201234567890"). EgyptianMobileE164 converts an Egyptian mobile
	// number as people type it ("010 0123 4567").
	PhoneNumber string `json:"phoneNumber,omitempty"`
	// Email is the user's email address, a bare address ("a@example.com")
	// without a display name.
	Email string `json:"email,omitempty"`
	// UserPublicKey is an optional RSA public key Vlens uses to encrypt the
	// session token. It is passed through unchanged: Vlens does not document
	// its encoding, and the SDK does not decrypt tokens.
	UserPublicKey string `json:"userPublicKey,omitempty"`
	// SessionPermissions controls the features and contract types the
	// session offers; nil leaves them to the tenant's defaults.
	SessionPermissions *SessionPermissions `json:"sessionPermissions,omitempty"`
}

// Validate checks the input against the rules Vlens documents: at least one
// of phone number and email; a phone number in E.164; an email that is a bare
// address; contract type IDs positive and without duplicates. It returns nil
// or a *ValidationError listing every bad field (never their values).
func (in CreateAuthSessionInput) Validate() error {
	var fields []FieldError
	bad := func(field, msg string) { fields = append(fields, FieldError{Field: field, Message: msg}) }
	if in.PhoneNumber == "" && in.Email == "" {
		bad("phoneNumber", "required when email is empty (give a phone number, an email, or both)")
	}
	if in.PhoneNumber != "" && !isE164(in.PhoneNumber) {
		bad("phoneNumber", phoneNumberRule(in.PhoneNumber))
	}
	if in.Email != "" && !isBareEmail(in.Email) {
		bad("email", "must be a bare email address such as name@example.com")
	}
	if p := in.SessionPermissions; p != nil {
		fields = append(fields, checkContractTypeIDs("sessionPermissions.allowedContractTypeIds", p.AllowedContractTypeIDs)...)
	}
	if fields != nil {
		return &ValidationError{Fields: fields, input: "CreateAuthSessionInput"}
	}
	return nil
}

// maxListedIDs bounds how many bad contract type IDs a ValidationError
// lists one by one; the rest are counted.
const maxListedIDs = 10

// checkContractTypeIDs checks that every ID is positive and appears once, in
// linear time, and lists at most maxListedIDs bad ones (by index, never by
// value) and then how many more there are.
func checkContractTypeIDs(field string, ids []int) []FieldError {
	var fields []FieldError
	more := 0
	bad := func(i int, msg string) {
		if len(fields) == maxListedIDs {
			more++
			return
		}
		fields = append(fields, FieldError{Field: field + "[" + strconv.Itoa(i) + "]", Message: msg})
	}
	first := make(map[int]int, len(ids)) // ID -> index of its first use
	for i, id := range ids {
		if id <= 0 {
			bad(i, "must be a positive contract type ID")
			continue
		}
		if j, dup := first[id]; dup {
			bad(i, "duplicates the ID at index "+strconv.Itoa(j))
			continue
		}
		first[id] = i
	}
	if more > 0 {
		fields = append(fields, FieldError{Field: field, Message: "and " + strconv.Itoa(more) + " more bad contract type IDs"})
	}
	return fields
}

// secrets are the input's values Vlens may echo back.
func (in CreateAuthSessionInput) secrets() sensitive {
	return sensitive{personal: []string{in.PhoneNumber, in.Email, in.UserPublicKey}}
}

// isE164 reports whether s is '+', a country code that starts with 1 to 9,
// and 8 to 15 digits in all.
func isE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isBareEmail reports whether s is an address alone, without a display
// name, surrounding space, control characters or bidirectional overrides.
func isBareEmail(s string) bool {
	if strings.TrimSpace(s) != s || strings.IndexFunc(s, unsafeRune) >= 0 {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// Format prints the input with its personal data redacted, for every verb.
func (in CreateAuthSessionInput) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "vlens.CreateAuthSessionInput{PhoneNumber:%s, Email:%s, UserPublicKey:%s, SessionPermissions:%s}",
		mask(in.PhoneNumber), mask(in.Email), mask(in.UserPublicKey), permissionsString(in.SessionPermissions))
}

// LogValue logs which fields are set, never their values. Its receiver is a
// value so that an input logs redacted in every slog handler, the JSON one
// included (a nil *CreateAuthSessionInput is the one thing it cannot log).
func (in CreateAuthSessionInput) LogValue() slog.Value {
	return slog.GroupValue(
		maskAttr("phoneNumber", in.PhoneNumber),
		maskAttr("email", in.Email),
		maskAttr("userPublicKey", in.UserPublicKey),
	)
}

func permissionsString(p *SessionPermissions) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("&{AllowedContractTypeIDs:%v MinimalSignatureFlow:%t DigitalIdentityOnly:%t}",
		p.AllowedContractTypeIDs, p.MinimalSignatureFlow, p.DigitalIdentityOnly)
}

// mask shows whether a secret is set without showing it.
func mask(s string) string {
	if s == "" {
		return `""`
	}
	return redacted
}

// maskAttr is mask for slog, which quotes a string itself: an empty value
// logs as empty, not as `"\"\""`.
func maskAttr(key, s string) slog.Attr {
	if s == "" {
		return slog.String(key, "")
	}
	return slog.String(key, redacted)
}

// SessionPermissions controls which features and contract types the user's
// session offers. When present in a request, both booleans are always sent;
// an empty AllowedContractTypeIDs is omitted.
type SessionPermissions struct {
	// AllowedContractTypeIDs lists the contract type IDs the user may create
	// in this session. Each must be positive, without duplicates.
	AllowedContractTypeIDs []int `json:"allowedContractTypeIds,omitempty"`
	// MinimalSignatureFlow skips optional steps and uses the streamlined
	// signing flow.
	MinimalSignatureFlow bool `json:"minimalSignatureFlow"`
	// DigitalIdentityOnly makes the session perform KYC only, with no
	// contract creation. Vlens spells it with a capital D on the wire.
	DigitalIdentityOnly bool `json:"DigitalIdentityOnly"`
}

// AuthSession is a session token minted by Vlens for one user. Hand Token to
// that user's browser or app to start the Vlens iframe or WebView; treat it as
// a secret (do not log it, do not cache it in shared places).
//
// An AuthSession is data to encoding/json: it marshals as {"token":"…"}, the
// token in clear, so that a handler can encode it for its front end, and
// unmarshals back. Printing it (fmt's verbs, slog) shows the token redacted.
// fmt prints a nil *AuthSession as <nil>; slog, which LogValue reaches
// through a value receiver, reports a nil one as a LogValue panic, with no
// secret in it.
type AuthSession struct {
	// Token is the opaque session token. Its format and lifetime are not
	// documented by Vlens; if UserPublicKey was given, Vlens encrypts it.
	Token string `json:"token"`
}

// String shows the session with its token redacted.
func (s AuthSession) String() string { return "vlens.AuthSession{Token:" + mask(s.Token) + "}" }

// GoString shows the session with its token redacted, for %#v.
func (s AuthSession) GoString() string { return s.String() }

// Format prints the session with its token redacted, for every verb.
func (s AuthSession) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// LogValue logs the session with its token redacted. Its receiver is a value
// so that a session, not only a pointer to one, logs redacted in every slog
// handler: the JSON one would otherwise marshal the token. The price is that
// a nil *AuthSession cannot be logged through it: slog shows its own
// "LogValue panicked" notice instead (no secret in it, no crash), while fmt
// prints <nil>, as the type's doc says.
func (s AuthSession) LogValue() slog.Value {
	return slog.GroupValue(maskAttr("token", s.Token))
}

// sessionToken is the data of an answer that carries a session token: a
// JSON string that is not blank.
type sessionToken string

func (t *sessionToken) check() error {
	if strings.TrimSpace(string(*t)) == "" {
		return errors.New("blank session token")
	}
	return nil
}

// CreateAuthSession asks Vlens for a session token for the user in in, so
// that the user's browser or app can open the Vlens iframe or WebView.
//
// The input is validated first; a *ValidationError is returned and nothing is
// sent when it breaks the rules. Transport failures and HTTP 429, 500, 502,
// 503 and 504 are retried (see WithMaxRetries); any other answer that is not a
// token is returned at once as an *APIError. The call never outlives ctx, and
// when ctx ends the call, errors.Is(err, ctx.Err()) holds. opts apply to this
// call only (see Option).
//
// Retrying is safe: each call only mints a fresh token and the caller uses
// only the token it receives, so a retried call at worst leaves an unused
// token behind.
func (c *Client) CreateAuthSession(ctx context.Context, in CreateAuthSessionInput, opts ...CallOption) (*AuthSession, error) {
	s := &AuthSession{}
	err := c.do(ctx, operation{
		name:  "create auth session",
		path:  CreateAuthSessionPath,
		auth:  authAPIKey,
		retry: retrySafe,
		input: in,
		data:  (*sessionToken)(&s.Token),
	}, opts)
	if err != nil {
		return nil, err
	}
	return s, nil
}
