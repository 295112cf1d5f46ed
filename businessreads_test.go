package vlens

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testRequestID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	testBearer    = "admin-bearer-token-0001"
	listURL       = DefaultBaseURL + ListBusinessRequestsPath
)

// bearerSource hands out "admin-bearer-token-000n", moving to the next
// number when told the current one was refused.
type bearerSource struct {
	mu          sync.Mutex
	n           int
	invalidated []string
}

func (s *bearerSource) AccessToken(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("admin-bearer-token-%04d", s.n+1), nil
}

func (s *bearerSource) InvalidateAccessToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalidated = append(s.invalidated, token)
	s.n++
}

// readClient is setup with an admin token source.
func readClient(t *testing.T, opts ...Option) (*httpmock.MockTransport, *Client, *bearerSource) {
	t.Helper()
	src := &bearerSource{}
	mt, c := setup(t, append([]Option{WithAdminTokenSource(src)}, opts...)...)
	return mt, c, src
}

// dataBody is a success envelope around data, with extra top-level fields
// given as name, value pairs.
func dataBody(data any, extra ...any) string {
	env := map[string]any{"data": data, "error_code": nil, "error_message": nil, "error_descriptions": nil}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i].(string)] = extra[i+1]
	}
	b, _ := json.Marshal(env)
	return string(b)
}

// summaryJSON is one CurrentListIds entry.
func summaryJSON(id, fullName, idNumber string) map[string]any {
	return map[string]any{"id": id, "requestNumber": "BR-1", "type": 1, "typeName": "Contract",
		"contractTypeId": 7, "contractTypeName": "Loan", "fullName": fullName, "idNumber": idNumber,
		"requeststatus": 2, "requestStatusName": "Approved", "creationTime": "2025-12-11T11:27:18.6197007"}
}

// uuidN is a UUID that differs by n.
func uuidN(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// pageResponder answers CurrentListIds from a list of total entries,
// honouring MaxResultCount and SkipCount.
func pageResponder(total int) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		size, _ := strconv.Atoi(q.Get("MaxResultCount"))
		skip, _ := strconv.Atoi(q.Get("SkipCount"))
		page := []any{}
		for i := skip; i < min(total, skip+size); i++ {
			page = append(page, summaryJSON(uuidN(i), "Person Name "+strconv.Itoa(i), "2990101"+fmt.Sprintf("%07d", i)))
		}
		return httpmock.NewStringResponse(200, dataBody(page, "totalCount", total, "returnedCount", len(page))), nil
	}
}

func collect(seq func(func(BusinessRequestSummary, error) bool)) (ids []string, errs []error) {
	for s, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, s.ID)
	}
	return ids, errs
}

func TestReadsAreWireExact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, wantURL string
		call          func(*Client) error
		answer        string
	}{
		{"get business request", DefaultBaseURL + GetBusinessRequestPath + testRequestID,
			func(c *Client) error { _, err := c.GetBusinessRequest(context.Background(), testRequestID); return err },
			dataBody(summaryJSON(testRequestID, "A", "B"))},
		{"list business requests", listURL + "?MaxResultCount=25&SkipCount=0",
			func(c *Client) error {
				_, errs := collect(c.ListBusinessRequests(context.Background(), WithPageSize(25)))
				return errors.Join(errs...)
			},
			dataBody([]any{}, "totalCount", 0, "returnedCount", 0)},
		{"get template", DefaultBaseURL + GetTemplatePath + "?isLocalized=false&requestTypeId=7",
			func(c *Client) error { _, err := c.GetTemplate(context.Background(), 7); return err },
			dataBody(map[string]any{"id": 7, "name": "Loan", "requestsFields": nil})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, c, _ := readClient(t)
			var rec recorder
			mt.RegisterNoResponder(rec.wrap(reply(200, tt.answer)))
			require.NoError(t, tt.call(c))
			reqs := rec.all()
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, http.MethodGet, r.method)
			assert.Equal(t, tt.wantURL, r.url)
			assert.Equal(t, testAPIKey, r.header.Get("ApiKey"))
			assert.Equal(t, "Bearer "+testBearer, r.header.Get("Authorization"))
			assert.Equal(t, "application/json", r.header.Get("Accept"))
			assert.Empty(t, r.header.Values("Content-Type"))
			assert.Empty(t, r.body)
		})
	}
}

func TestGetBusinessRequestEscapesAndValidatesID(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"", "../CurrentListIds", "3fa85f64-5717-4562-b3fc-2c963f66afa", "3fa85f64x5717-4562-b3fc-2c963f66afa6", "3fa85f64-5717-4562-b3fc-2c963f66afag", testRequestID + "?a=b"} {
		mt, c, _ := readClient(t)
		_, err := c.GetBusinessRequest(context.Background(), id)
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, "id %q", id)
		assert.Equal(t, "id", ve.Fields[0].Field)
		assert.Zero(t, mt.GetTotalCallCount(), "id %q: nothing sent", id)
	}
	mt, c, _ := readClient(t)
	mt.RegisterNoResponder(reply(200, dataBody(summaryJSON("x", "", ""))))
	_, err := c.GetBusinessRequest(context.Background(), "3FA85F64-5717-4562-B3FC-2C963F66AFA6")
	require.NoError(t, err, "upper-case hex is a UUID too")
	_, err = c.GetTemplate(context.Background(), 0)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "contractTypeID", ve.Fields[0].Field)
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestGetBusinessRequestDecodesTolerantly(t *testing.T) {
	t.Parallel()
	utc := time.Date(2025, 12, 11, 11, 27, 18, 619700700, time.UTC)
	tests := []struct {
		name       string
		set        map[string]any
		wantStatus RequestStatus
		wantName   string
		wantTime   time.Time
	}{
		{"integer status", map[string]any{"requeststatus": 2, "requestStatusName": nil}, StatusApproved, "", utc},
		{"numeric string status", map[string]any{"requeststatus": "2", "requestStatusName": "Approved"}, StatusApproved, "Approved", utc},
		{"name status", map[string]any{"requeststatus": "Approved", "requestStatusName": nil}, StatusApproved, "Approved", utc},
		{"webhook name", map[string]any{"requeststatus": "PendingApproval", "requestStatusName": nil}, StatusPendingApproval, "PendingApproval", utc},
		{"spaced name any case", map[string]any{"requeststatus": "pENDING approval", "requestStatusName": nil}, StatusPendingApproval, "pENDING approval", utc},
		{"unknown number kept", map[string]any{"requeststatus": 7, "requestStatusName": "Service Provider Partially Signed"}, 7, "Service Provider Partially Signed", utc},
		{"unknown name kept as text", map[string]any{"requeststatus": "Archived", "requestStatusName": nil}, 0, "Archived", utc},
		{"time with Z", map[string]any{"creationTime": "2025-12-11T11:27:18.6197007Z"}, StatusApproved, "Approved", utc},
		{"time with offset", map[string]any{"creationTime": "2025-12-11T13:27:18.6197007+02:00"}, StatusApproved, "Approved", utc},
		{"time without fraction", map[string]any{"creationTime": "2025-12-11T11:27:18"}, StatusApproved, "Approved", utc.Truncate(time.Second)},
		{"unreadable time is zero", map[string]any{"creationTime": "yesterday"}, StatusApproved, "Approved", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := summaryJSON(testRequestID, "Mona Ahmed Ali", "29901011234567")
			data["unknownField"] = map[string]any{"x": 1}
			data["requestFields"] = []any{map[string]any{"key": "salary", "value": "1000", "multiValues": nil, "tabularData": nil, "order": 1}}
			for k, v := range tt.set {
				data[k] = v
			}
			mt, c, _ := readClient(t)
			mt.RegisterNoResponder(reply(200, dataBody(data)))
			r, err := c.GetBusinessRequest(context.Background(), testRequestID)
			require.NoError(t, err)
			assert.Equal(t, tt.wantStatus, r.Status)
			assert.Equal(t, tt.wantName, r.StatusName)
			assert.True(t, tt.wantTime.Equal(r.CreatedAt), "got %v, want %v", r.CreatedAt, tt.wantTime)
			assert.Equal(t, "Mona Ahmed Ali", r.FullName)
			require.Len(t, r.Fields, 1)
			assert.Equal(t, RequestField{Key: "salary", Value: "1000"}, r.Fields[0], "null arrays are nil")
			var raw map[string]any
			require.NoError(t, json.Unmarshal(r.Raw, &raw))
			assert.Contains(t, raw, "unknownField", "Raw keeps the whole data object")
		})
	}
}

func TestNonObjectDataIsMalformed(t *testing.T) {
	t.Parallel()
	for _, data := range []string{`"x"`, `[]`, `7`, `true`, `[{"id":"x"}]`} {
		mt, c, _ := readClient(t)
		mt.RegisterNoResponder(reply(200, `{"data":`+data+`}`))
		_, err := c.GetBusinessRequest(context.Background(), testRequestID)
		assert.ErrorIs(t, err, ErrMalformedResponse, "data %s", data)
		_, err = c.GetTemplate(context.Background(), 1)
		assert.ErrorIs(t, err, ErrMalformedResponse, "template data %s", data)
	}
	mt, c, _ := readClient(t)
	mt.RegisterNoResponder(reply(200, `{"data":{"id":1}}`))
	_, errs := collect(c.ListBusinessRequests(context.Background()))
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrMalformedResponse, "a list's data must be an array")
}

func TestGetTemplateFlattensRelatedQuestions(t *testing.T) {
	t.Parallel()
	mt, c, _ := readClient(t)
	mt.RegisterNoResponder(reply(200, dataBody(map[string]any{"id": 7, "name": "Loan", "requestsFields": []any{
		map[string]any{"key": "job", "type": "select", "availableValues": []string{"employed", "other"}, "relatedQuestions": []any{
			map[string]any{"key": "employer", "type": "text", "parentQuestionValue": "employed"}}},
		map[string]any{"key": "salary", "type": "number", "availableValues": nil, "availableValuesItems": []any{}},
	}})))
	tpl, err := c.GetTemplate(context.Background(), 7)
	require.NoError(t, err)
	assert.Equal(t, &Template{ID: 7, Name: "Loan", Fields: []TemplateField{
		{Key: "job", Type: "select", AvailableValues: []string{"employed", "other"}},
		{Key: "employer", Type: "text", ParentQuestionKey: "job", ParentQuestionValue: "employed"},
		{Key: "salary", Type: "number"},
	}}, tpl)
}

func TestListPagesUpToTotalCount(t *testing.T) {
	t.Parallel()
	mt, c, _ := readClient(t)
	var rec recorder
	mt.RegisterNoResponder(rec.wrap(pageResponder(7)))
	ids, errs := collect(c.ListBusinessRequests(context.Background(), WithPageSize(3)))
	require.Empty(t, errs)
	assert.Len(t, ids, 7)
	var skips []string
	for _, r := range rec.all() {
		skips = append(skips, r.url)
	}
	assert.Equal(t, []string{listURL + "?MaxResultCount=3&SkipCount=0", listURL + "?MaxResultCount=3&SkipCount=3",
		listURL + "?MaxResultCount=3&SkipCount=6"}, skips)

	// Exactly 3 full pages: totalCount stops it without a fourth request.
	mt2, c2, _ := readClient(t)
	mt2.RegisterNoResponder(pageResponder(9))
	ids, errs = collect(c2.ListBusinessRequests(context.Background(), WithPageSize(3)))
	require.Empty(t, errs)
	assert.Len(t, ids, 9)
	assert.Equal(t, 3, mt2.GetTotalCallCount())
}

func TestListStopsOnShortOrEmptyPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		pages [][]any
		want  int
	}{
		{"short page without totalCount", [][]any{{summaryJSON(uuidN(1), "", ""), summaryJSON(uuidN(2), "", "")}, {summaryJSON(uuidN(3), "", "")}}, 3},
		{"empty page", [][]any{{summaryJSON(uuidN(1), "", ""), summaryJSON(uuidN(2), "", "")}, {}}, 2},
		{"page of nothing new", [][]any{{summaryJSON(uuidN(1), "", ""), summaryJSON(uuidN(2), "", "")}, {summaryJSON(uuidN(1), "", ""), summaryJSON(uuidN(2), "", "")}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mt, c, _ := readClient(t)
			var rs []httpmock.Responder
			for _, p := range tt.pages {
				rs = append(rs, reply(200, dataBody(p)))
			}
			mt.RegisterNoResponder(sequence(t, rs...))
			ids, errs := collect(c.ListBusinessRequests(context.Background(), WithPageSize(2)))
			require.Empty(t, errs)
			assert.Len(t, ids, tt.want)
			assert.Equal(t, len(tt.pages), mt.GetTotalCallCount())
		})
	}
}

func TestListBreakSendsNoSecondRequest(t *testing.T) {
	t.Parallel()
	mt, c, _ := readClient(t)
	mt.RegisterNoResponder(pageResponder(10))
	for range c.ListBusinessRequests(context.Background(), WithPageSize(1)) {
		break
	}
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestListCancelledMidIterationYieldsContextError(t *testing.T) {
	t.Parallel()
	mt, c, _ := readClient(t)
	mt.RegisterNoResponder(pageResponder(10))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	var errs []error
	for _, err := range c.ListBusinessRequests(ctx, WithPageSize(2)) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n++; n == 2 {
			cancel()
		}
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], context.Canceled)
	assert.Equal(t, 2, n)
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestListErrorOnPage2YieldedOnce(t *testing.T) {
	t.Parallel()
	mt, c, _ := readClient(t)
	mt.RegisterNoResponder(sequence(t,
		reply(200, dataBody([]any{summaryJSON(uuidN(1), "", ""), summaryJSON(uuidN(2), "", "")}, "totalCount", 6)),
		reply(400, errorBody(5, "bad paging"))))
	var got []string
	var errs []error
	for s, err := range c.ListBusinessRequests(context.Background(), WithPageSize(2)) {
		if err != nil {
			errs = append(errs, err)
			assert.Zero(t, s)
			continue
		}
		require.Empty(t, errs, "nothing after the error")
		got = append(got, s.ID)
	}
	assert.Equal(t, []string{uuidN(1), uuidN(2)}, got)
	require.Len(t, errs, 1)
	assert.Equal(t, 5, requireAPIError(t, errs[0]).Code)
}

func TestListYieldsDuplicatesOnce(t *testing.T) {
	t.Parallel()
	mt, c, _ := readClient(t)
	mt.RegisterNoResponder(sequence(t,
		reply(200, dataBody([]any{summaryJSON(uuidN(1), "", ""), summaryJSON(uuidN(2), "", "")}, "totalCount", 5)),
		// A request was inserted at the front: uuidN(2) moves onto page 2.
		reply(200, dataBody([]any{summaryJSON(uuidN(2), "", ""), summaryJSON(uuidN(3), "", "")}, "totalCount", 5)),
		reply(200, dataBody([]any{summaryJSON(uuidN(4), "", "")}, "totalCount", 5))))
	ids, errs := collect(c.ListBusinessRequests(context.Background(), WithPageSize(2)))
	require.Empty(t, errs)
	assert.Equal(t, []string{uuidN(1), uuidN(2), uuidN(3), uuidN(4)}, ids)
}

func TestReadRetriedOn503AndRecoversFrom401(t *testing.T) {
	t.Parallel()
	ok := reply(200, dataBody(summaryJSON(testRequestID, "", "")))
	mt, c, src := readClient(t)
	var rec recorder
	mt.RegisterNoResponder(rec.wrap(sequence(t, reply(503, errorBody(1, "busy"), "Retry-After", "0"),
		reply(401, errorBody(401, "token revoked")), ok)))
	_, err := c.GetBusinessRequest(context.Background(), testRequestID)
	require.NoError(t, err)
	reqs := rec.all()
	require.Len(t, reqs, 3)
	assert.Equal(t, "Bearer admin-bearer-token-0001", reqs[1].header.Get("Authorization"))
	assert.Equal(t, "Bearer admin-bearer-token-0002", reqs[2].header.Get("Authorization"), "a new token after the 401")
	assert.Equal(t, []string{"admin-bearer-token-0001"}, src.invalidated)
}

func TestReadRetriedAfterConnectionReset(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			// Headers and half a body, then the connection is gone.
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"data\":")
			_ = buf.Flush()
			_ = conn.(*net.TCPConn).SetLinger(0)
			_ = conn.Close()
			return
		}
		_, _ = io.WriteString(w, dataBody(summaryJSON(testRequestID, "", "")))
	}))
	defer srv.Close()
	c, err := NewClient(testAPIKey, WithBaseURL(srv.URL), WithAdminTokenSource(&bearerSource{}),
		WithRetryWait(time.Millisecond, 2*time.Millisecond))
	require.NoError(t, err)
	r, err := c.GetBusinessRequest(context.Background(), testRequestID)
	require.NoError(t, err)
	assert.Equal(t, testRequestID, r.ID)
	assert.Equal(t, int32(2), n.Load())
}

func TestListRedactsEarlierPagesPersonalValues(t *testing.T) {
	t.Parallel()
	const name, idNumber = "Mona Ahmed Ali", "29901011234567"
	mt, c, _ := readClient(t)
	mt.RegisterNoResponder(sequence(t,
		reply(200, dataBody([]any{summaryJSON(uuidN(1), name, idNumber)}, "totalCount", 2)),
		reply(400, errorBody(9, "no request for "+name+" ("+idNumber+") at "+uuidN(1)))))
	_, errs := collect(c.ListBusinessRequests(context.Background(), WithPageSize(1)))
	require.Len(t, errs, 1)
	text := errs[0].Error()
	assert.NotContains(t, text, name)
	assert.NotContains(t, text, idNumber)
	assert.Contains(t, text, uuidN(1), "an ID names a request, not a person")
}

func TestWithPageSizeIsBounded(t *testing.T) {
	t.Parallel()
	for _, n := range []int{-1, 0, 1001} {
		_, err := NewClient(testAPIKey, WithPageSize(n))
		assert.Error(t, err, "page size %d", n)
	}
	mt, c, _ := readClient(t, WithPageSize(1000))
	var rec recorder
	mt.RegisterNoResponder(rec.wrap(reply(200, dataBody([]any{}))))
	_, errs := collect(c.ListBusinessRequests(context.Background()))
	require.Empty(t, errs)
	assert.Equal(t, listURL+"?MaxResultCount=1000&SkipCount=0", rec.all()[0].url)
	_, errs = collect(c.ListBusinessRequests(context.Background(), WithPageSize(0)))
	require.Len(t, errs, 1, "a bad per-call page size fails the first page")
}
