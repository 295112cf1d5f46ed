package redislimiter_test

import (
	"os/exec"
	"syscall"
)

// killWithParent has the kernel kill redis-server if the test binary dies
// before its cleanup runs (go test's -timeout, say).
func killWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
