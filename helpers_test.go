package vlens

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

const (
	testAPIKey   = "test-api-key-0001"
	testPhone    = "+201234567890"
	testEmail    = "user@example.com"
	testEndpoint = DefaultBaseURL + CreateAuthSessionPath
	// prompt bounds calls that must not wait: far below every wait the
	// tests configure to detect one (5s and more), far above scheduling
	// noise on a loaded machine under -race.
	prompt = 2 * time.Second
)

// setup returns a mock transport and a client that sends every attempt
// through it, with retry waits of a millisecond or two. opts come after the
// defaults, so a test can override them.
func setup(t *testing.T, opts ...Option) (*httpmock.MockTransport, *Client) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	all := append([]Option{
		WithHTTPClient(&http.Client{Transport: mt}),
		WithRetryWait(time.Millisecond, 2*time.Millisecond),
	}, opts...)
	c, err := NewClient(testAPIKey, all...)
	require.NoError(t, err)
	return mt, c
}

// createWith makes one CreateAuthSession call with validInput through a fresh
// client whose endpoint answers with answer, and returns the transport for
// its call counts.
func createWith(t *testing.T, answer httpmock.Responder, opts ...Option) (*httpmock.MockTransport, *AuthSession, error) {
	t.Helper()
	mt, c := setup(t, opts...)
	mt.RegisterResponder(http.MethodPost, testEndpoint, answer)
	s, err := c.CreateAuthSession(context.Background(), validInput())
	return mt, s, err
}

// validInput is the smallest input Validate accepts.
func validInput() CreateAuthSessionInput {
	return CreateAuthSessionInput{PhoneNumber: testPhone}
}

// tokenBody is a success envelope carrying token.
func tokenBody(token string) string {
	b, _ := json.Marshal(map[string]any{
		"data": token, "error_code": nil, "error_message": nil, "error_descriptions": nil,
	})
	return string(b)
}

// errorBody is an error envelope with no error_descriptions.
func errorBody(code int, message string) string {
	b, _ := json.Marshal(map[string]any{
		"data": nil, "error_code": code, "error_message": message, "error_descriptions": nil,
	})
	return string(b)
}

// reply answers every call with status and body, plus header given as
// name, value pairs. Each call gets a fresh response.
func reply(status int, body string, header ...string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(status, body)
		for i := 0; i+1 < len(header); i += 2 {
			resp.Header.Set(header[i], header[i+1])
		}
		return resp, nil
	}
}

// sequence answers the n-th call with rs[n] and fails the test on a call
// beyond them.
func sequence(t *testing.T, rs ...httpmock.Responder) httpmock.Responder {
	t.Helper()
	var n atomic.Int32
	return func(req *http.Request) (*http.Response, error) {
		i := int(n.Add(1)) - 1
		if i >= len(rs) {
			t.Errorf("unexpected attempt %d (only %d answers planned)", i+1, len(rs))
			return nil, errors.New("unexpected attempt")
		}
		return rs[i](req)
	}
}

// blockUntilDone is a responder that never answers: it returns when the
// attempt's context ends, as a real server that hangs would.
func blockUntilDone(req *http.Request) (*http.Response, error) {
	<-req.Context().Done()
	return nil, req.Context().Err()
}

// recorder keeps a copy of every request a responder receives.
type recorder struct {
	mu       sync.Mutex
	requests []recordedRequest
}

type recordedRequest struct {
	method string
	url    string
	header http.Header
	body   []byte
}

// wrap records each request, then lets r answer it.
func (rec *recorder) wrap(r httpmock.Responder) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
		}
		rec.mu.Lock()
		rec.requests = append(rec.requests, recordedRequest{
			method: req.Method, url: req.URL.String(), header: req.Header.Clone(), body: body,
		})
		rec.mu.Unlock()
		return r(req)
	}
}

func (rec *recorder) all() []recordedRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recordedRequest(nil), rec.requests...)
}

// brokenBody yields prefix and then fails with err, like a connection that
// resets mid-response.
type brokenBody struct {
	prefix []byte
	err    error
}

func (b *brokenBody) Read(p []byte) (int, error) {
	if len(b.prefix) == 0 {
		return 0, b.err
	}
	n := copy(p, b.prefix)
	b.prefix = b.prefix[n:]
	return n, nil
}

func (*brokenBody) Close() error { return nil }

// breakBody answers with status and a body that breaks off with err after
// prefix.
func breakBody(status int, prefix string, err error) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		return &http.Response{
			StatusCode: status,
			Header:     http.Header{},
			Body:       &brokenBody{prefix: []byte(prefix), err: err},
		}, nil
	}
}

// requireAPIError asserts err is an *APIError and returns it.
func requireAPIError(t *testing.T, err error) *APIError {
	t.Helper()
	require.Error(t, err)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr, "got %T: %v", err, err)
	return apiErr
}

// discardLogger logs everything, at debug level, to nowhere.
func discardLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
