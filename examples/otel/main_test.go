package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// The secrets every test uses; none may appear in a span or in the output.
const (
	testAPIKey = "vlk-otel-test-key-6b1d0e9a"
	testToken  = "tok-otel-test-token-93c4f27e"
	testPhone  = "+201098765432"
	testEmail  = "mona.otel@example.com"
)

// statusCodeKey is the attribute otelhttp v0.72.0 writes the response's
// status under (semantic conventions v1.26 and later).
const statusCodeKey = attribute.Key("http.response.status_code")

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// newServer is the fake with the test's API key and token.
func newServer(t *testing.T) *vlenstest.Server {
	return vlenstest.NewTestServer(t, vlenstest.WithAPIKey(testAPIKey),
		vlenstest.WithTokenFunc(func(vlens.CreateAuthSessionInput) string { return testToken }))
}

// newTracing returns an in-memory span recorder and a tracer provider that
// records into it.
func newTracing(t *testing.T) (*tracetest.SpanRecorder, *sdktrace.TracerProvider) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return rec, tp
}

// newTestClient is the program's client for srv, with short retry waits.
func newTestClient(t *testing.T, srv *vlenstest.Server, tp trace.TracerProvider, opts ...vlens.Option) *vlens.Client {
	opts = append([]vlens.Option{
		vlens.WithBaseURL(srv.URL),
		vlens.WithRetryWait(time.Millisecond, 2*time.Millisecond),
	}, opts...)
	client, err := newClient(testAPIKey, tp, opts...)
	require.NoError(t, err)
	t.Cleanup(client.CloseIdleConnections)
	return client
}

// splitSpans returns the one span named "vlens.CreateAuthSession" and the
// client spans in the order they started, and fails the test unless those
// are all the spans recorded.
func splitSpans(t *testing.T, spans []sdktrace.ReadOnlySpan) (parent sdktrace.ReadOnlySpan, attempts []sdktrace.ReadOnlySpan) {
	t.Helper()
	for _, s := range spans {
		switch {
		case s.Name() == "vlens.CreateAuthSession" && s.SpanKind() == trace.SpanKindInternal:
			require.Nil(t, parent, "two parent spans")
			parent = s
		case s.SpanKind() == trace.SpanKindClient:
			attempts = append(attempts, s)
		default:
			t.Fatalf("unexpected span %q of kind %s", s.Name(), s.SpanKind())
		}
	}
	require.NotNil(t, parent, "no vlens.CreateAuthSession span")
	slices.SortStableFunc(attempts, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	return parent, attempts
}

// attr returns the span's attribute key, and whether it has one.
func attr(s sdktrace.ReadOnlySpan, key attribute.Key) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// assertParented checks that every attempt span is a direct child of parent,
// in its trace, and that the parent was still open when each attempt ended.
func assertParented(t *testing.T, parent sdktrace.ReadOnlySpan, attempts []sdktrace.ReadOnlySpan) {
	t.Helper()
	pc := parent.SpanContext()
	require.True(t, pc.IsValid())
	seen := map[trace.SpanID]bool{pc.SpanID(): true}
	for i, s := range attempts {
		assert.Equal(t, pc.TraceID(), s.SpanContext().TraceID(), "attempt %d: trace ID", i+1)
		assert.Equal(t, pc.TraceID(), s.Parent().TraceID(), "attempt %d: parent's trace ID", i+1)
		assert.Equal(t, pc.SpanID(), s.Parent().SpanID(), "attempt %d: parent span ID", i+1)
		assert.False(t, seen[s.SpanContext().SpanID()], "attempt %d: span ID reused", i+1)
		seen[s.SpanContext().SpanID()] = true
		assert.False(t, s.EndTime().Before(s.StartTime()), "attempt %d ended before it started", i+1)
		assert.False(t, s.StartTime().Before(parent.StartTime()), "attempt %d started before its parent", i+1)
		assert.False(t, s.EndTime().After(parent.EndTime()), "attempt %d ended after its parent", i+1)
	}
}

// secretForms returns each secret in the forms an instrumentation could
// write it: as is, URL-escaped (query and path), and a phone number without
// its '+'.
func secretForms(secrets ...string) []string {
	var forms []string
	for _, s := range secrets {
		forms = append(forms, s, url.QueryEscape(s), url.PathEscape(s))
		if strings.HasPrefix(s, "+") {
			forms = append(forms, s[1:])
		}
	}
	slices.Sort(forms)
	return slices.Compact(forms)
}

// assertNoSecrets checks every name, attribute key and value, event, link,
// status description and resource attribute of the spans for the secrets.
func assertNoSecrets(t *testing.T, spans []sdktrace.ReadOnlySpan, secrets ...string) {
	t.Helper()
	forms := secretForms(secrets...)
	check := func(where, text string) {
		t.Helper()
		for _, f := range forms {
			if strings.Contains(text, f) {
				t.Errorf("%s holds a secret (%q): %q", where, f, text)
			}
		}
	}
	checkAttrs := func(where string, attrs []attribute.KeyValue) {
		t.Helper()
		for _, kv := range attrs {
			check(where+" attribute key", string(kv.Key))
			check(where+" attribute "+string(kv.Key), kv.Value.String())
		}
	}
	for _, s := range spans {
		where := "span " + s.Name()
		check(where+" name", s.Name())
		checkAttrs(where, s.Attributes())
		for _, e := range s.Events() {
			check(where+" event name", e.Name)
			checkAttrs(where+" event "+e.Name, e.Attributes)
		}
		for _, l := range s.Links() {
			checkAttrs(where+" link", l.Attributes)
		}
		check(where+" status description", s.Status().Description)
		check(where+" trace state", s.SpanContext().TraceState().String())
		if r := s.Resource(); r != nil {
			checkAttrs(where+" resource", r.Attributes())
		}
	}
}

// TestOneClientSpanPerAttemptUnderTheCallersSpan makes one call that Vlens
// answers with 503, then 502, then a token: three attempt spans, each a
// child of the caller's span with its HTTP status, each attempt carrying its
// own span's traceparent, and no secret anywhere in the spans.
func TestOneClientSpanPerAttemptUnderTheCallersSpan(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Enqueue(vlenstest.Fault{Status: http.StatusServiceUnavailable}, vlenstest.Fault{Status: http.StatusBadGateway})
	rec, tp := newTracing(t)
	client := newTestClient(t, srv, tp)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := vlens.CreateAuthSessionInput{PhoneNumber: testPhone, Email: testEmail}
	session, err := createAuthSession(ctx, tp.Tracer(tracerName), client, in)
	require.NoError(t, err)
	require.Equal(t, testToken, session.Token)

	spans := rec.Ended()
	require.Len(t, spans, 4, "one parent and three attempts")
	parent, attempts := splitSpans(t, spans)
	require.Len(t, attempts, 3)
	assert.False(t, parent.Parent().IsValid(), "the caller's span is a root")
	assert.Equal(t, codes.Unset, parent.Status().Code)
	assertParented(t, parent, attempts)

	wantStatus := []int{http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusOK}
	wantCode := []codes.Code{codes.Error, codes.Error, codes.Unset}
	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	for i, s := range attempts {
		assert.Equal(t, "HTTP POST", s.Name())
		v, ok := attr(s, statusCodeKey)
		if assert.True(t, ok, "attempt %d has no %s", i+1, statusCodeKey) {
			assert.Equal(t, int64(wantStatus[i]), v.AsInt64(), "attempt %d: %s", i+1, statusCodeKey)
		}
		assert.Equal(t, wantCode[i], s.Status().Code, "attempt %d: span status", i+1)
		if v, ok := attr(s, "http.request.method"); assert.True(t, ok) {
			assert.Equal(t, http.MethodPost, v.AsString())
		}
		// Attempt i reached the server carrying its own span's context:
		// the SDK's fresh headers per retry do not drop what the transport
		// below it adds.
		sc := s.SpanContext()
		assert.Equal(t, wantStatus[i], reqs[i].Status, "request %d", i+1)
		assert.Equal(t, "00-"+sc.TraceID().String()+"-"+sc.SpanID().String()+"-01", reqs[i].Header.Get("Traceparent"), "request %d", i+1)
	}

	assertNoSecrets(t, spans, testAPIKey, testToken, testPhone, testEmail)
}

// TestRecordedErrorIsRedacted records a failed call's error on the caller's
// span, as createAuthSession does, when Vlens's answer echoes the API key
// and the user's data: the span carries the error, without them.
func TestRecordedErrorIsRedacted(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Enqueue(vlenstest.Fault{
		Status:       http.StatusBadRequest,
		ErrorCode:    4001,
		ErrorMessage: "rejected " + testPhone + " and " + testEmail + " for key " + testAPIKey,
	})
	rec, tp := newTracing(t)
	client := newTestClient(t, srv, tp)

	in := vlens.CreateAuthSessionInput{PhoneNumber: testPhone, Email: testEmail}
	_, err := createAuthSession(context.Background(), tp.Tracer(tracerName), client, in)
	require.ErrorIs(t, err, vlens.ErrInvalidRequest)

	spans := rec.Ended()
	parent, attempts := splitSpans(t, spans)
	require.Len(t, attempts, 1, "a 400 is not retried")
	assertParented(t, parent, attempts)
	if v, ok := attr(attempts[0], statusCodeKey); assert.True(t, ok) {
		assert.Equal(t, int64(http.StatusBadRequest), v.AsInt64())
	}
	assert.Equal(t, codes.Error, parent.Status().Code)
	assert.Equal(t, err.Error(), parent.Status().Description)
	assert.Contains(t, parent.Status().Description, "rejected", "the server's message is kept, redacted")
	events := parent.Events()
	require.Len(t, events, 1)
	assert.Equal(t, "exception", events[0].Name)

	assertNoSecrets(t, spans, testAPIKey, testPhone, testEmail)
}

// TestAttemptTimeoutKeepsParenting lets the first attempt run past the
// SDK's per-attempt timeout: the timed-out attempt's span ends in error and
// the retry's span answers 200, both still children of the caller's span
// (the attempt timeout's context is derived from the caller's).
func TestAttemptTimeoutKeepsParenting(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Enqueue(vlenstest.Delayed(20 * time.Second)) // ends early when the attempt gives up
	rec, tp := newTracing(t)
	client := newTestClient(t, srv, tp, vlens.WithAttemptTimeout(time.Second))

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	in := vlens.CreateAuthSessionInput{PhoneNumber: testPhone}
	session, err := createAuthSession(ctx, tp.Tracer(tracerName), client, in)
	require.NoError(t, err)
	require.Equal(t, testToken, session.Token)

	spans := rec.Ended()
	parent, attempts := splitSpans(t, spans)
	require.Len(t, attempts, 2)
	assertParented(t, parent, attempts)

	timedOut := attempts[0]
	assert.Equal(t, codes.Error, timedOut.Status().Code)
	_, hasStatus := attr(timedOut, statusCodeKey)
	assert.False(t, hasStatus, "the timed-out attempt got no answer")
	_, hasErrorType := attr(timedOut, "error.type")
	assert.True(t, hasErrorType, "the timed-out attempt names its error")
	if v, ok := attr(attempts[1], statusCodeKey); assert.True(t, ok) {
		assert.Equal(t, int64(http.StatusOK), v.AsInt64())
	}
	assert.Equal(t, codes.Unset, parent.Status().Code)

	assertNoSecrets(t, spans, testAPIKey, testToken, testPhone)
}

// TestRunWithoutAPIKeyUsesTheFake runs the program as `go run .` does with
// no environment: it prints the parent span and two attempt spans under it
// (503, then 200), and neither the fake's API key nor a token nor the phone.
func TestRunWithoutAPIKeyUsesTheFake(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), env(nil), &stdout, &stderr))
	out := stdout.String()
	assert.Contains(t, stderr.String(), "in-process fake")

	lines := strings.Split(out, "\n")
	var spanLines []string
	for _, l := range lines {
		if strings.Contains(l, " trace=") {
			spanLines = append(spanLines, l)
		}
	}
	require.Len(t, spanLines, 3, out)
	assert.True(t, strings.HasPrefix(spanLines[0], "vlens.CreateAuthSession (internal) "), out)
	for _, l := range spanLines[1:] {
		assert.True(t, strings.HasPrefix(l, "    HTTP POST (client) "), out)
	}
	first := strings.Index(out, "http.response.status_code=503")
	second := strings.Index(out, "http.response.status_code=200")
	assert.True(t, first >= 0 && second > first, "503 then 200:\n%s", out)
	assert.Contains(t, out, "The call succeeded")

	for _, secret := range secretForms(vlenstest.TestAPIKey, samplePhone) {
		assert.NotContains(t, out, secret)
		assert.NotContains(t, stderr.String(), secret)
	}
	assert.NotContains(t, out, vlenstest.TokenPrefix)
}

// TestRunWithAPIKeyCallsTheGivenServer runs the program with VLENS_API_KEY,
// VLENS_BASE_URL and VLENS_EMAIL pointing at a fake: one attempt, and no
// key, token or email in what it prints.
func TestRunWithAPIKeyCallsTheGivenServer(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), env(map[string]string{
		"VLENS_API_KEY":  testAPIKey,
		"VLENS_BASE_URL": srv.URL,
		"VLENS_EMAIL":    testEmail,
	}), &stdout, &stderr)
	require.NoError(t, err)
	assert.Empty(t, stderr.String())
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, &vlens.CreateAuthSessionInput{Email: testEmail}, reqs[0].Input)
	assert.Equal(t, 2, strings.Count(stdout.String(), " trace="), stdout.String())
	for _, secret := range secretForms(testAPIKey, testToken, testEmail) {
		assert.NotContains(t, stdout.String(), secret)
	}
}

// TestRunFailure runs the program against a fake that refuses the key: it
// still prints the spans, the parent's status holds the redacted error, and
// run returns the error.
func TestRunFailure(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	var stdout bytes.Buffer
	err := run(context.Background(), env(map[string]string{
		"VLENS_API_KEY":  "wrong-key-for-otel",
		"VLENS_BASE_URL": srv.URL,
		"VLENS_PHONE":    testPhone,
	}), &stdout, &bytes.Buffer{})
	require.ErrorIs(t, err, vlens.ErrUnauthorized)
	out := stdout.String()
	assert.Contains(t, out, "vlens.CreateAuthSession (internal)")
	assert.Contains(t, out, "status=Error (")
	assert.Contains(t, out, "http.response.status_code=401")
	assert.NotContains(t, out, "The call succeeded")
	for _, secret := range secretForms("wrong-key-for-otel", testPhone) {
		assert.NotContains(t, out, secret)
	}
}
