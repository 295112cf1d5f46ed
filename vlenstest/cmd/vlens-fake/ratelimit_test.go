package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vlens-go/vlens/vlenstest"
)

// TestRatePerMinuteFlag: -rate-per-minute 2 lets two requests through in a
// minute and answers the third 429, beside a -rate that alone would let it
// through.
func TestRatePerMinuteFlag(t *testing.T) {
	t.Parallel()
	vars, _ := startRun(t, "-addr", "127.0.0.1:0", "-quiet", "-rate", "100", "-burst", "10", "-rate-per-minute", "2")
	header := http.Header{"Apikey": {vars["VLENS_API_KEY"]}, "Content-Type": {"application/json"}}
	var statuses []int
	for range 3 {
		status, _ := post(t, vars["VLENS_BASE_URL"], vlenstest.CreateAuthSessionPath, header, `{"phoneNumber":"+201000000001"}`)
		statuses = append(statuses, status)
	}
	assert.Equal(t, []int{200, 200, 429}, statuses)
}
