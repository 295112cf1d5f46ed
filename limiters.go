package vlens

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"golang.org/x/time/rate"
)

// Limiters returns a Limiter that lets a request go only when every one of
// ls would, so that a client keeps under several windows at once, such as
// Vlens's 10 requests/s and 60/min:
//
//	perSecond := rate.NewLimiter(10, 10)                         // 10 requests/s
//	perMinute := rate.NewLimiter(rate.Every(time.Minute/60), 60) // 60 requests/min
//	client, err := vlens.NewClient(apiKey,
//		vlens.WithRateLimiter(vlens.Limiters(perSecond, perMinute)))
//
// Its Wait takes one token from every limiter, or from none of the
// *rate.Limiters when it gives up: it reserves a token from each of them at
// once, waits until the last reserved token is due, and cancels every
// reservation when ctx ends first, giving the tokens back. When ctx's
// deadline comes before the tokens would, it gives up at once with an error
// matching context.DeadlineExceeded, as rate.Limiter's own Wait gives up.
//
// A limiter that has only Wait (one backed by Redis, say) cannot give a
// token back. Such limiters are waited on first, in the order given, and
// the *rate.Limiters are asked only once all of them have let the request
// go; a token one of them granted stays spent when a later one refuses or
// ctx ends. Combine windows inside such a limiter where you can
// (examples/redislimiter takes several windows itself).
//
// Limiters given no limiter, a nil one or a nil pointer returns a Limiter
// that WithRateLimiter refuses, so that NewClient (or the call given it)
// fails with an error naming the limiter's position; its Wait returns the
// same error at once.
func Limiters(ls ...Limiter) Limiter {
	set := &limiterSet{}
	if len(ls) == 0 {
		set.err = errors.New("no limiter given to Limiters")
	}
	for i, l := range ls {
		if err := checkLimiter(l); err != nil {
			set.err = fmt.Errorf("limiter %d of %d given to Limiters: %w", i+1, len(ls), err)
			break
		}
		if b, ok := l.(reserver); ok {
			set.buckets = append(set.buckets, b)
		} else {
			set.waiters = append(set.waiters, l)
		}
	}
	return set
}

// checkLimiter returns why l cannot pace a client: it is nil, a nil pointer
// (whose Wait would panic), or a Limiters set built from such.
func checkLimiter(l Limiter) error {
	if l == nil {
		return errors.New("limiter is nil")
	}
	if v := reflect.ValueOf(l); v.Kind() == reflect.Pointer && v.IsNil() {
		return errors.New("limiter is a nil pointer")
	}
	if set, ok := l.(*limiterSet); ok {
		return set.err
	}
	return nil
}

// reserver is a limiter that can hold a token and give it back, as
// *rate.Limiter (or a type embedding one) does.
type reserver interface {
	ReserveN(t time.Time, n int) *rate.Reservation
}

// limiterSet is what Limiters returns. err, when set, is why it was refused.
type limiterSet struct {
	waiters []Limiter  // Wait only: asked first, in order
	buckets []reserver // reserved together, and given back on giving up
	err     error
}

// Wait lets one request go when every limiter of the set has; see Limiters.
func (s *limiterSet) Wait(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	for _, l := range s.waiters {
		if err := l.Wait(ctx); err != nil {
			return err
		}
	}
	return s.reserve(ctx)
}

// reserve takes a token from every bucket, or from none when ctx ends (or
// would, by its deadline) before the last of them is due.
func (s *limiterSet) reserve(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := time.Now()
	reservations := make([]*rate.Reservation, 0, len(s.buckets))
	// Each reservation is cancelled as of the moment it was made: Cancel
	// (as of now) gives nothing back once a reservation's time has come,
	// which a window with a token at once has. rate.Limiter gives back no
	// more than the token, less when others have reserved since.
	giveBack := func() {
		for _, r := range reservations {
			r.CancelAt(now)
		}
	}
	var delay time.Duration
	for _, b := range s.buckets {
		r := b.ReserveN(now, 1)
		if !r.OK() {
			giveBack()
			return errors.New("a rate limiter given to Limiters has burst 0, so it never lets a request go")
		}
		reservations = append(reservations, r)
		delay = max(delay, r.DelayFrom(now))
	}
	if delay == 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && now.Add(delay).After(deadline) {
		giveBack()
		return fmt.Errorf("the limiters let the next request go in %v, after the context's deadline: %w", delay, context.DeadlineExceeded)
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		giveBack()
		return ctx.Err()
	}
}
