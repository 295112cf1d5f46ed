package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vlens-go/vlens"
)

// TypeBusinessRequestStatusChange is the WebhookEvent of the one event Vlens
// documents: a business request moved to another status.
const TypeBusinessRequestStatusChange = "App.BusinessRequestStatusChange"

// maxNameBytes bounds an event's Id and WebhookEvent. Vlens sends a UUID
// (36 bytes) and a short name; the bound keeps what a Deduper stores and a
// log line shows per event small whatever a sender posts.
const maxNameBytes = 128

// ErrInvalidEvent matches the errors of Parse and Event.StatusChange for a
// body or Data that is not what Vlens sends. Their text names the field and
// the rule, never the body's bytes.
var ErrInvalidEvent = errors.New("webhook: invalid event")

// ErrNotStatusChange matches the error of Event.StatusChange for an event of
// another type.
var ErrNotStatusChange = errors.New("webhook: not a " + TypeBusinessRequestStatusChange + " event")

// Event is one webhook delivery, as Vlens posts it (the ASP.NET Boilerplate
// WebhookPayload: PascalCase fields).
//
// Data may hold personal data for events Vlens adds later. An Event is data
// to encoding/json, which marshals every field, Data included, under the
// names below, so that it can be put on a queue. Printing it (fmt's verbs,
// slog) shows its ID, type, attempt and time, and for a status change the
// request's ID and status, never Data itself.
type Event struct {
	// ID is the event's "Id": the same on every redelivery of the event.
	ID string `json:"id"`
	// Type is the event's "WebhookEvent", such as
	// TypeBusinessRequestStatusChange.
	Type string `json:"type"`
	// Attempt counts the deliveries of this event, from 1; 0 when it was
	// missing or not an integer.
	Attempt int `json:"attempt"`
	// CreatedAt is "CreationTimeUtc" (7 fractional digits; without a zone,
	// UTC), or zero when it was missing or unreadable.
	CreatedAt time.Time `json:"createdAt"`
	// Data is the event's "Data" as sent, or nil when it was missing.
	Data json.RawMessage `json:"data"`
}

// wireEvent is an Event as Vlens posts it. Every field is raw so that only
// Id and WebhookEvent can fail a delivery; the rest decode tolerantly.
type wireEvent struct {
	ID        json.RawMessage `json:"Id"`
	Type      json.RawMessage `json:"WebhookEvent"`
	Attempt   json.RawMessage `json:"Attempt"`
	CreatedAt json.RawMessage `json:"CreationTimeUtc"`
	Data      json.RawMessage `json:"Data"`
}

// Parse reads a delivery's body. It needs a JSON object whose "Id" is a
// non-empty string and whose "WebhookEvent" is a non-empty string, each of
// at most 128 bytes; anything else is an error matching ErrInvalidEvent that
// names the field (never quoting the body). Attempt and CreationTimeUtc
// decode tolerantly (zero when missing or unreadable), and an event of any
// type parses, so that one Vlens adds later is acknowledged rather than
// redelivered. Field names match in any letter case, as encoding/json does.
func Parse(body []byte) (*Event, error) {
	var w wireEvent
	if err := json.Unmarshal(body, &w); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, fmt.Errorf("%w: the body is not a JSON object", ErrInvalidEvent)
		}
		return nil, fmt.Errorf("%w: the body is not valid JSON", ErrInvalidEvent)
	}
	e := &Event{Data: w.Data}
	if json.Unmarshal(w.ID, &e.ID) != nil || e.ID == "" {
		return nil, fmt.Errorf("%w: Id must be a non-empty string", ErrInvalidEvent)
	}
	if len(e.ID) > maxNameBytes {
		return nil, fmt.Errorf("%w: Id must be at most %d bytes", ErrInvalidEvent, maxNameBytes)
	}
	if json.Unmarshal(w.Type, &e.Type) != nil || e.Type == "" {
		return nil, fmt.Errorf("%w: WebhookEvent must be a non-empty string", ErrInvalidEvent)
	}
	if len(e.Type) > maxNameBytes {
		return nil, fmt.Errorf("%w: WebhookEvent must be at most %d bytes", ErrInvalidEvent, maxNameBytes)
	}
	if json.Unmarshal(w.Attempt, &e.Attempt) != nil {
		e.Attempt = 0
	}
	var created string
	if json.Unmarshal(w.CreatedAt, &created) == nil {
		e.CreatedAt = platformTime(created)
	}
	return e, nil
}

// platformTime reads the platform's times: RFC 3339 with a zone, or without
// one (taken as UTC, the platform's clock), with up to 9 fractional digits
// ("2025-12-11T11:27:18.6197007"). Anything else is the zero time.
func platformTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// StatusChange is the Data of an App.BusinessRequestStatusChange event. It
// holds no personal data: a request's ID names a request, not a person.
type StatusChange struct {
	// RequestID is the business request's ID (Data.Id).
	RequestID string
	// NewStatus is the status the request moved to, decoded from the name
	// Vlens sends ("PendingApproval") as vlens.ParseRequestStatus reads it;
	// 0 for a name the SDK does not know.
	NewStatus vlens.RequestStatus
	// StatusName is Data.NewStatus as sent, all there is to go by when
	// NewStatus is 0.
	StatusName string
}

// wireStatusChange is a StatusChange's Data as Vlens posts it.
type wireStatusChange struct {
	ID        json.RawMessage `json:"Id"`
	NewStatus json.RawMessage `json:"NewStatus"`
}

// StatusChange decodes the event's Data as a status change. It returns an
// error matching ErrNotStatusChange for an event of another type, and one
// matching ErrInvalidEvent when Data is not an object with a non-empty
// string Id. NewStatus decodes tolerantly, as vlens.RequestStatus does: a
// name or number it does not know is 0 or kept as that number, and
// StatusName keeps the text.
func (e *Event) StatusChange() (*StatusChange, error) {
	if e.Type != TypeBusinessRequestStatusChange {
		return nil, ErrNotStatusChange
	}
	var w wireStatusChange
	if json.Unmarshal(e.Data, &w) != nil {
		return nil, fmt.Errorf("%w: Data must be a JSON object", ErrInvalidEvent)
	}
	var c StatusChange
	if json.Unmarshal(w.ID, &c.RequestID) != nil || c.RequestID == "" {
		return nil, fmt.Errorf("%w: Data.Id must be a non-empty string", ErrInvalidEvent)
	}
	if len(w.NewStatus) > 0 {
		_ = c.NewStatus.UnmarshalJSON(w.NewStatus) // tolerant: an unknown status is 0
		_ = json.Unmarshal(w.NewStatus, &c.StatusName)
	}
	return &c, nil
}

// Format prints the event without Data, for every verb: its ID, type,
// attempt and time, and for a status change the request's ID and status.
func (e Event) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "webhook.Event{ID:%q, Type:%q, Attempt:%d, CreatedAt:%s, Data:%s}",
		e.ID, e.Type, e.Attempt, e.CreatedAt.Format(time.RFC3339Nano), e.dataString())
}

// dataString shows a status change's request ID and status, and only that
// much of any Data.
func (e Event) dataString() string {
	if len(e.Data) == 0 {
		return "nil"
	}
	if c, err := e.StatusChange(); err == nil {
		return fmt.Sprintf("{Id:%q, NewStatus:%q, …[redacted]}", c.RequestID, c.StatusName)
	}
	return "[redacted]"
}

// LogValue logs the event as Format prints it, without Data. Its receiver
// is a value so that an event logs redacted in every slog handler.
func (e Event) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("id", e.ID), slog.String("type", e.Type),
		slog.Int("attempt", e.Attempt), slog.Time("createdAt", e.CreatedAt),
	}
	if c, err := e.StatusChange(); err == nil {
		attrs = append(attrs, slog.String("requestId", c.RequestID), slog.String("newStatus", c.StatusName))
	}
	return slog.GroupValue(attrs...)
}
