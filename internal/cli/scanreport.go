package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/clientstate"
	"github.com/wardenhq/warden/internal/hook"
	"github.com/wardenhq/warden/internal/record"
	"github.com/wardenhq/warden/internal/scan"
	"github.com/wardenhq/warden/internal/server"
	"github.com/wardenhq/warden/internal/shiplaunch"
)

// reportTarget is where warden scan --report sends its report and with
// which credential.
type reportTarget struct {
	server, token string
	// deviceID is set when token is the enrolled device's credential.
	deviceID string
}

// resolveReportTarget finds the server (--server, else $WARDEN_SERVER, else
// the client configuration's) and the credential: --token, else the
// enrolled device's credential when the machine is enrolled with that
// server (never sent to another one), else $WARDEN_TOKEN, else the client
// configuration's token for that server.
func resolveReportTarget(env *Env, serverFlag, tokenFlag string) (reportTarget, error) {
	var cfg clientstate.ClientConfig
	cfgPath := ""
	for _, p := range clientstate.ClientConfigPaths(env.Getenv, homeDir(env)) {
		c, err := clientstate.LoadClientConfig(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return reportTarget{}, fmt.Errorf("--report: %w; fix the file or enroll again (warden enroll --force)", err)
		}
		cfg, cfgPath = c, p
		break
	}
	srv := serverFlag
	if srv == "" {
		srv = env.Getenv(clientstate.EnvServer)
	}
	if srv == "" {
		srv = cfg.Server
	}
	if srv == "" {
		return reportTarget{}, errors.New("--report: no server to report to: pass --server URL (or HOST:PORT), set $" +
			clientstate.EnvServer + ", or enroll this machine (warden enroll --server URL)")
	}
	if !strings.Contains(srv, "://") {
		if _, _, err := net.SplitHostPort(srv); err != nil {
			return reportTarget{}, fmt.Errorf("--server %q: want a URL (https://host:port) or HOST:PORT", srv)
		}
		srv = "http://" + srv
	}
	if err := shiplaunch.ValidateServer(srv); err != nil {
		return reportTarget{}, err
	}
	srv = clientstate.ServerURL(srv)
	sameServer := cfg.Server != "" && clientstate.ServerURL(cfg.Server) == srv
	switch {
	case tokenFlag != "":
		return reportTarget{server: srv, token: tokenFlag}, nil
	case cfg.DeviceCredential != "" && sameServer:
		return reportTarget{server: srv, token: cfg.DeviceCredential, deviceID: cfg.DeviceID}, nil
	case env.Getenv(clientstate.EnvToken) != "":
		return reportTarget{server: srv, token: env.Getenv(clientstate.EnvToken)}, nil
	case cfg.Token != "" && sameServer:
		return reportTarget{server: srv, token: cfg.Token}, nil
	}
	msg := "--report: no credential for " + srv + ": enroll this machine (warden enroll --server " + srv +
		" --token-file FILE, with a token from 'warden token create --scope enroll'), or pass --token or set $" +
		clientstate.EnvToken + " to a token with ingest scope (warden token create --scope ingest)"
	if cfg.DeviceCredential != "" {
		msg += fmt.Sprintf("; this machine is enrolled with %s (%s), not %s, and its credential is sent to no other server",
			cfg.Server, cfgPath, srv)
	}
	return reportTarget{}, errors.New(msg)
}

// wireReport is what --report sends for rep: the findings most severe
// first, every field cut to the server's limits, and as many findings as
// fit in the server's body limit; it returns how many were left out.
func wireReport(rep *scan.Report, now time.Time) (body []byte, omitted int, err error) {
	host, _ := os.Hostname()
	w := record.ScanReportV1{
		Schema: record.SchemaScanV1, Host: strings.TrimSpace(host), WardenVersion: rep.Version,
		Policy: rep.Policy, PolicyRevision: rep.Revision, Tier: rep.Tier, Machine: rep.Machine,
		ScannedAt: now.UTC(), Findings: []record.ScanFindingV1{}, Errors: rep.Errors,
	}
	if w.Host == "" {
		w.Host = "unknown"
	}
	if w.WardenVersion == "" || w.WardenVersion == "dev" {
		w.WardenVersion = resolvedVersion()
	}
	if rep.Repo != "" {
		// As the hook's audit names it: the origin remote without
		// credentials, else the root directory.
		root, remote := hook.Repo(rep.Repo)
		switch {
		case remote != "":
			w.Repository = remote
		case root != "":
			w.Repository = root
		default:
			w.Repository, _ = filepath.Abs(rep.Repo)
		}
	}
	for _, f := range rep.Findings {
		w.Findings = append(w.Findings, record.ScanFindingV1{RuleID: f.RuleID, Severity: f.Severity.String(),
			Message: f.Message, File: f.File, Line: f.Line, Column: f.Col, Evidence: f.Evidence})
	}
	// The checks in the scanned scopes, passed unless a finding names
	// them (as scan.Run chooses which to run).
	failed := map[string]bool{}
	for _, f := range rep.Findings {
		failed[f.RuleID] = true
	}
	for _, c := range scan.Checks() {
		if c.Scope == scan.ScopeRepo && rep.Repo == "" || c.Scope == scan.ScopeMachine && !rep.Machine {
			continue
		}
		st := record.ScanPass
		if failed[c.ID] {
			st = record.ScanFail
		}
		w.Checks = append(w.Checks, record.ScanCheckV1{RuleID: c.ID, Title: record.Truncate(c.Title, record.MaxScanTitleBytes),
			Severity: c.Severity.String(), Status: st})
	}
	slices.SortStableFunc(w.Findings, func(a, b record.ScanFindingV1) int {
		return slices.Index(record.ScanSeverities, b.Severity) - slices.Index(record.ScanSeverities, a.Severity)
	})
	omitted = w.Bound()
	for {
		body, err = json.Marshal(&w)
		if err != nil {
			return nil, 0, fmt.Errorf("encode scan report: %w", err)
		}
		if len(body) <= server.MaxScanBodyBytes || len(w.Findings) == 0 {
			break
		}
		cut := max(len(w.Findings)/4, 1)
		w.Findings, omitted = w.Findings[:len(w.Findings)-cut], omitted+cut
	}
	if err := w.Validate(); err != nil {
		return nil, 0, fmt.Errorf("scan report: %w", err)
	}
	return body, omitted, nil
}

// sendReport posts a scan report and prints the server's receipt to w.
func sendReport(ctx context.Context, w io.Writer, t reportTarget, rep *scan.Report) error {
	body, omitted, err := wireReport(rep, time.Now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.server+server.ScansPath, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("report scan: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+t.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "warden/"+resolvedVersion())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return fmt.Errorf("report scan: no Warden server answers at %s; check --server, or start one with 'warden serve'", t.server)
		}
		return fmt.Errorf("report scan to %s: %w", t.server, err)
	}
	defer resp.Body.Close()
	ans, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("report scan: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		if t.deviceID != "" {
			return fmt.Errorf("report scan: %s; the server no longer accepts device %s (revoked?): enroll again with 'warden enroll --force'", apiError(resp, ans), t.deviceID)
		}
		return fmt.Errorf("report scan: %s; check --token or $%s", apiError(resp, ans), clientstate.EnvToken)
	case http.StatusForbidden:
		return fmt.Errorf("report scan: %s; the token needs ingest scope (warden token create --scope ingest)", apiError(resp, ans))
	default:
		return fmt.Errorf("report scan: %s", apiError(resp, ans))
	}
	var rc server.ScanReceipt
	if err := json.Unmarshal(ans, &rc); err != nil {
		return fmt.Errorf("report scan: the server answered something that is not a receipt: %w", err)
	}
	who := "token " + rc.Reporter + " (not enrolled: unverified)"
	if rc.Verified {
		who = "device " + rc.DeviceID
	}
	fmt.Fprintf(w, "Reported to %s as %s: %d critical, %d high, %d medium, %d low, %d info.\n", t.server, who,
		rc.Counts["critical"], rc.Counts["high"], rc.Counts["medium"], rc.Counts["low"], rc.Counts["info"])
	if omitted > 0 {
		fmt.Fprintf(w, "%d least severe findings were left out of the report to fit the server's limits.\n", omitted)
	}
	return nil
}
