package webhook_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/vlens-go/vlens/webhook"
)

// Receive Vlens's status changes on a handler that checks the signature
// and runs each event once. In production, mount the handler on your mux
// (http.Handle("/hooks/vlens", h)) and keep fn short: put the change on
// your own queue and return.
func ExampleNewHandler() {
	secret := "whs_0123456789abcdef" // the subscription's secret, from configuration
	h, err := webhook.NewHandler(func(ctx context.Context, e *webhook.Event) error {
		if e.Type != webhook.TypeBusinessRequestStatusChange {
			return nil // acknowledge events this code does not know
		}
		c, err := e.StatusChange()
		if err != nil {
			return err
		}
		fmt.Printf("request %s is now %s\n", c.RequestID, c.NewStatus)
		return nil // enqueue(ctx, c) in real code
	}, webhook.WithSignatureSecret(secret))
	if err != nil {
		panic(err)
	}

	// What Vlens posts, delivered twice: the second runs nothing.
	body := []byte(`{"Id":"7d9f0c1e-2b4a-4c7e-9a51-0f3e8d2c6b10","WebhookEvent":"App.BusinessRequestStatusChange","Attempt":1,` +
		`"Data":{"Id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","NewStatus":"PendingApproval"},"CreationTimeUtc":"2025-12-11T11:27:18.6197007Z"}`)
	for range 2 {
		r := httptest.NewRequest(http.MethodPost, "/hooks/vlens", bytes.NewReader(body))
		r.Header.Set(webhook.SignatureHeader, webhook.SignForTest(secret, body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code)
	}

	// A forged delivery, unsigned.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/hooks/vlens", bytes.NewReader(body)))
	fmt.Println(w.Code)
	// Output:
	// request 3fa85f64-5717-4562-b3fc-2c963f66afa6 is now Pending Approval
	// 200
	// 200
	// 401
}

// Parse a delivery's body yourself, in a handler of your own.
func ExampleParse() {
	e, err := webhook.Parse([]byte(`{"Id":"e1","WebhookEvent":"App.BusinessRequestStatusChange","Attempt":2,` +
		`"Data":{"Id":"r1","NewStatus":"Approved"},"CreationTimeUtc":"2025-12-11T11:27:18.6197007"}`))
	if err != nil {
		panic(err)
	}
	c, _ := e.StatusChange()
	fmt.Println(e.ID, e.Attempt, e.CreatedAt.Format("2006-01-02 15:04:05.0000000 MST"), c.NewStatus)
	// Output:
	// e1 2 2025-12-11 11:27:18.6197007 UTC Approved
}
