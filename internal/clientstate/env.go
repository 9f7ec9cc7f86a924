package clientstate

import (
	"path/filepath"
	"strings"
)

// Environment variables of the Warden client (warden hook, warden-hook and
// the shipper they start).
const (
	// EnvPolicy names the policy file the hook decides with when --policy
	// is not given ("baseline" is the built-in one).
	EnvPolicy = "WARDEN_POLICY"
	// EnvServer holds the Warden server's base URL. When it is set and no
	// policy file is given, the hook decides with the server's policy as
	// cached by PolicyCache.
	EnvServer = "WARDEN_SERVER"
	// EnvToken holds the token the shipper sends to the server.
	EnvToken = "WARDEN_TOKEN"
	// EnvSpool sets the spool file (SpoolPath).
	EnvSpool = "WARDEN_SPOOL"
	// EnvFailOpen, set to 1, makes the hook fail open when the policy
	// itself could not be loaded (and so cannot say fail_open): internal
	// failures become "no opinion" (no output, exit 0) with a note on
	// stderr. Once a policy loads, only its own setting counts.
	EnvFailOpen = "WARDEN_FAIL_OPEN"
	// EnvShip, set to 0, off or false, keeps the hook from starting a
	// shipper (for setups that run `warden spool ship` some other way, and
	// for tests).
	EnvShip = "WARDEN_SHIP"
)

// FailOpen reports whether the environment asks an unloadable policy to
// fail open: EnvFailOpen is exactly "1".
func FailOpen(getenv func(string) string) bool { return getenv(EnvFailOpen) == "1" }

// ShipOff reports whether the environment keeps the hook from starting a
// shipper (EnvShip is 0, off or false, in any case).
func ShipOff(getenv func(string) string) bool {
	v := strings.ToLower(getenv(EnvShip))
	return v == "0" || v == "off" || v == "false"
}

// Dir returns Warden's per-user state directory:
// $XDG_STATE_HOME/warden (when absolute, per the XDG base directory spec),
// else ~/.local/state/warden; "" when neither applies.
func Dir(getenv func(string) string, home string) string {
	if x := getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "warden")
	}
	if home == "" {
		return ""
	}
	return filepath.Join(home, ".local", "state", "warden")
}

// ServerURL normalises a server base URL for comparison and for joining
// API paths: surrounding space and trailing slashes removed.
func ServerURL(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), "/")
}
