package vlens

import (
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loanTemplate is contract type 414's form: free text, a dropdown, and a
// related question shown under one of the dropdown's answers.
var loanTemplate = &Template{ID: 414, Name: "Personal loan", Fields: []TemplateField{
	{Key: "fullName", Type: "text"},
	{Key: "gender", Type: "dropdown", AvailableValues: []string{"Male", "Female"}},
	{Key: "employer", Type: "text", ParentQuestionKey: "employment", ParentQuestionValue: "Employed"},
	{Key: "employment", Type: "dropdown", AvailableValues: []string{"Employed", "Self-employed"}},
}}

var leaseTemplate = &Template{ID: 415, Name: "Lease", Fields: []TemplateField{{Key: "address", Type: "text"}}}

func TestCheckAgainstPassesAFormItsTemplatesAccept(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		forms     map[int]map[string]string
		templates []*Template
	}{
		{"keys, an available value and a related question", map[int]map[string]string{
			414: {"fullName": "Ahmed Mohamed", "gender": "Male", "employment": "Employed", "employer": "Nile Tech"},
		}, []*Template{loanTemplate}},
		{"two contract types, nil templates skipped", map[int]map[string]string{
			414: {"gender": "Female"}, 415: {"address": "12 Nile St"},
		}, []*Template{nil, leaseTemplate, nil, loanTemplate}},
		{"templates with one ID count as one", map[int]map[string]string{
			414: {"fullName": "A", "extra": "B"},
		}, []*Template{loanTemplate, {ID: 414, Fields: []TemplateField{{Key: "extra"}}}}},
		{"no form values need no template", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := CreateInvitationInput{PhoneNumber: testPhone, RequestFieldsValues: tt.forms}
			assert.NoError(t, in.CheckAgainst(tt.templates...))
		})
	}
}

// TestCheckAgainstNamesEveryBadFieldNeverAValue: an unknown key, a value
// outside AvailableValues and a contract type without a template are each
// named, and no value appears in the error.
func TestCheckAgainstNamesEveryBadFieldNeverAValue(t *testing.T) {
	t.Parallel()
	in := CreateInvitationInput{PhoneNumber: testPhone, RequestFieldsValues: map[int]map[string]string{
		414: {
			"fullName":   "Ahmed Canary",
			"gendre":     "Male",        // misspelt key
			"gender":     "male-CANARY", // outside Male, Female
			"employment": "",            // empty is outside too
		},
		999: {"anything": "value-CANARY"}, // no template given
	}}
	err := in.CheckAgainst(loanTemplate, leaseTemplate)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalidRequest)
	var ve *ValidationError
	require.True(t, errors.As(err, &ve))
	assert.Equal(t, []FieldError{
		{Field: `RequestFieldsValues[414]["employment"]`, Message: "must be one of the field's available values"},
		{Field: `RequestFieldsValues[414]["gender"]`, Message: "must be one of the field's available values"},
		{Field: `RequestFieldsValues[414]["gendre"]`, Message: "is not a field of the contract type's template"},
		{Field: `RequestFieldsValues[999]`, Message: "no template was given for this contract type"},
	}, ve.Fields)
	for _, v := range []string{"Ahmed Canary", "male-CANARY", "value-CANARY", "Male"} {
		assert.NotContains(t, err.Error(), v)
	}
}

func TestCheckAgainstWithoutTemplatesNamesEachContractType(t *testing.T) {
	t.Parallel()
	in := CreateInvitationInput{RequestFieldsValues: map[int]map[string]string{414: {"fullName": "A"}}}
	for _, templates := range [][]*Template{nil, {nil}, {leaseTemplate}} {
		var ve *ValidationError
		require.ErrorAs(t, in.CheckAgainst(templates...), &ve)
		assert.Equal(t, []FieldError{{Field: "RequestFieldsValues[414]", Message: "no template was given for this contract type"}}, ve.Fields)
	}
}

// TestCheckAgainstBoundsItsError: a form of many unknown keys gets an
// error of bounded length.
func TestCheckAgainstBoundsItsError(t *testing.T) {
	t.Parallel()
	form := map[string]string{}
	for i := range 1000 {
		form["key"+strconv.Itoa(i)] = "v"
	}
	in := CreateInvitationInput{RequestFieldsValues: map[int]map[string]string{414: form}}
	var ve *ValidationError
	require.ErrorAs(t, in.CheckAgainst(loanTemplate), &ve)
	require.Len(t, ve.Fields, maxListedIDs+1)
	assert.Equal(t, FieldError{Field: "RequestFieldsValues", Message: "and 990 more bad fields"}, ve.Fields[maxListedIDs])
}
