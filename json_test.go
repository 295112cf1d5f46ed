package vlens

// JSON is data; fmt and slog are logs. The SDK's types marshal what they
// hold and unmarshal back, while every way of printing or logging them
// hides their secrets.

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var jsonTime = time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC)

// businessRequest is a request holding personal data in every field that
// can: the summary's name and ID number, each kind of field value, Raw.
var businessRequest = BusinessRequest{
	BusinessRequestSummary: BusinessRequestSummary{ID: "3fa85f64-5717-4562-b3fc-2c963f66afa6", RequestNumber: "REQ-1",
		Type: 2, TypeName: "Loan", ContractTypeID: 414, ContractTypeName: "Personal loan", Status: StatusApproved,
		StatusName: "Approved", FullName: "Ahmed PRINT-CANARY", IDNumber: "28706123456789", CreatedAt: jsonTime},
	Fields: []RequestField{
		{Key: "salary", DisplayText: "Salary", Type: "text", Value: "value-PRINT-CANARY"},
		{Key: "services", Type: "multi", MultiValues: []string{"multi-PRINT-CANARY"}},
		{Key: "installments", Type: "table", TabularData: [][]string{{"cell-PRINT-CANARY"}}},
	},
	Raw: json.RawMessage(`{"fullName":"raw-PRINT-CANARY"}`),
}

// businessRequestSecrets are businessRequest's personal values.
var businessRequestSecrets = []string{"PRINT-CANARY", "28706123456789"}

func TestJSONCarriesTheData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value any // a value; its pointer marshals the same
		want  string
	}{
		{"AuthSession marshals its token", AuthSession{Token: "tok-JSON-1"}, `{"token":"tok-JSON-1"}`},
		{"CreateInvitationInput marshals its own fields, not the wire's wrapper", invitationInput,
			`{"phoneNumber":"+201234567890","sessionPermissions":{"allowedContractTypeIds":[414],"minimalSignatureFlow":true,"DigitalIdentityOnly":false},` +
				`"RequestFieldsValues":{"414":{"fullName":"Ahmed Mohamed","monthlyIncome":"5000"}}}`},
		{"empty CreateInvitationInput", CreateInvitationInput{}, `{}`},
		{"AdminToken marshals its tokens and times",
			AdminToken{AccessToken: "access-JSON", ExpiresAt: jsonTime, RefreshToken: "refresh-JSON", RefreshTokenExpiresAt: jsonTime.Add(time.Hour)},
			`{"accessToken":"access-JSON","expiresAt":"2026-12-05T14:00:00Z","refreshToken":"refresh-JSON","refreshTokenExpiresAt":"2026-12-05T15:00:00Z"}`},
		{"AdminCredentials marshal every field, as a config file holds them", testCreds,
			`{"tenancyName":"acme","userNameOrEmailAddress":"admin@acme.example","password":"s3cret-pass-w0rd"}`},
		{"CreateAuthSessionInput marshals its fields", CreateAuthSessionInput{PhoneNumber: testPhone, UserPublicKey: "KEY"},
			`{"phoneNumber":"+201234567890","userPublicKey":"KEY"}`},
		{"BusinessRequestSummary marshals its personal data, status as a number", businessRequest.BusinessRequestSummary,
			`{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","requestNumber":"REQ-1","type":2,"typeName":"Loan","contractTypeId":414,` +
				`"contractTypeName":"Personal loan","status":2,"statusName":"Approved","fullName":"Ahmed PRINT-CANARY",` +
				`"idNumber":"28706123456789","createdAt":"2026-12-05T14:00:00Z"}`},
		{"BusinessRequest flattens its summary and marshals fields and Raw", businessRequest,
			`{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","requestNumber":"REQ-1","type":2,"typeName":"Loan","contractTypeId":414,` +
				`"contractTypeName":"Personal loan","status":2,"statusName":"Approved","fullName":"Ahmed PRINT-CANARY",` +
				`"idNumber":"28706123456789","createdAt":"2026-12-05T14:00:00Z","fields":[` +
				`{"key":"salary","displayText":"Salary","displayArText":"","value":"value-PRINT-CANARY","multiValues":null,"tabularData":null,"type":"text"},` +
				`{"key":"services","displayText":"","displayArText":"","value":"","multiValues":["multi-PRINT-CANARY"],"tabularData":null,"type":"multi"},` +
				`{"key":"installments","displayText":"","displayArText":"","value":"","multiValues":null,"tabularData":[["cell-PRINT-CANARY"]],"type":"table"}],` +
				`"raw":{"fullName":"raw-PRINT-CANARY"}}`},
		{"BusinessRequest without Raw leaves it out and keeps it nil", BusinessRequest{Fields: []RequestField{}},
			`{"id":"","requestNumber":"","type":0,"typeName":"","contractTypeId":0,"contractTypeName":"","status":0,"statusName":"",` +
				`"fullName":"","idNumber":"","createdAt":"0001-01-01T00:00:00Z","fields":[]}`},
		{"Template marshals as it is", *loanTemplate,
			`{"id":414,"name":"Personal loan","fields":[` +
				`{"key":"fullName","type":"text","displayText":"","displayArText":"","defaultValue":"","availableValues":null,"parentQuestionKey":"","parentQuestionValue":""},` +
				`{"key":"gender","type":"dropdown","displayText":"","displayArText":"","defaultValue":"","availableValues":["Male","Female"],"parentQuestionKey":"","parentQuestionValue":""},` +
				`{"key":"employer","type":"text","displayText":"","displayArText":"","defaultValue":"","availableValues":null,"parentQuestionKey":"employment","parentQuestionValue":"Employed"},` +
				`{"key":"employment","type":"dropdown","displayText":"","displayArText":"","defaultValue":"","availableValues":["Employed","Self-employed"],"parentQuestionKey":"","parentQuestionValue":""}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ptr := reflect.New(reflect.TypeOf(tt.value))
			ptr.Elem().Set(reflect.ValueOf(tt.value))
			for _, v := range []any{tt.value, ptr.Interface()} {
				b, err := json.Marshal(v)
				require.NoError(t, err)
				assert.Equal(t, tt.want, string(b), "%T", v)
			}
			back := reflect.New(reflect.TypeOf(tt.value))
			require.NoError(t, json.Unmarshal([]byte(tt.want), back.Interface()))
			assert.Equal(t, tt.value, back.Elem().Interface(), "round trip")
		})
	}
}

// TestSessionFromACallMarshalsItsToken: a handler that encodes the session
// for its front end sends the token.
func TestSessionFromACallMarshalsItsToken(t *testing.T) {
	t.Parallel()
	_, s, err := createWith(t, reply(200, tokenBody("tok-for-the-front-end")))
	require.NoError(t, err)
	b, err := json.Marshal(s)
	require.NoError(t, err)
	assert.JSONEq(t, `{"token":"tok-for-the-front-end"}`, string(b))

	var old AuthSession
	require.NoError(t, json.Unmarshal([]byte(`{"Token":"tok-old-key"}`), &old))
	assert.Equal(t, "tok-old-key", old.Token, "the field name decodes in any case")
}

// TestInvitationInputThroughAJobQueue: an input marshalled, queued and
// unmarshalled is the same input, and CreateInvitation sends it in the
// wire's wrapper exactly as it sends the original.
func TestInvitationInputThroughAJobQueue(t *testing.T) {
	t.Parallel()
	queued, err := json.Marshal(invitationInput)
	require.NoError(t, err)
	var in CreateInvitationInput
	require.NoError(t, json.Unmarshal(queued, &in))
	require.Equal(t, invitationInput, in)

	v := newAdminVlens(t)
	c := v.client(t)
	for _, in := range []CreateInvitationInput{invitationInput, in} {
		_, err := c.CreateInvitation(context.Background(), in)
		require.NoError(t, err)
	}
	assert.Equal(t, `{"SessionInput":`+string(queued)+`}`, v.body(CreateInvitationPath, 0))
	assert.Equal(t, v.body(CreateInvitationPath, 0), v.body(CreateInvitationPath, 1))
}

// shapes are the ways a value reaches a printer: as it is, through a
// pointer, and nested in the caller's struct, slice and map.
func shapes[T any](v T) map[string]any {
	return map[string]any{
		"value": v, "pointer": &v,
		"in a struct": struct{ V T }{v}, "pointer in a struct": struct{ P *T }{&v},
		"in a slice": []T{v}, "in a map": map[string]T{"k": v},
	}
}

// nested reports whether a shape holds the value inside another, which
// slog's JSON handler hands to encoding/json (see
// TestSlogJSONHandlerMarshalsNestedValues).
func nested(shape string) bool { return shape != "value" && shape != "pointer" }

// TestPrintingRedactsEveryType: every type that holds a secret, in every
// shape, printed with every fmt verb and logged with slog's text and JSON
// handlers, shows none of its secrets.
func TestPrintingRedactsEveryType(t *testing.T) {
	t.Parallel()
	client, err := NewClient("api-key-PRINT-CANARY")
	require.NoError(t, err)
	phone := "+209876543210"
	types := []struct {
		name    string
		shapes  map[string]any
		secrets []string
	}{
		{"AuthSession", shapes(AuthSession{Token: "tok-PRINT-CANARY"}), []string{"tok-PRINT-CANARY"}},
		{"CreateAuthSessionInput", shapes(CreateAuthSessionInput{PhoneNumber: phone, Email: "print.canary@example.org", UserPublicKey: "PUBKEY-PRINT-CANARY"}),
			[]string{phone, phone[1:], "print.canary@example.org", "PUBKEY-PRINT-CANARY"}},
		{"CreateInvitationInput", shapes(CreateInvitationInput{PhoneNumber: phone, Email: "print.canary@example.org",
			RequestFieldsValues: map[int]map[string]string{414: {"fullName": "Ahmed Canary"}}}),
			[]string{phone, phone[1:], "print.canary@example.org", "Ahmed Canary"}},
		{"AdminCredentials", shapes(AdminCredentials{TenancyName: "acme", UserNameOrEmailAddress: "admin-PRINT-CANARY", Password: "pass-PRINT-CANARY"}),
			[]string{"admin-PRINT-CANARY", "pass-PRINT-CANARY"}},
		{"AdminToken", shapes(AdminToken{AccessToken: "access-PRINT-CANARY", ExpiresAt: jsonTime, RefreshToken: "refresh-PRINT-CANARY"}),
			[]string{"access-PRINT-CANARY", "refresh-PRINT-CANARY"}},
		{"Client", shapes(client), []string{"api-key-PRINT-CANARY"}},
		{"BusinessRequestSummary", shapes(businessRequest.BusinessRequestSummary), businessRequestSecrets},
		{"BusinessRequest", shapes(businessRequest), businessRequestSecrets},
		{"RequestField", shapes(businessRequest.Fields[0]), businessRequestSecrets},
		{"RequestField with many values", shapes(businessRequest.Fields[1]), businessRequestSecrets},
		{"RequestField of a table", shapes(businessRequest.Fields[2]), businessRequestSecrets},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}
	handlers := map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"JSON": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	}
	for _, ty := range types {
		t.Run(ty.name, func(t *testing.T) {
			t.Parallel()
			var needles []string // each secret as it is and as %x and %X write it
			for _, s := range ty.secrets {
				needles = append(needles, s, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s))))
			}
			check := func(out, what string) {
				t.Helper()
				for _, n := range needles {
					assert.NotContains(t, out, n, what)
				}
			}
			for shape, v := range ty.shapes {
				for _, verb := range verbs {
					check(fmt.Sprintf(verb, v), verb+" of the "+shape)
				}
				check(fmt.Sprint(v)+fmt.Sprintln(v), "Sprint of the "+shape)
				for name, h := range handlers {
					if name == "JSON" && nested(shape) {
						continue
					}
					var buf bytes.Buffer
					slog.New(h(&buf)).Info("m", "v", v, slog.Group("g", "v", v))
					slog.New(h(&buf)).With("v", v).Info("m")
					check(buf.String(), "slog's "+name+" handler, the "+shape)
					assert.NotEmpty(t, buf.String())
				}
			}
		})
	}
}

// TestSlogJSONHandlerMarshalsNestedValues pins where the rule's two halves
// meet: slog's JSON handler calls LogValue on an attribute's own value, but
// encodes a struct, slice or map holding an SDK value with encoding/json,
// which carries the data. Log an SDK value as an attribute of its own.
func TestSlogJSONHandlerMarshalsNestedValues(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s := AuthSession{Token: "tok-NESTED"}
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "own", s, "nested", []AuthSession{s})
	var rec map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
	assert.Equal(t, map[string]any{"token": redacted}, rec["own"])
	assert.Equal(t, []any{map[string]any{"token": "tok-NESTED"}}, rec["nested"])
}

// TestNilPointersPrint: fmt prints a nil pointer to any of the types as
// <nil>, and slog neither crashes nor shows anything but its own notice.
func TestNilPointersPrint(t *testing.T) {
	t.Parallel()
	for _, v := range []any{(*AuthSession)(nil), (*CreateAuthSessionInput)(nil), (*CreateInvitationInput)(nil),
		(*AdminCredentials)(nil), (*AdminToken)(nil), (*Client)(nil),
		(*BusinessRequestSummary)(nil), (*BusinessRequest)(nil), (*RequestField)(nil)} {
		for _, verb := range []string{"%v", "%+v", "%s"} {
			assert.Equal(t, "<nil>", fmt.Sprintf(verb, v), "%s of %T", verb, v)
		}
		var buf bytes.Buffer
		assert.NotPanics(t, func() {
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "v", v)
			slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "v", v)
		})
	}
}

// TestBusinessRequestPrintsAsItself: a request has its own Format and
// LogValue, so that fmt and slog do not reach the embedded summary's and
// show a summary alone; they show the fields' keys and types.
func TestBusinessRequestPrintsAsItself(t *testing.T) {
	t.Parallel()
	want := `vlens.BusinessRequest{ID:"3fa85f64-5717-4562-b3fc-2c963f66afa6", RequestNumber:"REQ-1", Type:2, TypeName:"Loan", ` +
		`ContractTypeID:414, ContractTypeName:"Personal loan", Status:Approved, StatusName:"Approved", FullName:[redacted], ` +
		`IDNumber:[redacted], CreatedAt:2026-12-05T14:00:00Z, Fields:["salary":"text" "services":"multi" "installments":"table"], Raw:[redacted]}`
	assert.Equal(t, want, fmt.Sprintf("%+v", businessRequest))
	assert.Equal(t, strings.Replace(want[:strings.Index(want, ", Fields:")], "Request{", "RequestSummary{", 1)+"}",
		fmt.Sprint(businessRequest.BusinessRequestSummary), "the summary prints the same fields")

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "r", businessRequest)
	var rec struct{ R map[string]any }
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
	assert.Equal(t, []any{"salary:text", "services:multi", "installments:table"}, rec.R["fields"])
	assert.Equal(t, "Approved", rec.R["status"])
	assert.Equal(t, redacted, rec.R["raw"])
	assert.Equal(t, "3fa85f64-5717-4562-b3fc-2c963f66afa6", rec.R["id"])
}
