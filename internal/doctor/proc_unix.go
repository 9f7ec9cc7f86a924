//go:build !windows

package doctor

import (
	"os/exec"
	"syscall"
)

// killGroup makes cmd's timeout kill its whole process group: a hook's
// shell may have started children that hold its output open.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
