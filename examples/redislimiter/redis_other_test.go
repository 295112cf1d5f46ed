//go:build !linux

package redislimiter_test

import "os/exec"

// killWithParent does nothing here: only Linux kills a child with its
// parent; the test's cleanup still stops redis-server.
func killWithParent(*exec.Cmd) {}
