package vlenstest

import (
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/vlens-go/vlens"
)

// Admin tokens start with these prefixes, then 32 random hex digits.
const (
	AccessTokenPrefix  = TokenPrefix + "access_"
	RefreshTokenPrefix = TokenPrefix + "refresh_"
)

// adminTokens are the admin access and refresh tokens the server still
// honours, each with when it expires. The server's mutex guards them.
type adminTokens struct {
	access  map[string]time.Time
	refresh map[string]time.Time
}

func newAdminTokens() adminTokens {
	return adminTokens{access: map[string]time.Time{}, refresh: map[string]time.Time{}}
}

// valid reports whether token is in tokens and has not expired at now.
func valid(tokens map[string]time.Time, token string, now time.Time) bool {
	expires, ok := tokens[token]
	return ok && now.Before(expires)
}

// loginData is the data of Login's answer.
type loginData struct {
	AccessToken                 string `json:"accessToken"`
	ExpireInSeconds             int64  `json:"expireInSeconds"`
	RefreshToken                string `json:"refreshToken"`
	RefreshTokenExpireInSeconds int64  `json:"refreshTokenExpireInSeconds"`
}

// refreshData is the data of RefreshToken's answer, which names the new
// refresh token twice and says nothing of its lifetime.
type refreshData struct {
	AccessToken          string `json:"accessToken"`
	EncryptedAccessToken string `json:"encryptedAccessToken"`
	ExpireInSeconds      int64  `json:"expireInSeconds"`
	RefreshToken         string `json:"refreshToken"`
	NewRefreshToken      string `json:"newRefreshToken"`
}

// refuseAdmin checks the admin header an endpoint needs before its body is
// read: Login's TenancyName, the bearer token of CreateInvitation and the
// business-request reads. It returns
// why the request is refused, or "".
func (s *Server) refuseAdmin(r *http.Request, path string) string {
	switch path {
	case LoginPath:
		if r.Header.Get("TenancyName") != s.cfg.admin.TenancyName {
			return "the TenancyName header is missing or names another tenant"
		}
	case CreateInvitationPath, GetBusinessRequestPath, ListBusinessRequestsPath, GetTemplatePath:
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		s.mu.Lock()
		ok := strings.EqualFold(scheme, "Bearer") && valid(s.admin.access, token, time.Now())
		s.mu.Unlock()
		if !ok {
			return "the admin bearer token is missing, expired or revoked"
		}
	}
	return ""
}

// lockout is the admin user's failed logins in a row and, once there were
// too many, until when it is locked out. The server's mutex guards it.
type lockout struct {
	failed int
	until  time.Time
}

// login answers Login: new tokens when creds are the configured ones and
// the user is not locked out (see WithLoginLockout).
func (s *Server) login(w http.ResponseWriter, rec *Request, creds vlens.AdminCredentials) {
	want := s.cfg.admin
	user := creds.TenancyName == want.TenancyName && creds.UserNameOrEmailAddress == want.UserNameOrEmailAddress
	s.mu.Lock()
	now := time.Now()
	switch {
	case user && now.Before(s.lockout.until):
		s.mu.Unlock()
		s.writeError(w, rec, s.cfg.loginRefusal, ErrorCodeLockedOut, "the user is locked out after too many failed logins; try again later", nil)
		return
	case !user || !equalSecret(creds.Password, want.Password):
		if user && s.cfg.lockoutAttempts > 0 {
			s.lockout.failed++
			if s.lockout.failed >= s.cfg.lockoutAttempts {
				s.lockout = lockout{until: now.Add(s.cfg.lockoutDuration)}
			}
		}
		s.mu.Unlock()
		s.writeError(w, rec, s.cfg.loginRefusal, ErrorCodeUnauthorized, "invalid user name or password", nil)
		return
	}
	s.lockout = lockout{}
	access, refresh := s.issueAdminTokens(now)
	s.logins++
	rec.Status = http.StatusOK
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, envelope{Data: loginData{
		AccessToken:                 access,
		ExpireInSeconds:             wholeSeconds(s.cfg.accessTTL),
		RefreshToken:                refresh,
		RefreshTokenExpireInSeconds: wholeSeconds(s.cfg.refreshTTL),
	}})
}

// refresh answers RefreshToken: when token is honoured, it is spent and new
// tokens are issued (the refresh token rotates).
func (s *Server) refresh(w http.ResponseWriter, rec *Request, token string) {
	s.mu.Lock()
	now := time.Now()
	if !valid(s.admin.refresh, token, now) {
		s.mu.Unlock()
		s.writeError(w, rec, s.cfg.refreshRefusal, ErrorCodeUnauthorized, "the refresh token is not valid, expired or already used", nil)
		return
	}
	delete(s.admin.refresh, token)
	access, refresh := s.issueAdminTokens(now)
	s.refreshes++
	rec.Status = http.StatusOK
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, envelope{Data: refreshData{
		AccessToken:          access,
		EncryptedAccessToken: base64.StdEncoding.EncodeToString([]byte(access)),
		ExpireInSeconds:      wholeSeconds(s.cfg.accessTTL),
		RefreshToken:         refresh,
		NewRefreshToken:      refresh,
	}})
}

// issueAdminTokens mints an access and a refresh token valid from now, and
// forgets the tokens that have expired. s.mu must be held.
func (s *Server) issueAdminTokens(now time.Time) (access, refresh string) {
	for _, tokens := range []map[string]time.Time{s.admin.access, s.admin.refresh} {
		for t, expires := range tokens {
			if !now.Before(expires) {
				delete(tokens, t)
			}
		}
	}
	access, refresh = randomHex(AccessTokenPrefix), randomHex(RefreshTokenPrefix)
	s.admin.access[access] = now.Add(s.cfg.accessTTL)
	s.admin.refresh[refresh] = now.Add(s.cfg.refreshTTL)
	return access, refresh
}

// RevokeAdminTokens makes the server refuse every admin access and refresh
// token issued so far, as when an administrator revokes a tenant's
// sessions: a client must log in again. Tokens issued afterwards are
// honoured as usual.
func (s *Server) RevokeAdminTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.admin = newAdminTokens()
}

// Logins returns how many logins the server accepted (and answered with new
// tokens) since the start or the last Reset. Refused logins are not counted:
// len(RequestsTo(LoginPath)) counts every login attempt, refused or not.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Refreshes returns how many refresh tokens the server accepted (and
// answered with new tokens) since the start or the last Reset. Refused
// refreshes are not counted; find them with RequestsTo(RefreshTokenPath).
func (s *Server) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// Invitations returns how many invitations the server accepted (and
// recorded, issuing a session token) since the start or the last Reset,
// including those whose answer a Processed fault replaced: the count a
// test asserts to prove that one call made exactly one invitation.
// Refused invitations are not counted; find them with
// RequestsTo(CreateInvitationPath).
func (s *Server) Invitations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.invitations
}

// AdminCredentials returns the admin login the server accepts.
func (s *Server) AdminCredentials() vlens.AdminCredentials { return s.cfg.admin }
