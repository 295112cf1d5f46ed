package vlens

import (
	"maps"
	"slices"
	"strconv"
)

// CheckAgainst checks the input's RequestFieldsValues against the contract
// types' templates (from GetTemplate), before anything is sent: every
// contract type must have its template among templates, every key must be
// one of its template's fields (a related question, shown only under a
// parent's answer, included), and a value for a field with AvailableValues
// must be one of them, exactly, letter case included (an empty value too).
// It returns nil or a *ValidationError (it matches ErrInvalidRequest)
// naming each bad contract type and key, as in
// `RequestFieldsValues[414]["gender"]`, never a value, and at most 10 of
// them followed by how many more.
//
// Nil templates are skipped; templates with the same ID count as one, their
// fields together. A contract type with no template is an error, not a
// pass, so that a forgotten template cannot hide a misspelt key. CheckAgainst
// does not repeat Validate's checks, which CreateInvitation makes anyway.
func (in CreateInvitationInput) CheckAgainst(templates ...*Template) error {
	known := map[int]map[string]TemplateField{} // contract type ID -> key -> field
	for _, t := range templates {
		if t == nil {
			continue
		}
		if known[t.ID] == nil {
			known[t.ID] = map[string]TemplateField{}
		}
		for _, f := range t.Fields {
			known[t.ID][f.Key] = f
		}
	}
	var fields []FieldError
	more := 0
	bad := func(field, msg string) {
		if len(fields) == maxListedIDs {
			more++
			return
		}
		fields = append(fields, FieldError{Field: field, Message: msg})
	}
	for _, id := range slices.Sorted(maps.Keys(in.RequestFieldsValues)) {
		name := "RequestFieldsValues[" + strconv.Itoa(id) + "]"
		form, ok := known[id]
		if !ok {
			bad(name, "no template was given for this contract type")
			continue
		}
		for _, key := range slices.Sorted(maps.Keys(in.RequestFieldsValues[id])) {
			f, ok := form[key]
			switch {
			case !ok:
				bad(name+"["+strconv.Quote(key)+"]", "is not a field of the contract type's template")
			case len(f.AvailableValues) > 0 && !slices.Contains(f.AvailableValues, in.RequestFieldsValues[id][key]):
				bad(name+"["+strconv.Quote(key)+"]", "must be one of the field's available values")
			}
		}
	}
	if more > 0 {
		fields = append(fields, FieldError{Field: "RequestFieldsValues", Message: "and " + strconv.Itoa(more) + " more bad fields"})
	}
	if fields != nil {
		return &ValidationError{Fields: fields, input: "CreateInvitationInput"}
	}
	return nil
}
