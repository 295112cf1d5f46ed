package vlens_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/vlens-go/vlens"
)

// hourly returns a limiter holding n tokens that, within a test, never
// refill: what it has granted stays visible in its Tokens.
func hourly(n int) *rate.Limiter { return rate.NewLimiter(rate.Every(time.Hour), n) }

// tokens reads l's tokens, rounded to a hundredth against the refill of an
// hourly limiter during the test.
func tokens(l *rate.Limiter) float64 {
	return float64(int(l.Tokens()*100+0.5)) / 100
}

// waitBriefly waits on l with a context that ends after a few milliseconds.
func waitBriefly(l vlens.Limiter) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	return l.Wait(ctx)
}

// TestLimitersEveryWindowBinds: a request goes only when every window has a
// token, so the set lets go as many as its tightest window, whichever that
// is, and a refused request takes nothing from the other windows.
func TestLimitersEveryWindowBinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		first, second     int // the windows' tokens
		wantFirstLeft     float64
		wantSecondLeft    float64
		wantRequestsLetGo int
	}{
		{name: "the first window is the tighter", first: 2, second: 5, wantFirstLeft: 0, wantSecondLeft: 3, wantRequestsLetGo: 2},
		{name: "the second window is the tighter", first: 4, second: 1, wantFirstLeft: 3, wantSecondLeft: 0, wantRequestsLetGo: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			first, second := hourly(tt.first), hourly(tt.second)
			set := vlens.Limiters(first, second)
			letGo := 0
			for range tt.first + tt.second {
				if err := waitBriefly(set); err != nil {
					assert.ErrorIs(t, err, context.DeadlineExceeded)
					continue
				}
				letGo++
			}
			assert.Equal(t, tt.wantRequestsLetGo, letGo, "requests let go")
			assert.Equal(t, tt.wantFirstLeft, tokens(first), "first window's tokens left")
			assert.Equal(t, tt.wantSecondLeft, tokens(second), "second window's tokens left")
		})
	}
}

// TestLimitersWaitForTheLatestWindow: when one window has a token now and
// the other only later, Wait lets the request go when the later one is due.
func TestLimitersWaitForTheLatestWindow(t *testing.T) {
	t.Parallel()
	const interval = 40 * time.Millisecond
	fast := rate.NewLimiter(rate.Every(interval), 1)
	set := vlens.Limiters(hourly(10), fast)

	start := time.Now() // before the first token is taken: the second is due interval after it
	require.NoError(t, set.Wait(context.Background()))
	require.NoError(t, set.Wait(context.Background()))
	elapsed := time.Since(start)
	assert.GreaterOrEqual(t, elapsed, interval-time.Millisecond, "let go before the fast window had a token")
	assert.Less(t, elapsed, interval+vlens.Prompt, "waited far longer than the fast window's interval")
}

// TestLimitersGivingUpTakesFromNone: a Wait that ends without letting the
// request go leaves every rate.Limiter's tokens as they were, whether the
// context is cancelled while it waits, its deadline comes before the tokens
// would, or a Wait-only limiter refuses first.
func TestLimitersGivingUpTakesFromNone(t *testing.T) {
	t.Parallel()
	refuse := errors.New("refused")
	tests := []struct {
		name    string
		waiter  vlens.Limiter // a Wait-only limiter asked first, or nil
		ctx     func() (context.Context, context.CancelFunc)
		wantErr error
	}{
		{
			name: "cancelled while waiting",
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(20*time.Millisecond, cancel)
				return ctx, cancel
			},
			wantErr: context.Canceled,
		},
		{
			name: "deadline before the tokens",
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), time.Minute)
			},
			wantErr: context.DeadlineExceeded,
		},
		{
			name:    "a Wait-only limiter refuses",
			waiter:  limiterFunc(func(context.Context) error { return refuse }),
			ctx:     func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			wantErr: refuse,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spent, plenty := hourly(1), hourly(5)
			require.NoError(t, spent.Wait(context.Background()))
			ls := []vlens.Limiter{plenty, spent}
			if tt.waiter != nil {
				ls = append(ls, tt.waiter)
			}
			ctx, cancel := tt.ctx()
			defer cancel()

			start := time.Now()
			err := vlens.Limiters(ls...).Wait(ctx)
			require.ErrorIs(t, err, tt.wantErr)
			assert.Less(t, time.Since(start), vlens.Prompt, "gave up late")
			assert.Equal(t, 5.0, tokens(plenty), "tokens of the limiter that had some")
			assert.Equal(t, 0.0, tokens(spent), "tokens of the spent limiter (its reservation given back)")
		})
	}
}

// TestLimitersWaitOnlyLimitersGoFirst: a limiter with only Wait cannot give
// a token back, so it is asked first, and its token stays spent when the
// rate.Limiters then give up, as Limiters documents.
func TestLimitersWaitOnlyLimitersGoFirst(t *testing.T) {
	t.Parallel()
	waitOnly := &countingLimiter{}
	spent := hourly(1)
	require.NoError(t, spent.Wait(context.Background()))

	err := waitBriefly(vlens.Limiters(spent, waitOnly))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.EqualValues(t, 1, waitOnly.waits.Load(), "the Wait-only limiter was asked (and its token is spent)")
	assert.Equal(t, 0.0, tokens(spent))
}

// TestLimitersBurstZeroNeverLetsGo: a rate.Limiter with burst 0 never grants
// a token; Wait says so at once instead of waiting for ever, and takes
// nothing from the others.
func TestLimitersBurstZeroNeverLetsGo(t *testing.T) {
	t.Parallel()
	plenty := hourly(3)
	err := vlens.Limiters(plenty, rate.NewLimiter(10, 0)).Wait(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "burst 0")
	assert.Equal(t, 3.0, tokens(plenty))
}

// TestLimitersRefusesNothingToCombine: no limiter, a nil one or a nil
// pointer is a bug that NewClient reports, naming the limiter's place; the
// set's Wait reports it too, at once.
func TestLimitersRefusesNothingToCombine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ls   []vlens.Limiter
		want string
	}{
		{name: "no limiter", want: "vlens: WithRateLimiter: no limiter given to Limiters"},
		{name: "a nil limiter", ls: []vlens.Limiter{hourly(1), nil}, want: "vlens: WithRateLimiter: limiter 2 of 2 given to Limiters: limiter is nil"},
		{name: "a nil pointer", ls: []vlens.Limiter{(*rate.Limiter)(nil)}, want: "vlens: WithRateLimiter: limiter 1 of 1 given to Limiters: limiter is a nil pointer"},
		{name: "an empty set inside", ls: []vlens.Limiter{hourly(1), vlens.Limiters()}, want: "vlens: WithRateLimiter: limiter 2 of 2 given to Limiters: no limiter given to Limiters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			set := vlens.Limiters(tt.ls...)
			c, err := vlens.NewClient(canaryAPIKey, vlens.WithRateLimiter(set))
			assert.Nil(t, c)
			require.EqualError(t, err, tt.want)

			ctx, cancel := context.WithCancel(context.Background())
			cancel() // Wait must not need it
			assert.EqualError(t, set.Wait(ctx), tt.want[len("vlens: WithRateLimiter: "):])
		})
	}
}
