package vlenstest

import (
	"math"
	"time"
)

// tokenBucket is WithRateLimit's limiter: it holds up to burst tokens,
// refills at rate per second, and each request takes one. The server's
// mutex guards it.
type tokenBucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64, burst int, now time.Time) *tokenBucket {
	return &tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// take takes a token if one is available; otherwise it reports how long
// until one will be.
func (b *tokenBucket) take(now time.Time) (ok bool, wait time.Duration) {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration(math.Ceil((1 - b.tokens) / b.rate * float64(time.Second)))
}

// refill fills the bucket, as at the start.
func (b *tokenBucket) refill(now time.Time) {
	b.tokens, b.last = b.burst, now
}
