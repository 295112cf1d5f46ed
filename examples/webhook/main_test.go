package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/vlenstest"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// quiet is a logger that writes nowhere.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestWithoutAPIKeyPlaysTheStoryOnTheFake(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), env(nil), &stdout, &stderr))
	id := regexp.MustCompile(`^webhook delivered:  request ([0-9a-f-]{36}) `).FindStringSubmatch(stdout.String())
	require.NotNil(t, id, stdout.String())
	assert.Equal(t, "webhook delivered:  request "+id[1]+" is Pending Approval\n"+
		"webhook lost, reconciliation found: request "+id[1]+" is Approved\n"+
		`forged "Rejected": answered 200, request `+id[1]+" is still Approved (read back from Vlens)\n"+
		`forged "Approved" for request 3fa85f64-5717-4562-b3fc-2c963f66afa6, which Vlens does not know: answered 401`+"\n",
		stdout.String())
	assert.Contains(t, stderr.String(), "in-process fake")
}

// TestAWebhookIsStoredAndALostOneReconciled is the flow the issue asks for,
// on the fake: a completed session's webhook reaches the store; a status
// change whose webhook is dropped is found by the reconcile loop within
// one interval (the first pass that starts after the change).
func TestAWebhookIsStoredAndALostOneReconciled(t *testing.T) {
	t.Parallel()
	var hook atomic.Pointer[http.Handler]
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*hook.Load()).ServeHTTP(w, r) }))
	t.Cleanup(receiver.Close)
	fake := vlenstest.NewTestServer(t, vlenstest.WithWebhook(receiver.URL+hookPath, vlenstest.WebhookRetryWait(time.Millisecond)))
	client := fake.Client()
	store := NewStore()
	h, err := Receiver(client, store, quiet)
	require.NoError(t, err)
	hook.Store(&h)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// 1 and 2: a session, completed; its webhook is delivered and stored.
	session, err := client.CreateAuthSession(ctx, vlens.CreateAuthSessionInput{PhoneNumber: "+201234567890"})
	require.NoError(t, err)
	id := fake.CompleteSession(session.Token, vlens.StatusPendingApproval)
	d, err := fake.WaitDeliveries(ctx, 1)
	require.NoError(t, err)
	require.True(t, d[0].Delivered(), "%+v", d[0])
	status, ok := store.Status(id)
	require.True(t, ok, "the webhook stored the request before it was acknowledged")
	assert.Equal(t, vlens.StatusPendingApproval, status)

	// 3: the status moves on and its webhook is dropped; reconciliation,
	// and only it, finds the change.
	var passes, foundAt atomic.Int64
	loopCtx, stopLoop := context.WithCancel(ctx)
	defer stopLoop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		ReconcileEvery(loopCtx, client, store, 5*time.Millisecond, quiet, func() {
			n := passes.Add(1)
			if s, _ := store.Status(id); s == vlens.StatusApproved {
				foundAt.CompareAndSwap(0, n)
				stopLoop()
			}
		})
	}()
	fake.DropWebhooks(1)
	require.NoError(t, fake.SetRequestStatus(id, vlens.StatusApproved))
	before := passes.Load()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("reconciliation did not find the approval")
	}
	require.NotZero(t, foundAt.Load())
	assert.LessOrEqual(t, foundAt.Load(), before+2,
		"found by the first pass that started after the change (the one in progress may have read the list before it)")
	d, err = fake.WaitDeliveries(ctx, 2)
	require.NoError(t, err)
	require.Len(t, d, 2)
	assert.True(t, d[1].Dropped, "the approval's webhook never arrived")
}

// syncBuffer is a bytes.Buffer safe for the program's goroutine and the
// test's.
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

// TestWithAPIKeyServesAndReconciles runs the program as in production,
// against the fake as the given server: it serves the receiver, which
// refuses a forged delivery, and reconciles until interrupted.
func TestWithAPIKeyServesAndReconciles(t *testing.T) {
	t.Parallel()
	fake := vlenstest.NewTestServer(t, vlenstest.WithAPIKey("tenant-key"))
	creds := fake.AdminCredentials()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdoutR, stdoutW := io.Pipe()
	var stderr syncBuffer
	exited := make(chan error, 1)
	go func() {
		exited <- run(ctx, env(map[string]string{
			"VLENS_API_KEY":            "tenant-key",
			"VLENS_BASE_URL":           fake.URL,
			"VLENS_ADMIN_TENANCY":      creds.TenancyName,
			"VLENS_ADMIN_USER":         creds.UserNameOrEmailAddress,
			"VLENS_ADMIN_PASSWORD":     creds.Password,
			"VLENS_WEBHOOK_ADDR":       "127.0.0.1:0",
			"VLENS_RECONCILE_INTERVAL": "5ms",
		}), stdoutW, &stderr)
		stdoutW.Close()
	}()
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, stdoutR) }()
	m := regexp.MustCompile(`^receiving webhooks at (http://127\.0\.0\.1:\d+/hooks/vlens); reconciling every 5ms\n$`).FindStringSubmatch(line)
	require.NotNil(t, m, line)

	status, err := forge(ctx, m[1], "0b1e2c3d-0000-4000-8000-000000000001", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "Approved")
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, status, "a request Vlens does not know")
	require.Eventually(t, func() bool { return len(fake.RequestsTo(vlenstest.ListBusinessRequestsPath)) >= 2 },
		10*time.Second, time.Millisecond, "reconciliation runs again and again")

	cancel()
	select {
	case err := <-exited:
		require.NoError(t, err, "an interrupt is a clean exit")
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
	assert.NotContains(t, stderr.String(), creds.Password)
}

func TestFailures(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"base URL without key", map[string]string{"VLENS_BASE_URL": "http://127.0.0.1:1"}, "VLENS_API_KEY is not"},
		{"interval not a duration", map[string]string{"VLENS_API_KEY": "k", "VLENS_RECONCILE_INTERVAL": "often"}, "VLENS_RECONCILE_INTERVAL"},
		{"interval not positive", map[string]string{"VLENS_API_KEY": "k", "VLENS_RECONCILE_INTERVAL": "0s"}, "VLENS_RECONCILE_INTERVAL"},
		{"address not one to listen on", map[string]string{"VLENS_API_KEY": "k", "VLENS_WEBHOOK_ADDR": "256.0.0.1:0",
			"VLENS_ADMIN_TENANCY": "acme", "VLENS_ADMIN_USER": "admin", "VLENS_ADMIN_PASSWORD": "secret-pass"}, "listen"},
		{"no admin login", map[string]string{"VLENS_API_KEY": "k"}, "AdminCredentials"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout bytes.Buffer
			err := run(context.Background(), env(tt.env), &stdout, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, stdout.String())
		})
	}
}

func TestStoreReportsChanges(t *testing.T) {
	t.Parallel()
	s := NewStore()
	_, ok := s.Status("a")
	assert.False(t, ok)
	assert.True(t, s.Set("a", vlens.StatusPendingApproval), "new")
	assert.False(t, s.Set("a", vlens.StatusPendingApproval), "the same")
	assert.True(t, s.Set("a", vlens.StatusApproved), "moved on")
	got, ok := s.Status("a")
	assert.True(t, ok)
	assert.Equal(t, vlens.StatusApproved, got)
	assert.True(t, strings.HasPrefix(got.String(), "Approved"))
}
