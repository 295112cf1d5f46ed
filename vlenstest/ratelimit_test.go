package vlenstest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestTokenBucket(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	b := rateLimit{newTokenBucket(2, 2, t0)}

	ok, _ := b.take(t0)
	assert.True(t, ok, "first of the burst")
	ok, _ = b.take(t0)
	assert.True(t, ok, "second of the burst")
	ok, wait := b.take(t0)
	assert.False(t, ok, "burst spent")
	assert.Equal(t, 500*time.Millisecond, wait, "one token every 1/rate seconds")

	ok, wait = b.take(t0.Add(400 * time.Millisecond))
	assert.False(t, ok)
	assert.Equal(t, 100*time.Millisecond, wait)
	ok, _ = b.take(t0.Add(500 * time.Millisecond))
	assert.True(t, ok, "refilled")

	ok, _ = b.take(t0.Add(time.Hour))
	assert.True(t, ok)
	ok, _ = b.take(t0.Add(time.Hour))
	assert.True(t, ok, "refill stops at the burst")
	ok, _ = b.take(t0.Add(time.Hour))
	assert.False(t, ok, "refill stops at the burst")

	b.refill(t0.Add(time.Hour))
	ok, _ = b.take(t0.Add(time.Hour))
	assert.True(t, ok)
}

// TestRateLimitWindows: with two windows a request takes a token from
// each or, refused by either, from neither, and learns when both will have
// one.
func TestRateLimitWindows(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	cfg := defaultConfig()
	cfg.rate, cfg.burst = 10, 2                         // 2 at once, then one every 100ms
	cfg.perMinute, cfg.minute = 3, 600*time.Millisecond // 3 at once, then one every 200ms
	l := newRateLimit(cfg, t0)
	second, minute := l[0], l[1]

	for i := range 2 {
		ok, _ := l.take(t0)
		assert.True(t, ok, "request %d of the burst", i+1)
	}
	ok, wait := l.take(t0)
	assert.False(t, ok, "the per-second window is spent")
	assert.Equal(t, 100*time.Millisecond, wait)
	assert.InDelta(t, 1, minute.tokens, 1e-9, "the refused request took nothing from the per-minute window")

	for _, at := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond} {
		ok, _ = l.take(t0.Add(at))
		assert.True(t, ok, "both windows have a token at %v", at)
	}
	ok, wait = l.take(t0.Add(300 * time.Millisecond))
	assert.False(t, ok, "the per-minute window is spent")
	assert.Equal(t, 100*time.Millisecond, wait, "until the per-minute window has a token")
	assert.InDelta(t, 1, second.tokens, 1e-9, "the refused request took nothing from the per-second window")

	ok, wait = l.take(t0.Add(300 * time.Millisecond))
	assert.False(t, ok)
	assert.Equal(t, 100*time.Millisecond, wait)
	ok, _ = l.take(t0.Add(400 * time.Millisecond))
	assert.True(t, ok)
	ok, wait = l.take(t0.Add(400 * time.Millisecond))
	assert.False(t, ok, "the per-minute window is spent again")
	assert.Equal(t, 200*time.Millisecond, wait, "until the later window, the per-minute one, has a token")

	assert.Nil(t, newRateLimit(defaultConfig(), t0), "no window without the options")
}

func TestRetryAfterSeconds(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		time.Millisecond:        "1",
		time.Second:             "1",
		1500 * time.Millisecond: "2",
		2 * time.Second:         "2",
	} {
		assert.Equal(t, want, retryAfterSeconds(d), d.String())
	}
}
