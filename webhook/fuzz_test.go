package webhook_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vlens-go/vlens/webhook"
)

// FuzzParse checks that Parse never panics, that what it accepts has an ID
// and a type, that its errors never quote the body, and that a status
// change decodes or errors without panicking and prints without Data.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"Id":"e1","WebhookEvent":"App.BusinessRequestStatusChange","Attempt":1,"Data":{"Id":"r1","NewStatus":"PendingApproval"},"CreationTimeUtc":"2025-12-11T11:27:18.6197007Z"}`,
		`{"Id":"e1","WebhookEvent":"App.BusinessRequestStatusChange","Data":{"Id":"r1","NewStatus":2}}`,
		`{"Id":"e1","WebhookEvent":"App.BusinessRequestStatusChange","Data":null}`,
		`{"Id":"e1","WebhookEvent":"App.BusinessRequestStatusChange","Data":"Mona Ahmed Ali"}`,
		`{"id":"e1","webhookevent":"x","attempt":"1","creationtimeutc":5}`,
		`{"Id":1,"WebhookEvent":"x"}`,
		`{"Id":"\u0000","WebhookEvent":"\ud800"}`,
		`[]`, `null`, `""`, `{`, ``, "\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := webhook.Parse(body)
		if err != nil {
			if e != nil {
				t.Fatal("an event with an error")
			}
			if len(body) >= 16 && strings.Contains(err.Error(), string(body)) {
				t.Fatalf("the error quotes the body: %v", err)
			}
			return
		}
		if e.ID == "" || e.Type == "" || len(e.ID) > 128 || len(e.Type) > 128 {
			t.Fatalf("accepted an event without a valid ID or type: %q %q", e.ID, e.Type)
		}
		c, err := e.StatusChange()
		if err == nil && c.RequestID == "" {
			t.Fatal("a status change without a request ID")
		}
		printed := fmt.Sprintf("%+v", e)
		if len(e.Data) >= 16 && strings.Contains(printed, string(e.Data)) {
			t.Fatalf("printing shows Data: %s", printed)
		}
	})
}
