package vlenstest

import (
	"net/http"
	"strings"

	"github.com/vlens-go/vlens"
)

// input is a request's body, read and decoded as the input of the endpoint
// its path names.
type input struct {
	// path is the endpoint's path constant, "" when the path names none.
	path string
	// tooLarge reports a body over MaxRequestBytes.
	tooLarge bool
	// malformed lists, by field, why the body is not the endpoint's input;
	// nil when it is.
	malformed map[string][]string

	// The decoded input of path's endpoint, as far as it decodes.
	session      vlens.CreateAuthSessionInput
	invitation   vlens.CreateInvitationInput
	creds        vlens.AdminCredentials
	refreshToken string
}

// invitationBody is CreateInvitation's body as the SDK sends it: the
// input's own JSON inside {"SessionInput": …}.
type invitationBody struct {
	SessionInput struct {
		PhoneNumber         string                    `json:"phoneNumber"`
		Email               string                    `json:"email"`
		SessionPermissions  *vlens.SessionPermissions `json:"sessionPermissions"`
		RequestFieldsValues map[int]map[string]string `json:"RequestFieldsValues"`
	} `json:"SessionInput"`
}

// refreshBody is RefreshToken's body.
type refreshBody struct {
	RefreshToken string `json:"refreshToken"`
}

// readInput reads r's body and decodes it for the endpoint r's path names.
// It records the decoded session or invitation input in rec, and never the
// credentials or the refresh token.
func readInput(r *http.Request, rec *Request) *input {
	in := &input{path: endpointPath(r.URL.Path)}
	body, tooLarge := readBody(r)
	in.tooLarge = tooLarge
	switch in.path {
	case CreateAuthSessionPath:
		if in.malformed = decodeJSON(body, &in.session); in.malformed == nil {
			rec.Input = cloneInput(&in.session)
		}
	case CreateInvitationPath:
		var b invitationBody
		in.malformed = decodeJSON(body, &b)
		in.invitation = vlens.CreateInvitationInput(b.SessionInput)
		if in.malformed == nil {
			rec.Invitation = cloneInvitation(&in.invitation)
		}
	case LoginPath:
		in.malformed = decodeJSON(body, &in.creds)
	case RefreshTokenPath:
		var b refreshBody
		in.malformed = decodeJSON(body, &b)
		in.refreshToken = b.RefreshToken
	}
	return in
}

// endpointPath returns the path constant p names, ignoring case and a
// trailing slash, or "" when it names none. Every path under
// GetBusinessRequestPath names it.
func endpointPath(p string) string {
	p = strings.TrimSuffix(p, "/")
	prefix := strings.TrimSuffix(GetBusinessRequestPath, "/")
	if len(p) >= len(prefix) && strings.EqualFold(p[:len(prefix)], prefix) && (len(p) == len(prefix) || p[len(prefix)] == '/') {
		return GetBusinessRequestPath // followed by an ID, or none
	}
	for _, e := range paths {
		if strings.EqualFold(p, e) {
			return e
		}
	}
	return ""
}

// name is what the endpoint's body is, for error messages.
func (in *input) name() string {
	switch in.path {
	case CreateInvitationPath:
		return "CreateInvitation body"
	case LoginPath:
		return "login body"
	case RefreshTokenPath:
		return "refresh token body"
	}
	return "CreateAuthSessionInput"
}

// validate checks the decoded input against the rules its endpoint's
// Validate method states, and returns the problems by field, or nil.
func (in *input) validate() map[string][]string {
	var err error
	switch in.path {
	case CreateAuthSessionPath:
		err = in.session.Validate()
	case CreateInvitationPath:
		err = in.invitation.Validate()
	case LoginPath:
		err = in.creds.Validate()
	case RefreshTokenPath:
		if strings.TrimSpace(in.refreshToken) == "" {
			return map[string][]string{"refreshToken": {"required"}}
		}
	}
	if err != nil {
		return fieldMessages(err)
	}
	return nil
}
