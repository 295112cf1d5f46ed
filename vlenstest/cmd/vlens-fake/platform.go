package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vlens-go/vlens/vlenstest"
)

// platformFlags defines the flags that set how the fake refuses an admin,
// as the platform Vlens runs on does (see vlenstest's "Behaving like the
// platform"), and returns a function that turns their parsed values into
// server options, or an error naming the flag.
func platformFlags(fs *flag.FlagSet) func() ([]vlenstest.ServerOption, error) {
	lockout := &lockoutFlag{attempts: vlenstest.DefaultLockoutAttempts, d: vlenstest.DefaultLockoutDuration}
	fs.Var(lockout, "login-lockout", "lock the admin user out, given as `attempts,duration`: that many failed logins in a row lock it for that long, such as 3,30s (off: never)")
	loginRefusal := fs.Int("login-refusal", 401, "HTTP `status` of a refused admin login: 200 (with error_code) or 400 to 599")
	refreshRefusal := fs.Int("refresh-refusal", 401, "HTTP `status` of a refused refresh token: 200 (with error_code) or 400 to 599")
	return func() ([]vlenstest.ServerOption, error) {
		for _, f := range []struct {
			name   string
			status int
		}{{"-login-refusal", *loginRefusal}, {"-refresh-refusal", *refreshRefusal}} {
			if f.status != 200 && (f.status < 400 || f.status > 599) {
				return nil, fmt.Errorf("%s must be 200 or 400 to 599", f.name)
			}
		}
		return []vlenstest.ServerOption{
			vlenstest.WithLoginLockout(lockout.attempts, lockout.d),
			vlenstest.WithLoginRefusal(*loginRefusal),
			vlenstest.WithRefreshRefusal(*refreshRefusal),
		}, nil
	}
}

// lockoutFlag is -login-lockout: "attempts,duration", or "off".
type lockoutFlag struct {
	attempts int
	d        time.Duration
}

func (f *lockoutFlag) String() string {
	if f == nil || f.attempts == 0 {
		return "off"
	}
	return strconv.Itoa(f.attempts) + "," + f.d.String()
}

func (f *lockoutFlag) Set(s string) error {
	if s == "off" {
		*f = lockoutFlag{}
		return nil
	}
	attempts, d, ok := strings.Cut(s, ",")
	n, err := strconv.Atoi(attempts)
	dur, derr := time.ParseDuration(d)
	if !ok || err != nil || derr != nil || n < 1 || dur <= 0 {
		return errors.New(`want a positive number of attempts and a duration, such as 5,5m, or "off"`)
	}
	*f = lockoutFlag{attempts: n, d: dur}
	return nil
}
