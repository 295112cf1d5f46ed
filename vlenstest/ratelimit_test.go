package vlenstest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestTokenBucket(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	b := newTokenBucket(2, 2, t0)

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
