package shell

import (
	"path"
	"strings"
)

// CleanPath returns p, joined to the directory dir when relative, with "."
// and ".." resolved and the process links of /proc read as the kernel
// follows them, so that a path through them names the file it reaches:
// /proc/self/root, /proc/thread-self/root and /proc/PID/root (also under
// task/TID) are the root directory; /proc/self/cwd and /proc/PID/cwd are
// dir (the processes of one session share its working directory; callers
// that must also consider another one join again with it). The links are
// read component by component, before a later ".." can climb out of them:
// /proc/self/cwd/.. is the parent of dir, not /proc/self.
// It never touches the file system.
func CleanPath(dir, p string) string {
	if !strings.HasPrefix(p, "/") {
		if dir == "" {
			dir = "/"
		}
		p = dir + "/" + p
	}
	if !strings.Contains(p, "proc") {
		return path.Clean(p)
	}
	var stack []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
			continue
		case "..":
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		stack = append(stack, seg)
		switch procLink(stack) {
		case "root":
			stack = stack[:0]
		case "cwd":
			if dir != "" {
				stack = append(stack[:0], splitPath(path.Clean(dir))...)
			}
		}
	}
	return "/" + strings.Join(stack, "/")
}

// procLink returns "root" or "cwd" when the path segments end at one of a
// process's /proc links, else "".
func procLink(segs []string) string {
	n := len(segs)
	if n != 3 && n != 5 || segs[0] != "proc" || !procID(segs[1]) {
		return ""
	}
	if n == 5 && (segs[2] != "task" || !digits(segs[3])) {
		return ""
	}
	switch segs[n-1] {
	case "root", "cwd":
		return segs[n-1]
	}
	return ""
}

func procID(s string) bool { return s == "self" || s == "thread-self" || digits(s) }

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
