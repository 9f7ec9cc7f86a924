package clientstate

import (
	"os"
	"path/filepath"
	"testing"
)

func TestConnect(t *testing.T) {
	write := func(t *testing.T, dir, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, "warden"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "warden", ClientConfigName), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name               string
		env                map[string]string
		file               string // "" writes none
		wantServer, wantTk string
		wantEnv, wantErr   bool
	}{
		{name: "Nothing"},
		{name: "File", file: `{"server":"https://w.example/ ","token":"tk"}`, wantServer: "https://w.example", wantTk: "tk"},
		{name: "EnvOverridesFile", env: map[string]string{EnvServer: "http://e", EnvToken: "et"}, file: `{"server":"https://w.example","token":"tk"}`, wantServer: "http://e", wantTk: "et", wantEnv: true},
		{name: "TokenEnvAloneIgnored", env: map[string]string{EnvToken: "et"}, file: `{"server":"https://w.example","token":"tk"}`, wantServer: "https://w.example", wantTk: "tk"},
		{name: "BrokenFile", file: `{"server":`, wantErr: true},
		{name: "NoServer", file: `{"token":"tk"}`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state := t.TempDir()
			if tc.file != "" {
				write(t, state, tc.file)
			}
			env := map[string]string{"XDG_STATE_HOME": state}
			for k, v := range tc.env {
				env[k] = v
			}
			c := Connect(func(k string) string { return env[k] }, "")
			if (c.Err != nil) != tc.wantErr {
				t.Fatalf("Err = %v, want error %v", c.Err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if c.Server != tc.wantServer || c.Token != tc.wantTk || c.FromEnv() != tc.wantEnv {
				t.Errorf("Connect = %+v, want server %q token %q env %v", c, tc.wantServer, tc.wantTk, tc.wantEnv)
			}
			if tc.wantTk != "" && c.OTelHeaders()["Authorization"] != "Bearer "+tc.wantTk {
				t.Errorf("OTelHeaders = %v", c.OTelHeaders())
			}
		})
	}
}
