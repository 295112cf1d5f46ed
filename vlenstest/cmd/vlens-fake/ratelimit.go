package main

import (
	"errors"
	"flag"

	"github.com/vlens-go/vlens/vlenstest"
)

// perMinuteFlag defines -rate-per-minute, the fake's second window beside
// -rate (Vlens quotes 10/s and 60/min), and returns a function that turns
// its parsed value into server options, or an error naming the flag.
func perMinuteFlag(fs *flag.FlagSet) func() ([]vlenstest.ServerOption, error) {
	perMinute := fs.Int("rate-per-minute", 0, "a second rate limit over the Vlens endpoints, in `requests` per minute with bursts of as many, such as 60 (0: none)")
	return func() ([]vlenstest.ServerOption, error) {
		switch {
		case *perMinute < 0:
			return nil, errors.New("-rate-per-minute must not be negative")
		case *perMinute == 0:
			return nil, nil
		}
		return []vlenstest.ServerOption{vlenstest.WithRateLimitPerMinute(*perMinute)}, nil
	}
}
