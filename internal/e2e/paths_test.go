package e2e

import (
	"reflect"
	"testing"
)

var testMap = PathMap{FromHome: "/home/dev", FromProject: "/home/dev/app", Home: "/s/home", Project: "/s/home/app"}

func TestPathMap_Path(t *testing.T) {
	tests := []struct{ in, want string }{
		{"~", "/s/home"},
		{"~/.ssh/id_rsa", "/s/home/.ssh/id_rsa"},
		{".env", "/s/home/app/.env"},
		{"src/../.env", "/s/home/app/.env"},
		{"", "/s/home/app"},
		{"/home/dev/app/.env", "/s/home/app/.env"},
		{"/home/dev/app", "/s/home/app"},
		{"/home/dev/.aws/credentials", "/s/home/.aws/credentials"},
		{"/home/dev/application", "/s/home/application"},
		{"/home/devops/x", "/home/devops/x"},
		{"/etc/passwd", "/etc/passwd"},
		{"/etc/../etc/shadow", "/etc/shadow"},
		{"~user/x", "/s/home/app/~user/x"},
	}
	for _, tt := range tests {
		if got := testMap.Path(tt.in); got != tt.want {
			t.Errorf("Path(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := (PathMap{Home: "/h", Project: "/p"}).Path("/home/dev/x"); got != "/home/dev/x" {
		t.Errorf("empty From dirs mapped %q", got)
	}
}

func TestPathMap_Text(t *testing.T) {
	tests := []struct{ in, want string }{
		{"cat /home/dev/app/.env", "cat /s/home/app/.env"},
		{"cp /home/dev/.ssh/id_rsa /tmp/k && ls /home/dev", "cp /s/home/.ssh/id_rsa /tmp/k && ls /s/home"},
		{"cd /home/dev/app; echo '/home/dev/app'", "cd /s/home/app; echo '/s/home/app'"},
		{"ls /home/devops /home/dev_x /home/dev2", "ls /home/devops /home/dev_x /home/dev2"},
		{"file:///home/dev/app/index.html", "file:///s/home/app/index.html"},
		{"cat ~/.env ./x", "cat ~/.env ./x"},
	}
	for _, tt := range tests {
		if got := testMap.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// The scratch home may contain the reference home: nothing is mapped
	// twice.
	nested := PathMap{FromHome: "/home/dev", FromProject: "/home/dev/app", Home: "/s/home/dev", Project: "/s/home/dev/attack"}
	if got, want := nested.Text("cat /home/dev/app/.env /home/dev/.netrc"), "cat /s/home/dev/attack/.env /s/home/dev/.netrc"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
}

func TestPathMap_Input(t *testing.T) {
	in := map[string]any{
		"file_path": "/home/dev/app/.env",
		"command":   "cat /home/dev/.aws/credentials",
		"edits":     []any{map[string]any{"old_string": "/home/dev/x", "n": 1.0}},
		"relative":  "~/.ssh/id_rsa",
		"limit":     3.0,
	}
	got := testMap.Input(in)
	want := map[string]any{
		"file_path": "/s/home/app/.env",
		"command":   "cat /s/home/.aws/credentials",
		"edits":     []any{map[string]any{"old_string": "/s/home/x", "n": 1.0}},
		"relative":  "~/.ssh/id_rsa",
		"limit":     3.0,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Input =\n%v\nwant\n%v", got, want)
	}
	if in["file_path"] != "/home/dev/app/.env" {
		t.Error("Input changed its argument")
	}
	if got := testMap.Input(nil); got != nil {
		t.Errorf("Input(nil) = %v", got)
	}
}
