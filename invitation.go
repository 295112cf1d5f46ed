package vlens

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// CreateInvitationInput is an invitation session: a user, what the session
// may do, and the contract forms' values the business already holds, which
// Vlens pre-fills so that the user only confirms and signs. At least one of
// PhoneNumber and Email is required.
//
// The input is data to encoding/json: it marshals its fields in clear, under
// the names Vlens gives them, and unmarshals back, so that it can go through
// a job queue. Printing it (fmt's verbs, slog) shows which fields are set and
// the form's field keys, never the user's data or the form's values.
type CreateInvitationInput struct {
	// PhoneNumber is the user's phone number in E.164 form, as for
	// CreateAuthSessionInput.
	PhoneNumber string `json:"phoneNumber,omitempty"`
	// Email is the user's email address, a bare address.
	Email string `json:"email,omitempty"`
	// SessionPermissions controls the features and contract types the
	// session offers; nil leaves them to the tenant's defaults.
	SessionPermissions *SessionPermissions `json:"sessionPermissions,omitempty"`
	// RequestFieldsValues pre-fills contract forms: contract type ID, then
	// field key, then value. Vlens documents no rule for keys and values
	// beyond this shape; the IDs must be positive and the keys non-empty.
	RequestFieldsValues map[int]map[string]string `json:"RequestFieldsValues,omitempty"`
}

// Validate checks the input against the rules Vlens documents: at least one
// of phone number and email, each well-formed as for CreateAuthSessionInput;
// contract type IDs positive and without duplicates; RequestFieldsValues'
// contract type IDs positive and field keys non-empty. It returns nil or a
// *ValidationError naming every bad field (never their values).
func (in CreateInvitationInput) Validate() error {
	var fields []FieldError
	if err := (CreateAuthSessionInput{PhoneNumber: in.PhoneNumber, Email: in.Email, SessionPermissions: in.SessionPermissions}).Validate(); err != nil {
		fields = append(fields, err.(*ValidationError).Fields...)
	}
	for _, id := range slices.Sorted(maps.Keys(in.RequestFieldsValues)) {
		name := "RequestFieldsValues[" + strconv.Itoa(id) + "]"
		if id <= 0 {
			fields = append(fields, FieldError{Field: name, Message: "must be keyed by a positive contract type ID"})
		}
		if _, empty := in.RequestFieldsValues[id][""]; empty {
			fields = append(fields, FieldError{Field: name, Message: "field keys must not be empty"})
		}
	}
	if fields != nil {
		return &ValidationError{Fields: fields, input: "CreateInvitationInput"}
	}
	return nil
}

// secrets are the user's data and every pre-filled value.
func (in CreateInvitationInput) secrets() sensitive {
	out := []string{in.PhoneNumber, in.Email}
	for _, form := range in.RequestFieldsValues {
		for _, v := range form {
			out = append(out, v)
		}
	}
	return sensitive{personal: out}
}

// invitationRequest is CreateInvitation's request body,
// {"SessionInput":{…the input…}}: the wire wraps the input, which keeps its
// own JSON shape for the caller.
type invitationRequest struct {
	SessionInput CreateInvitationInput `json:"SessionInput"`
}

// Validate validates the input.
func (r invitationRequest) Validate() error { return r.SessionInput.Validate() }

func (r invitationRequest) secrets() sensitive { return r.SessionInput.secrets() }

// Format prints the input with the user's data and the form's values
// redacted, for every verb.
func (in CreateInvitationInput) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "vlens.CreateInvitationInput{PhoneNumber:%s, Email:%s, SessionPermissions:%s, RequestFieldsValues:%s}",
		mask(in.PhoneNumber), mask(in.Email), permissionsString(in.SessionPermissions), formsString(in.RequestFieldsValues))
}

// LogValue logs which fields are set and the form's keys, never values. Its
// receiver is a value so that an input logs redacted in every slog handler.
func (in CreateInvitationInput) LogValue() slog.Value {
	return slog.GroupValue(
		maskAttr("phoneNumber", in.PhoneNumber),
		maskAttr("email", in.Email),
		slog.String("requestFieldsValues", formsString(in.RequestFieldsValues)),
	)
}

// formsString shows each contract type's field keys with their values
// redacted.
func formsString(forms map[int]map[string]string) string {
	if forms == nil {
		return "nil"
	}
	var b strings.Builder
	b.WriteString("map[")
	for i, id := range slices.Sorted(maps.Keys(forms)) {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(strconv.Itoa(id) + ":map[")
		for j, key := range slices.Sorted(maps.Keys(forms[id])) {
			if j > 0 {
				b.WriteString(" ")
			}
			b.WriteString(strconv.Quote(key) + ":" + redacted)
		}
		b.WriteString("]")
	}
	b.WriteString("]")
	return b.String()
}

// CreateInvitation asks Vlens for an invitation session token for the user
// in in, with the contract forms pre-filled; hand the token to the user's
// browser or app as for CreateAuthSession. It needs an admin bearer token as
// well as the API key: give NewClient WithAdminCredentials (the client logs
// in and refreshes by itself) or WithAdminTokenSource; without either it
// returns an error and sends nothing. When Vlens refuses the admin token with
// 401, the token is dropped, a new one obtained and the call made once more.
//
// The input is validated first. An invitation may create a record (and send
// the user a message) on Vlens's side, so it is retried only when the request
// surely never reached Vlens: a connection that could not be made (refused,
// DNS failure, a dial that timed out), and HTTP 429. Not 503, which a proxy
// answers after the server behind it recorded the invitation, nor 500, 502
// or 504, nor a reset, EOF or timeout once connected; those reach the
// caller, who knows whether repeating is safe: errors.Is(err, ErrNotSent)
// holds only when the invitation surely never reached Vlens. opts apply to
// the invitation; a login or refresh it needs runs with the client's own
// options, since other calls may be waiting on it.
//
// When no admin token could be had, nothing is sent and the error matches
// ErrNoAdminToken; if Vlens refused the login, errors.As finds that
// *APIError, with Operation "login". An *APIError with Operation
// "create invitation" is Vlens's answer to the invitation itself.
func (c *Client) CreateInvitation(ctx context.Context, in CreateInvitationInput, opts ...CallOption) (*AuthSession, error) {
	s := &AuthSession{}
	err := c.do(ctx, operation{
		name:  "create invitation",
		path:  CreateInvitationPath,
		auth:  authAdmin,
		retry: retryUnsent,
		input: invitationRequest{in},
		data:  (*sessionToken)(&s.Token),
	}, opts)
	if err != nil {
		return nil, err
	}
	return s, nil
}
