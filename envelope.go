package vlens

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// envelope is Vlens's response body for every endpoint:
// {data, error_code, error_message, error_descriptions}.
type envelope struct {
	Data              json.RawMessage `json:"data"` // kept raw: an error envelope's data may be of any type
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

// decodeEnvelope turns one complete answer into the operation's data or an
// *APIError. It is the single place that knows the envelope's rules. On
// success, data must be present and decode into out; the types endpoints
// decode into refuse what they cannot use (a blank token, say). The redactor
// removes the caller's secrets from anything copied out of the body.
func decodeEnvelope(status int, body []byte, tooLarge bool, limit int64, r *redactor, out any) *APIError {
	ok := status >= 200 && status <= 299
	if tooLarge {
		return &APIError{StatusCode: status, Message: "response body exceeds " + strconv.FormatInt(limit, 10) + " bytes", kind: ErrResponseTooLarge}
	}
	var env envelope
	isEnvelope := looksLikeObject(body) && json.Unmarshal(body, &env) == nil
	switch {
	case ok && !isEnvelope:
		return &APIError{StatusCode: status, Message: "response body is not a JSON envelope", kind: ErrMalformedResponse}
	case ok && !env.failed():
		if d := bytes.TrimSpace(env.Data); len(d) == 0 || bytes.Equal(d, []byte("null")) {
			return &APIError{StatusCode: status, Message: "response envelope carries no data", kind: ErrMalformedResponse}
		}
		if json.Unmarshal(env.Data, out) != nil || !usable(out) || !besideRead(body, out) {
			return &APIError{StatusCode: status, Message: "response data is not what the endpoint returns", kind: ErrMalformedResponse}
		}
		return nil
	case isEnvelope:
		// An error answer's data is a secret too: a server that fails may
		// still send the token it minted.
		r.addAnswerSecrets(env.Data)
		e := &APIError{StatusCode: status}
		if env.ErrorCode != nil {
			e.Code = *env.ErrorCode
		}
		if env.ErrorMessage != nil {
			e.Message = r.capped(*env.ErrorMessage)
		}
		if d := bytes.TrimSpace(env.ErrorDescriptions); len(d) > 0 && !bytes.Equal(d, []byte("null")) {
			e.Descriptions = r.json(d)
		}
		if e.Message == "" && !ok {
			e.Message = statusText(status)
		}
		return e
	default:
		return &APIError{StatusCode: status, Message: bodyExcerpt(status, body, r)}
	}
}

// besideRead gives data types that want the envelope's other top-level
// fields (a list's totalCount beside its data) the whole body to read them
// from; it reports whether they could.
func besideRead(body []byte, data any) bool {
	b, ok := data.(interface{ beside() any })
	return !ok || json.Unmarshal(body, b.beside()) == nil
}

// usable reports whether decoded data can be used: data types with a check
// method say so themselves (a blank token cannot).
func usable(data any) bool {
	c, ok := data.(interface{ check() error })
	return !ok || c.check() == nil
}

// bodyExcerpt keeps at most maxErrorBodyBytes of a non-envelope error body,
// redacted (a secret the cut would split is replaced whole) and made one
// line.
func bodyExcerpt(status int, body []byte, r *redactor) string {
	if status >= 300 && status <= 399 {
		return statusText(status)
	}
	s, _ := r.head(string(body[:min(len(body), maxErrorBodyBytes+cutSlack)]), maxErrorBodyBytes)
	// Escaping can make it longer: cut it again.
	if s = safeText(s); len(s) > maxErrorBodyBytes {
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
