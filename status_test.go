package vlens

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestStatusString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status RequestStatus
		want   string
	}{
		{StatusPendingApproval, "Pending Approval"},
		{StatusApproved, "Approved"},
		{StatusRejected, "Rejected"},
		{StatusCustomerSigned, "Customer Signed"},
		{0, "RequestStatus(0)"},
		{5, "RequestStatus(5)"},
		{7, "RequestStatus(7)"},
		{-1, "RequestStatus(-1)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.status.String(), "%d", int(tt.status))
	}
}

// TestParseRequestStatusReadsEverySpelling: the examples' numbers, the
// OpenAPI's numeric strings, requestStatusName's names and the webhooks'
// names without spaces, in any case.
func TestParseRequestStatusReadsEverySpelling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want RequestStatus
	}{
		{"1", StatusPendingApproval},
		{"2", StatusApproved},
		{"4", StatusCustomerSigned},
		{"7", 7}, // a number Vlens does not name is kept
		{"2147483647", 2147483647},
		{"002", StatusApproved},
		{" 2\n", StatusApproved},
		{"Pending Approval", StatusPendingApproval},
		{"PendingApproval", StatusPendingApproval},
		{"pending approval", StatusPendingApproval},
		{"PENDING_APPROVAL", StatusPendingApproval},
		{"pending-approval", StatusPendingApproval},
		{"\tPending Approval ", StatusPendingApproval},
		{"Approved", StatusApproved},
		{"APPROVED", StatusApproved},
		{"rejected", StatusRejected},
		{"Customer Signed", StatusCustomerSigned},
		{"CustomerSigned", StatusCustomerSigned},
		{"customer_signed", StatusCustomerSigned},
	}
	for _, tt := range tests {
		got, ok := ParseRequestStatus(tt.in)
		assert.True(t, ok, "%q", tt.in)
		assert.Equal(t, tt.want, got, "%q", tt.in)
	}
}

func TestParseRequestStatusRefuses(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"", "   ", "0", "-1", "+2", "2.0", "2.5", "1e3", "0x2", "2147483648", "99999999999999999999",
		"Completed", "Service Provider Signed", // documented names whose numbers are not
		"Approve", "Approved!", "Pending  Approval", "Pending_Approval-x", "Pending-Approval_", "Pending_ Approval",
		"Cuſtomer Signed", // a look-alike letter is not a name
		"RequestStatus(2)",
	} {
		got, ok := ParseRequestStatus(in)
		assert.False(t, ok, "%q", in)
		assert.Zero(t, got, "%q", in)
	}
}

// TestRequestStatusDecodesEverySpelling: an answer's status decodes from an
// integer, a numeric string or a name; an unknown number is kept, and
// anything else is 0 without failing the answer.
func TestRequestStatusDecodesEverySpelling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json string
		want RequestStatus
	}{
		{`2`, StatusApproved},
		{`4`, StatusCustomerSigned},
		{`"2"`, StatusApproved},
		{`" 3 "`, StatusRejected},
		{`"Approved"`, StatusApproved},
		{`"PendingApproval"`, StatusPendingApproval},
		{`"Pending Approval"`, StatusPendingApproval},
		{`"pending approval"`, StatusPendingApproval},
		{`"CUSTOMER SIGNED"`, StatusCustomerSigned},
		{`"Pending\u0020Approval"`, StatusPendingApproval},
		{`7`, 7},
		{`"8"`, 8},
		// Unknown and odd spellings are 0 and no error.
		{`"Completed"`, 0},
		{`"ServiceProviderSigned"`, 0},
		{`""`, 0},
		{`null`, 0},
		{`0`, 0},
		{`-2`, 0},
		{`2.5`, 0},
		{`2.0`, 0},
		{`2e0`, 0},
		{`99999999999999999999`, 0},
		{`true`, 0},
		{`{"id":2}`, 0},
		{`[2]`, 0},
	}
	for _, tt := range tests {
		var got struct {
			S RequestStatus `json:"s"`
		}
		got.S = 99 // a value decoded into twice does not keep a stale status
		require.NoError(t, json.Unmarshal([]byte(`{"s":`+tt.json+`}`), &got), tt.json)
		assert.Equal(t, tt.want, got.S, tt.json)
	}
}

func TestRequestStatusRejectsBrokenJSONString(t *testing.T) {
	t.Parallel()
	var s RequestStatus
	assert.Error(t, s.UnmarshalJSON([]byte(`"Approved`)))
	assert.NoError(t, s.UnmarshalJSON([]byte(`Approved`)), "not JSON, not a string: no status")
	assert.Zero(t, s)
}

// TestRequestStatusMarshalsAsItsNumber: JSON is data, and the number is
// what Vlens sends; it round-trips, an unknown number included.
func TestRequestStatusMarshalsAsItsNumber(t *testing.T) {
	t.Parallel()
	for s, want := range map[RequestStatus]string{StatusApproved: "2", 7: "7", 0: "0"} {
		b, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, want, string(b))
		var back RequestStatus
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, s, back)
	}
}

// FuzzRequestStatus: no input panics the parser or the decoder, a parsed
// status is positive, and a known status's name parses back to it.
func FuzzRequestStatus(f *testing.F) {
	for _, s := range []string{`2`, `"2"`, `"Pending Approval"`, `"PENDING_APPROVAL"`, `null`, `2.5`, `{"a":1}`, `"\u017f"`, `-0`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if s, ok := ParseRequestStatus(in); ok {
			require.Positive(t, int(s))
			if int(s) < len(statusNames) {
				back, ok := ParseRequestStatus(s.String())
				require.True(t, ok)
				require.Equal(t, s, back)
			}
		}
		var s RequestStatus
		_ = s.UnmarshalJSON([]byte(in))
		require.GreaterOrEqual(t, int(s), 0)
	})
}
