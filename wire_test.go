package vlens

// Behavioural checks of what goes on the wire and comes back: identical
// bodies on every attempt, headers under concurrency and with a cookie jar,
// the per-attempt timeout, the response size limit. They use in-memory
// transports or loopback servers only.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roundTripFunc lets a test answer each attempt with a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func envelopeResponse(req *http.Request, status int, body string) *http.Response {
	return &http.Response{
		StatusCode:    status,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

func tokenEnvelope(token string) string {
	return `{"data":"` + token + `","error_code":null,"error_message":null,"error_descriptions":null}`
}

// fastRetries keeps retry waits to a millisecond.
func fastRetries(n int) CallOption {
	return callOption(func(s *settings) error {
		s.maxRetries = n
		s.retryWaitMin, s.retryWaitMax = time.Millisecond, time.Millisecond
		return nil
	})
}

func newSanityClient(t *testing.T, rt http.RoundTripper, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(benchAPIKey, append([]Option{WithHTTPClient(&http.Client{Transport: rt})}, opts...)...)
	require.NoError(t, err)
	return c
}

func TestRetriesSendIdenticalBodyBytes(t *testing.T) {
	t.Parallel()
	want, err := json.Marshal(benchInput)
	require.NoError(t, err)

	var mu sync.Mutex
	var bodies [][]byte
	var replays [][]byte
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		got, err := io.ReadAll(req.Body)
		require.NoError(t, err)
		assert.Equal(t, int64(len(got)), req.ContentLength)
		// A replay through GetBody (as the transport does on a dead idle
		// connection) must see the same bytes too.
		rc, err := req.GetBody()
		require.NoError(t, err)
		replay, err := io.ReadAll(rc)
		require.NoError(t, err)
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, got)
		replays = append(replays, replay)
		if len(bodies) < 3 {
			return envelopeResponse(req, http.StatusServiceUnavailable, `{"data":null,"error_code":null}`), nil
		}
		return envelopeResponse(req, http.StatusOK, tokenEnvelope("tok")), nil
	})
	c := newSanityClient(t, rt, fastRetries(2))

	s, err := c.CreateAuthSession(context.Background(), benchInput)
	require.NoError(t, err)
	assert.Equal(t, "tok", s.Token)
	require.Len(t, bodies, 3)
	for i := range bodies {
		assert.Equal(t, string(want), string(bodies[i]), "attempt %d body", i+1)
		assert.Equal(t, string(want), string(replays[i]), "attempt %d replay", i+1)
	}
}

func TestRetriesOverLoopbackSendIdenticalBodyBytes(t *testing.T) {
	t.Parallel()
	want, err := json.Marshal(benchInput)
	require.NoError(t, err)
	var n atomic.Int32
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if n.Add(1) < 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = io.WriteString(w, tokenEnvelope("tok"))
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(benchAPIKey, WithBaseURL(srv.URL), fastRetries(2))
	require.NoError(t, err)

	s, err := c.CreateAuthSession(context.Background(), benchInput)
	require.NoError(t, err)
	assert.Equal(t, "tok", s.Token)
	assert.Equal(t, []string{string(want), string(want), string(want)}, bodies)
}

func TestPerAttemptTimeoutFiresOnSlowBody(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		w.Header().Set("Content-Length", "100")
		_, _ = io.WriteString(w, `{"data":"`)
		w.(http.Flusher).Flush()
		select { // the rest of the body never comes
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(benchAPIKey, WithBaseURL(srv.URL), WithAttemptTimeout(50*time.Millisecond), fastRetries(1))
	require.NoError(t, err)

	start := time.Now()
	_, err = c.CreateAuthSession(context.Background(), benchInput)
	require.Error(t, err)
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.EqualValues(t, 2, attempts.Load(), "a timed-out attempt is retried")
	var timeout interface{ Timeout() bool }
	require.ErrorAs(t, err, &timeout)
	assert.True(t, timeout.Timeout())
	assert.NotErrorIs(t, err, context.DeadlineExceeded, "the caller's context did not end")
	var apiErr *APIError
	assert.False(t, errors.As(err, &apiErr))
}

func TestCallerDeadlineSoonerThanAttemptTimeout(t *testing.T) {
	t.Parallel()
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		<-req.Context().Done()
		return nil, req.Context().Err()
	})
	c := newSanityClient(t, rt, WithAttemptTimeout(time.Minute), fastRetries(2))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()

	_, err := c.CreateAuthSession(ctx, benchInput)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestBrokenBodyIsRetriedAsTransportFailure(t *testing.T) {
	t.Parallel()
	var attempts atomic.Int32
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		attempts.Add(1)
		resp := envelopeResponse(req, http.StatusOK, "")
		resp.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"data":"to`), errReader{io.ErrUnexpectedEOF}))
		return resp, nil
	})
	c := newSanityClient(t, rt, fastRetries(2))

	_, err := c.CreateAuthSession(context.Background(), benchInput)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.EqualValues(t, 3, attempts.Load())
	var apiErr *APIError
	assert.False(t, errors.As(err, &apiErr))
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestResponseLimitBoundary(t *testing.T) {
	t.Parallel()
	body := tokenEnvelope("tok")
	for _, tc := range []struct {
		name     string
		limit    int64
		tooLarge bool
	}{
		{"body exactly at the limit is read", int64(len(body)), false},
		{"body one byte over the limit is refused", int64(len(body)) - 1, true},
		{"limit far above a small body", 1 << 20, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
				return envelopeResponse(req, http.StatusOK, body), nil
			})
			c := newSanityClient(t, rt, WithMaxResponseBytes(tc.limit))
			s, err := c.CreateAuthSession(context.Background(), benchInput)
			if tc.tooLarge {
				require.ErrorIs(t, err, ErrResponseTooLarge)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "tok", s.Token)
		})
	}
}

func TestLargeResponseGrowsBuffer(t *testing.T) {
	t.Parallel()
	token := strings.Repeat("t", 100<<10) // larger than the pooled buffer keeps
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return envelopeResponse(req, http.StatusOK, tokenEnvelope(token)), nil
	})
	c := newSanityClient(t, rt)
	for i := 0; i < 3; i++ {
		s, err := c.CreateAuthSession(context.Background(), benchInput)
		require.NoError(t, err)
		assert.Equal(t, len(token), len(s.Token))
	}
}

// TestHeadersWithCookieJar checks that concurrent calls through a caller's
// client with a cookie jar (which adds to each request's headers) do not
// share a header map: run it with -race.
func TestHeadersWithCookieJar(t *testing.T) {
	t.Parallel()
	var cookies atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Values("Cookie"); len(got) == 1 && got[0] == "s=1" {
			cookies.Add(1)
		}
		assert.Equal(t, benchAPIKey, r.Header.Get("ApiKey"))
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
		assert.True(t, strings.HasPrefix(r.Header.Get("User-Agent"), "vlens-go/"))
		http.SetCookie(w, &http.Cookie{Name: "s", Value: "1"})
		_, _ = io.WriteString(w, tokenEnvelope("tok"))
	}))
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := &http.Client{Jar: jar}
	c, err := NewClient(benchAPIKey, WithBaseURL(srv.URL), WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = c.CreateAuthSession(context.Background(), benchInput) // sets the cookie
	require.NoError(t, err)

	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				_, err := c.CreateAuthSession(context.Background(), benchInput)
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 160, cookies.Load(), "each request carries the cookie once")
}

// TestDefaultStackSharesHeadersSafely runs concurrent calls through the
// SDK's own transport, where calls share one header map: run it with -race.
func TestDefaultStackSharesHeadersSafely(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, benchAPIKey, r.Header.Get("ApiKey"))
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
		assert.Equal(t, CreateAuthSessionPath, r.URL.Path)
		_, _ = io.WriteString(w, tokenEnvelope("tok"))
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(benchAPIKey, WithBaseURL(srv.URL))
	require.NoError(t, err)

	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				s, err := c.CreateAuthSession(context.Background(), benchInput)
				if assert.NoError(t, err) {
					assert.Equal(t, "tok", s.Token)
				}
			}
		}()
	}
	wg.Wait()
}

// TestRequestContextPrintsNoUserData checks that a transport that logs the
// request's context shows nothing of the call's data.
func TestRequestContextPrintsNoUserData(t *testing.T) {
	t.Parallel()
	var printed string
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		printed = fmtContext(req.Context())
		return envelopeResponse(req, http.StatusOK, tokenEnvelope("tok")), nil
	})
	c := newSanityClient(t, rt)
	_, err := c.CreateAuthSession(context.Background(), benchInput)
	require.NoError(t, err)
	for _, secret := range []string{benchInput.PhoneNumber, "201234567890", benchAPIKey} {
		assert.NotContains(t, printed, secret)
		assert.NotContains(t, printed, fmt.Sprintf("%x", secret))
		assert.NotContains(t, printed, fmt.Sprintf("% x", secret))
	}
}

// fmtContext prints a context the way a careless transport might log it.
func fmtContext(ctx context.Context) string {
	var b bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x"} {
		b.WriteString(fmt.Sprintf(verb, ctx))
	}
	return b.String()
}

// TestLazyRedactorStillRedacts checks the error path after the redactor
// became lazy: echoes of the caller's data are still replaced.
func TestLazyRedactorStillRedacts(t *testing.T) {
	t.Parallel()
	in := CreateAuthSessionInput{PhoneNumber: "+201234567890", Email: "user@example.com"}
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return envelopeResponse(req, http.StatusUnprocessableEntity,
			`{"data":null,"error_code":7,"error_message":"bad +201234567890 / USER@example.com",`+
				`"error_descriptions":{"email":["user@example.com is taken"],"phone":201234567890}}`), nil
	})
	c := newSanityClient(t, rt)
	_, err := c.CreateAuthSession(context.Background(), in)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 7, apiErr.Code)
	assert.Equal(t, "bad [redacted] / [redacted]", apiErr.Message)
	for _, secret := range []string{"201234567890", "user@example.com", "USER@"} {
		assert.NotContains(t, string(apiErr.Descriptions), secret)
		assert.NotContains(t, err.Error(), secret)
	}
}

func TestEnvelopeWithoutTokenIsMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"data":null,"error_code":null}`,
		`{"data":"","error_code":0}`,
		`{"error_code":null}`,
		`{"data":42}`,
	} {
		rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			return envelopeResponse(req, http.StatusOK, body), nil
		})
		_, err := newSanityClient(t, rt).CreateAuthSession(context.Background(), benchInput)
		assert.ErrorIs(t, err, ErrMalformedResponse, body)
	}
}

// writeCountingConn counts the writes a client makes on a connection.
type writeCountingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c writeCountingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestRequestIsOneWrite checks that headers and body leave in one write:
// net/http flushes the headers separately unless it recognises the body as
// in memory, which would cost a TCP packet per request.
func TestRequestIsOneWrite(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(envelopeHandler(http.StatusOK, []byte(tokenEnvelope("tok"))))
	t.Cleanup(srv.Close)
	var writes atomic.Int64
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return writeCountingConn{Conn: conn, writes: &writes}, nil
	}
	c, err := NewClient(benchAPIKey, WithBaseURL(srv.URL), WithHTTPClient(&http.Client{Transport: tr}))
	require.NoError(t, err)
	const calls = 10
	for i := 0; i < calls; i++ {
		_, err := c.CreateAuthSession(context.Background(), benchInput)
		require.NoError(t, err)
	}
	assert.EqualValues(t, calls, writes.Load(), "one write per request")
}
