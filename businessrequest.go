package vlens

import (
	"encoding/json"
	"time"
)

// Paths of the business-request reads.
const (
	getBusinessRequestPath   = "/api/BusinessRequest/GetBusinessRequestById/" // followed by the request's ID
	listBusinessRequestsPath = "/api/BusinessRequest/CurrentListIds"
	getTemplatePath          = "/api/BusinessRequest/GetBusinessRequestTypeTemplateFields"
)

// RequestStatus is a business request's status as Vlens numbers it.
type RequestStatus int

// The statuses whose numbers Vlens documents. Other numbers are kept as
// they come.
const (
	StatusPendingApproval RequestStatus = 1
	StatusApproved        RequestStatus = 2
	StatusRejected        RequestStatus = 3
	StatusCustomerSigned  RequestStatus = 4
)

// BusinessRequestSummary is one entry of CurrentListIds: a business
// request's IDs, type, status and who it is for. FullName and IDNumber are
// personal data: printing a summary (fmt, slog) never shows them.
type BusinessRequestSummary struct {
	// ID is the request's UUID.
	ID string
	// RequestNumber is Vlens's human-readable request number.
	RequestNumber string
	// Type is the request's type number; TypeName names it.
	Type     int
	TypeName string
	// ContractTypeID is the contract type the request is for;
	// ContractTypeName names it.
	ContractTypeID   int
	ContractTypeName string
	// Status is the request's status; StatusName is the name Vlens sent
	// with it, as sent.
	Status     RequestStatus
	StatusName string
	// FullName is the customer's full name (personal data).
	FullName string
	// IDNumber is the customer's national ID number (personal data).
	IDNumber string
	// CreatedAt is when the request was created.
	CreatedAt time.Time
}

// BusinessRequest is a business request in full (GetBusinessRequestById).
type BusinessRequest struct {
	BusinessRequestSummary
	// Fields are the request's form fields (requestFields).
	Fields []RequestField
	// Raw is the whole data object, for what these types do not model.
	Raw json.RawMessage
}

// RequestField is one form field of a business request. Value,
// MultiValues and TabularData are personal data.
type RequestField struct {
	Key, DisplayText, DisplayArText, Value string
	MultiValues                            []string
	TabularData                            [][]string
	Type                                   string
}

// Template is a contract type's form (GetBusinessRequestTypeTemplateFields):
// the field keys CreateInvitationInput.RequestFieldsValues uses.
type Template struct {
	ID     int
	Name   string
	Fields []TemplateField
}

// TemplateField is one field of a Template.
type TemplateField struct {
	Key, Type, DisplayText, DisplayArText, DefaultValue string
	AvailableValues                                     []string
	ParentQuestionKey, ParentQuestionValue              string
}
