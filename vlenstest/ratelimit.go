package vlenstest

import (
	"math"
	"time"
)

// tokenBucket is one window of the server's rate limit: it holds up to burst tokens,
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

// due brings the bucket up to now and reports how long until it holds a
// token: 0 when it holds one now.
func (b *tokenBucket) due(now time.Time) time.Duration {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - b.tokens) / b.rate * float64(time.Second)))
}

// refill fills the bucket, as at the start.
func (b *tokenBucket) refill(now time.Time) {
	b.tokens, b.last = b.burst, now
}

// rateLimit is the server's windows (WithRateLimit's, WithRateLimitPerMinute's):
// a request takes a token from each, or from none. The server's mutex
// guards it.
type rateLimit []*tokenBucket

// newRateLimit returns cfg's windows, or nil when it has none.
func newRateLimit(cfg config, now time.Time) rateLimit {
	var windows rateLimit
	if cfg.rate > 0 {
		windows = append(windows, newTokenBucket(cfg.rate, cfg.burst, now))
	}
	if cfg.perMinute > 0 {
		windows = append(windows, newTokenBucket(float64(cfg.perMinute)/cfg.minute.Seconds(), cfg.perMinute, now))
	}
	return windows
}

// take takes a token from every window if each has one; otherwise it takes
// none and reports how long until every window that refused will have one.
func (l rateLimit) take(now time.Time) (ok bool, wait time.Duration) {
	for _, b := range l {
		if d := b.due(now); d > wait {
			wait = d
		}
	}
	if wait > 0 {
		return false, wait
	}
	for _, b := range l {
		b.tokens--
	}
	return true, 0
}

// refill fills every window, as at the start.
func (l rateLimit) refill(now time.Time) {
	for _, b := range l {
		b.refill(now)
	}
}
