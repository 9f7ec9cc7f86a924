package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// ciAttribute is one resource attribute ci-env fills, with the variables
// each CI system provides it from (first set wins).
type ciAttribute struct {
	key    string
	github []string
	gitlab []string
}

// ciAttributes are the resource attributes of a CI run: OpenTelemetry's
// CI/CD and VCS semantic conventions where they have a name, ci.* where
// they have none.
var ciAttributes = []ciAttribute{
	{"cicd.pipeline.name", []string{"GITHUB_WORKFLOW"}, []string{"CI_PIPELINE_NAME", "CI_PIPELINE_SOURCE"}},
	{"cicd.pipeline.task.name", []string{"GITHUB_JOB"}, []string{"CI_JOB_NAME"}},
	{"cicd.pipeline.run.id", []string{"GITHUB_RUN_ID"}, []string{"CI_PIPELINE_ID"}},
	{"vcs.repository.name", []string{"GITHUB_REPOSITORY"}, []string{"CI_PROJECT_PATH"}},
	{"vcs.ref.head.name", []string{"GITHUB_HEAD_REF", "GITHUB_REF_NAME"}, []string{"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_REF_NAME"}},
	{"vcs.ref.head.revision", []string{"GITHUB_SHA"}, []string{"CI_COMMIT_SHA"}},
	{"ci.actor", []string{"GITHUB_ACTOR"}, []string{"GITLAB_USER_LOGIN"}},
}

// ciResourceAttributes returns OTEL_RESOURCE_ATTRIBUTES for the CI run
// getenv describes, the CI system's own attributes first and any
// OTEL_RESOURCE_ATTRIBUTES already set after them.
func ciResourceAttributes(getenv func(string) string) (string, error) {
	var provider string
	switch {
	case getenv("GITHUB_ACTIONS") == "true":
		provider = "github"
	case getenv("GITLAB_CI") == "true":
		provider = "gitlab"
	default:
		return "", errors.New("not a GitHub Actions or GitLab CI job (neither GITHUB_ACTIONS nor GITLAB_CI is true)")
	}
	pairs := []string{"ci.provider=" + provider}
	seen := map[string]bool{"ci.provider": true}
	for _, a := range ciAttributes {
		vars := a.github
		if provider == "gitlab" {
			vars = a.gitlab
		}
		for _, v := range vars {
			if val := getenv(v); val != "" {
				pairs = append(pairs, a.key+"="+escapeResourceValue(val))
				seen[a.key] = true
				break
			}
		}
	}
	if existing := strings.TrimSpace(getenv("OTEL_RESOURCE_ATTRIBUTES")); existing != "" {
		for _, kv := range strings.Split(existing, ",") {
			k, _, _ := strings.Cut(kv, "=")
			if k = strings.TrimSpace(k); k != "" && !seen[k] {
				pairs = append(pairs, strings.TrimSpace(kv))
			}
		}
	}
	return strings.Join(pairs, ","), nil
}

// escapeResourceValue percent-encodes a value for OTEL_RESOURCE_ATTRIBUTES.
// The OpenTelemetry resource specification reads the variable in the W3C
// Baggage format, "key1=value1,key2=value2", with values percent-decoded;
// characters outside baggage-octet (%x21 / %x23-2B / %x2D-3A / %x3C-5B /
// %x5D-7E: no space, '"', ',', ';', '\' or non-ASCII) must be encoded.
// Sources: the OTel spec text quoted in open-telemetry/opentelemetry-dotnet
// issue 3395 and opentelemetry-specification PR 2670 (values are
// percent-decoded). '%' and '=' are encoded too, so no decoder can misread
// them; the result is also safe inside single quotes in a shell.
func escapeResourceValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~/:@+", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func newCIEnvCmd(env *Env) *cobra.Command {
	var shell bool
	cmd := &cobra.Command{
		Use:   "ci-env",
		Short: "Print OTEL_RESOURCE_ATTRIBUTES naming this CI run, for Claude Code's telemetry",
		Long: `CI-env prints OTEL_RESOURCE_ATTRIBUTES for the current GitHub Actions or
GitLab CI job: the workflow, job, run id, repository, branch, commit and actor,
so that every metric and event Claude Code sends to the Warden server from a
non-interactive run says which run it came from. Values are percent-encoded
as the OpenTelemetry specification requires. Attributes already in
OTEL_RESOURCE_ATTRIBUTES are kept after these.

  GitHub Actions: GITHUB_WORKFLOW, GITHUB_JOB, GITHUB_RUN_ID, GITHUB_REPOSITORY,
                  GITHUB_HEAD_REF or GITHUB_REF_NAME, GITHUB_SHA, GITHUB_ACTOR
  GitLab CI:      CI_PIPELINE_NAME or CI_PIPELINE_SOURCE, CI_JOB_NAME,
                  CI_PIPELINE_ID, CI_PROJECT_PATH, CI_MERGE_REQUEST_SOURCE_BRANCH_NAME
                  or CI_COMMIT_REF_NAME, CI_COMMIT_SHA, GITLAB_USER_LOGIN

It prints KEY=VALUE (for $GITHUB_ENV), or with --shell an export line (for
eval in a GitLab script). See docs/settings.md.`,
		Example: `  # GitHub Actions step
  warden ci-env >> "$GITHUB_ENV"
  # GitLab CI before_script
  eval "$(warden ci-env --shell)"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			attrs, err := ciResourceAttributes(env.Getenv)
			if err != nil {
				return withCode(ExitFailure, err)
			}
			if shell {
				fmt.Fprintf(env.Stdout, "export OTEL_RESOURCE_ATTRIBUTES='%s'\n", strings.ReplaceAll(attrs, "'", `'\''`))
			} else {
				fmt.Fprintf(env.Stdout, "OTEL_RESOURCE_ATTRIBUTES=%s\n", attrs)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&shell, "shell", false, "print a shell export line")
	return cmd
}
