package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// fakeBinary is the vlens-fake command, built once by TestMain, which the
// tests start as a subprocess: the binary a user runs, not a stand-in.
var fakeBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vlens-fake-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fakeBinary = filepath.Join(dir, "vlens-fake")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", fakeBinary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building vlens-fake: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// timeout bounds every wait in these tests; none comes near it unless
// something is broken.
const timeout = time.Minute

// process is a subprocess whose standard output is read line by line.
type process struct {
	cmd    *exec.Cmd
	lines  chan string // standard output, closed at its end
	stderr bytes.Buffer
	done   chan struct{} // closed once the process has exited and its output has ended
	err    error         // Wait's, once done is closed
}

// fakeCommand runs the built vlens-fake command with args.
func fakeCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	return exec.Command(fakeBinary, args...)
}

// start starts cmd and kills it, if it is still running, when the test
// ends.
func start(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = &p.stderr
	require.NoError(t, cmd.Start())
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		_, _ = io.Copy(io.Discard, out)
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
			return
		default:
		}
		_ = cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(timeout):
			t.Errorf("process %d did not end", cmd.Process.Pid)
		}
	})
	return p
}

// banner reads the start banner up to its last line and returns its
// NAME=value lines, and all its lines.
func (p *process) banner(t *testing.T) (map[string]string, []string) {
	t.Helper()
	vars := map[string]string{}
	var lines []string
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				if p.done != nil {
					p.wait(t) // for all of stderr
				}
				t.Fatalf("output ended before the banner did: %q; stderr: %s", lines, p.stderr.String())
			}
			lines = append(lines, line)
			if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.HasPrefix(k, "VLENS_") {
				vars[k] = v
			}
			if line == "Stop with Ctrl-C." {
				return vars, lines
			}
		case <-deadline:
			t.Fatalf("no complete banner within %s: %q", timeout, lines)
		}
	}
}

// wait waits for the process to exit and returns its exit status and the
// rest of its output.
func (p *process) wait(t *testing.T) (int, []string) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("process %d did not exit within %s", p.cmd.Process.Pid, timeout)
	}
	var rest []string
	for line := range p.lines {
		rest = append(rest, line)
	}
	var exitErr *exec.ExitError
	if p.err != nil && !errors.As(p.err, &exitErr) {
		t.Fatalf("waiting for the process: %v", p.err)
	}
	return p.cmd.ProcessState.ExitCode(), rest
}

// runCommand runs the command to its end and returns its exit status and
// output.
func runCommand(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := start(t, fakeCommand(t, args...))
	code, lines := p.wait(t)
	if len(lines) > 0 {
		stdout = strings.Join(lines, "\n") + "\n"
	}
	return code, stdout, p.stderr.String()
}

func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	for _, flag := range []string{"-h", "-help", "--help"} {
		code, stdout, stderr := runCommand(t, flag)
		assert.Equal(t, 0, code, flag)
		assert.Empty(t, stderr, flag)
		assert.True(t, strings.HasPrefix(stdout, "Usage: vlens-fake [flags]\n"), "%s: %q", flag, stdout)
		for _, want := range []string{"-addr host:port", "-exit-with-parent", "-control", vlenstest.ControlFaultsPath,
			"go install github.com/vlens-go/vlens/vlenstest/cmd/vlens-fake@latest"} {
			assert.Contains(t, stdout, want, flag)
		}
	}
}

func TestBadFlagsExitTwo(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-nosuchflag"},
		{"-rate", "fast"},
		{"-rate", "-1"},
		{"-key", " "},
		{"extra"},
	} {
		code, stdout, stderr := runCommand(t, args...)
		assert.Equal(t, 2, code, "%q", args)
		assert.Empty(t, stdout, "%q", args)
		assert.Contains(t, stderr, "Usage: vlens-fake [flags]", "%q", args)
	}

	code, stdout, stderr := runCommand(t, "-addr", "not an address")
	assert.Equal(t, 1, code, "a failure to listen is no usage error")
	assert.Empty(t, stdout)
	assert.True(t, strings.HasPrefix(stderr, "vlens-fake: vlenstest: listen tcp"), stderr)
	assert.NotContains(t, stderr, "Usage")
}

func TestRunReportsBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-key", " "},
		{"-key", "a\nb"},
		{"-rate", "-1"},
		{"-rate", "1", "-burst", "0"},
		{"-rate-per-minute", "-1"},
		{"-latency", "-1s"},
		{"-nosuchflag"},
		{"-quiet=maybe"},
		{"extra"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), launch{}, args, &stdout, &stderr)
		var usage *usageError
		require.ErrorAs(t, err, &usage, "%q", args)
		assert.Equal(t, 2, exitCode(err, io.Discard))
		assert.Empty(t, stdout.String())
		assert.Contains(t, stderr.String(), "Usage: vlens-fake", "%q", args)
	}
	var stderr bytes.Buffer
	err := run(context.Background(), launch{}, []string{"-addr", "not an address"}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Equal(t, 1, exitCode(err, &stderr))
	assert.Contains(t, stderr.String(), "vlens-fake: ")
	assert.Equal(t, 0, exitCode(nil, io.Discard))
}

// startRun runs the command in process until the test ends, and returns
// its banner.
func startRun(t *testing.T, args ...string) (map[string]string, []string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, launch{}, args, outW, io.Discard)
		outW.Close()
	}()
	p := &process{lines: make(chan string, 1000)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		_, _ = io.Copy(io.Discard, out)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(timeout):
			t.Error("run did not return")
		}
	})
	return p.banner(t)
}

func TestServesUntilCancelled(t *testing.T) {
	t.Parallel()
	vars, _ := startRun(t, "-addr", "127.0.0.1:0", "-key", "dev-key", "-quiet")
	require.Equal(t, "dev-key", vars["VLENS_API_KEY"])
	require.True(t, strings.HasPrefix(vars["VLENS_BASE_URL"], "http://127.0.0.1:"), vars["VLENS_BASE_URL"])

	ctx := context.Background()
	client, err := vlens.NewClient(vars["VLENS_API_KEY"], vlens.WithBaseURL(vars["VLENS_BASE_URL"]))
	require.NoError(t, err)
	session, err := client.CreateAuthSession(ctx, vlens.CreateAuthSessionInput{Email: "dev@example.com"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(session.Token, vlenstest.TokenPrefix))

	admin, err := vlens.NewClient(vars["VLENS_API_KEY"], vlens.WithBaseURL(vars["VLENS_BASE_URL"]),
		vlens.WithAdminCredentials(vlens.AdminCredentials{TenancyName: vars["VLENS_ADMIN_TENANCY"],
			UserNameOrEmailAddress: vars["VLENS_ADMIN_USER"], Password: vars["VLENS_ADMIN_PASSWORD"]}))
	require.NoError(t, err)
	invitation, err := admin.CreateInvitation(ctx, vlens.CreateInvitationInput{Email: "dev@example.com"})
	require.NoError(t, err, "the printed admin login works")
	assert.True(t, strings.HasPrefix(invitation.Token, vlenstest.TokenPrefix))
}

// TestPrintedCurlCommandsWork runs the curl commands of the banner, as a
// developer would paste them.
func TestPrintedCurlCommandsWork(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"sh", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s: %v", tool, err)
		}
	}
	_, lines := startRun(t, "-addr", "127.0.0.1:0", "-key", "it's-a-key", "-quiet")
	var commands []string
	for _, line := range lines {
		if cmd := strings.TrimSpace(line); strings.HasPrefix(cmd, "curl ") || strings.HasPrefix(cmd, "TOKEN=") || strings.HasPrefix(cmd, "ID=") {
			commands = append(commands, cmd)
		}
	}
	wants := []string{
		`{"data":"vlenstest_`,                       // CreateAuthSession
		`{"data":{"accessToken":"vlenstest_access_`, // Login
		`"error_code":9401`,                         // CreateInvitation with the placeholder for a token
		`{"data":"vlenstest_`,                       // Login, then CreateInvitation with its token
		`{"queued":5}`,                              // faults queued
		`"endpoint":"CreateInvitation"`,             // the requests so far
		`"cleared":5`,                               // faults cleared
		`"statusName":"Approved"`,                   // the invitation's session completed, then approved
		`"totalCount":1,"returnedCount":1`,          // Login, then the business requests
	}
	require.Len(t, commands, len(wants), "%q", commands)
	for i, cmd := range commands {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		out, err := exec.CommandContext(ctx, "sh", "-c", cmd).CombinedOutput()
		cancel()
		require.NoError(t, err, "%s: %s", cmd, out)
		assert.Contains(t, string(out), wants[i], cmd)
	}
}

// TestBannerRequestsWork replays each request of the banner's curl
// commands with net/http, headers included, as a developer's tool other
// than curl would send them, and checks that each succeeds.
func TestBannerRequestsWork(t *testing.T) {
	t.Parallel()
	_, lines := startRun(t, "-addr", "127.0.0.1:0", "-quiet")
	var commands []string
	for _, line := range lines {
		line = strings.TrimSpace(line)
		if _, pair, ok := strings.Cut(line, "=$("); ok && !strings.HasPrefix(line, "curl ") { // NAME=$(first | sed …) && second
			first, _, ok := strings.Cut(pair, " | sed ")
			require.True(t, ok, line)
			_, second, ok := strings.Cut(pair, ") && ")
			require.True(t, ok, line)
			commands = append(commands, first, second)
		} else if strings.HasPrefix(line, "curl ") {
			commands = append(commands, line)
		}
	}
	require.Len(t, commands, 12, "%q", commands)

	token, id := "", ""
	for _, cmd := range commands {
		words := shellWords(t, cmd, map[string]string{"TOKEN": token, "ID": id})
		req := curlRequest(t, words, strings.NewReplacer("<accessToken from the login answer>", token))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err, cmd)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", cmd, body)
		assert.NotContains(t, string(body), `"error`+`_code":9`, cmd) // no error from the fake
		var login struct {
			Data struct{ AccessToken string }
		}
		if req.URL.Path == vlenstest.LoginPath {
			require.NoError(t, json.Unmarshal(body, &login))
			token = login.Data.AccessToken
			require.NotEmpty(t, token)
		}
		if req.URL.Path == vlenstest.ControlCompletePath {
			var done struct{ ID string }
			require.NoError(t, json.Unmarshal(body, &done))
			id = done.ID
			require.NotEmpty(t, id)
		}
	}
}

// shellWords splits a POSIX shell command line as the banner writes them:
// words of plain characters, 'single-quoted' strings and "double-quoted"
// ones with $NAME taken from vars.
func shellWords(t *testing.T, line string, vars map[string]string) []string {
	t.Helper()
	var words []string
	var word strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; c {
		case ' ':
			if inWord {
				words, inWord = append(words, word.String()), false
				word.Reset()
			}
		case '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			require.GreaterOrEqual(t, end, 0, "unterminated quote in %s", line)
			word.WriteString(line[i+1 : i+1+end])
			i, inWord = i+1+end, true
		case '"':
			end := strings.IndexByte(line[i+1:], '"')
			require.GreaterOrEqual(t, end, 0, "unterminated quote in %s", line)
			word.WriteString(os.Expand(line[i+1:i+1+end], func(name string) string { return vars[name] }))
			i, inWord = i+1+end, true
		default:
			require.NotContains(t, "$`|;&<>()", string(c), "unexpected shell syntax in %s", line)
			word.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
}

// curlRequest is the request curl would send for args (curl's -sS, -X, -H,
// -d and a URL), with headers passed through replace.
func curlRequest(t *testing.T, args []string, replace *strings.Replacer) *http.Request {
	t.Helper()
	require.Equal(t, "curl", args[0])
	method, target, body, header := "", "", "", http.Header{}
	hasBody := false
	for i := 1; i < len(args); i++ {
		switch args[i] {
		case "-sS":
		case "-X", "-H", "-d":
			require.Less(t, i+1, len(args), "%q", args)
			switch args[i] {
			case "-X":
				method = args[i+1]
			case "-H":
				name, value, ok := strings.Cut(replace.Replace(args[i+1]), ":")
				require.True(t, ok, args[i+1])
				header.Add(name, strings.TrimSpace(value))
			case "-d":
				body, hasBody = args[i+1], true
			}
			i++
		default:
			require.Empty(t, target, "one URL only: %q", args)
			target = args[i]
		}
	}
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	require.NoError(t, err)
	if hasBody && header.Get("Content-Type") == "" {
		header.Set("Content-Type", "application/x-www-form-urlencoded") // what curl -d sends
	}
	req.Header = header
	return req
}

func TestControlFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		flag   string
		status int
	}{{"-control=true", http.StatusOK}, {"-control=false", http.StatusNotFound}} {
		vars, lines := startRun(t, "-addr", "127.0.0.1:0", "-quiet", tc.flag)
		resp, err := http.Post(vars["VLENS_BASE_URL"]+vlenstest.ControlFaultsPath, "application/json", strings.NewReader(`[{"status":503}]`))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, tc.status, resp.StatusCode, tc.flag)
		assert.Equal(t, tc.status == http.StatusOK, strings.Contains(strings.Join(lines, "\n"), vlenstest.ControlFaultsPath), tc.flag)
	}
}

func TestWatchParent(t *testing.T) {
	t.Parallel()
	var ppid atomic.Int64
	ppid.Store(4242)
	getppid := func() int { return int(ppid.Load()) }
	ctx, cancel := watchParent(context.Background(), 4242, getppid, time.Millisecond)
	defer cancel()

	for range 20 { // the parent stays: nothing happens
		select {
		case <-ctx.Done():
			t.Fatal("cancelled while the parent is there")
		case <-time.After(time.Millisecond):
		}
	}
	ppid.Store(1) // the parent exited; init adopted the process
	select {
	case <-ctx.Done():
		assert.ErrorIs(t, context.Cause(ctx), errParentExited)
	case <-time.After(timeout):
		t.Fatal("not cancelled after the parent changed")
	}

	ctx, cancel = watchParent(context.Background(), 4242, getppid, time.Hour)
	defer cancel()
	select {
	case <-ctx.Done(): // checked at once, not an interval later
		assert.ErrorIs(t, context.Cause(ctx), errParentExited, "the parent had exited before the watch began")
	default:
		t.Fatal("a parent gone before the watch began went unnoticed")
	}

	ctx, cancel = watchParent(context.Background(), 1, getppid, time.Millisecond)
	cancel()
	<-ctx.Done()
	assert.NotErrorIs(t, context.Cause(ctx), errParentExited)
}

func TestBuiltByGoRun(t *testing.T) {
	t.Parallel()
	for exe, want := range map[string]bool{
		"/tmp/go-build4242245869/b001/exe/vlens-fake":         true,
		"/home/me/.cache/tmp/go-build1/b001/exe/vlens-fake":   true,
		filepath.Join("C:", "go-build77", "b001", "exe", "x"): true,
		"/home/me/go/bin/vlens-fake":                          false,
		"/usr/local/bin/vlens-fake":                           false,
		"/tmp/go-build1/b001/vlens-fake.test":                 false,
		"/tmp/exe/vlens-fake":                                 false,
		"vlens-fake":                                          false,
	} {
		assert.Equal(t, want, builtByGoRun(filepath.FromSlash(exe)), exe)
	}
}

func TestExitWithParentFlag(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-exit-with-parent=maybe"}} {
		err := run(context.Background(), launch{}, args, io.Discard, io.Discard)
		var usage *usageError
		assert.ErrorAs(t, err, &usage, "%q", args)
	}
	var b autoBool
	assert.Equal(t, "auto", b.String())
	require.NoError(t, b.Set("true"))
	assert.Equal(t, autoBool{set: true, value: true}, b)
	require.NoError(t, b.Set("auto"))
	assert.Equal(t, autoBool{}, b)
}

func TestDisplayURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		beyond   bool
	}{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", false},
		{"http://[::1]:8080", "http://[::1]:8080", false},
		{"http://0.0.0.0:8080", "http://127.0.0.1:8080", true},
		{"http://[::]:8080", "http://127.0.0.1:8080", true},
		{"http://192.0.2.1:8080", "http://192.0.2.1:8080", true},
	} {
		got, beyond := displayURL(tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		assert.Equal(t, tc.beyond, beyond, tc.in)
	}
}

// TestBannerInAContainer: listening on 0.0.0.0, as in a container, the
// banner gives the base URL other containers use (the -control-host name,
// or plainly the container's name when none is given) and names
// vlens.WithInsecureHTTP; the loopback URL still works inside, and the
// health check a container runtime asks answers 200.
func TestBannerInAContainer(t *testing.T) {
	t.Parallel()
	vars, lines := startRun(t, "-addr", "0.0.0.0:0", "-control-host", "vlens-fake,other", "-quiet")
	base := vars["VLENS_BASE_URL"]
	require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), base)
	port := strings.TrimPrefix(base, "http://127.0.0.1:")
	banner := strings.Join(lines, "\n")
	assert.Contains(t, banner, "other containers call http://vlens-fake:"+port+" ")
	assert.Contains(t, banner, "vlens.WithInsecureHTTP()")

	resp, err := http.Get("http://localhost:" + port + vlenstest.ControlHealthPath)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	_, lines = startRun(t, "-addr", "0.0.0.0:0", "-quiet")
	banner = strings.Join(lines, "\n")
	assert.Contains(t, banner, "http://<this container's name on their network>:")
	assert.Contains(t, banner, "vlens.WithInsecureHTTP()")

	_, lines = startRun(t, "-addr", "127.0.0.1:0", "-quiet")
	assert.NotContains(t, strings.Join(lines, "\n"), "WithInsecureHTTP", "loopback needs no note")
}

func TestReachNote(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		listen string
		names  []string
		want   string
	}{
		{"http://0.0.0.0:8080", []string{"vlens-fake"}, "other containers call http://vlens-fake:8080 (the -control-host name"},
		{"http://[::]:8080", []string{"fake"}, "other containers call http://fake:8080 "},
		{"http://0.0.0.0:8080", nil, "other containers call http://<this container's name on their network>:8080,"},
		{"http://192.0.2.1:8080", []string{"vlens-fake"}, "Other hosts call http://192.0.2.1:8080,"},
	} {
		note := reachNote(tc.listen, tc.names)
		assert.Contains(t, note, tc.want, tc.listen)
		assert.Contains(t, note, "vlens.WithInsecureHTTP()", tc.listen)
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	assert.Equal(t, `'plain'`, shellQuote("plain"))
	assert.Equal(t, `'it'\''s'`, shellQuote("it's"))
}
