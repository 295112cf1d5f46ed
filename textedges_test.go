package vlens

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWrappedErrorsNameThePackageOnce: an error wrapped in another keeps
// one "vlens: " at the front, not one per layer.
func TestWrappedErrorsNameThePackageOnce(t *testing.T) {
	t.Parallel()
	refusedLogin := func() error {
		mt, c := setup(t, WithAdminCredentials(AdminCredentials{
			TenancyName: "acme", UserNameOrEmailAddress: "ops@example.com", Password: "a-password-0001",
		}))
		mt.RegisterResponder(http.MethodPost, DefaultBaseURL+LoginPath, reply(401, errorBody(401, "Invalid user name or password")))
		_, err := c.CreateInvitation(context.Background(), CreateInvitationInput{PhoneNumber: testPhone})
		return err
	}
	closed := func() error {
		_, c := setup(t)
		require.NoError(t, c.Close())
		_, err := c.CreateAuthSession(context.Background(), validInput())
		return err
	}
	badCallOption := func() error {
		_, c := setup(t)
		_, err := c.CreateAuthSession(context.Background(), validInput(), WithMaxRetries(-1))
		return err
	}
	badCredentials := func() error {
		_, err := NewClient(testAPIKey, WithAdminCredentials(AdminCredentials{}))
		return err
	}
	tests := []struct {
		name string
		err  func() error
		want string // the error's start
	}{
		{"an admin login refused under an invitation", refusedLogin, "vlens: create invitation: getting the admin token: login: HTTP 401"},
		{"a call on a closed client", closed, "vlens: create auth session: closed"},
		{"a bad option given to a call", badCallOption, "vlens: create auth session: WithMaxRetries: "},
		{"bad admin credentials", badCredentials, "vlens: WithAdminCredentials: invalid AdminCredentials: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.err()
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), tt.want), "got %q, want it to start with %q", err, tt.want)
			assert.Equal(t, 1, strings.Count(err.Error(), "vlens:"), "%q", err)
		})
	}
	assert.ErrorIs(t, closed(), ErrClosed, "the wrapped error is still reachable")
	assert.ErrorIs(t, refusedLogin(), ErrUnauthorized)
}

// TestServerTextLosesItsSurroundingWhiteSpace: a message that ends in a
// newline reads as the message, not as a trailing \u000a.
func TestServerTextLosesItsSurroundingWhiteSpace(t *testing.T) {
	t.Parallel()
	envelope := `{"data":null,"error_code":7,"error_message":"try again later\r\n",` +
		`"error_descriptions":{"email":["is invalid\n"]}}`
	for name, answer := range map[string]struct {
		status int
		body   string
		want   string
	}{
		"an envelope's message":     {422, envelope, "try again later"},
		"a proxy's plain-text body": {502, "  Bad Gateway\n", "Bad Gateway"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, _, err := createWith(t, reply(answer.status, answer.body), WithMaxRetries(0))
			apiErr := requireAPIError(t, err)
			assert.Equal(t, answer.want, apiErr.Message)
			assert.True(t, strings.HasSuffix(err.Error(), ": "+answer.want), "%q", err)
			assert.NotContains(t, err.Error(), `\u000`)
			for _, fe := range apiErr.FieldErrors() {
				assert.Equal(t, FieldError{Field: "email", Message: "is invalid"}, fe)
			}
		})
	}
	hand := &APIError{StatusCode: 400, Message: "no\n"}
	assert.Equal(t, "vlens: HTTP 400: no", hand.Error(), "a hand-built error too")
	assert.Equal(t, `a\u000ab`, safeText(" a\nb\t"), "inner line breaks are still escaped")
}

// TestEmptyFieldsLogAsEmpty: slog, which quotes strings itself, shows an
// empty field as empty; fmt keeps its `""`.
func TestEmptyFieldsLogAsEmpty(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]any{
		"CreateAuthSessionInput": CreateAuthSessionInput{PhoneNumber: testPhone},
		"CreateInvitationInput":  CreateInvitationInput{PhoneNumber: testPhone},
		"AuthSession":            AuthSession{},
		"AdminCredentials":       AdminCredentials{TenancyName: "acme"},
	} {
		var text, js bytes.Buffer
		slog.New(slog.NewTextHandler(&text, nil)).Info("m", "v", v)
		slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "v", v)
		for _, out := range []string{text.String(), js.String()} {
			assert.NotContains(t, out, `\"\"`, "%s: %s", name, out)
			assert.NotContains(t, out, `=""""`, "%s: %s", name, out)
		}
	}
	var js bytes.Buffer
	slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "in", CreateAuthSessionInput{PhoneNumber: testPhone})
	assert.Contains(t, js.String(), `"in":{"phoneNumber":"[redacted]","email":"","userPublicKey":""}`)
	assert.Contains(t, fmt.Sprint(CreateAuthSessionInput{}), `Email:""`, "fmt is unchanged")
}

// TestAPIKeyWithSurroundingWhiteSpaceIsRefused: a key copied with a space
// or a newline is refused by NewClient, naming the rule, never the key.
func TestAPIKeyWithSurroundingWhiteSpaceIsRefused(t *testing.T) {
	t.Parallel()
	const key = "tenant-key-0001"
	for _, apiKey := range []string{" " + key, key + " ", key + "\n", "\t" + key, key + "\r\n"} {
		c, err := NewClient(apiKey)
		assert.Nil(t, c)
		require.Error(t, err, "%q", apiKey)
		assert.Equal(t, "vlens: NewClient: API key must not begin or end with white space (a space or newline): trim it", err.Error())
		assert.NotContains(t, err.Error(), key)
	}
	_, err := NewClient("tenant key with inner spaces")
	assert.NoError(t, err, "only the ends are checked: Vlens documents no format for keys")
}
