package shell

import "testing"

func TestCleanPath(t *testing.T) {
	tests := []struct{ dir, p, want string }{
		{"/work/repo", ".env", "/work/repo/.env"},
		{"/work/repo", "src/../.env", "/work/repo/.env"},
		{"/work/repo", "/etc/../etc/passwd", "/etc/passwd"},
		{"", "x", "/x"},
		{"/work/repo", "/proc/self/root/home/dev/.ssh/id_rsa", "/home/dev/.ssh/id_rsa"},
		{"/work/repo", "/proc/1234/root/etc/shadow", "/etc/shadow"},
		{"/work/repo", "/proc/thread-self/root/home/dev/.aws/credentials", "/home/dev/.aws/credentials"},
		{"/work/repo", "/proc/self/task/77/root/home/dev/.netrc", "/home/dev/.netrc"},
		{"/work/repo", "/proc/self/root/..", "/"},
		{"/work/repo", "/proc/self/root", "/"},
		{"/work/repo", "/proc/self/cwd/.env", "/work/repo/.env"},
		{"/work/repo", "/proc/42/cwd/.env", "/work/repo/.env"},
		{"/work/repo", "/proc/self/cwd/../.npmrc", "/work/.npmrc"}, // .. leaves the cwd, not /proc/self
		{"/work/repo", "/proc/self/root/proc/self/cwd/x", "/work/repo/x"},
		{"/work/repo", "/proc/self/../self/cwd/x", "/work/repo/x"},
		{"/work/repo", "/proc/self/environ", "/proc/self/environ"},
		{"/work/repo", "/proc/self/fd/3", "/proc/self/fd/3"},
		{"/work/repo", "/proc/cpuinfo", "/proc/cpuinfo"},
		{"/work/repo", "/proc/self/task/x/root/y", "/proc/self/task/x/root/y"},
		{"/work/repo", "/home/proc/self/cwd/x", "/home/proc/self/cwd/x"},
		{"/proc/self/cwd", "x", "/proc/self/cwd/x"}, // an unresolved dir is kept as given
		{"", "/proc/self/cwd/x", "/proc/self/cwd/x"},
	}
	for _, tt := range tests {
		if got := CleanPath(tt.dir, tt.p); got != tt.want {
			t.Errorf("CleanPath(%q, %q) = %q, want %q", tt.dir, tt.p, got, tt.want)
		}
	}
}

func TestDirnameBasename(t *testing.T) {
	tests := []struct{ in, suffix, dir, base string }{
		{"a/b/c", "", "a/b", "c"},
		{"a/b/", "", "a", "b"},
		{"/a", "", "/", "a"},
		{"a", "", ".", "a"},
		{"/", "", "/", "/"},
		{"//x//", "", "/", "x"},
		{"", "", ".", ""},
		{"/tmp/id_rsa.pub", ".pub", "/tmp", "id_rsa"},
		{".pub", ".pub", ".", ".pub"},
	}
	for _, tt := range tests {
		if got := dirname(tt.in); got != tt.dir {
			t.Errorf("dirname(%q) = %q, want %q", tt.in, got, tt.dir)
		}
		if got := basename(tt.in, tt.suffix); got != tt.base {
			t.Errorf("basename(%q, %q) = %q, want %q", tt.in, tt.suffix, got, tt.base)
		}
	}
}
