package shell

import "testing"

func TestParse(t *testing.T) {
	if Split("") != nil {
		t.Fatal("want nil")
	}
}
