package vlens

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	longest := time.Duration((1<<63-1)/int64(time.Second)) * time.Second
	tests := []struct {
		name   string
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"absent", "", 0, false},
		{"zero seconds", "0", 0, true},
		{"seconds", "120", 2 * time.Minute, true},
		{"seconds with spaces", " 7 ", 7 * time.Second, true},
		{"seconds beyond a Duration are capped", "9999999999999", longest, true},
		{"seconds beyond uint64 are capped", "99999999999999999999", longest, true},
		{"negative seconds are ignored", "-1", 0, false},
		{"fractional seconds are ignored", "1.5", 0, false},
		{"garbage is ignored", "soon", 0, false},
		{"HTTP date ahead", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"HTTP date in RFC 850 form", now.Add(time.Hour).Format(time.RFC850), time.Hour, true},
		{"HTTP date in the past means no wait", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := retryAfter(tt.value, now)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestBackoffStaysWithinItsBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		min, max time.Duration
		n        int
		upper    time.Duration
	}{
		{"first retry draws up to twice the minimum", 100 * time.Millisecond, 10 * time.Second, 0, 200 * time.Millisecond},
		{"third retry draws up to eight times the minimum", 100 * time.Millisecond, 10 * time.Second, 2, 800 * time.Millisecond},
		{"late retries are capped at the maximum", 100 * time.Millisecond, time.Second, 10, time.Second},
		{"huge retry numbers do not overflow", 500 * time.Millisecond, 10 * time.Second, 1000, 10 * time.Second},
		{"equal bounds give the minimum", time.Second, time.Second, 3, time.Second},
		{"zero bounds give no wait", 0, 0, 1, 0},
		{"zero minimum starts the ceiling at a sixteenth of the maximum", 0, 32 * time.Second, 0, 2 * time.Second},
		{"zero minimum still doubles the ceiling", 0, 32 * time.Second, 2, 8 * time.Second},
		{"zero minimum reaches the maximum by the fifth retry", 0, 32 * time.Second, 4, 32 * time.Second},
		{"zero minimum with the largest maximum does not overflow", 0, math.MaxInt64, 0, math.MaxInt64 / 16},
		{"largest maximum on a late retry does not overflow", time.Nanosecond, math.MaxInt64, 61, math.MaxInt64},
		{"huge minimum does not wrap around", 5 << 60, math.MaxInt64, 1, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for range 200 {
				got := jitter(tt.min, tt.max, tt.n)
				assert.GreaterOrEqual(t, got, tt.min)
				assert.LessOrEqual(t, got, tt.upper)
			}
		})
	}
}
