package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens/vlenstest"
)

// post posts body to the fake at base and returns the status and the
// envelope's error_code (0 when none).
func post(t *testing.T, base, path string, header http.Header, body string) (status, code int) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var env struct {
		ErrorCode *int `json:"error_code"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
	if env.ErrorCode != nil {
		code = *env.ErrorCode
	}
	return resp.StatusCode, code
}

func TestPlatformFlags(t *testing.T) {
	t.Parallel()
	vars, _ := startRun(t, "-addr", "127.0.0.1:0", "-quiet",
		"-login-lockout", "2,1h", "-login-refusal", "500", "-refresh-refusal", "200")
	base := vars["VLENS_BASE_URL"]
	header := http.Header{"Apikey": {vars["VLENS_API_KEY"]}, "Content-Type": {"application/json"},
		"Tenancyname": {vars["VLENS_ADMIN_TENANCY"]}}
	login := func(password string) string {
		b, _ := json.Marshal(map[string]string{"tenancyName": vars["VLENS_ADMIN_TENANCY"],
			"userNameOrEmailAddress": vars["VLENS_ADMIN_USER"], "password": password})
		return string(b)
	}

	status, code := post(t, base, vlenstest.RefreshTokenPath, header, `{"refreshToken":"unknown"}`)
	assert.Equal(t, []int{200, vlenstest.ErrorCodeUnauthorized}, []int{status, code}, "-refresh-refusal 200")
	for range 2 {
		status, code = post(t, base, vlenstest.LoginPath, header, login("wrong"))
		assert.Equal(t, []int{500, vlenstest.ErrorCodeUnauthorized}, []int{status, code}, "-login-refusal 500")
	}
	status, code = post(t, base, vlenstest.LoginPath, header, login(vars["VLENS_ADMIN_PASSWORD"]))
	assert.Equal(t, []int{500, vlenstest.ErrorCodeLockedOut}, []int{status, code}, "-login-lockout 2,1h")
}

func TestLockoutFlag(t *testing.T) {
	t.Parallel()
	var f lockoutFlag
	for _, bad := range []string{"", "5", "5,", ",5m", "0,5m", "-1,5m", "5,0s", "5,-1m", "five,5m", "5,5 minutes", "on"} {
		assert.Error(t, f.Set(bad), "%q", bad)
	}
	require.NoError(t, f.Set("3,30s"))
	assert.Equal(t, "3,30s", f.String())
	require.NoError(t, f.Set("off"))
	assert.Equal(t, "off", f.String())
	assert.Equal(t, lockoutFlag{}, f)
}

func TestPlatformFlagsRefuseNonsense(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-login-lockout", "5"},
		{"-login-refusal", "302"},
		{"-refresh-refusal", "0"},
		{"-refresh-refusal", "six"},
	} {
		fs := flag.NewFlagSet("vlens-fake", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		options := platformFlags(fs)
		err := fs.Parse(args)
		if err == nil {
			_, err = options()
		}
		assert.Error(t, err, "%q", args)
	}

	// run reports the error with the usage, as for any bad flag.
	var stderr bytes.Buffer
	err := run(context.Background(), launch{}, []string{"-login-refusal", "302"}, io.Discard, &stderr)
	assert.Equal(t, 2, exitCode(err, io.Discard))
	assert.Contains(t, stderr.String(), "-login-refusal must be 200 or 400 to 599")
}
