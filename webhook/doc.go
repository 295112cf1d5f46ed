// Package webhook receives Vlens's webhooks (App.BusinessRequestStatusChange)
// safely, although Vlens does not sign them, and processes each event once.
//
// Vlens POSTs a JSON event to a URL set in its portal when a business
// request changes status. Its docs show no signature: anyone who learns the
// URL can post "Approved" for a loan contract. NewHandler returns an
// http.Handler that refuses what it cannot authenticate, runs your function
// once per event however often Vlens delivers it, and answers in a way
// Vlens's redelivery understands. docs/webhooks.md is the long version.
//
// # Usage
//
//	h, err := webhook.NewHandler(func(ctx context.Context, e *webhook.Event) error {
//		if e.Type != webhook.TypeBusinessRequestStatusChange {
//			return nil // acknowledge what this code does not know
//		}
//		c, err := e.StatusChange()
//		if err != nil {
//			return err
//		}
//		return queue.Put(ctx, c) // your own queue: acknowledge fast
//	}, webhook.WithSignatureSecret(os.Getenv("VLENS_WEBHOOK_SECRET")))
//	if err != nil {
//		return err
//	}
//	http.Handle("/hooks/vlens", h)
//
// # Authentication
//
// NewHandler needs exactly one of these, strongest first:
//   - WithVerifyByFetching trusts only the delivery's IDs: it reads the
//     request back from Vlens (GetBusinessRequest) and hands fn what Vlens
//     says now. A forgery costs one read and changes nothing; it needs an
//     admin-capable client and a read per delivery.
//   - WithSignatureSecret checks the abp-webhook-signature header, an
//     HMAC-SHA256 of the body. It proves the body is Vlens's, but is
//     inferred from the platform Vlens's webhooks come from, not documented
//     by Vlens: check that your deliveries carry it.
//   - WithSecretHeader checks a header the subscription is set to send, and
//     WithURLToken a secret in the URL. Both are a shared secret sent with
//     every delivery: they stop strangers, not someone who sees a delivery
//     (a URL also ends up in access logs).
//   - WithAuthenticator runs your own check on the request and raw body.
//   - WithoutAuthentication is for local development, and logs a warning.
//
// Every secret is compared in constant time. A refused delivery is
// answered 401 and fn does not run.
//
// # Exactly once
//
// Vlens keeps an event's Id across redeliveries and counts Attempt. The
// handler claims the Id with a Deduper before fn runs: a redelivery of a
// done event is acknowledged without a run, one that arrives while the
// first still runs is answered 409 (Vlens tries again later), and a run
// that returns an error or panics is answered 500 and released, so that the
// redelivery runs it. The default NewMemoryDeduper serves one process; for
// replicas, share a Deduper (examples/redislimiter holds one on Redis). A
// Deduper that fails makes the handler answer 503 without running fn.
//
// # Acknowledging fast
//
// fn runs with the delivery's context, which ends when Vlens stops waiting
// (60 seconds at most, after which it tries again, about 5 times in all).
// Put the event on your own queue and return, and reconcile: Vlens itself
// advises polling ListBusinessRequests alongside webhooks, since a delivery
// can be lost for good.
//
// # Secrets
//
// The handler answers with the status text only, and its log lines
// (WithLogger) carry the event's ID, type and attempt, the outcome, the
// status and the duration: never the body, Data, or the text of fn's
// error. Parse's errors name the field, never the body's bytes. An Event
// prints (fmt, slog) without Data, showing a status change's request ID and
// status only; encoding/json marshals it whole, for your queue.
//
// # Testing
//
// SignForTest signs a body as a signed delivery is, for tests that post to
// a handler built WithSignatureSecret; httptest.NewRecorder and
// ServeHTTP need no server.
package webhook
