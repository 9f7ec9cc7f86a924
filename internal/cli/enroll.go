package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/server"
	"github.com/wardenhq/warden/internal/shiplaunch"
)

func newEnrollCmd(env *Env) *cobra.Command {
	var (
		srv, tokenFile, tokenEnv, name string
		force                          bool
	)
	cmd := &cobra.Command{
		Use:   "enroll --server URL [--token-file FILE | --token-env VAR]",
		Short: "Give this machine a device identity: its hook's audit is then signed",
		Long: `Enroll registers this machine with a Warden server as a device, using a
one-time enroll token an administrator created with
'warden token create --scope enroll'. The token is read from --token-file
(- for standard input), from the variable --token-env names, or from
standard input; never give it as an argument, where 'ps' shows it.

Enroll generates an Ed25519 key pair in Warden's state directory
($XDG_STATE_HOME/warden, else ~/.local/state/warden): device.key (the
private key, 0600; the baseline policy denies the agent reading or writing
it with any tool) and device.json. The server registers the public key and
the device name (--name, default the hostname) and answers a device ID and
a device credential, which go into warden-client.json in the same
directory: the shipper sends the credential from then on. It also answers
its pause signing key, which device.json pins: the hook honours a pause of
Warden's decisions ('warden policy pause') only when it is signed with
that key.

From then on every audit event the hook writes is signed with the device
key and carries the hash of the device's previous event; the server checks
both and marks what does not check as unverified.

An enrolled machine is not enrolled again unless --force is given, which
replaces its identity (revoke the old device: 'warden device revoke ID').`,
		Example: `  warden enroll --server https://warden.acme.example --token-file /run/secrets/warden-enroll
  printf %s "$TOKEN" | warden enroll --server https://warden.acme.example`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if srv == "" {
				return withCode(ExitUsage, errors.New("--server is required"))
			}
			srv = clientstate.ServerURL(srv)
			if err := shiplaunch.ValidateServer(srv); err != nil {
				return withCode(ExitUsage, err)
			}
			if tokenFile != "" && tokenEnv != "" {
				return withCode(ExitUsage, errors.New("give --token-file or --token-env, not both"))
			}
			dir := clientstate.Dir(env.Getenv, homeDir(env))
			if dir == "" {
				return withCode(ExitFailure, errors.New("no state directory: set $HOME or $XDG_STATE_HOME"))
			}
			old, err := clientstate.LoadDevice(dir)
			switch {
			case err == nil && !force:
				return withCode(ExitFailure, fmt.Errorf("this machine is already enrolled as %s (%s) with %s\nTry: warden enroll --force ... to replace its identity, then 'warden device revoke %s' on the server",
					old.DeviceID, old.Name, old.Server, old.DeviceID))
			case err != nil && !errors.Is(err, clientstate.ErrNotEnrolled) && !force:
				return withCode(ExitFailure, fmt.Errorf("%w\nTry: warden enroll --force ... to replace the damaged identity", err))
			}
			token, err := readSecret(env, tokenFile, tokenEnv)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if name == "" {
				name, _ = os.Hostname()
			}
			key, err := clientstate.NewDeviceKey(rand.Reader)
			if err != nil {
				return withCode(ExitFailure, err)
			}
			res, err := postEnroll(cmd.Context(), srv, token, name, key.Public().(ed25519.PublicKey))
			if err != nil {
				return withCode(ExitFailure, err)
			}
			if err := clientstate.SaveDevice(dir, key, clientstate.DeviceFile{DeviceID: res.DeviceID, Name: res.Name,
				Server: srv, EnrolledAt: res.EnrolledAt, ServerKey: res.ServerKey}); err != nil {
				return withCode(ExitFailure, fmt.Errorf("enrolled as %s, but the identity could not be saved (enroll again with a new token): %w", res.DeviceID, err))
			}
			cfgPath := filepath.Join(dir, clientstate.ClientConfigName)
			cc, err := clientstate.LoadClientConfig(cfgPath)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				// A damaged file is replaced: enrollment writes all it needs.
				fmt.Fprintf(env.Stderr, "warden: replacing %s: %v\n", cfgPath, err)
				cc = clientstate.ClientConfig{}
			}
			if cc.Server != "" && cc.Server != srv {
				// The old token was for another server.
				cc.Token = ""
			}
			cc.Server, cc.DeviceID, cc.DeviceCredential = srv, res.DeviceID, res.Credential
			if err := clientstate.SaveClientConfig(cfgPath, cc); err != nil {
				return withCode(ExitFailure, fmt.Errorf("enrolled as %s, but %w", res.DeviceID, err))
			}
			fmt.Fprintf(env.Stdout, "Enrolled this machine as %s (%s) with %s.\n", res.DeviceID, res.Name, srv)
			fmt.Fprintf(env.Stdout, "The hook now signs its audit with %s; the shipper sends the device credential in %s.\n",
				filepath.Join(dir, clientstate.DeviceKeyName), cfgPath)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&srv, "server", "", "the Warden server's base URL")
	fl.StringVar(&tokenFile, "token-file", "", "file holding the one-time enroll token (- reads standard input)")
	fl.StringVar(&tokenEnv, "token-env", "", "name of the environment variable holding the one-time enroll token")
	fl.StringVar(&name, "name", "", "the device's name on the server (default the hostname)")
	fl.BoolVar(&force, "force", false, "replace this machine's identity if it is already enrolled")
	return cmd
}

// readSecret reads a secret from a file (- is standard input), an
// environment variable, or, with neither, standard input.
func readSecret(env *Env, file, envVar string) (string, error) {
	var (
		b   []byte
		err error
		src string
	)
	switch {
	case envVar != "":
		b, src = []byte(env.Getenv(envVar)), "$"+envVar
	case file != "" && file != "-":
		src = file
		b, err = os.ReadFile(file)
	default:
		src = "standard input"
		b, err = io.ReadAll(io.LimitReader(env.Stdin, 64<<10))
	}
	if err != nil {
		return "", fmt.Errorf("read the enroll token from %s: %w", src, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("no enroll token in %s (create one with 'warden token create --scope enroll')", src)
	}
	return s, nil
}

// postEnroll registers the device with the server.
func postEnroll(ctx context.Context, srv, token, name string, pub ed25519.PublicKey) (*server.EnrollResponse, error) {
	body, err := json.Marshal(server.EnrollRequest{Name: name, PublicKey: base64.StdEncoding.EncodeToString(pub)})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv+server.EnrollPath, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("enroll with %s: %w", srv, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("enroll with %s: %w", srv, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			msg = e.Error.Message
		}
		err := fmt.Errorf("enroll with %s: %d %s: %s", srv, resp.StatusCode, http.StatusText(resp.StatusCode), oneLineMsg(msg, 300))
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			err = fmt.Errorf("%w\nTry: the enroll token is unknown, revoked or already used (each works once); create one with 'warden token create --scope enroll'", err)
		case http.StatusForbidden:
			err = fmt.Errorf("%w\nTry: enrollment takes a token of scope enroll, not ingest or admin: 'warden token create --scope enroll'", err)
		}
		return nil, err
	}
	var res server.EnrollResponse
	if err := json.Unmarshal(data, &res); err != nil || res.DeviceID == "" || res.Credential == "" {
		return nil, fmt.Errorf("enroll with %s: the answer is not an enrollment (%s)", srv, oneLineMsg(string(data), 200))
	}
	if k, err := base64.StdEncoding.DecodeString(res.ServerKey); res.ServerKey != "" && (err != nil || len(k) != ed25519.PublicKeySize) {
		return nil, fmt.Errorf("enroll with %s: the server's pause key %q is not a base64 Ed25519 public key", srv, oneLineMsg(res.ServerKey, 80))
	}
	return &res, nil
}

// oneLineMsg flattens and bounds a server's message for an error.
func oneLineMsg(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
