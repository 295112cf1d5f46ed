package vlens

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// RequestStatus is a business request's status as Vlens numbers it. It
// decodes from every spelling Vlens uses (an integer, a numeric string, a
// name with or without spaces; see UnmarshalJSON), keeps a number it does
// not name as that number, and is 0 when the status was missing or a name
// it does not know.
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
// request's IDs, type, status and who it is for.
//
// FullName and IDNumber are personal data. A summary is data to
// encoding/json: it marshals every field in clear, under the SDK's own
// lowerCamel names (not Vlens's wire names, which the SDK reads itself),
// and unmarshals back, so that it can be stored or queued. Printing it
// (fmt's verbs, slog) shows its IDs, numbers, status and time, never the
// personal data.
type BusinessRequestSummary struct {
	// ID is the request's UUID.
	ID string `json:"id"`
	// RequestNumber is Vlens's human-readable request number.
	RequestNumber string `json:"requestNumber"`
	// Type is the request's type number; TypeName names it.
	Type     int    `json:"type"`
	TypeName string `json:"typeName"`
	// ContractTypeID is the contract type the request is for;
	// ContractTypeName names it.
	ContractTypeID   int    `json:"contractTypeId"`
	ContractTypeName string `json:"contractTypeName"`
	// Status is the request's status; StatusName is the name Vlens sent
	// with it, as sent, which is all there is to go by when Status is 0.
	Status     RequestStatus `json:"status"`
	StatusName string        `json:"statusName"`
	// FullName is the customer's full name (personal data).
	FullName string `json:"fullName"`
	// IDNumber is the customer's national ID number (personal data).
	IDNumber string `json:"idNumber"`
	// CreatedAt is when the request was created.
	CreatedAt time.Time `json:"createdAt"`
}

// BusinessRequest is a business request in full (GetBusinessRequestById).
//
// Like its summary, it marshals every field in clear, Raw included, under
// the SDK's own names, the summary's fields flattened in. Printing it (fmt,
// slog) shows the summary as a summary prints and each field's key and
// type, never FullName, IDNumber, the fields' values nor Raw.
type BusinessRequest struct {
	BusinessRequestSummary
	// Fields are the request's form fields (requestFields).
	Fields []RequestField `json:"fields"`
	// Raw is the whole data object as Vlens sent it, for what these types
	// do not model; it holds personal data too.
	Raw json.RawMessage `json:"raw,omitempty"`
}

// RequestField is one form field of a business request, as the customer
// filled it in. Value, MultiValues and TabularData are personal data: a
// field marshals them in clear (under the SDK's own names), and printing it
// (fmt, slog) shows its key, labels and type only.
type RequestField struct {
	// Key identifies the field in its template (TemplateField.Key).
	Key string `json:"key"`
	// DisplayText and DisplayArText are the field's English and Arabic
	// labels.
	DisplayText   string `json:"displayText"`
	DisplayArText string `json:"displayArText"`
	// Value is the field's value (personal data).
	Value string `json:"value"`
	// MultiValues are the values of a field that takes several (personal
	// data).
	MultiValues []string `json:"multiValues"`
	// TabularData are the rows of a table field (personal data).
	TabularData [][]string `json:"tabularData"`
	// Type is the field's type ("text", "dropdown", "date", "table", …).
	Type string `json:"type"`
}

// Template is a contract type's form (GetBusinessRequestTypeTemplateFields):
// the field keys CreateInvitationInput.RequestFieldsValues uses, and the
// values a field accepts. It holds no personal data, and prints and
// marshals as it is.
type Template struct {
	// ID is the contract type's ID.
	ID int `json:"id"`
	// Name is the contract type's name.
	Name string `json:"name"`
	// Fields are the form's fields.
	Fields []TemplateField `json:"fields"`
}

// TemplateField is one field of a Template.
type TemplateField struct {
	// Key is the field's key in CreateInvitationInput.RequestFieldsValues.
	Key string `json:"key"`
	// Type is the field's type ("text", "dropdown", "date", "table", …).
	Type string `json:"type"`
	// DisplayText and DisplayArText are the field's English and Arabic
	// labels.
	DisplayText   string `json:"displayText"`
	DisplayArText string `json:"displayArText"`
	// DefaultValue is the value the form starts with.
	DefaultValue string `json:"defaultValue"`
	// AvailableValues, when not empty, are the only values the field
	// accepts.
	AvailableValues []string `json:"availableValues"`
	// ParentQuestionKey and ParentQuestionValue, when set, show the field
	// only when the field ParentQuestionKey has the value
	// ParentQuestionValue.
	ParentQuestionKey   string `json:"parentQuestionKey"`
	ParentQuestionValue string `json:"parentQuestionValue"`
}

// Format prints the summary without its personal data, for every verb.
func (s BusinessRequestSummary) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "vlens.BusinessRequestSummary{%s}", s.fieldsString())
}

// fieldsString lists the summary's fields for Format, server text quoted
// so that it stays on one line.
func (s BusinessRequestSummary) fieldsString() string {
	return fmt.Sprintf("ID:%q, RequestNumber:%q, Type:%d, TypeName:%q, ContractTypeID:%d, ContractTypeName:%q, "+
		"Status:%s, StatusName:%q, FullName:%s, IDNumber:%s, CreatedAt:%s",
		s.ID, s.RequestNumber, s.Type, s.TypeName, s.ContractTypeID, s.ContractTypeName,
		s.Status, s.StatusName, mask(s.FullName), mask(s.IDNumber), s.CreatedAt.Format(time.RFC3339Nano))
}

// LogValue logs the summary without its personal data. Its receiver is a
// value so that a summary logs redacted in every slog handler.
func (s BusinessRequestSummary) LogValue() slog.Value {
	return slog.GroupValue(s.logAttrs()...)
}

func (s BusinessRequestSummary) logAttrs() []slog.Attr {
	return []slog.Attr{
		slog.String("id", s.ID), slog.String("requestNumber", s.RequestNumber),
		slog.Int("type", s.Type), slog.String("typeName", s.TypeName),
		slog.Int("contractTypeId", s.ContractTypeID), slog.String("contractTypeName", s.ContractTypeName),
		slog.String("status", s.Status.String()), slog.String("statusName", s.StatusName),
		maskAttr("fullName", s.FullName), maskAttr("idNumber", s.IDNumber),
		slog.Time("createdAt", s.CreatedAt),
	}
}

// Format prints the request without its personal data, for every verb. It
// is the request's own, so that fmt does not reach the summary's through
// the embedding and print a summary alone.
func (r BusinessRequest) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "vlens.BusinessRequest{%s, Fields:%s, Raw:%s}",
		r.fieldsString(), requestFieldsString(r.Fields), mask(string(r.Raw)))
}

// LogValue logs the request's summary and its fields' keys and types
// ("key:type"), without personal data. It is the request's own, as Format
// is.
func (r BusinessRequest) LogValue() slog.Value {
	keys := make([]string, len(r.Fields))
	for i, fl := range r.Fields {
		keys[i] = fl.Key + ":" + fl.Type
	}
	return slog.GroupValue(append(r.logAttrs(), slog.Any("fields", keys), maskAttr("raw", string(r.Raw)))...)
}

// requestFieldsString shows each field's key and type.
func requestFieldsString(fields []RequestField) string {
	if fields == nil {
		return "nil"
	}
	parts := make([]string, len(fields))
	for i, fl := range fields {
		parts[i] = strconv.Quote(fl.Key) + ":" + strconv.Quote(fl.Type)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// Format prints the field without its values, for every verb.
func (fl RequestField) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "vlens.RequestField{Key:%q, DisplayText:%q, DisplayArText:%q, Value:%s, MultiValues:%s, TabularData:%s, Type:%q}",
		fl.Key, fl.DisplayText, fl.DisplayArText, mask(fl.Value), maskLen(len(fl.MultiValues), fl.MultiValues == nil),
		maskLen(len(fl.TabularData), fl.TabularData == nil), fl.Type)
}

// LogValue logs the field's key, labels and type, never its values. Its
// receiver is a value so that a field logs redacted in every slog handler.
func (fl RequestField) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key", fl.Key), slog.String("displayText", fl.DisplayText),
		slog.String("displayArText", fl.DisplayArText), slog.String("type", fl.Type), maskAttr("value", fl.Value),
		slog.String("multiValues", maskLen(len(fl.MultiValues), fl.MultiValues == nil)),
		slog.String("tabularData", maskLen(len(fl.TabularData), fl.TabularData == nil)))
}

// maskLen shows how many values a list holds without showing them.
func maskLen(n int, isNil bool) string {
	if isNil {
		return "nil"
	}
	return "[" + strconv.Itoa(n) + " " + redacted + "]"
}
