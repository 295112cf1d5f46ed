package vlens

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"
)

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

// envelope is Vlens's response body for every endpoint:
// {data, error_code, error_message, error_descriptions}.
type envelope struct {
	Data              string          `json:"data"` // null, absent and "" all mean no token
	ErrorCode         *int            `json:"error_code"`
	ErrorMessage      *string         `json:"error_message"`
	ErrorDescriptions json.RawMessage `json:"error_descriptions"`
}

// failed reports whether the envelope signals an error: Vlens uses both null
// and 0 for success.
func (e *envelope) failed() bool { return e.ErrorCode != nil && *e.ErrorCode != 0 }

// maxErrorBodyBytes bounds how much of a body that is not an envelope (a
// proxy's HTML page, say) is kept in APIError.Message.
const maxErrorBodyBytes = 512

// decodeResponse turns one complete answer into a token or an *APIError. It
// is the single place that knows the envelope's rules. The redactor removes
// the caller's data from anything copied out of the body.
func decodeResponse(status int, body []byte, r *redactor) (string, error) {
	ok := status >= 200 && status <= 299
	var env envelope
	isEnvelope := looksLikeObject(body) && json.Unmarshal(body, &env) == nil
	switch {
	case ok && !isEnvelope:
		return "", &APIError{StatusCode: status, Message: "response body is not a JSON envelope", kind: ErrMalformedResponse}
	case ok && !env.failed():
		if env.Data == "" {
			return "", &APIError{StatusCode: status, Message: "response envelope carries no token", kind: ErrMalformedResponse}
		}
		return env.Data, nil
	case isEnvelope:
		e := &APIError{StatusCode: status}
		if env.ErrorCode != nil {
			e.Code = *env.ErrorCode
		}
		if env.ErrorMessage != nil {
			e.Message = r.string(*env.ErrorMessage)
		}
		if d := bytes.TrimSpace(env.ErrorDescriptions); len(d) > 0 && !bytes.Equal(d, []byte("null")) {
			e.Descriptions = r.json(d)
		}
		if e.Message == "" && !ok {
			e.Message = statusText(status)
		}
		return "", e
	default:
		return "", &APIError{StatusCode: status, Message: bodyExcerpt(status, body, r)}
	}
}

// bodyExcerpt keeps at most maxErrorBodyBytes of a non-envelope error body,
// redacted before it is cut so that no half of a secret survives.
func bodyExcerpt(status int, body []byte, r *redactor) string {
	if status >= 300 && status <= 399 {
		return statusText(status)
	}
	s := strings.TrimSpace(r.string(strings.ToValidUTF8(string(body), "\uFFFD")))
	if len(s) > maxErrorBodyBytes {
		cut := maxErrorBodyBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	if s == "" {
		return statusText(status)
	}
	return s
}

// statusText describes an error answer that says nothing itself.
func statusText(status int) string {
	if status >= 300 && status <= 399 {
		return "redirect refused; the SDK never follows redirects"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "unexpected HTTP status"
}

// looksLikeObject reports whether body starts, after white space, with '{'.
func looksLikeObject(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}
