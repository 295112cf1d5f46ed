package vlens

// The endpoints' paths, relative to the base URL (DefaultBaseURL unless
// WithBaseURL says otherwise). The client sends every call to one of them,
// and vlenstest serves them, so a test that mocks the transport registers
// DefaultBaseURL + CreateAuthSessionPath rather than a string of its own:
//
//	transport.RegisterResponder(http.MethodPost,
//		vlens.DefaultBaseURL+vlens.CreateAuthSessionPath,
//		httpmock.NewStringResponder(200, `{"data":"test-token","error_code":null}`))
const (
	// CreateAuthSessionPath is where CreateAuthSession posts.
	CreateAuthSessionPath = "/api/IdentityUserSession/CreateAuthSession"
	// CreateInvitationPath is where CreateInvitation posts.
	CreateInvitationPath = "/api/IdentityUserSession/CreateInvitation"
	// LoginPath is where Login posts, and CreateInvitation and the
	// business-request reads when they log in by themselves.
	LoginPath = "/api/credentials/Login"
	// RefreshTokenPath is where RefreshAdminToken posts, and the client
	// when it renews its admin token by itself.
	RefreshTokenPath = "/api/credentials/RefreshToken"
	// GetBusinessRequestPath is the prefix GetBusinessRequest gets: the
	// request's ID, path-escaped, follows it. A mock responder for every ID
	// matches it as a prefix (httpmock: "=~^" + regexp.QuoteMeta(base+path)).
	GetBusinessRequestPath = "/api/BusinessRequest/GetBusinessRequestById/"
	// ListBusinessRequestsPath is what ListBusinessRequests gets, one page
	// per call, with MaxResultCount and SkipCount in the query.
	ListBusinessRequestsPath = "/api/BusinessRequest/CurrentListIds"
	// GetTemplatePath is what GetTemplate gets, with requestTypeId and
	// isLocalized in the query.
	GetTemplatePath = "/api/BusinessRequest/GetBusinessRequestTypeTemplateFields"
)
