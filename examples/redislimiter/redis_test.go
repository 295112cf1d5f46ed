package redislimiter_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startRedis starts a redis-server of the test's own on a free loopback
// port, with no persistence and its working directory in t.TempDir(), waits
// until it answers, and returns its address and a func that stops it (kills
// it and waits for it to exit; the test's cleanup calls it too, so no
// process outlives the test). It never uses a Redis already running on the
// machine.
//
// Without redis-server on PATH the test is skipped, except under CI=true,
// where it fails: CI must run these tests, not skip them.
func startRedis(t *testing.T) (addr string, stop func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		const install = "apt-get install redis-server"
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server not found on PATH, and under CI=true a skipped test proves nothing; install it: %s", install)
		}
		t.Skipf("redis-server not found on PATH; install it to run this test: %s", install)
	}
	dir := t.TempDir()
	// The free port is free when we look, but someone may take it before
	// redis-server binds it; then redis-server exits (or another server
	// answers), and we try another port.
	for try := 1; ; try++ {
		addr, stop, err := tryRedis(t, bin, dir)
		if err == nil {
			return addr, stop
		}
		if try == 3 {
			t.Fatalf("starting redis-server: %v", err)
		}
		t.Logf("starting redis-server, try %d: %v", try, err)
	}
}

// tryRedis starts redis-server on one free port; see startRedis.
func tryRedis(t *testing.T, bin, dir string) (addr string, stop func(), err error) {
	port := freePort(t)
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logPath := filepath.Join(dir, fmt.Sprintf("redis-%d.log", port))
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close() // the child has its own copy

	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	killWithParent(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // killed: the error says so
		close(exited)
	}()
	stop = func() {
		_ = cmd.Process.Kill() // os.ErrProcessDone once it has exited
		<-exited
	}
	t.Cleanup(stop)

	logTail := func() string {
		b, _ := os.ReadFile(logPath)
		return strings.TrimSpace(string(b))
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	deadline := time.Now().Add(20 * time.Second) // generous: a busy machine under -race
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		info, err := rdb.Info(ctx, "server").Result()
		cancel()
		if err == nil {
			// The server answering must be ours, not one that took the port.
			if !strings.Contains(info, "process_id:"+strconv.Itoa(cmd.Process.Pid)+"\r\n") {
				stop()
				return "", nil, fmt.Errorf("another Redis answers on %s", addr)
			}
			return addr, stop, nil
		}
		select {
		case <-exited:
			return "", nil, fmt.Errorf("redis-server exited at start; its log:\n%s", logTail())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("redis-server on %s did not answer within 20s (last: %v); its log:\n%s", addr, err, logTail())
		}
	}
}

// freePort returns a loopback TCP port that nothing listened on a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// newRedisClient returns a client for the Redis opt names, closed when the
// test ends: one per replica, as each replica has its own.
func newRedisClient(t *testing.T, opt *redis.Options) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// failFast is for a Redis that is not there: one dial, no retry, so that
// each call meets the failure at once rather than after go-redis's retries
// (about two seconds with its defaults, for a refused connection).
func failFast(addr string) *redis.Options {
	return &redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1}
}
