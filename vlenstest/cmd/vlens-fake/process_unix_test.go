//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// TestBinaryScriptedFromOutside starts the command as a subprocess on a
// free port, calls it with the SDK, scripts a fault through its control
// endpoint, and stops it with SIGTERM.
func TestBinaryScriptedFromOutside(t *testing.T) {
	t.Parallel()
	p := start(t, fakeCommand(t, "-addr", "127.0.0.1:0", "-quiet"))
	vars, _ := p.banner(t)
	base, key := vars["VLENS_BASE_URL"], vars["VLENS_API_KEY"]
	require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), base)
	require.Equal(t, vlenstest.TestAPIKey, key)

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	client, err := vlens.NewClient(key, vlens.WithBaseURL(base))
	require.NoError(t, err)
	in := vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"}
	session, err := client.CreateAuthSession(ctx, in)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(session.Token, vlenstest.TokenPrefix))

	resp, err := http.Post(base+vlenstest.ControlFaultsPath, "application/json", strings.NewReader(`[{"status":503}]`))
	require.NoError(t, err)
	var queued struct{ Queued int }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&queued))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, 1, queued.Queued)

	_, err = client.CreateAuthSession(ctx, in, vlens.WithMaxRetries(0))
	require.ErrorIs(t, err, vlens.ErrServer)
	var apiErr *vlens.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)

	_, err = client.CreateAuthSession(ctx, in, vlens.WithMaxRetries(0))
	require.NoError(t, err, "the fault was served once")

	resp, err = http.Get(base + vlenstest.ControlRequestsPath)
	require.NoError(t, err)
	var listed struct{ Count int }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&listed))
	resp.Body.Close()
	assert.Equal(t, 3, listed.Count, "the control requests are not listed")

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	code, rest := p.wait(t)
	assert.Equal(t, 0, code, "stderr: %s", p.stderr.String())
	assert.Equal(t, []string{"shutting down"}, rest)
}

func TestBinaryStopsOnSignals(t *testing.T) {
	t.Parallel()
	for name, sig := range map[string]syscall.Signal{"SIGTERM": syscall.SIGTERM, "SIGINT": syscall.SIGINT} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := start(t, fakeCommand(t, "-addr", "127.0.0.1:0"))
			vars, _ := p.banner(t)
			resp, err := http.Get(vars["VLENS_BASE_URL"] + vlenstest.ControlFaultsPath)
			require.NoError(t, err, "serving")
			resp.Body.Close()

			require.NoError(t, p.cmd.Process.Signal(sig))
			code, rest := p.wait(t)
			assert.Equal(t, 0, code, "stderr: %s", p.stderr.String())
			assert.Equal(t, []string{"shutting down"}, rest)
			assert.Contains(t, p.stderr.String(), `msg="vlenstest: control"`, "logged")
		})
	}
}

// TestBinaryExitsWithItsParent starts the command from a shell with
// -exit-with-parent, kills the shell, and sees the command exit by itself.
func TestBinaryExitsWithItsParent(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh:", err)
	}
	parent := exec.Command("sh", "-c", `"$0" "$@" & echo "pid=$!"; wait`, fakeBinary, "-addr", "127.0.0.1:0", "-quiet", "-exit-with-parent")
	p := start(t, parent)
	vars, lines := p.banner(t)
	pid := pidLine(t, lines)
	t.Cleanup(func() {
		select {
		case <-p.done:
		default: // the command outlived its parent: do not leave it behind
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})

	require.NoError(t, parent.Process.Kill()) // as SIGTERM kills go run, which passes nothing on
	select {
	case <-p.done: // the output ended: the command, which shares it, has exited
	case <-time.After(timeout):
		t.Fatalf("vlens-fake (pid %d) still runs %s after its parent died", pid, timeout)
	}
	_, rest := p.wait(t)
	assert.Equal(t, []string{"shutting down"}, rest)
	assert.Contains(t, p.stderr.String(), errParentExited.Error())

	client := &http.Client{Timeout: timeout}
	_, err := client.Get(vars["VLENS_BASE_URL"] + vlenstest.ControlFaultsPath)
	assert.Error(t, err, "the port is closed")
}

// pidLine returns the process ID a shell printed as "pid=N".
func pidLine(t *testing.T, lines []string) int {
	t.Helper()
	for _, line := range lines {
		if v, ok := strings.CutPrefix(line, "pid="); ok {
			pid, err := strconv.Atoi(v)
			require.NoError(t, err)
			return pid
		}
	}
	t.Fatalf("no pid= line in %q", lines)
	return 0
}

// TestKilledGoRunStopsTheFake runs the command with go run, kills go run
// with SIGTERM as an IDE or a process manager does (go run dies without
// passing it on), and sees the fake go run built exit too.
func TestKilledGoRunStopsTheFake(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("go run builds the command")
	}
	goRun := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "run", ".", "-addr", "127.0.0.1:0", "-quiet")
	goRun.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a group of its own, to clean up the fake with it
	p := start(t, goRun)
	t.Cleanup(func() { _ = syscall.Kill(-goRun.Process.Pid, syscall.SIGKILL) })
	vars, _ := p.banner(t)

	require.NoError(t, goRun.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done: // the output ended: the fake, which shares it, has exited
	case <-time.After(timeout):
		t.Fatalf("the fake still runs %s after go run died", timeout)
	}
	_, rest := p.wait(t) // and all of stderr, which a pipe of its own carries
	assert.Equal(t, []string{"shutting down"}, rest)
	assert.Contains(t, p.stderr.String(), "vlens-fake: exits when its parent", "it knows it runs from go run's build")
	assert.Contains(t, p.stderr.String(), errParentExited.Error())
	client := &http.Client{Timeout: timeout}
	_, err := client.Get(vars["VLENS_BASE_URL"] + vlenstest.ControlFaultsPath)
	assert.Error(t, err, "the port is closed")
}

// TestBinaryOutlivesItsScript starts the installed command in the
// background from a shell script that then exits, at once or a moment
// later, and sees the command keep serving after its parent is gone.
func TestBinaryOutlivesItsScript(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh:", err)
	}
	for name, script := range map[string]string{
		"the script exits at once":        `"$0" "$@" & echo "pid=$!"`,
		"the script exits a moment later": `"$0" "$@" & echo "pid=$!"; sleep 0.05`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sh := exec.Command("sh", "-c", script, fakeBinary, "-addr", "127.0.0.1:0", "-quiet")
			out, err := sh.StdoutPipe()
			require.NoError(t, err)
			stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr")) // a file: readable while the fake writes it
			require.NoError(t, err)
			defer stderr.Close()
			sh.Stderr = stderr
			logged := func() string {
				b, err := os.ReadFile(stderr.Name())
				require.NoError(t, err)
				return string(b)
			}
			require.NoError(t, sh.Start())
			lines := make(chan string, 100)
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			p := &process{cmd: sh, lines: lines}
			vars, banner := p.banner(t)
			pid := pidLine(t, banner)
			t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
			_, err = sh.Process.Wait() // the script has exited; the fake is an orphan now
			require.NoError(t, err)

			// The fake would notice its parent gone within a poll interval:
			// it must still serve after several.
			client := &http.Client{Timeout: timeout}
			for end := time.Now().Add(3 * parentPollInterval); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				resp, err := client.Get(vars["VLENS_BASE_URL"] + vlenstest.ControlFaultsPath)
				require.NoError(t, err, "the fake exited with its script; stderr: %s", logged())
				resp.Body.Close()
			}
			assert.NotContains(t, logged(), "exits when its parent")

			require.NoError(t, syscall.Kill(pid, syscall.SIGTERM))
			var rest []string
			for line := range lines { // the output ends when the fake has exited
				rest = append(rest, line)
			}
			assert.Equal(t, []string{"shutting down"}, rest)
		})
	}
}
