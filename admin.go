package vlens

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// AdminCredentials are a tenant admin's login, which Vlens exchanges for the
// admin bearer token that CreateInvitation needs. All three fields are
// required; Vlens documents at most 256, 256 and 32 characters.
//
// The credentials are data to encoding/json: they marshal all three fields,
// the password in clear, under the names Login sends, so that a config
// loader can read them. Printing them (fmt's verbs, slog) shows the tenancy
// name only.
type AdminCredentials struct {
	// TenancyName is the tenant's name, sent in the body and in the
	// TenancyName header.
	TenancyName string `json:"tenancyName"`
	// UserNameOrEmailAddress is the admin's user name or email.
	UserNameOrEmailAddress string `json:"userNameOrEmailAddress"`
	// Password is the admin's password.
	Password string `json:"password"`
}

// Validate checks the credentials against the rules Vlens documents: every
// field present and within its length. It returns nil or a *ValidationError
// naming every bad field (never its value).
func (c AdminCredentials) Validate() error {
	var fields []FieldError
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"tenancyName", c.TenancyName, 256},
		{"userNameOrEmailAddress", c.UserNameOrEmailAddress, 256},
		{"password", c.Password, 32},
	} {
		switch {
		case strings.TrimSpace(f.value) == "":
			fields = append(fields, FieldError{Field: f.name, Message: "required"})
		case utf8.RuneCountInString(f.value) > f.max:
			fields = append(fields, FieldError{Field: f.name, Message: fmt.Sprintf("must be at most %d characters", f.max)})
		case f.name == "tenancyName" && !validHeaderValue(f.value):
			fields = append(fields, FieldError{Field: f.name, Message: "must not contain control characters (it is sent as a header)"})
		}
	}
	if fields != nil {
		return &ValidationError{Fields: fields, input: "AdminCredentials"}
	}
	return nil
}

func (c AdminCredentials) secrets() sensitive {
	return sensitive{secrets: []string{c.Password}, personal: []string{c.UserNameOrEmailAddress}}
}

// Format prints the credentials with the user name and password redacted,
// for every verb.
func (c AdminCredentials) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "vlens.AdminCredentials{TenancyName:%q, UserNameOrEmailAddress:%s, Password:%s}",
		c.TenancyName, mask(c.UserNameOrEmailAddress), mask(c.Password))
}

// LogValue logs the tenancy name and whether the other fields are set. Its
// receiver is a value so that credentials log redacted in every slog
// handler.
func (c AdminCredentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("tenancyName", c.TenancyName),
		maskAttr("userNameOrEmailAddress", c.UserNameOrEmailAddress), maskAttr("password", c.Password))
}

// AdminToken is an admin bearer token and the refresh token that renews it,
// as Login and RefreshAdminToken return them. Treat both as secrets.
//
// An AdminToken is data to encoding/json: it marshals both tokens in clear,
// with the times in RFC 3339, and unmarshals back, so that it can be kept in
// a secret store or shared cache. Printing it (fmt's verbs, slog) shows the
// expiry times only.
type AdminToken struct {
	// AccessToken is the bearer token CreateInvitation sends.
	AccessToken string `json:"accessToken"`
	// ExpiresAt is when the access token expires, from Vlens's
	// expireInSeconds counted from when the call started; a lifetime over a
	// year counts as a year, so that no value overflows into the past.
	ExpiresAt time.Time `json:"expiresAt"`
	// RefreshToken renews the access token with RefreshAdminToken.
	RefreshToken string `json:"refreshToken"`
	// RefreshTokenExpiresAt is when the refresh token expires; zero when
	// Vlens did not say (its refresh answer does not).
	RefreshTokenExpiresAt time.Time `json:"refreshTokenExpiresAt"`
}

// Format prints the token with its secrets redacted, for every verb.
func (t AdminToken) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "vlens.AdminToken{AccessToken:%s, ExpiresAt:%s, RefreshToken:%s, RefreshTokenExpiresAt:%s}",
		mask(t.AccessToken), t.ExpiresAt.Format(time.RFC3339), mask(t.RefreshToken), t.RefreshTokenExpiresAt.Format(time.RFC3339))
}

// LogValue logs the expiry times and whether the tokens are set. Its
// receiver is a value so that a token logs redacted in every slog handler.
func (t AdminToken) LogValue() slog.Value {
	return slog.GroupValue(maskAttr("accessToken", t.AccessToken), slog.Time("expiresAt", t.ExpiresAt),
		maskAttr("refreshToken", t.RefreshToken), slog.Time("refreshTokenExpiresAt", t.RefreshTokenExpiresAt))
}

// adminTokenData is the data of Login's and RefreshToken's answers.
type adminTokenData struct {
	AccessToken                 string `json:"accessToken"`
	EncryptedAccessToken        string `json:"encryptedAccessToken"`
	ExpireInSeconds             int64  `json:"expireInSeconds"`
	RefreshToken                string `json:"refreshToken"`
	NewRefreshToken             string `json:"newRefreshToken"`
	RefreshTokenExpireInSeconds int64  `json:"refreshTokenExpireInSeconds"`
}

// check refuses an answer without an access token or its lifetime, or with
// an access token no header can carry: the SDK never guesses an expiry, and
// never caches a token it cannot send.
func (d *adminTokenData) check() error {
	if strings.TrimSpace(d.AccessToken) == "" || !validHeaderValue(d.AccessToken) || d.ExpireInSeconds <= 0 {
		return errors.New("no usable access token or lifetime")
	}
	return nil
}

// maxTokenLifetime caps the lifetimes Vlens announces: a larger
// expireInSeconds (1e10, MaxInt64) would overflow time.Duration into a date
// in the past.
const maxTokenLifetime = 365 * 24 * time.Hour

// lifetime is secs seconds, at most maxTokenLifetime.
func lifetime(secs int64) time.Duration {
	return time.Duration(min(secs, int64(maxTokenLifetime/time.Second))) * time.Second
}

// token turns the answer into an AdminToken, its lifetimes counted from
// start; refreshToken is kept when the answer names no new one.
func (d *adminTokenData) token(start time.Time, refreshToken string) *AdminToken {
	t := &AdminToken{AccessToken: d.AccessToken, ExpiresAt: start.Add(lifetime(d.ExpireInSeconds))}
	t.RefreshToken = firstNonEmpty(d.NewRefreshToken, d.RefreshToken, refreshToken)
	if d.RefreshTokenExpireInSeconds > 0 {
		t.RefreshTokenExpiresAt = start.Add(lifetime(d.RefreshTokenExpireInSeconds))
	}
	return t
}

// Login exchanges a tenant admin's credentials for an admin token
// (POST /api/credentials/Login, with the ApiKey and TenancyName headers).
// The credentials are validated first. Lifetimes over a year are counted as
// a year. A refused login counts toward the platform's lockout (5 failures
// lock the user out), so Login is retried only when the request surely never
// reached Vlens (the connection could not be made), on 429, and on 503: a
// login processed twice is harmless. Never on 500 or a 4xx. Most callers
// never call it: with WithAdminCredentials the client logs in and refreshes
// by itself.
func (c *Client) Login(ctx context.Context, creds AdminCredentials, opts ...CallOption) (*AdminToken, error) {
	start := time.Now()
	d, err := c.login(ctx, creds, opts)
	if err != nil {
		return nil, err
	}
	return d.token(start, ""), nil
}

func (c *Client) login(ctx context.Context, creds AdminCredentials, opts []CallOption) (*adminTokenData, error) {
	var data adminTokenData
	return &data, c.do(ctx, operation{
		name:   "login",
		path:   LoginPath,
		auth:   authAPIKey,
		header: map[string][]string{"Tenancyname": {creds.TenancyName}},
		retry:  retryLogin,
		input:  creds,
		data:   &data,
	}, opts)
}

// RefreshAdminToken renews an admin token with its refresh token
// (POST /api/credentials/RefreshToken). The answer's newRefreshToken is kept
// when Vlens sends one, else its refreshToken, else refreshToken itself; its
// RefreshTokenExpiresAt is zero unless the answer gives a lifetime. A refresh
// spends its refresh token, so it is retried only when the request surely
// never reached Vlens (the connection could not be made) and on 429. Vlens
// may refuse a refresh token with any answer (401, 400, or HTTP 200 with an
// error_code): every refusal is an *APIError, and the remedy is to log in
// again.
func (c *Client) RefreshAdminToken(ctx context.Context, refreshToken string, opts ...CallOption) (*AdminToken, error) {
	start := time.Now()
	d, err := c.refresh(ctx, refreshToken, opts)
	if err != nil {
		return nil, err
	}
	return d.token(start, refreshToken), nil
}

func (c *Client) refresh(ctx context.Context, refreshToken string, opts []CallOption) (*adminTokenData, error) {
	var data adminTokenData
	return &data, c.do(ctx, operation{
		name:  "refresh admin token",
		path:  RefreshTokenPath,
		auth:  authAPIKey,
		retry: retryUnsent,
		input: refreshRequest{RefreshToken: refreshToken},
		data:  &data,
	}, opts)
}

// refreshRequest is RefreshToken's body.
type refreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

func (r refreshRequest) Validate() error {
	if strings.TrimSpace(r.RefreshToken) == "" {
		return &ValidationError{Fields: []FieldError{{Field: "refreshToken", Message: "required"}}, input: "refresh token"}
	}
	return nil
}

func (r refreshRequest) secrets() sensitive { return sensitive{secrets: []string{r.RefreshToken}} }
