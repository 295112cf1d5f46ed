package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vlens-go/vlens"
	"github.com/vlens-go/vlens/webhook"
)

func TestParseReadsVlensFormat(t *testing.T) {
	t.Parallel()
	e, err := webhook.Parse([]byte(`{"Id":"e1","WebhookEvent":"App.BusinessRequestStatusChange","Attempt":3,` +
		`"Data":{"Id":"r1","NewStatus":"PendingApproval"},"CreationTimeUtc":"2025-12-11T11:27:18.6197007"}`))
	require.NoError(t, err)
	assert.Equal(t, "e1", e.ID)
	assert.Equal(t, webhook.TypeBusinessRequestStatusChange, e.Type)
	assert.Equal(t, 3, e.Attempt)
	assert.Equal(t, time.Date(2025, 12, 11, 11, 27, 18, 619700700, time.UTC), e.CreatedAt)
	assert.JSONEq(t, `{"Id":"r1","NewStatus":"PendingApproval"}`, string(e.Data))
}

func TestParseTimesAndTolerantFields(t *testing.T) {
	t.Parallel()
	want := time.Date(2025, 12, 11, 11, 27, 18, 619700700, time.UTC)
	for _, tc := range []struct {
		name        string
		rest        string
		wantTime    time.Time
		wantAttempt int
	}{
		{"7 digits with Z", `"CreationTimeUtc":"2025-12-11T11:27:18.6197007Z","Attempt":1`, want, 1},
		{"7 digits without zone is UTC", `"CreationTimeUtc":"2025-12-11T11:27:18.6197007","Attempt":2`, want, 2},
		{"unreadable time is zero", `"CreationTimeUtc":"yesterday","Attempt":1`, time.Time{}, 1},
		{"attempt not an integer is 0", `"Attempt":"two"`, time.Time{}, 0},
		{"missing attempt and time", ``, time.Time{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := `{"Id":"e1","WebhookEvent":"X"`
			if tc.rest != "" {
				body += "," + tc.rest
			}
			e, err := webhook.Parse([]byte(body + "}"))
			require.NoError(t, err)
			assert.True(t, tc.wantTime.Equal(e.CreatedAt), "got %v, want %v", e.CreatedAt, tc.wantTime)
			assert.Equal(t, tc.wantAttempt, e.Attempt)
		})
	}
}

func TestParseRefusesWithoutQuotingBody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body, want string }{
		{"not JSON", `{"Id":"e1","WebhookEvent":"X","Data":{"FullName":"Mona Ahmed Ali"`, "not valid JSON"},
		{"not an object", `["Mona Ahmed Ali"]`, "not a JSON object"},
		{"empty", ``, "not valid JSON"},
		{"missing Id", `{"WebhookEvent":"X","Data":{"FullName":"Mona Ahmed Ali"}}`, "Id must be a non-empty string"},
		{"empty Id", `{"Id":"","WebhookEvent":"X"}`, "Id must be a non-empty string"},
		{"Id a number", `{"Id":29901011234567,"WebhookEvent":"X"}`, "Id must be a non-empty string"},
		{"Id too long", `{"Id":"` + strings.Repeat("9", 129) + `","WebhookEvent":"X"}`, "Id must be at most 128 bytes"},
		{"missing WebhookEvent", `{"Id":"e1","Data":{"FullName":"Mona Ahmed Ali"}}`, "WebhookEvent must be a non-empty string"},
		{"WebhookEvent too long", `{"Id":"e1","WebhookEvent":"` + strings.Repeat("x", 129) + `"}`, "WebhookEvent must be at most 128 bytes"},
		{"trailing garbage", `{"Id":"e1","WebhookEvent":"X"} Mona Ahmed Ali`, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := webhook.Parse([]byte(tc.body))
			require.ErrorIs(t, err, webhook.ErrInvalidEvent)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "Mona")
			assert.NotContains(t, err.Error(), "2990101")
		})
	}
}

func TestStatusChange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, data string
		want       webhook.StatusChange
	}{
		{"name without spaces", `{"Id":"r1","NewStatus":"PendingApproval"}`, webhook.StatusChange{RequestID: "r1", NewStatus: vlens.StatusPendingApproval, StatusName: "PendingApproval"}},
		{"approved", `{"Id":"r1","NewStatus":"Approved"}`, webhook.StatusChange{RequestID: "r1", NewStatus: vlens.StatusApproved, StatusName: "Approved"}},
		{"customer signed", `{"Id":"r1","NewStatus":"CustomerSigned"}`, webhook.StatusChange{RequestID: "r1", NewStatus: vlens.StatusCustomerSigned, StatusName: "CustomerSigned"}},
		{"unknown name kept with 0", `{"Id":"r1","NewStatus":"Completed"}`, webhook.StatusChange{RequestID: "r1", StatusName: "Completed"}},
		{"a number", `{"Id":"r1","NewStatus":7}`, webhook.StatusChange{RequestID: "r1", NewStatus: 7}},
		{"no status", `{"Id":"r1"}`, webhook.StatusChange{RequestID: "r1"}},
		{"extra fields ignored", `{"Id":"r1","NewStatus":"Rejected","FullName":"Mona Ahmed Ali"}`, webhook.StatusChange{RequestID: "r1", NewStatus: vlens.StatusRejected, StatusName: "Rejected"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := &webhook.Event{ID: "e1", Type: webhook.TypeBusinessRequestStatusChange, Data: json.RawMessage(tc.data)}
			c, err := e.StatusChange()
			require.NoError(t, err)
			assert.Equal(t, tc.want, *c)
		})
	}
}

func TestStatusChangeRefuses(t *testing.T) {
	t.Parallel()
	other := &webhook.Event{ID: "e1", Type: "App.SomethingNew", Data: json.RawMessage(`{"Id":"r1"}`)}
	_, err := other.StatusChange()
	require.ErrorIs(t, err, webhook.ErrNotStatusChange)
	for _, data := range []string{``, `null`, `[]`, `"r1"`, `{"NewStatus":"Approved"}`, `{"Id":5}`} {
		e := &webhook.Event{ID: "e1", Type: webhook.TypeBusinessRequestStatusChange, Data: json.RawMessage(data)}
		_, err := e.StatusChange()
		assert.ErrorIs(t, err, webhook.ErrInvalidEvent, "Data %s", data)
	}
}

func TestEventPrintsWithoutData(t *testing.T) {
	t.Parallel()
	e, err := webhook.Parse(delivery("evt-1", 2, "Approved"))
	require.NoError(t, err)
	other := &webhook.Event{ID: "evt-2", Type: "App.New", Data: json.RawMessage(`{"FullName":"Mona Ahmed Ali","IdNumber":"29901011234567"}`)}
	for _, ev := range []*webhook.Event{e, other} {
		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("event", "event", ev, "value", *ev)
		outputs := []string{logged.String()}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			outputs = append(outputs, fmt.Sprintf(verb, ev), fmt.Sprintf(verb, *ev))
		}
		for _, out := range outputs {
			assert.Contains(t, out, ev.ID)
			assert.NotContains(t, out, "Mona")
			assert.NotContains(t, out, "29901011234567")
		}
	}
	assert.Contains(t, fmt.Sprint(e), `Id:"3fa85f64-5717-4562-b3fc-2c963f66afa6", NewStatus:"Approved"`)
	assert.Equal(t, "<nil>", fmt.Sprint((*webhook.Event)(nil)))
}

func TestEventMarshalsInFull(t *testing.T) {
	t.Parallel()
	e, err := webhook.Parse(delivery("evt-1", 1, "Approved"))
	require.NoError(t, err)
	b, err := json.Marshal(e)
	require.NoError(t, err)
	var back webhook.Event
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, e.ID, back.ID)
	assert.JSONEq(t, string(e.Data), string(back.Data))
	assert.True(t, e.CreatedAt.Equal(back.CreatedAt))
}
