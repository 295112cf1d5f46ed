package vlenstest

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vlens-go/vlens"
)

// The business-request reads the fake serves, all GET, all needing the
// ApiKey header and an admin bearer token, as CreateInvitation does. They
// are the vlens package's paths.
const (
	// GetBusinessRequestPath is followed by the request's ID.
	// RequestsTo(GetBusinessRequestPath) lists the reads of every ID.
	GetBusinessRequestPath   = vlens.GetBusinessRequestPath
	ListBusinessRequestsPath = vlens.ListBusinessRequestsPath
	GetTemplatePath          = vlens.GetTemplatePath
)

// What the fake makes up for a business request where Vlens would know:
// the contract type of a session that names none, and the request type,
// which the fake does not model.
const (
	DefaultContractTypeID = 1
	RequestType           = 1
	RequestTypeName       = "Contract"
)

// Paging of ListBusinessRequestsPath, as on the platform (ASP.NET
// Boilerplate's PagedResultRequestDto): MaxResultCount defaults to
// DefaultPageSize and may be at most MaxPageSize.
const (
	DefaultPageSize = 10
	MaxPageSize     = 1000
)

// vlensTimeLayout is creationTime as the platform writes it: 7 fractional
// digits and no zone (the time is UTC).
const vlensTimeLayout = "2006-01-02T15:04:05.0000000"

// session is a session token the server issued, and what the request its
// user makes will be for.
type session struct {
	token          string
	contractTypeID int
	fields         map[string]string // the invitation's pre-filled form for contractTypeID
	requestID      string            // once completed
}

// businessRequest is a business request the server keeps.
type businessRequest struct {
	id, number         string
	contractTypeID     int
	status             vlens.RequestStatus
	fullName, idNumber string
	created, modified  time.Time
	fields             map[string]string
}

// WithTemplate seeds the server with a contract type's form, served by
// GetTemplatePath and used to label the fields of the business requests
// made for that contract type. It may be given several times; a later
// template with the same ID replaces an earlier one. The server keeps a
// copy. A field whose ParentQuestionKey names another field of the template
// is served inside that field's relatedQuestions, as the platform nests
// related questions; the others are served at the top level. It panics on
// nil.
func WithTemplate(t *vlens.Template) ServerOption {
	if t == nil {
		panic("vlenstest: WithTemplate: template must not be nil")
	}
	c := *t
	c.Fields = slices.Clone(t.Fields)
	for i := range c.Fields {
		c.Fields[i].AvailableValues = slices.Clone(c.Fields[i].AvailableValues)
	}
	return func(cfg *config) {
		if cfg.templates == nil {
			cfg.templates = map[int]vlens.Template{}
		}
		cfg.templates[c.ID] = c
	}
}

// sessionFor is the session a token issued for in starts: its contract
// type is the first of AllowedContractTypeIDs, else the lowest contract
// type with a pre-filled form, else DefaultContractTypeID.
func sessionFor(token string, in vlens.CreateAuthSessionInput, forms map[int]map[string]string) session {
	s := session{token: token, contractTypeID: DefaultContractTypeID}
	switch {
	case in.SessionPermissions != nil && len(in.SessionPermissions.AllowedContractTypeIDs) > 0:
		s.contractTypeID = in.SessionPermissions.AllowedContractTypeIDs[0]
	case len(forms) > 0:
		s.contractTypeID = slices.Min(slices.Collect(maps.Keys(forms)))
	}
	s.fields = maps.Clone(forms[s.contractTypeID])
	return s
}

// CompleteSession does what the user of a session token the server issued
// (by CreateAuthSession or CreateInvitation) does by finishing the Vlens
// iframe: it makes a business request with status, and returns its ID, a
// new lowercase UUID. The request is for the session's contract type (see
// DefaultContractTypeID), has the next request number, a made-up full
// name and national ID that depend only on that number, the current time
// as its creation time, and, for an invitation, the form pre-filled for
// that contract type as its fields. With WithWebhook, the new request's
// status is delivered as a webhook, in the background.
//
// Each session completes once. When several sessions share the token (a
// WithTokenFunc that repeats itself), the oldest not yet completed is
// taken. CompleteSession panics, as on a bug in the test, when the server
// issued no such token since the start or the last Reset, when every
// session with it is completed, and on a status that is not positive.
func (s *Server) CompleteSession(token string, status vlens.RequestStatus) (requestID string) {
	req, err := s.completeSession(token, status)
	if err != nil {
		panic("vlenstest: CompleteSession: " + err.Error())
	}
	return req.id
}

var (
	errNoSession     = errors.New("the server issued no such session token, or has been Reset since")
	errNoOpenSession = errors.New("no session to complete: none was issued since the start or the last Reset, or each one is completed")
	errBadStatus     = errors.New("status must be positive")
	errNoRequest     = errors.New("no business request with this ID")
)

// completeSession completes the oldest open session with token, or the
// newest open session when token is "".
func (s *Server) completeSession(token string, status vlens.RequestStatus) (businessRequest, error) {
	if status <= 0 {
		return businessRequest{}, errBadStatus
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var open *session
	known := false
	for i := range s.sessions {
		if token == "" {
			i = len(s.sessions) - 1 - i // the newest first
		}
		ss := &s.sessions[i]
		if token != "" && !equalSecret(ss.token, token) {
			continue
		}
		known = true
		if ss.requestID == "" {
			open = ss
			break
		}
	}
	switch {
	case open == nil && (known || token == ""):
		return businessRequest{}, errNoOpenSession
	case open == nil:
		return businessRequest{}, errNoSession
	}
	s.requestSeq++
	n := s.requestSeq
	req := &businessRequest{
		id:             newUUID(),
		number:         fmt.Sprintf("REQ-%06d", n),
		contractTypeID: open.contractTypeID,
		status:         status,
		fullName:       fmt.Sprintf("Test Customer %d", n),
		idNumber:       fmt.Sprintf("2900101%07d", n%10_000_000), // 14 digits, as an Egyptian national ID
		created:        time.Now().UTC().Truncate(100 * time.Nanosecond),
		fields:         open.fields,
	}
	open.requestID = req.id
	s.business = append(s.business, req)
	s.statusChanged(req)
	return *req, nil
}

// SetRequestStatus moves the business request id on to status, as Vlens
// does when it is approved, rejected or signed, and sets its last
// modification time. With WithWebhook, a status other than the request's
// is delivered as a webhook, in the background. It returns an error for an
// ID the server does not keep or a status that is not positive.
func (s *Server) SetRequestStatus(id string, status vlens.RequestStatus) error {
	if status <= 0 {
		return fmt.Errorf("vlenstest: SetRequestStatus: %w", errBadStatus)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req := s.businessRequest(id)
	if req == nil {
		return fmt.Errorf("vlenstest: SetRequestStatus: %w", errNoRequest)
	}
	changed := req.status != status
	req.status = status
	req.modified = time.Now().UTC().Truncate(100 * time.Nanosecond)
	if changed {
		s.statusChanged(req)
	}
	return nil
}

// statusChanged sends WithWebhook's webhook for req's new status, in the
// background. s.mu must be held.
func (s *Server) statusChanged(req *businessRequest) {
	if s.hooks != nil {
		s.hooks.statusChanged(req.id, req.status)
	}
}

// businessRequest returns the request with id (in any letter case), or
// nil. s.mu must be held.
func (s *Server) businessRequest(id string) *businessRequest {
	for _, req := range s.business {
		if strings.EqualFold(req.id, id) {
			return req
		}
	}
	return nil
}

// BusinessRequests returns the business requests the server keeps, in
// order of creation (the oldest first, where ListBusinessRequestsPath
// lists the newest first), as the SDK's types: what a read of each would
// return. Raw is the data object GetBusinessRequestPath serves.
func (s *Server) BusinessRequests() []vlens.BusinessRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]vlens.BusinessRequest, len(s.business))
	for i, req := range s.business {
		w := s.wireRequest(req)
		raw, _ := json.Marshal(w)
		br := vlens.BusinessRequest{BusinessRequestSummary: vlens.BusinessRequestSummary{
			ID: req.id, RequestNumber: req.number, Type: RequestType, TypeName: RequestTypeName,
			ContractTypeID: req.contractTypeID, ContractTypeName: w.ContractTypeName,
			Status: req.status, StatusName: w.StatusName, FullName: req.fullName, IDNumber: req.idNumber,
			CreatedAt: req.created,
		}, Raw: raw}
		for _, f := range w.RequestFields {
			br.Fields = append(br.Fields, vlens.RequestField{Key: f.Key, DisplayText: f.DisplayText,
				DisplayArText: f.DisplayArText, Value: f.Value, MultiValues: f.MultiValues,
				TabularData: f.TabularData, Type: f.Type})
		}
		out[i] = br
	}
	return out
}

// newUUID returns a random (version 4) UUID in lowercase, as Vlens writes
// IDs.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// isUUID reports whether s is a UUID written 8-4-4-4-12 in hex digits of
// either case, as ASP.NET binds a Guid from a route.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range []byte(s) {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
