package webhook_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vlens-go/vlens/webhook"
)

func TestMemoryDeduperClaimDoneRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := webhook.NewMemoryDeduper(time.Hour, 10)

	ok, err := d.Claim(ctx, "a")
	require.NoError(t, err)
	assert.True(t, ok, "a new ID is claimed")
	ok, err = d.Claim(ctx, "a")
	assert.False(t, ok)
	assert.ErrorIs(t, err, webhook.ErrInFlight, "a second claim while in flight")

	require.NoError(t, d.Release(ctx, "a"))
	ok, err = d.Claim(ctx, "a")
	require.NoError(t, err)
	assert.True(t, ok, "a released ID is claimed again")

	require.NoError(t, d.Done(ctx, "a"))
	ok, err = d.Claim(ctx, "a")
	assert.NoError(t, err)
	assert.False(t, ok, "a done ID is not claimed, and is not in flight")
}

func TestMemoryDeduperForgetsAfterTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := webhook.NewMemoryDeduper(time.Millisecond, 10)
	_, _ = d.Claim(ctx, "a")
	require.NoError(t, d.Done(ctx, "a"))
	time.Sleep(3 * time.Millisecond)
	ok, err := d.Claim(ctx, "a")
	require.NoError(t, err)
	assert.True(t, ok, "a done ID older than the TTL is forgotten")
}

func TestMemoryDeduperForgetsOldestDoneWhenFull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := webhook.NewMemoryDeduper(time.Hour, 3)
	for _, id := range []string{"a", "b", "c"} {
		_, _ = d.Claim(ctx, id)
		require.NoError(t, d.Done(ctx, id))
	}
	ok, err := d.Claim(ctx, "d") // full: "a" goes
	require.NoError(t, err)
	assert.True(t, ok)
	for id, want := range map[string]bool{"b": false, "c": false} {
		ok, err := d.Claim(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, want, ok, id)
	}
	ok, err = d.Claim(ctx, "a") // forgotten; "b" goes to make room
	require.NoError(t, err)
	assert.True(t, ok, "the oldest was forgotten")
}

func TestMemoryDeduperNeverForgetsInFlight(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := webhook.NewMemoryDeduper(time.Millisecond, 2)
	for _, id := range []string{"a", "b"} {
		ok, err := d.Claim(ctx, id)
		require.NoError(t, err)
		require.True(t, ok)
	}
	time.Sleep(3 * time.Millisecond) // past the TTL: in flight does not expire
	ok, err := d.Claim(ctx, "c")
	assert.False(t, ok)
	assert.Error(t, err, "full of runs in flight: refuse rather than grow")
	assert.NotErrorIs(t, err, webhook.ErrInFlight)
	for _, id := range []string{"a", "b"} {
		ok, err := d.Claim(ctx, id)
		assert.False(t, ok)
		assert.ErrorIs(t, err, webhook.ErrInFlight, id)
	}
	require.NoError(t, d.Release(ctx, "a"))
	ok, err = d.Claim(ctx, "c")
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestMemoryDeduperZeroMeansDefault(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := webhook.NewMemoryDeduper(0, 0)
	for i := range 1000 {
		ok, err := d.Claim(ctx, fmt.Sprint(i))
		require.NoError(t, err)
		require.True(t, ok)
	}
}

func TestMemoryDeduperConcurrentClaims(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := webhook.NewMemoryDeduper(time.Hour, 50) // smaller than the IDs: eviction under load
	var claimed [100]atomic.Int64
	var wg sync.WaitGroup
	for i := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := i % 100
			if ok, err := d.Claim(ctx, fmt.Sprint(id)); ok && err == nil {
				claimed[id].Add(1)
				_ = d.Done(ctx, fmt.Sprint(id))
			}
		}()
	}
	wg.Wait()
	total := int64(0)
	for i := range claimed {
		total += claimed[i].Load()
	}
	assert.GreaterOrEqual(t, total, int64(100), "every ID was claimed at least once")
}
