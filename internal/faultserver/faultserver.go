// Package faultserver is a loopback HTTP/1.1 server for tests that need
// faults httptest cannot produce: connections closed or reset at a chosen
// byte, bodies shorter than their Content-Length, responses that trickle or
// never come. Each request is handed to a Handler together with the raw
// connection, so the handler writes exactly the bytes the fault needs.
//
// The server counts what it saw (connections accepted, requests read, bytes
// read) so that tests can assert how many attempts a client made, and that a
// server a client must not talk to heard nothing at all.
package faultserver

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Handler answers request n (counted from 1 across all connections) by
// writing to ex.Conn. It returns true to keep the connection open for the
// next request, false to have the server close it.
type Handler func(n int, ex *Exchange) (keepAlive bool)

// Exchange is one request as the server read it, and the connection to
// answer on.
type Exchange struct {
	// Request is the request as parsed from the connection.
	Request *http.Request
	// Body is the request body, read in full.
	Body []byte
	// Conn is the raw connection; write the response (or the fault) to it.
	Conn *net.TCPConn
	// Done is closed when the server is closing: handlers that wait or
	// trickle must return when it is.
	Done <-chan struct{}
}

// Server is a loopback listener that answers with a Handler.
type Server struct {
	ln      net.Listener
	handler Handler
	done    chan struct{}

	accepted  atomic.Int64
	requests  atomic.Int64
	bytesRead atomic.Int64

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// Start listens on 127.0.0.1 on a free port and serves with h until Close.
func Start(h Handler) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return Serve(ln, h), nil
}

// Serve serves with h on ln until Close; it takes ownership of ln.
func Serve(ln net.Listener, h Handler) *Server {
	s := &Server{ln: ln, handler: h, done: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s
}

// URL is the server's base URL, http://127.0.0.1:port.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Addr is the listener's address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Accepted is the number of connections accepted so far.
func (s *Server) Accepted() int { return int(s.accepted.Load()) }

// Requests is the number of requests read so far.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// BytesRead is the number of bytes read from all connections so far.
func (s *Server) BytesRead() int { return int(s.bytesRead.Load()) }

// Close stops accepting, closes every connection, and waits until every
// handler has returned, so that no goroutine of the server outlives it.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		s.ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	})
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.accepted.Add(1)
		s.mu.Lock()
		select {
		case <-s.done:
			s.mu.Unlock()
			c.Close()
			return
		default:
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c.(*net.TCPConn))
	}
}

func (s *Server) serve(c *net.TCPConn) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	br := bufio.NewReader(countingReader{c, &s.bytesRead})
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return
		}
		n := s.requests.Add(1)
		if !s.handler(int(n), &Exchange{Request: req, Body: body, Conn: c, Done: s.done}) {
			return
		}
	}
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n.Add(int64(n))
	return n, err
}

// Response is a complete HTTP/1.1 response in bytes: status line, the given
// header lines ("Name: value"), a Content-Length matching body, and body.
func Response(status int, body string, headers ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	for _, h := range headers {
		b.WriteString(h)
		b.WriteString("\r\n")
	}
	b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	b.WriteString(body)
	return b.Bytes()
}

// Reply writes a complete response and keeps the connection open.
func Reply(status int, body string, headers ...string) Handler {
	return func(_ int, ex *Exchange) bool {
		_, err := ex.Conn.Write(Response(status, body, headers...))
		return err == nil
	}
}

// Gzip returns body compressed with gzip.
func Gzip(body string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(body))
	_ = zw.Close()
	return b.String()
}

// Hang answers nothing until the client closes the connection or the server
// closes (Close closes every connection, which ends the wait).
func Hang(_ int, ex *Exchange) bool {
	_, _ = io.Copy(io.Discard, ex.Conn)
	return false
}

// Reset closes the connection with an RST (SO_LINGER 0) instead of a FIN.
func Reset(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}

// Trickle writes p one byte every interval until it is all written, the
// client goes away, or the server closes.
func Trickle(ex *Exchange, p []byte, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for i := range p {
		if _, err := ex.Conn.Write(p[i : i+1]); err != nil {
			return err
		}
		select {
		case <-ex.Done:
			return net.ErrClosed
		case <-t.C:
		}
	}
	return nil
}
