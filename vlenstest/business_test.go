package vlenstest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// readHeader is what the reads need: the API key and an admin bearer.
func readHeader(bearer string) http.Header {
	return http.Header{"Apikey": {vlenstest.TestAPIKey}, "Authorization": {"Bearer " + bearer}}
}

// getRaw sends a GET and returns the status and the answer decoded as a
// JSON object.
func getRaw(t *testing.T, url string, header http.Header) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var body map[string]any
	require.NoError(t, json.Unmarshal(raw, &body), "%s", raw)
	return resp.StatusCode, body
}

// session creates a session token over the wire for input.
func session(t *testing.T, srv *vlenstest.Server, input string) string {
	t.Helper()
	got := post(t, srv.URL+vlenstest.CreateAuthSessionPath,
		http.Header{"Apikey": {vlenstest.TestAPIKey}, "Content-Type": {"application/json"}}, input)
	require.Equal(t, http.StatusOK, got.status)
	var token string
	got.data(t, &token)
	return token
}

var (
	uuidPattern     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	creationPattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$`)
)

func TestGetBusinessRequestShape(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithTemplate(&vlens.Template{ID: 414, Name: "Personal loan", Fields: []vlens.TemplateField{
		{Key: "fullName", Type: "text", DisplayText: "Full name", DisplayArText: "الاسم"},
	}}))
	bearer := login(t, srv).access
	require.Equal(t, http.StatusOK, invite(t, srv, bearer).status)
	id := srv.CompleteSession(srv.Tokens()[0], vlens.StatusPendingApproval)
	require.Regexp(t, uuidPattern, id)

	status, body := getRaw(t, srv.URL+vlenstest.GetBusinessRequestPath+id, readHeader(bearer))
	require.Equal(t, http.StatusOK, status, body)
	assert.Nil(t, body["error_code"])
	data := body["data"].(map[string]any)
	assert.Equal(t, id, data["id"])
	assert.Equal(t, 1.0, data["requeststatus"], "an integer, as Vlens's examples send it")
	assert.Equal(t, "Pending Approval", data["requestStatusName"])
	assert.Equal(t, 414.0, data["contractTypeId"], "the session's first allowed contract type")
	assert.Equal(t, "Personal loan", data["contractTypeName"], "the template's name")
	assert.Equal(t, "REQ-000001", data["requestNumber"])
	assert.Regexp(t, `^\d{14}$`, data["idNumber"])
	assert.NotEmpty(t, data["fullName"])
	assert.Regexp(t, creationPattern, data["creationTime"])
	assert.Nil(t, data["lastModificationTime"])
	assert.Equal(t, []any{}, data["relatedBusinessRequest"])
	fields := data["requestFields"].([]any)
	require.Len(t, fields, 2, "the invitation's pre-filled form for 414")
	assert.Equal(t, map[string]any{"order": 1.0, "key": "fullName", "displayText": "Full name", "displayArText": "الاسم",
		"value": "Ahmed Mohamed", "multiValues": []any{}, "tabularData": []any{}, "type": "text", "visibleToUser": true}, fields[0])
	assert.Equal(t, "monthlyIncome", fields[1].(map[string]any)["key"], "a field the template lacks is labelled by its key")
	assert.Equal(t, "monthlyIncome", fields[1].(map[string]any)["displayText"])

	for _, want := range []string{id, strings.ToUpper(id)} { // a Guid binds in any case
		status, _ := getRaw(t, srv.URL+vlenstest.GetBusinessRequestPath+want, readHeader(bearer))
		assert.Equal(t, http.StatusOK, status, want)
	}
	reqs := srv.RequestsTo(vlenstest.GetBusinessRequestPath)
	require.Len(t, reqs, 3)
	assert.Equal(t, http.MethodGet, reqs[0].Method)
	assert.Equal(t, vlenstest.GetBusinessRequestPath+id, reqs[0].Path)
}

func TestCompleteSession(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithTokenFunc(func(vlens.CreateAuthSessionInput) string { return "same" }))
	first := session(t, srv, `{"phoneNumber":"+201234567890"}`)
	session(t, srv, `{"email":"a@example.com","sessionPermissions":{"allowedContractTypeIds":[7,8]}}`)

	id1 := srv.CompleteSession(first, vlens.StatusApproved)
	id2 := srv.CompleteSession(first, vlens.StatusRejected)
	assert.NotEqual(t, id1, id2, "a repeated token completes its sessions in turn")
	assert.PanicsWithValue(t, "vlenstest: CompleteSession: no session to complete: none was issued since the start or the last Reset, or each one is completed",
		func() { srv.CompleteSession(first, vlens.StatusApproved) }, "a session completes once")
	assert.Panics(t, func() { srv.CompleteSession("not issued", vlens.StatusApproved) })
	assert.Panics(t, func() { srv.CompleteSession(first, 0) })

	got := srv.BusinessRequests()
	require.Len(t, got, 2)
	assert.Equal(t, id1, got[0].ID, "the oldest first")
	assert.Equal(t, vlenstest.DefaultContractTypeID, got[0].ContractTypeID, "a session naming no contract type")
	assert.Equal(t, 7, got[1].ContractTypeID, "the first allowed contract type")
	assert.Equal(t, vlens.StatusRejected, got[1].Status)
	assert.Equal(t, "Rejected", got[1].StatusName)
	assert.Equal(t, "REQ-000002", got[1].RequestNumber)
	assert.Equal(t, "Contract type 7", got[1].ContractTypeName)
	assert.WithinDuration(t, time.Now(), got[0].CreatedAt, time.Minute)
	assert.Equal(t, time.UTC, got[0].CreatedAt.Location())
	assert.Empty(t, got[0].Fields)
	assert.True(t, json.Valid(got[0].Raw))

	srv.Reset()
	assert.Empty(t, srv.BusinessRequests(), "Reset forgets business requests")
	assert.Panics(t, func() { srv.CompleteSession(first, vlens.StatusApproved) }, "and the sessions")
}

func TestSetRequestStatus(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	bearer := login(t, srv).access
	id := srv.CompleteSession(session(t, srv, `{"phoneNumber":"+201234567890"}`), vlens.StatusPendingApproval)

	require.NoError(t, srv.SetRequestStatus(id, vlens.StatusCustomerSigned))
	_, body := getRaw(t, srv.URL+vlenstest.GetBusinessRequestPath+id, readHeader(bearer))
	data := body["data"].(map[string]any)
	assert.Equal(t, 4.0, data["requeststatus"])
	assert.Equal(t, "Customer Signed", data["requestStatusName"])
	assert.Regexp(t, creationPattern, data["lastModificationTime"])

	require.NoError(t, srv.SetRequestStatus(strings.ToUpper(id), 7))
	_, body = getRaw(t, srv.URL+vlenstest.GetBusinessRequestPath+id, readHeader(bearer))
	data = body["data"].(map[string]any)
	assert.Equal(t, 7.0, data["requeststatus"], "a number Vlens does not name is kept")
	assert.Equal(t, "", data["requestStatusName"], "and the fake invents no name for it")

	assert.Error(t, srv.SetRequestStatus("3fa85f64-5717-4562-b3fc-2c963f66afa6", vlens.StatusApproved))
	assert.Error(t, srv.SetRequestStatus(id, 0))
}

func TestListBusinessRequestsPages(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	bearer := login(t, srv).access
	var ids []string
	for range 5 {
		ids = append(ids, srv.CompleteSession(session(t, srv, `{"phoneNumber":"+201234567890"}`), vlens.StatusApproved))
	}
	list := func(query string) (int, map[string]any) {
		return getRaw(t, srv.URL+vlenstest.ListBusinessRequestsPath+query, readHeader(bearer))
	}
	pageIDs := func(body map[string]any) []string {
		var out []string
		for _, e := range body["data"].([]any) {
			out = append(out, e.(map[string]any)["id"].(string))
		}
		return out
	}
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"first page, the newest first", "?MaxResultCount=2&SkipCount=0", []string{ids[4], ids[3]}},
		{"second page", "?MaxResultCount=2&SkipCount=2", []string{ids[2], ids[1]}},
		{"short last page", "?MaxResultCount=2&SkipCount=4", []string{ids[0]}},
		{"past the end", "?MaxResultCount=2&SkipCount=5", nil},
		{"defaults: 10 from the start", "", []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"names in any case", "?maxresultcount=1&skipcount=1", []string{ids[3]}},
	} {
		status, body := list(tc.query)
		require.Equal(t, http.StatusOK, status, tc.name)
		assert.Equal(t, tc.want, pageIDs(body), tc.name)
		assert.Equal(t, 5.0, body["totalCount"], tc.name)
		assert.Equal(t, float64(len(tc.want)), body["returnedCount"], tc.name)
		assert.Contains(t, body, "error_code", tc.name)
	}
	_, body := list("?MaxResultCount=1")
	entry := body["data"].([]any)[0].(map[string]any)
	var keys []string
	for k := range entry {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"id", "typeName", "type", "contractTypeId", "contractTypeName", "idNumber",
		"requestNumber", "fullName", "requeststatus", "requestStatusName", "creationTime"}, keys)
	assert.Equal(t, 2.0, entry["requeststatus"])

	reqs := srv.RequestsTo(vlenstest.ListBusinessRequestsPath)
	require.NotEmpty(t, reqs)
	assert.Equal(t, "2", reqs[0].Query.Get("MaxResultCount"), "the query is recorded")
}

func TestTemplateShape(t *testing.T) {
	t.Parallel()
	tmpl := &vlens.Template{ID: 414, Name: "Personal loan", Fields: []vlens.TemplateField{
		{Key: "employment", Type: "dropdown", DisplayText: "Employment", AvailableValues: []string{"employed", "self-employed"}},
		{Key: "employer", Type: "text", DisplayText: "Employer", ParentQuestionKey: "employment", ParentQuestionValue: "employed"},
		{Key: "orphan", Type: "text", ParentQuestionKey: "missing", ParentQuestionValue: "x"},
		{Key: "a", ParentQuestionKey: "b"}, {Key: "b", ParentQuestionKey: "a"}, // a cycle loses no field
	}}
	srv := vlenstest.NewTestServer(t, vlenstest.WithTemplate(&vlens.Template{ID: 414, Name: "replaced"}), vlenstest.WithTemplate(tmpl))
	tmpl.Name = "changed after the option" // the server keeps a copy
	bearer := login(t, srv).access

	status, body := getRaw(t, srv.URL+vlenstest.GetTemplatePath+"?requestTypeId=414&isLocalized=false", readHeader(bearer))
	require.Equal(t, http.StatusOK, status, body)
	raw, err := json.Marshal(body["data"])
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":414,"name":"Personal loan","requestsFields":[
		{"key":"employment","type":"dropdown","displayText":"Employment","displayArText":"","defaultValue":"",
		 "availableValues":["employed","self-employed"],"availableValuesItems":[{"id":1,"name":"employed"},{"id":2,"name":"self-employed"}],
		 "parentQuestionKey":null,"parentQuestionValue":null,"relatedQuestions":[
			{"key":"employer","type":"text","displayText":"Employer","displayArText":"","defaultValue":"","availableValues":[],
			 "availableValuesItems":[],"parentQuestionKey":"employment","parentQuestionValue":"employed","relatedQuestions":[]}]},
		{"key":"orphan","type":"text","displayText":"","displayArText":"","defaultValue":"","availableValues":[],
		 "availableValuesItems":[],"parentQuestionKey":"missing","parentQuestionValue":"x","relatedQuestions":[]},
		{"key":"a","type":"","displayText":"","displayArText":"","defaultValue":"","availableValues":[],"availableValuesItems":[],
		 "parentQuestionKey":"b","parentQuestionValue":null,"relatedQuestions":[
			{"key":"b","type":"","displayText":"","displayArText":"","defaultValue":"","availableValues":[],"availableValuesItems":[],
			 "parentQuestionKey":"a","parentQuestionValue":null,"relatedQuestions":[]}]}]}`, string(raw))

	assert.Panics(t, func() { vlenstest.WithTemplate(nil) })
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithTemplate(&vlens.Template{ID: 414}))
	bearer := login(t, srv).access
	unknownID := "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	for _, tc := range []struct {
		name, method, path string
		header             http.Header
		status, code       int
		fields             []string
	}{
		{"malformed ID", "GET", vlenstest.GetBusinessRequestPath + "not-a-uuid", readHeader(bearer), 400, vlenstest.ErrorCodeMalformedBody, []string{"id"}},
		{"no ID", "GET", vlenstest.GetBusinessRequestPath, readHeader(bearer), 400, vlenstest.ErrorCodeMalformedBody, []string{"id"}},
		{"ID with more path", "GET", vlenstest.GetBusinessRequestPath + unknownID + "/x", readHeader(bearer), 400, vlenstest.ErrorCodeMalformedBody, []string{"id"}},
		{"unknown ID", "GET", vlenstest.GetBusinessRequestPath + unknownID, readHeader(bearer), 404, vlenstest.ErrorCodeNotFound, nil},
		{"page size 0", "GET", vlenstest.ListBusinessRequestsPath + "?MaxResultCount=0", readHeader(bearer), 400, vlenstest.ErrorCodeMalformedBody, []string{"MaxResultCount"}},
		{"page size over the cap", "GET", vlenstest.ListBusinessRequestsPath + "?MaxResultCount=1001", readHeader(bearer), 400, vlenstest.ErrorCodeMalformedBody, []string{"MaxResultCount"}},
		{"negative skip and a word", "GET", vlenstest.ListBusinessRequestsPath + "?SkipCount=-1&MaxResultCount=ten", readHeader(bearer), 400, vlenstest.ErrorCodeMalformedBody, []string{"SkipCount", "MaxResultCount"}},
		{"template ID missing", "GET", vlenstest.GetTemplatePath, readHeader(bearer), 400, vlenstest.ErrorCodeMalformedBody, []string{"requestTypeId"}},
		{"template ID not a number", "GET", vlenstest.GetTemplatePath + "?requestTypeId=loan", readHeader(bearer), 400, vlenstest.ErrorCodeMalformedBody, []string{"requestTypeId"}},
		{"isLocalized not a bool", "GET", vlenstest.GetTemplatePath + "?requestTypeId=414&isLocalized=maybe", readHeader(bearer), 400, vlenstest.ErrorCodeMalformedBody, []string{"isLocalized"}},
		{"unknown template", "GET", vlenstest.GetTemplatePath + "?requestTypeId=9", readHeader(bearer), 404, vlenstest.ErrorCodeNotFound, nil},
		{"no bearer", "GET", vlenstest.ListBusinessRequestsPath, http.Header{"Apikey": {vlenstest.TestAPIKey}}, 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"unknown bearer", "GET", vlenstest.GetTemplatePath + "?requestTypeId=414", readHeader("vlenstest_access_nope"), 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"no API key", "GET", vlenstest.ListBusinessRequestsPath, http.Header{"Authorization": {"Bearer " + bearer}}, 401, vlenstest.ErrorCodeUnauthorized, nil},
		{"POST to a read", "POST", vlenstest.ListBusinessRequestsPath, readHeader(bearer), 405, vlenstest.ErrorCodeMethodNotAllowed, nil},
		{"GET to a write", "GET", vlenstest.CreateAuthSessionPath, readHeader(bearer), 405, vlenstest.ErrorCodeMethodNotAllowed, nil},
	} {
		got := do(t, tc.method, srv.URL+tc.path, tc.header, "")
		assert.Equal(t, tc.status, got.status, tc.name)
		got.isError(t, tc.code, tc.fields)
		if tc.status == http.StatusMethodNotAllowed {
			want := map[string]string{"POST": "GET", "GET": "POST"}[tc.method]
			assert.Equal(t, want, got.header.Get("Allow"), tc.name)
		}
	}
	got := do(t, "GET", srv.URL+vlenstest.GetTemplatePath+"?requestTypeId=414&isLocalized=TRUE", readHeader(bearer), "")
	assert.Equal(t, http.StatusOK, got.status)
}

func TestReadsTakeFaultsAndTheRateLimit(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithRateLimit(0.001, 2))
	bearer := login(t, srv).access // the first of the burst of 2
	srv.Enqueue(vlenstest.Fault{Status: http.StatusServiceUnavailable})
	got := do(t, "GET", srv.URL+vlenstest.ListBusinessRequestsPath, readHeader(bearer), "")
	assert.Equal(t, http.StatusServiceUnavailable, got.status, "a fault comes first")
	got = do(t, "GET", srv.URL+vlenstest.ListBusinessRequestsPath, readHeader(bearer), "")
	assert.Equal(t, http.StatusOK, got.status)
	got = do(t, "GET", srv.URL+vlenstest.ListBusinessRequestsPath, readHeader(bearer), "")
	assert.Equal(t, http.StatusTooManyRequests, got.status, "the burst of 2 is spent")
	assert.NotEmpty(t, got.header.Get("Retry-After"))
}

func TestControlCompletesAndSetsStatus(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint())
	status, body := controlCall(t, srv, http.MethodPost, vlenstest.ControlCompletePath, `{}`)
	assert.Equal(t, http.StatusNotFound, status, "no session yet: %s", body)

	first := session(t, srv, `{"phoneNumber":"+201234567890"}`)
	session(t, srv, `{"phoneNumber":"+201234567891"}`)
	status, body = controlCall(t, srv, http.MethodPost, vlenstest.ControlCompletePath, `{}`)
	require.Equal(t, http.StatusOK, status, body)
	var done struct {
		ID, RequestNumber, StatusName string
		Status                        int
	}
	require.NoError(t, json.Unmarshal([]byte(body), &done))
	assert.Regexp(t, uuidPattern, done.ID)
	assert.Equal(t, 1, done.Status, "pending approval unless the body says otherwise")
	assert.Equal(t, "Pending Approval", done.StatusName)
	assert.NotContains(t, body, first, "no token in any answer")

	status, body = controlCall(t, srv, http.MethodPost, vlenstest.ControlCompletePath, `{"token":"`+first+`","status":"Approved"}`)
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"status":2`)
	status, _ = controlCall(t, srv, http.MethodPost, vlenstest.ControlCompletePath, `{}`)
	assert.Equal(t, http.StatusNotFound, status, "both sessions are completed")

	status, body = controlCall(t, srv, http.MethodPost, vlenstest.ControlStatusPath, `{"id":"`+done.ID+`","status":3}`)
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"statusName":"Rejected"`)
	assert.Equal(t, vlens.StatusRejected, srv.BusinessRequests()[0].Status)

	for _, tc := range []struct {
		name, path, body string
		status           int
	}{
		{"unknown ID", vlenstest.ControlStatusPath, `{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","status":3}`, 404},
		{"no status to set", vlenstest.ControlStatusPath, `{"id":"` + done.ID + `"}`, 400},
		{"unknown status name", vlenstest.ControlStatusPath, `{"id":"` + done.ID + `","status":"Lost"}`, 400},
		{"zero status", vlenstest.ControlCompletePath, `{"status":0}`, 400},
		{"unknown token", vlenstest.ControlCompletePath, `{"token":"nope"}`, 404},
		{"unknown field", vlenstest.ControlCompletePath, `{"tokn":"x"}`, 400},
		{"id to complete", vlenstest.ControlCompletePath, `{"id":"x"}`, 400},
		{"token to set a status", vlenstest.ControlStatusPath, `{"token":"x","status":2}`, 400},
		{"not JSON", vlenstest.ControlStatusPath, `status=2`, 400},
	} {
		status, body := controlCall(t, srv, http.MethodPost, tc.path, tc.body)
		assert.Equal(t, tc.status, status, "%s: %s", tc.name, body)
		assert.Contains(t, body, `"error"`, tc.name)
	}
	status, _ = controlCall(t, srv, http.MethodGet, vlenstest.ControlCompletePath, "")
	assert.Equal(t, http.StatusMethodNotAllowed, status)
}

func TestControlListsReadQueries(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t, vlenstest.WithControlEndpoint())
	bearer := login(t, srv).access
	do(t, "GET", srv.URL+vlenstest.ListBusinessRequestsPath+"?MaxResultCount=3&SkipCount=6", readHeader(bearer), "")
	status, body := controlCall(t, srv, http.MethodGet, vlenstest.ControlRequestsPath, "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"query":"MaxResultCount=3&SkipCount=6","endpoint":"CurrentListIds"`)
	assert.NotContains(t, body, bearer)
}

func TestRequestPrintsItsQuery(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	do(t, "GET", srv.URL+vlenstest.GetTemplatePath+"?requestTypeId=414", http.Header{}, "")
	got := srv.Requests()[0]
	assert.Equal(t, "414", got.Query.Get("requestTypeId"))
	assert.Contains(t, fmt.Sprint(got), `Query:"requestTypeId=414"`)
}

// TestBusinessRequestsAgreeWithTheClient: what BusinessRequests reports is
// what the client reads over the wire, Raw aside, so that a test may compare
// them with assert.Equal.
func TestBusinessRequestsAgreeWithTheClient(t *testing.T) {
	t.Parallel()
	srv := vlenstest.NewTestServer(t)
	c, err := srv.NewClient()
	require.NoError(t, err)
	ctx := context.Background()
	inv, err := c.CreateInvitation(ctx, vlens.CreateInvitationInput{PhoneNumber: "+201234567890",
		RequestFieldsValues: map[int]map[string]string{414: {"fullName": "Mona Ahmed Ali", "monthlyIncome": "15000"}}})
	require.NoError(t, err)
	id := srv.CompleteSession(inv.Token, vlens.StatusApproved)

	read, err := c.GetBusinessRequest(ctx, id)
	require.NoError(t, err)
	got := srv.BusinessRequests()
	require.Len(t, got, 1)
	require.Len(t, got[0].Fields, 2)
	assert.JSONEq(t, string(read.Raw), string(got[0].Raw))
	read.Raw, got[0].Raw = nil, nil
	assert.Equal(t, *read, got[0])
}
