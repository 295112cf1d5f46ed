// Command benchserver answers every request with a successful Vlens envelope,
// from a process of its own, so that the loopback benchmarks in bench_test.go
// can measure the client without the server's work on the same cores and in
// the same allocation counts:
//
//	go run ./internal/benchserver -addr 127.0.0.1:8089 &
//	VLENS_BENCH_URL=http://127.0.0.1:8089 go test -run '^$' -bench . -benchmem
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
	"strconv"
)

// token must match benchToken in bench_test.go.
const token = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." +
	"eyJzdWIiOiIxMjM0NTY3ODkwIiwic2Vzc2lvbiI6ImJlbmNoIiwiaWF0IjoxNTE2MjM5MDIyfQ." +
	"c2lnbmF0dXJlLXBsYWNlaG9sZGVyLWZvci1iZW5jaG1hcmtz"

func main() {
	addr := flag.String("addr", "127.0.0.1:8089", "loopback address to listen on")
	flag.Parse()
	body := []byte(`{"data":"` + token + `","error_code":null,"error_message":null,"error_descriptions":null}`)
	length := strconv.Itoa(len(body))
	log.Printf("benchserver: serving on http://%s", *addr)
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"application/json; charset=utf-8"}
		h["Content-Length"] = []string{length}
		_, _ = w.Write(body)
	})))
}
