//go:build soak

package vlens_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
)

// TestSoak makes tens of thousands of calls through one Client against a
// loopback server that mixes in faults (503, 429, connections dropped
// mid-answer, envelope errors), then checks that heap in use, open file
// descriptors and goroutines are back where they were. It is not part of
// the default run:
//
//	go test -tags soak -run TestSoak -v -count=1 .
//
// VLENS_SOAK_CALLS overrides the number of calls (default 30000).
func TestSoak(t *testing.T) {
	calls := 30000
	if v := os.Getenv("VLENS_SOAK_CALLS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		calls = n
	}
	const workers = 16

	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		switch n.Add(1) % 100 {
		case 7:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
		case 13:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		case 29: // drop the connection with the answer half sent
			w.Header().Set("Content-Length", "200")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"data":"tok`)
			if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
				c.Close()
			}
		case 41:
			_, _ = io.WriteString(w, `{"data":null,"error_code":5,"error_message":"refused"}`)
		default:
			_, _ = io.WriteString(w, tokenBody)
		}
	}))
	defer srv.Close()

	client, err := vlens.NewClient(canaryAPIKey,
		vlens.WithBaseURL(srv.URL),
		vlens.WithRetryWait(0, time.Millisecond),
		vlens.WithAttemptTimeout(5*time.Second),
	)
	require.NoError(t, err)

	var tokens, apiErrors, otherErrors atomic.Int64
	run := func(total int) {
		jobs := make(chan struct{}, total)
		for range total {
			jobs <- struct{}{}
		}
		close(jobs)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range jobs {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					_, err := client.CreateAuthSession(ctx, canaryInput)
					cancel()
					var apiErr *vlens.APIError
					switch {
					case err == nil:
						tokens.Add(1)
					case errors.As(err, &apiErr):
						apiErrors.Add(1)
					default:
						otherErrors.Add(1)
					}
				}
			}()
		}
		wg.Wait()
	}

	run(2000) // warm up: connection pool, lazily allocated buffers
	before := measure(srv)
	start := time.Now()
	tokens.Store(0)
	apiErrors.Store(0)
	otherErrors.Store(0)
	run(calls)
	elapsed := time.Since(start)
	after := measure(srv)

	t.Logf("%d calls in %v (%.0f calls/s): %d tokens, %d *APIError, %d other errors",
		calls, elapsed.Round(time.Millisecond), float64(calls)/elapsed.Seconds(), tokens.Load(), apiErrors.Load(), otherErrors.Load())
	t.Logf("heap in use: %.2f MiB before, %.2f MiB after (%+.2f MiB)",
		mib(before.heap), mib(after.heap), mib(after.heap)-mib(before.heap))
	t.Logf("open fds: %d before, %d after; goroutines: %d before, %d after", before.fds, after.fds, before.goroutines, after.goroutines)

	assert.EqualValues(t, calls, tokens.Load()+apiErrors.Load()+otherErrors.Load())
	assert.Greater(t, tokens.Load(), int64(calls*9/10), "most calls get a token")
	assert.LessOrEqual(t, after.heap, before.heap+2<<20, "heap in use grew by more than 2 MiB")
	assert.LessOrEqual(t, after.fds, before.fds+2, "open file descriptors grew")
	assert.LessOrEqual(t, after.goroutines, before.goroutines+2, "goroutines grew")
}

type footprint struct {
	heap       uint64
	fds        int
	goroutines int
}

// measure drops every connection (so that pooled keep-alive connections do
// not blur the count), lets both ends notice, collects garbage, and reads
// heap in use, open file descriptors and goroutines.
func measure(srv *httptest.Server) footprint {
	srv.CloseClientConnections()
	time.Sleep(200 * time.Millisecond)
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds, _ := os.ReadDir("/proc/self/fd")
	return footprint{heap: ms.HeapInuse, fds: len(fds), goroutines: runtime.NumGoroutine()}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
