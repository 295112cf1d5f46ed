package vlens

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateAcceptsGoodInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   CreateAuthSessionInput
	}{
		{"phone only", CreateAuthSessionInput{PhoneNumber: testPhone}},
		{"email only", CreateAuthSessionInput{Email: testEmail}},
		{"phone and email", CreateAuthSessionInput{PhoneNumber: testPhone, Email: testEmail}},
		{"shortest phone, 8 digits", CreateAuthSessionInput{PhoneNumber: "+12345678"}},
		{"longest phone, 15 digits", CreateAuthSessionInput{PhoneNumber: "+123456789012345"}},
		{"email with plus and subdomain", CreateAuthSessionInput{Email: "first.last+tag@mail.example.co"}},
		{"public key passes through unchecked", CreateAuthSessionInput{PhoneNumber: testPhone, UserPublicKey: "-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----"}},
		{"distinct positive IDs", CreateAuthSessionInput{PhoneNumber: testPhone, SessionPermissions: &SessionPermissions{AllowedContractTypeIDs: []int{1, 414, 2}}}},
		{"permissions without IDs", CreateAuthSessionInput{PhoneNumber: testPhone, SessionPermissions: &SessionPermissions{DigitalIdentityOnly: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.NoError(t, tt.in.Validate())
		})
	}
}

func TestValidateRejectsBadInput(t *testing.T) {
	t.Parallel()
	ids := func(ids ...int) *SessionPermissions { return &SessionPermissions{AllowedContractTypeIDs: ids} }
	tests := []struct {
		name       string
		in         CreateAuthSessionInput
		wantFields []string
	}{
		{"neither phone nor email", CreateAuthSessionInput{}, []string{"phoneNumber"}},
		{"only a public key", CreateAuthSessionInput{UserPublicKey: "PUBLIC-KEY"}, []string{"phoneNumber"}},
		{"phone without plus", CreateAuthSessionInput{PhoneNumber: "201234567890"}, []string{"phoneNumber"}},
		{"phone with spaces", CreateAuthSessionInput{PhoneNumber: "+20 123 456 7890"}, []string{"phoneNumber"}},
		{"phone with dashes", CreateAuthSessionInput{PhoneNumber: "+20-123-456-7890"}, []string{"phoneNumber"}},
		{"phone with 7 digits", CreateAuthSessionInput{PhoneNumber: "+1234567"}, []string{"phoneNumber"}},
		{"phone with 16 digits", CreateAuthSessionInput{PhoneNumber: "+1234567890123456"}, []string{"phoneNumber"}},
		{"phone with letters", CreateAuthSessionInput{PhoneNumber: "+20123456789O"}, []string{"phoneNumber"}},
		{"phone with double plus", CreateAuthSessionInput{PhoneNumber: "++201234567890"}, []string{"phoneNumber"}},
		{"phone with trailing space", CreateAuthSessionInput{PhoneNumber: "+201234567890 "}, []string{"phoneNumber"}},
		{"phone with Arabic-Indic digits", CreateAuthSessionInput{PhoneNumber: "+٢٠١٢٣٤٥٦٧٨٩٠"}, []string{"phoneNumber"}},
		{"email with display name", CreateAuthSessionInput{Email: "User <user@example.com>"}, []string{"email"}},
		{"email in angle brackets", CreateAuthSessionInput{Email: "<user@example.com>"}, []string{"email"}},
		{"email with leading space", CreateAuthSessionInput{Email: " user@example.com"}, []string{"email"}},
		{"email with trailing space", CreateAuthSessionInput{Email: "user@example.com "}, []string{"email"}},
		{"email with inner space", CreateAuthSessionInput{Email: "us er@example.com"}, []string{"email"}},
		{"email without at", CreateAuthSessionInput{Email: "user.example.com"}, []string{"email"}},
		{"two emails", CreateAuthSessionInput{Email: "a@example.com, b@example.com"}, []string{"email"}},
		{"zero ID", CreateAuthSessionInput{PhoneNumber: testPhone, SessionPermissions: ids(0)},
			[]string{"sessionPermissions.allowedContractTypeIds[0]"}},
		{"negative ID", CreateAuthSessionInput{PhoneNumber: testPhone, SessionPermissions: ids(5, -3)},
			[]string{"sessionPermissions.allowedContractTypeIds[1]"}},
		{"duplicate ID", CreateAuthSessionInput{PhoneNumber: testPhone, SessionPermissions: ids(414, 7, 414)},
			[]string{"sessionPermissions.allowedContractTypeIds[2]"}},
		{
			name: "every bad field listed at once",
			in: CreateAuthSessionInput{
				PhoneNumber:        "0123",
				Email:              "Bob <bob@example.com>",
				SessionPermissions: ids(1, 0, 1, -2),
			},
			wantFields: []string{
				"phoneNumber",
				"email",
				"sessionPermissions.allowedContractTypeIds[1]",
				"sessionPermissions.allowedContractTypeIds[2]",
				"sessionPermissions.allowedContractTypeIds[3]",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, c := setup(t)
			mt.RegisterResponder(http.MethodPost, testEndpoint, reply(200, tokenBody("tok")))

			for _, err := range []error{tt.in.Validate(), callErr(c, tt.in)} {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrInvalidRequest)
				var vErr *ValidationError
				require.ErrorAs(t, err, &vErr)
				var got []string
				for _, f := range vErr.Fields {
					got = append(got, f.Field)
					assert.NotEmpty(t, f.Message, f.Field)
				}
				assert.Equal(t, tt.wantFields, got)
				for _, f := range tt.wantFields {
					assert.Contains(t, err.Error(), f)
				}
				for _, v := range []string{tt.in.PhoneNumber, tt.in.Email, tt.in.UserPublicKey} {
					if len(v) > 3 {
						assert.NotContains(t, err.Error(), v, "never repeats the rejected value")
					}
				}
				for _, sentinel := range []error{ErrUnauthorized, ErrRateLimited, ErrServer, ErrMalformedResponse, ErrResponseTooLarge} {
					assert.NotErrorIs(t, err, sentinel)
				}
			}
			assert.Equal(t, 0, mt.GetTotalCallCount(), "nothing is sent")
		})
	}
}

// callErr is the error CreateAuthSession returns for in.
func callErr(c *Client, in CreateAuthSessionInput) error {
	_, err := c.CreateAuthSession(context.Background(), in)
	return err
}

func TestValidationErrorNamesEachRule(t *testing.T) {
	t.Parallel()
	err := CreateAuthSessionInput{}.Validate()
	require.Error(t, err)
	assert.Equal(t,
		"vlens: invalid CreateAuthSessionInput: phoneNumber: required when email is empty (give a phone number, an email, or both)",
		err.Error())
}

func TestAuthSessionPrintsRedacted(t *testing.T) {
	t.Parallel()
	const token = "tok-PRINT-CANARY-99"
	s := AuthSession{Token: token}
	p := &s
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x"} {
		for _, v := range []any{s, p} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, token, "%s of %T", verb, v)
			assert.NotContains(t, out, fmt.Sprintf("%x", token), "%s of %T", verb, v)
		}
	}
	assert.Equal(t, "vlens.AuthSession{Token:[redacted]}", s.String())
	assert.Equal(t, "vlens.AuthSession{Token:[redacted]}", p.GoString())
	assert.Equal(t, `vlens.AuthSession{Token:""}`, AuthSession{}.String())
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", []AuthSession{s}, []*AuthSession{p}, map[string]AuthSession{"a": s}), token)

	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	logger.Info("session", "value", s, "pointer", p)
	textLogger := slog.New(slog.NewTextHandler(&buf, nil))
	textLogger.Info("session", "value", s, "pointer", p)
	assert.NotContains(t, buf.String(), token)
	assert.Contains(t, buf.String(), redacted)
}

// TestNilAuthSessionLogsSlogsNotice pins what AuthSession's and LogValue's
// docs say of a nil *AuthSession: fmt prints <nil>, and slog, which reaches
// the value receiver through the nil pointer, logs its "LogValue panicked"
// notice in both handlers, without crashing.
func TestNilAuthSessionLogsSlogsNotice(t *testing.T) {
	t.Parallel()
	var s *AuthSession
	assert.Equal(t, "<nil>", fmt.Sprintf("%v", s))
	for name, newHandler := range map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		require.NotPanics(t, func() { slog.New(newHandler(&buf)).Info("m", "session", s) }, name)
		assert.Contains(t, buf.String(), "LogValue panicked", name)
	}
}

func TestCreateAuthSessionInputPrintsRedacted(t *testing.T) {
	t.Parallel()
	in := CreateAuthSessionInput{
		PhoneNumber: "+209876543210", Email: "print.canary@example.org", UserPublicKey: "PUBKEY-PRINT-CANARY",
		SessionPermissions: &SessionPermissions{AllowedContractTypeIDs: []int{414}, MinimalSignatureFlow: true},
	}
	secrets := []string{in.PhoneNumber, "209876543210", in.Email, in.UserPublicKey}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d"} {
		for _, v := range []any{in, &in} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range secrets {
				assert.NotContains(t, out, secret, "%s of %T", verb, v)
			}
		}
	}
	out := fmt.Sprintf("%+v", in)
	assert.Contains(t, out, "414", "permissions are not secret")
	assert.Contains(t, out, redacted)
	assert.Contains(t, fmt.Sprint(CreateAuthSessionInput{Email: testEmail}), `PhoneNumber:""`, "shows which fields are unset")

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("input", "in", in, "ptr", &in)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("input", "in", in, "ptr", &in)
	for _, secret := range secrets {
		assert.NotContains(t, buf.String(), secret)
	}
}

func TestCreateAuthSessionNilContextIsAnErrorNotAPanic(t *testing.T) {
	t.Parallel()
	mt, c := setup(t)
	mt.RegisterResponder(http.MethodPost, testEndpoint, reply(200, tokenBody("tok-nil-ctx")))
	var nilCtx context.Context
	s, err := c.CreateAuthSession(nilCtx, validInput())
	require.Error(t, err)
	assert.Nil(t, s)
	assert.Contains(t, err.Error(), "nil context")
	assert.Zero(t, mt.GetTotalCallCount(), "nothing may be sent")
}
