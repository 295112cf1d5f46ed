//go:build unix

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
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

// TestBinaryExitsWithItsParent starts the command from a shell, as go run
// starts the binary it built, kills the shell, and sees the command exit
// by itself.
func TestBinaryExitsWithItsParent(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh:", err)
	}
	parent := exec.Command("sh", "-c", `"$0" "$@" & echo "pid=$!"; wait`, fakeBinary, "-addr", "127.0.0.1:0", "-quiet")
	p := start(t, parent)
	vars, lines := p.banner(t)
	pid := 0
	var err error
	for _, line := range lines {
		if v, ok := strings.CutPrefix(line, "pid="); ok {
			pid, err = strconv.Atoi(v)
			require.NoError(t, err)
		}
	}
	require.NotZero(t, pid, "%q", lines)
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
	_, err = client.Get(vars["VLENS_BASE_URL"] + vlenstest.ControlFaultsPath)
	assert.Error(t, err, "the port is closed")
}
