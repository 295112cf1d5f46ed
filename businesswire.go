package vlens

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// The business-request reads' inputs and the shapes Vlens answers with,
// decoded tolerantly into the public types: unknown fields are ignored, a
// status in any spelling is kept, an unreadable creationTime leaves
// CreatedAt zero, and null arrays stay nil.

// idInput is a business request's ID, checked before anything is sent. An
// ID names a request, not a person, so it is not redacted.
type idInput string

// Validate checks that the ID is a UUID.
func (id idInput) Validate() error {
	if !isUUID(string(id)) {
		return &ValidationError{input: "business request ID", Fields: []FieldError{
			{Field: "id", Message: "must be a UUID (8-4-4-4-12 hex digits)"}}}
	}
	return nil
}

func (idInput) secrets() sensitive { return sensitive{} }

// isUUID reports whether s is 8-4-4-4-12 hex digits, either case.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}

// templateInput is a contract type ID.
type templateInput int

// Validate checks that the ID is positive.
func (id templateInput) Validate() error {
	if id <= 0 {
		return &ValidationError{input: "template request", Fields: []FieldError{
			{Field: "contractTypeID", Message: "must be positive"}}}
	}
	return nil
}

func (templateInput) secrets() sensitive { return sensitive{} }

// pageInput is a list page's request: it sends nothing but its query, and
// carries the personal values of the pages already read (the latest
// maxPageSecrets), which the next page's error text must not echo.
type pageInput struct{ personal []string }

// Validate accepts every page.
func (pageInput) Validate() error { return nil }

func (in pageInput) secrets() sensitive { return sensitive{personal: in.personal} }

// with returns the input with values added, the oldest dropped past the
// bound. It never writes to in's array, which an earlier call may hold.
func (in pageInput) with(values ...string) pageInput {
	all := slices.Concat(in.personal, values)
	return pageInput{personal: all[max(0, len(all)-maxPageSecrets):]}
}

// wireSummary is one request as CurrentListIds and GetBusinessRequestById
// send it.
type wireSummary struct {
	ID                string          `json:"id"`
	RequestNumber     string          `json:"requestNumber"`
	Type              int             `json:"type"`
	TypeName          string          `json:"typeName"`
	ContractTypeID    int             `json:"contractTypeId"`
	ContractTypeName  string          `json:"contractTypeName"`
	Status            json.RawMessage `json:"requeststatus"`
	RequestStatusName string          `json:"requestStatusName"`
	FullName          string          `json:"fullName"`
	IDNumber          string          `json:"idNumber"`
	CreationTime      string          `json:"creationTime"`
}

func (w *wireSummary) summary() BusinessRequestSummary {
	s := BusinessRequestSummary{
		ID: w.ID, RequestNumber: w.RequestNumber, Type: w.Type, TypeName: w.TypeName,
		ContractTypeID: w.ContractTypeID, ContractTypeName: w.ContractTypeName,
		StatusName: w.RequestStatusName, FullName: w.FullName, IDNumber: w.IDNumber,
		CreatedAt: platformTime(w.CreationTime),
	}
	_ = s.Status.UnmarshalJSON(w.Status) // tolerant: an unknown status is 0, never an error
	var name string
	if s.StatusName == "" && json.Unmarshal(w.Status, &name) == nil {
		s.StatusName = name // the status came as text: keep it as sent
	}
	return s
}

// platformTime reads the platform's times: RFC 3339 with a zone, or without
// one (taken as UTC, the platform's clock), with up to 9 fractional digits
// ("2025-12-11T11:27:18.6197007"). Anything else is the zero time.
func platformTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// wirePage is one page of CurrentListIds: data, with totalCount and
// returnedCount beside it in the envelope.
type wirePage struct {
	Data  []wireSummary
	count struct {
		Total    *int `json:"totalCount"`
		Returned *int `json:"returnedCount"`
	}
}

func (p *wirePage) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &p.Data) }

// beside is where decodeEnvelope reads the envelope's other fields.
func (p *wirePage) beside() any { return &p.count }

// last reports whether the page read from skip is the list's last: it is
// short, or reaches totalCount.
func (p *wirePage) last(skip, size int) bool {
	n := len(p.Data)
	if r := p.count.Returned; r != nil {
		n = min(n, *r)
	}
	return n < size || p.count.Total != nil && skip+len(p.Data) >= *p.count.Total
}

// errNotObject refuses data that is not a JSON object.
var errNotObject = errors.New("not an object")

// wireRequest is GetBusinessRequestById's data; raw keeps it whole.
type wireRequest struct {
	wireSummary
	RequestFields []wireField `json:"requestFields"`
	raw           json.RawMessage
}

type wireField struct {
	Key           string     `json:"key"`
	DisplayText   string     `json:"displayText"`
	DisplayArText string     `json:"displayArText"`
	Value         string     `json:"value"`
	MultiValues   []string   `json:"multiValues"`
	TabularData   [][]string `json:"tabularData"`
	Type          string     `json:"type"`
}

func (w *wireRequest) UnmarshalJSON(b []byte) error {
	if !looksLikeObject(b) {
		return errNotObject
	}
	type plain wireRequest // without this method
	if err := json.Unmarshal(b, (*plain)(w)); err != nil {
		return err
	}
	w.raw = bytes.Clone(b)
	return nil
}

func (w *wireRequest) request() *BusinessRequest {
	r := &BusinessRequest{BusinessRequestSummary: w.summary(), Raw: w.raw}
	for _, f := range w.RequestFields {
		r.Fields = append(r.Fields, RequestField(f))
	}
	return r
}

// wireTemplate is GetBusinessRequestTypeTemplateFields' data.
type wireTemplate struct {
	ID     int                 `json:"id"`
	Name   string              `json:"name"`
	Fields []wireTemplateField `json:"requestsFields"`
}

// wireTemplateField is a template field as Vlens sends it: the SDK's
// TemplateField (whose JSON names are Vlens's) and the questions nested in it.
type wireTemplateField struct {
	TemplateField
	RelatedQuestions []wireTemplateField `json:"relatedQuestions"`
}

func (w *wireTemplate) UnmarshalJSON(b []byte) error {
	if !looksLikeObject(b) {
		return errNotObject
	}
	type plain wireTemplate
	return json.Unmarshal(b, (*plain)(w))
}

func (w *wireTemplate) template() *Template {
	t := &Template{ID: w.ID, Name: w.Name}
	var flatten func(fields []wireTemplateField, parent string)
	flatten = func(fields []wireTemplateField, parent string) {
		for _, f := range fields {
			if f.ParentQuestionKey == "" {
				f.ParentQuestionKey = parent
			}
			t.Fields = append(t.Fields, f.TemplateField)
			flatten(f.RelatedQuestions, f.Key)
		}
	}
	flatten(w.Fields, "")
	return t
}
