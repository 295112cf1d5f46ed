// Command otel traces a Vlens call with OpenTelemetry: the caller's span
// "vlens.CreateAuthSession" is the parent, and otelhttp's transport, passed
// to the SDK with vlens.WithHTTPClient, adds one client span per attempt
// under it, retries included. It prints the spans it recorded.
//
//	cd examples/otel && go run .
//
// With VLENS_API_KEY set it calls Vlens (VLENS_BASE_URL overrides the API's
// address; VLENS_PHONE and VLENS_EMAIL choose the user, by default the
// documentation's sample number). Without it, it starts the vlenstest fake
// in-process, scripted to answer the first attempt with HTTP 503 so that the
// retry shows as a second attempt span, and says so on stderr. It prints no
// API key, token, phone number or email. It exits with status 1 and a
// one-line message when anything fails.
//
// This example is a module of its own so that the SDK itself never depends
// on OpenTelemetry. A real service would give the tracer provider a batch
// span processor and an exporter (OTLP, say) instead of the in-memory
// recorder used here.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// samplePhone is the phone number Vlens's own documentation uses.
const samplePhone = "+201234567890"

// callTimeout bounds the whole call, retries included.
const callTimeout = 30 * time.Second

// tracerName names the instrumentation that creates the parent span.
const tracerName = "github.com/vlens-go/vlens/examples/otel"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		// One line, whatever the error holds.
		fmt.Fprintln(os.Stderr, "otel: "+strings.Join(strings.Fields(err.Error()), " "))
		os.Exit(1)
	}
}

// newClient returns a Vlens client whose every attempt goes through
// otelhttp's transport: one client span per attempt, a child of whatever
// span the call's context carries, with the W3C traceparent header sent on
// each attempt. opts are applied after WithHTTPClient.
func newClient(apiKey string, tp trace.TracerProvider, opts ...vlens.Option) (*vlens.Client, error) {
	hc := &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport,
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(propagation.TraceContext{}),
	)}
	return vlens.NewClient(apiKey, append([]vlens.Option{vlens.WithHTTPClient(hc)}, opts...)...)
}

// createAuthSession makes the call under a span of the caller's,
// "vlens.CreateAuthSession", that ends when the call does, retries included.
// A failure is recorded on the span: the SDK's errors have the API key and
// the user's data redacted, so their text may be exported.
func createAuthSession(ctx context.Context, tracer trace.Tracer, client *vlens.Client, in vlens.CreateAuthSessionInput) (*vlens.AuthSession, error) {
	ctx, span := tracer.Start(ctx, "vlens.CreateAuthSession", trace.WithSpanKind(trace.SpanKindInternal))
	defer span.End()
	session, err := client.CreateAuthSession(ctx, in)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return nil, err
	}
	return session, nil
}

// run is the whole program, with its environment and output injected so that
// it can be tested.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	apiKey, baseURL := getenv("VLENS_API_KEY"), getenv("VLENS_BASE_URL")
	var opts []vlens.Option
	if apiKey == "" {
		if baseURL != "" {
			return errors.New("VLENS_BASE_URL is set but VLENS_API_KEY is not; set both, or neither to use the fake")
		}
		srv := vlenstest.NewServer()
		defer srv.Close()
		srv.Enqueue(vlenstest.Fault{Status: http.StatusServiceUnavailable})
		apiKey, baseURL = srv.APIKey(), srv.URL
		// The fake answers at once: keep the wait before the retry short.
		opts = append(opts, vlens.WithRetryWait(10*time.Millisecond, 50*time.Millisecond))
		fmt.Fprintf(stderr, "VLENS_API_KEY is not set: using the in-process fake Vlens server (vlenstest) at %s, which answers the first attempt with HTTP 503\n", srv.URL)
	}
	if baseURL != "" {
		opts = append(opts, vlens.WithBaseURL(baseURL))
	}

	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	client, err := newClient(apiKey, tp, opts...)
	if err != nil {
		return err
	}
	in := vlens.CreateAuthSessionInput{PhoneNumber: getenv("VLENS_PHONE"), Email: getenv("VLENS_EMAIL")}
	if in.PhoneNumber == "" && in.Email == "" {
		in.PhoneNumber = samplePhone
		fmt.Fprintln(stderr, "VLENS_PHONE and VLENS_EMAIL are not set: using the documentation's sample number")
	}

	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, callErr := createAuthSession(ctx, tp.Tracer(tracerName), client, in)

	printSpans(stdout, rec.Ended())
	if callErr != nil {
		return callErr
	}
	fmt.Fprintln(stdout, "\nThe call succeeded; the session token is not printed (treat it as a secret).")
	return nil
}

// printSpans writes the spans as a tree, each child under its parent in the
// order they started, with their attributes.
func printSpans(w io.Writer, spans []sdktrace.ReadOnlySpan) {
	spans = slices.Clone(spans)
	slices.SortStableFunc(spans, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	recorded := make(map[trace.SpanID]bool, len(spans))
	for _, s := range spans {
		recorded[s.SpanContext().SpanID()] = true
	}
	var walk func(parent trace.SpanID, depth int)
	walk = func(parent trace.SpanID, depth int) {
		for _, s := range spans {
			p := s.Parent().SpanID()
			if !recorded[p] {
				p = trace.SpanID{} // a root here, whatever its remote parent
			}
			if p != parent {
				continue
			}
			indent := strings.Repeat("    ", depth)
			fmt.Fprintf(w, "%s%s (%s) trace=%s span=%s status=%s %s\n", indent, s.Name(), s.SpanKind(),
				s.SpanContext().TraceID(), s.SpanContext().SpanID(), statusString(s.Status()),
				s.EndTime().Sub(s.StartTime()).Round(time.Microsecond))
			attrs := slices.Clone(s.Attributes())
			slices.SortFunc(attrs, func(a, b attribute.KeyValue) int { return cmp.Compare(a.Key, b.Key) })
			for _, kv := range attrs {
				fmt.Fprintf(w, "%s    %s=%s\n", indent, kv.Key, kv.Value.String())
			}
			walk(s.SpanContext().SpanID(), depth+1)
		}
	}
	walk(trace.SpanID{}, 0)
}

func statusString(s sdktrace.Status) string {
	if s.Description == "" {
		return s.Code.String()
	}
	return s.Code.String() + " (" + s.Description + ")"
}
