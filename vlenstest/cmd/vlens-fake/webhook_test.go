package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

// TestWebhookFlags completes a session and sets its status through the
// control endpoint, and checks that each change reaches the -webhook-url
// signed and with the -webhook-header, and is listed.
func TestWebhookFlags(t *testing.T) {
	t.Parallel()
	type post struct {
		header http.Header
		body   []byte
	}
	posts := make(chan post, 10)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		posts <- post{r.Header.Clone(), body}
	}))
	t.Cleanup(rcv.Close)
	vars, lines := startRun(t, "-addr", "127.0.0.1:0", "-quiet", "-webhook-url", rcv.URL+"/hook?token=url-secret",
		"-webhook-secret", "dev-secret", "-webhook-header", "X-Hook-Token: abc", "-webhook-header", "X-Other:  two ")
	base := vars["VLENS_BASE_URL"]
	banner := strings.Join(lines, "\n")
	assert.Contains(t, banner, "POSTed as a webhook to "+rcv.URL+";")
	assert.Contains(t, banner, "curl -sS '"+base+vlenstest.ControlWebhooksPath+"'")
	assert.NotContains(t, banner, "url-secret")
	assert.NotContains(t, banner, "dev-secret")

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	client, err := vlens.NewClient(vars["VLENS_API_KEY"], vlens.WithBaseURL(base))
	require.NoError(t, err)
	_, err = client.CreateAuthSession(ctx, vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"})
	require.NoError(t, err)
	control := func(method, path, body string) []byte {
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", out)
		return out
	}
	var done struct{ ID string }
	require.NoError(t, json.Unmarshal(control(http.MethodPost, vlenstest.ControlCompletePath, `{}`), &done))
	control(http.MethodPost, vlenstest.ControlStatusPath, `{"id":"`+done.ID+`","status":"Approved"}`)

	var statuses []string
	for range 2 {
		var p post
		select {
		case p = <-posts:
		case <-ctx.Done():
			t.Fatal("no webhook")
		}
		mac := hmac.New(sha256.New, []byte("dev-secret"))
		mac.Write(p.body)
		assert.Equal(t, "sha256="+hex.EncodeToString(mac.Sum(nil)), p.header.Get(vlenstest.WebhookSignatureHeader))
		assert.Equal(t, "abc", p.header.Get("X-Hook-Token"))
		assert.Equal(t, "two", p.header.Get("X-Other"))
		var ev struct {
			WebhookEvent string
			Data         struct{ ID, NewStatus string }
		}
		require.NoError(t, json.Unmarshal(p.body, &ev))
		assert.Equal(t, vlenstest.WebhookEventStatusChange, ev.WebhookEvent)
		assert.Equal(t, done.ID, ev.Data.ID)
		statuses = append(statuses, ev.Data.NewStatus)
	}
	assert.ElementsMatch(t, []string{"PendingApproval", "Approved"}, statuses)

	var list struct{ Count int }
	for list.Count < 2 && ctx.Err() == nil { // the answers are recorded just after they arrive
		require.NoError(t, json.Unmarshal(control(http.MethodGet, vlenstest.ControlWebhooksPath, ""), &list))
		time.Sleep(time.Millisecond)
	}
	assert.Equal(t, 2, list.Count)
}

func TestWebhookFlagsRefuseNonsense(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-webhook-secret", "s"},
		{"-webhook-header", "X-A: b"},
		{"-webhook-url", "/relative"},
		{"-webhook-url", "ftp://127.0.0.1/"},
		{"-webhook-url", "http://127.0.0.1/", "-webhook-header", "no colon"},
		{"-webhook-url", "http://127.0.0.1/", "-webhook-header", "Content-Type: text/plain"},
		{"-webhook-url", "http://127.0.0.1/", "-webhook-header", "Bad Name: v"},
	} {
		var stderr bytes.Buffer
		err := run(context.Background(), launch{}, args, io.Discard, &stderr)
		var usage *usageError
		require.ErrorAs(t, err, &usage, "%q", args)
		assert.Contains(t, stderr.String(), "Usage: vlens-fake", "%q", args)
	}
}
