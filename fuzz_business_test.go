package vlens

import (
	"context"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
)

// The personal values of the list's first page in FuzzBusinessRequestAnswer:
// a later page's error must never echo them.
const (
	fuzzFullName = "Mona Ahmed Ali"
	fuzzIDNumber = "29901011234567"
)

// FuzzBusinessRequestAnswer serves a hostile answer to GetBusinessRequest,
// and to the second and later pages of ListBusinessRequests after a first
// page that carries a person's name and national ID. Nothing may panic, a
// read returns a request or an error, never both or neither, and no error
// of the list shows the first page's personal values in any printed form.
func FuzzBusinessRequestAnswer(f *testing.F) {
	f.Add(uint16(200), []byte(`{"data":{"id":"x","requeststatus":"Pending Approval","creationTime":"2025-12-11T11:27:18.6197007","requestFields":null}}`))
	f.Add(uint16(200), []byte(`{"data":[{"id":"y","requeststatus":"9"}],"totalCount":"3"}`))
	f.Add(uint16(422), []byte(`{"error_code":3,"error_message":"no request for Mona Ahmed Ali (29901011234567)","error_descriptions":{"idNumber":"29901011234567"}}`))
	f.Add(uint16(502), []byte(`<p>Mona Ahmed Ali, 29901011234567</p>`))
	f.Fuzz(func(t *testing.T, status uint16, body []byte) {
		code := 200 + int(status)%400
		mt := httpmock.NewMockTransport()
		c, err := NewClient(testAPIKey, WithHTTPClient(&http.Client{Transport: mt}), WithMaxRetries(0),
			WithAdminTokenSource(&bearerSource{}))
		if err != nil {
			t.Fatal(err)
		}
		hostile := func(*http.Request) (*http.Response, error) {
			return httpmock.NewBytesResponse(code, body), nil
		}
		mt.RegisterNoResponder(hostile)
		r, err := c.GetBusinessRequest(context.Background(), testRequestID)
		if (r == nil) == (err == nil) {
			t.Fatalf("got request %v and error %v", r, err)
		}

		first := dataBody([]any{summaryJSON(uuidN(1), fuzzFullName, fuzzIDNumber)}, "totalCount", 3)
		mt.RegisterNoResponder(func(req *http.Request) (*http.Response, error) {
			if req.URL.Query().Get("SkipCount") == "0" {
				return httpmock.NewStringResponse(200, first), nil
			}
			return hostile(req)
		})
		pages := 0
		for _, err := range c.ListBusinessRequests(context.Background(), WithPageSize(1)) {
			if pages++; pages > 10 {
				t.Fatal("the list does not end")
			}
			if err != nil {
				out := everythingPrinted(t, err)
				assertNoLeakOf(t, out, []string{fuzzIDNumber}, nil)
				// A name is redacted as a whole token (doc.go, "Secrets"), and
				// glued to the ID number ("Ali2990…") it is one once the
				// number is redacted.
				assertNoWordLeak(t, out, []string{fuzzFullName})
			}
		}
	})
}
