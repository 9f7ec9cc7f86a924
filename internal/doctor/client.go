package doctor

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/wardenhq/warden/internal/fakemodel"
)

// probeScript is the fake model's script key for the client probe.
const probeScript = "warden-doctor-probe"

// ClientVerdict is what the real client did with the probe's tool call,
// read from its stream-json output (shared/spec/claude-code.md (d)).
type ClientVerdict struct {
	// Seen says the call's result line was found.
	Seen bool `json:"seen"`
	// Decision and Source are the tool_result_meta permission_decision
	// ("reject"/"accept", "hook"/"config").
	Decision string `json:"decision,omitempty"`
	Source   string `json:"source,omitempty"`
	// IsError and Content are the tool_result the model got.
	IsError bool   `json:"is_error"`
	Content string `json:"content,omitempty"`
	// NoVerdict are the client's hook_no_verdict warnings (a hook that
	// timed out or gave no usable answer).
	NoVerdict []string `json:"no_verdict,omitempty"`
	// Version is claude_code_version from the init line.
	Version string `json:"version,omitempty"`
}

// DeniedByHook reports whether a hook refused the call.
func (v ClientVerdict) DeniedByHook() bool {
	return v.Seen && v.Decision == "reject" && v.Source == "hook"
}

// ReadStream reads the client's stream-json output for the tool call id.
// The output is untrusted: lines that do not parse are skipped.
func ReadStream(out []byte, id string) ClientVerdict {
	var v ClientVerdict
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var line struct {
			Type    string `json:"type"`
			Subtype string `json:"subtype"`
			Tag     string `json:"tag"`
			Content any    `json:"content"`
			Version string `json:"claude_code_version"`
			Message struct {
				Content json.RawMessage `json:"content"`
			} `json:"message"`
			Meta []struct {
				ID       string `json:"id"`
				Decision struct {
					Decision string `json:"decision"`
					Source   string `json:"source"`
				} `json:"permission_decision"`
			} `json:"tool_result_meta"`
			NoVerdict *struct {
				ToolUseID string `json:"tool_use_id"`
				TimedOut  bool   `json:"timed_out"`
			} `json:"hook_no_verdict"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		switch {
		case line.Type == "system" && line.Subtype == "init":
			v.Version = line.Version
		case line.Type == "system" && line.Tag == "hook_no_verdict" && line.NoVerdict != nil:
			s, _ := line.Content.(string)
			if line.NoVerdict.TimedOut {
				s += " (timed out)"
			}
			v.NoVerdict = append(v.NoVerdict, s)
		case line.Type == "user":
			var blocks []struct {
				Type      string `json:"type"`
				ToolUseID string `json:"tool_use_id"`
				IsError   bool   `json:"is_error"`
				Content   any    `json:"content"`
			}
			if json.Unmarshal(line.Message.Content, &blocks) != nil {
				continue
			}
			for _, b := range blocks {
				if b.Type != "tool_result" || b.ToolUseID != id {
					continue
				}
				v.Seen, v.IsError = true, b.IsError
				if s, ok := b.Content.(string); ok {
					v.Content = s
				}
			}
			for _, m := range line.Meta {
				if m.ID == id {
					v.Decision, v.Source = m.Decision.Decision, m.Decision.Source
				}
			}
		}
	}
	return v
}

// clientEnv is the client's environment for the probe: the caller's (so
// that the user's own configuration applies), a loopback model stand-in
// instead of Anthropic's API, no nonessential traffic, and the audit of
// the probe kept out of the user's spool.
func clientEnv(cfg *Config, dir, project, baseURL string) []string {
	env := canaryEnv(cfg, dir, project)
	drop := map[string]bool{"ANTHROPIC_BASE_URL": true, "ANTHROPIC_API_KEY": true, "ANTHROPIC_AUTH_TOKEN": true,
		"CLAUDE_CODE_USE_BEDROCK": true, "CLAUDE_CODE_USE_VERTEX": true, "CLAUDE_PROJECT_DIR": true}
	out := env[:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			out = append(out, kv)
		}
	}
	return append(out,
		"ANTHROPIC_BASE_URL="+baseURL,
		"ANTHROPIC_API_KEY=warden-doctor-probe",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1")
}

// ProbeClient runs the claude client once, headless, in a scratch project
// holding a synthetic secret, against a loopback model stand-in that
// makes one tool call, `cat .env`, and reports what the client did with
// it. Only a hook can refuse that call with source "hook".
func ProbeClient(ctx context.Context, cfg *Config) (ClientVerdict, string, error) {
	cr, err := newCanaryRun(cfg)
	if err != nil {
		return ClientVerdict{}, "", err
	}
	defer cr.close()
	step := fakemodel.Bash("cat " + filepath.Join(cr.project, ".env"))
	step.ID = "toolu_warden_doctor_probe"
	model := fakemodel.New()
	if err := model.Script(probeScript, step); err != nil {
		return ClientVerdict{}, "", err
	}
	baseURL, err := model.Start()
	if err != nil {
		return ClientVerdict{}, "", fmt.Errorf("start the model stand-in: %w", err)
	}
	defer model.Close()

	timeout := cfg.ClientTimeout
	if timeout <= 0 {
		timeout = 3 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	prompt := fakemodel.Marker(probeScript) + " warden doctor probe: show the .env file"
	cmd := exec.CommandContext(ctx, cfg.Claude, "-p", prompt, "--output-format", "stream-json", "--verbose")
	cmd.Dir = cr.project
	cmd.Env = clientEnv(cfg, cr.dir, cr.project, baseURL)
	var stdout, stderr boundedBuffer
	stdout.limit, stderr.limit = 16<<20, 64<<10
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	killGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	v := ReadStream(stdout.Bytes(), step.ID)
	if ctx.Err() != nil {
		return v, stderr.String(), fmt.Errorf("%s did not finish within %s", cfg.Claude, timeout)
	}
	if runErr != nil && !v.Seen {
		var ee *exec.ExitError
		if errors.As(runErr, &ee) {
			return v, stderr.String(), fmt.Errorf("%s exited %d before the probe call: %s", cfg.Claude, ee.ExitCode(), truncate(stderr.String(), 300))
		}
		return v, stderr.String(), fmt.Errorf("run %s: %w", cfg.Claude, runErr)
	}
	return v, stderr.String(), nil
}

func checkClientHooks(ctx context.Context, s *state) Result {
	if s.cfg.Claude == "" {
		why := s.cfg.ClaudeWhy
		if why == "" {
			why = "no claude executable"
		}
		return Result{Status: Skip, Evidence: why, Fix: "install Claude Code, or give its path with --claude PATH"}
	}
	v, stderr, err := ProbeClient(ctx, s.cfg)
	detail := ""
	if stderr != "" {
		detail = "client stderr:\n" + truncate(stderr, 2000)
	}
	if err != nil {
		return Result{Status: Fail, Evidence: "client probe: " + err.Error(), Fix: "run the client by hand (claude -p hi) to see why it does not start", Detail: detail}
	}
	who := s.cfg.Claude
	if v.Version != "" {
		who += " " + v.Version
	}
	if v.DeniedByHook() {
		return Result{Status: Pass, Evidence: fmt.Sprintf("%s ran a scripted `cat .env`: refused by a hook (permission_decision reject/hook)", who), Detail: detail}
	}
	ev := fmt.Sprintf("%s ran a scripted `cat .env`: ", who)
	switch {
	case !v.Seen:
		ev += "no result for the call in its output"
	case v.Decision == "reject":
		ev += fmt.Sprintf("refused by %s, not by a hook: no hook decided", v.Source)
	default:
		ev += fmt.Sprintf("it RAN (decision %q, source %q): no hook refused it", v.Decision, v.Source)
	}
	if len(v.NoVerdict) > 0 {
		ev += "; client warnings: " + strings.Join(v.NoVerdict, "; ")
	}
	return Result{Status: Fail, Evidence: ev,
		Fix:    "fix the hook-settings and hook-commands findings above; the client must load Warden's hooks from the managed settings in " + s.installed.Dir + ": " + installFix(s.cfg.Tier),
		Detail: detail}
}
