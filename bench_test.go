package vlens

// Benchmarks comparing CreateAuthSession with the same call written by hand
// with net/http and encoding/json. They make no timed assertions; see
// docs/performance.md for how to run and read them.
//
// Sub-benchmark names are key=value pairs so that benchstat can line them
// up: mode (serial or parallel), transport (memory: an in-memory
// RoundTripper, isolating the client's own CPU and allocations; loopback: an
// httptest server), for the baseline flavour (bare or timeout), and for the
// SDK http (caller: the in-memory transport passed with WithHTTPClient;
// default: the SDK's own transport; tuned: a caller-supplied transport with
// a large idle pool, the one the baseline uses on loopback). The baseline is
// declared, and so runs, first: benchstat then compares the SDK against it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

const benchAPIKey = "bench-api-key-0123456789"

// benchToken is about the size of a real session token.
var benchToken = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." +
	"eyJzdWIiOiIxMjM0NTY3ODkwIiwic2Vzc2lvbiI6ImJlbmNoIiwiaWF0IjoxNTE2MjM5MDIyfQ." +
	"c2lnbmF0dXJlLXBsYWNlaG9sZGVyLWZvci1iZW5jaG1hcmtz"

// benchEnvelope is a successful answer as Vlens sends it: all four envelope
// fields present.
var benchEnvelope = []byte(`{"data":"` + benchToken +
	`","error_code":null,"error_message":null,"error_descriptions":null}`)

// benchInput is the input from the package documentation's example.
var benchInput = CreateAuthSessionInput{
	PhoneNumber: "+201234567890",
	SessionPermissions: &SessionPermissions{
		AllowedContractTypeIDs: []int{414},
		MinimalSignatureFlow:   true,
	},
}

// benchGoroutines is how many goroutines the parallel benchmarks run: a busy
// backend minting sessions for many users at once.
const benchGoroutines = 32

// cannedTransport answers every request in memory with the same status and
// body (a new reader per response), after consuming the request body as a
// server would.
type cannedTransport struct {
	status int
	header http.Header // shared, read-only
	body   []byte
}

func newCannedTransport(status int, body []byte) *cannedTransport {
	return &cannedTransport{
		status: status,
		header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		body:   body,
	}
}

func (t *cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		Status:        strconv.Itoa(t.status) + " " + http.StatusText(t.status),
		StatusCode:    t.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        t.header,
		Body:          io.NopCloser(bytes.NewReader(t.body)),
		ContentLength: int64(len(t.body)),
		Request:       req,
	}, nil
}

// newEnvelopeServer starts a loopback server that consumes each request body
// and answers with status and body.
func newEnvelopeServer(tb testing.TB, status int, body []byte) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(envelopeHandler(status, body))
	tb.Cleanup(srv.Close)
	return srv
}

// benchServerURL is the loopback server the loopback benchmarks call: the
// one in VLENS_BENCH_URL when set (internal/benchserver, in a process of its
// own, so that its work neither shares the client's allocation counts nor
// hides on the same goroutine scheduler), else an in-process httptest server.
func benchServerURL(b *testing.B) string {
	if u := os.Getenv("VLENS_BENCH_URL"); u != "" {
		return u
	}
	return newEnvelopeServer(b, http.StatusOK, benchEnvelope).URL
}

func envelopeHandler(status int, body []byte) http.Handler {
	length := strconv.Itoa(len(body))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"application/json; charset=utf-8"}
		h["Content-Length"] = []string{length}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}

// tunedTransport is what a careful engineer configures for a busy backend:
// http.DefaultTransport with an idle pool large enough for every goroutine.
func tunedTransport(tb testing.TB) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	tb.Cleanup(t.CloseIdleConnections)
	return t
}

// runCalls runs call b.N times, serially or from benchGoroutines goroutines.
func runCalls(b *testing.B, parallel bool, call func() error) {
	b.Helper()
	b.ReportAllocs()
	// Warm the connection pool and any lazily built state, untimed.
	if err := call(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if !parallel {
		for i := 0; i < b.N; i++ {
			if err := call(); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	b.SetParallelism((benchGoroutines + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := call(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

var benchModes = []struct {
	name     string
	parallel bool
}{
	{"mode=serial", false},
	{"mode=parallel", true},
}

// BenchmarkBaselineNetHTTP makes the same call by hand, as an engineer would
// without the SDK: marshal the body, POST it, decode the envelope, check
// error_code. The bare flavour sets no timeout; the timeout flavour sets
// http.Client.Timeout, the per-request bound a careful engineer adds.
func BenchmarkBaselineNetHTTP(b *testing.B) {
	ctx := context.Background()
	flavours := []struct {
		name    string
		timeout time.Duration
	}{
		{"flavour=bare", 0},
		{"flavour=timeout", defaultAttemptTimeout},
	}
	for _, f := range flavours {
		for _, m := range benchModes {
			b.Run(f.name+"/"+m.name+"/transport=memory", func(b *testing.B) {
				hc := &http.Client{
					Transport: newCannedTransport(http.StatusOK, benchEnvelope),
					Timeout:   f.timeout,
				}
				url := DefaultBaseURL + CreateAuthSessionPath
				runCalls(b, m.parallel, func() error { return baselineCall(ctx, hc, url) })
			})
			b.Run(f.name+"/"+m.name+"/transport=loopback", func(b *testing.B) {
				hc := &http.Client{Transport: tunedTransport(b), Timeout: f.timeout}
				url := benchServerURL(b) + CreateAuthSessionPath
				runCalls(b, m.parallel, func() error { return baselineCall(ctx, hc, url) })
			})
		}
	}
}

func BenchmarkCreateAuthSession(b *testing.B) {
	ctx := context.Background()
	sdkCall := func(c *Client) func() error {
		return func() error {
			s, err := c.CreateAuthSession(ctx, benchInput)
			if err == nil && s.Token != benchToken {
				err = errors.New("wrong token")
			}
			return err
		}
	}
	for _, m := range benchModes {
		b.Run(m.name+"/transport=memory/http=caller", func(b *testing.B) {
			hc := &http.Client{Transport: newCannedTransport(http.StatusOK, benchEnvelope)}
			c, err := NewClient(benchAPIKey, WithHTTPClient(hc))
			if err != nil {
				b.Fatal(err)
			}
			runCalls(b, m.parallel, sdkCall(c))
		})
		b.Run(m.name+"/transport=loopback/http=default", func(b *testing.B) {
			c, err := NewClient(benchAPIKey, WithBaseURL(benchServerURL(b)))
			if err != nil {
				b.Fatal(err)
			}
			runCalls(b, m.parallel, sdkCall(c))
		})
		b.Run(m.name+"/transport=loopback/http=tuned", func(b *testing.B) {
			hc := &http.Client{Transport: tunedTransport(b)}
			c, err := NewClient(benchAPIKey, WithBaseURL(benchServerURL(b)), WithHTTPClient(hc))
			if err != nil {
				b.Fatal(err)
			}
			runCalls(b, m.parallel, sdkCall(c))
		})
	}
}

// baselineEnvelope is the envelope as a hand-written client would declare it.
type baselineEnvelope struct {
	Data              string          `json:"data"`
	ErrorCode         *int            `json:"error_code"`
	ErrorMessage      string          `json:"error_message"`
	ErrorDescriptions json.RawMessage `json:"error_descriptions"`
}

// baselineCall is CreateAuthSession written by hand with net/http and
// encoding/json.
func baselineCall(ctx context.Context, hc *http.Client, url string) error {
	body, err := json.Marshal(benchInput)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("ApiKey", benchAPIKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env baselineEnvelope
	err = json.NewDecoder(resp.Body).Decode(&env)
	_, _ = io.Copy(io.Discard, resp.Body) // let the connection be reused
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New("unexpected status " + resp.Status)
	}
	if env.ErrorCode != nil && *env.ErrorCode != 0 {
		return errors.New("vlens error " + strconv.Itoa(*env.ErrorCode) + ": " + env.ErrorMessage)
	}
	if env.Data != benchToken {
		return errors.New("wrong token")
	}
	return nil
}
