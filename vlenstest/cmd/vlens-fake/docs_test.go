package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vlens-go/vlens/vlenstest"
)

// repoRoot is the repository's root, seen from this package's directory.
const repoRoot = "../../.."

// TestDockerfile checks the Dockerfile without docker, which CI does not
// have: it builds this command with the go build line docs/testing.md
// documents, from a pinned Go image no older than go.mod's, copies what it
// built into the final image, listens on all interfaces, and checks its
// health on the fake's health path, as the documented compose recipe does.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	dockerfile := string(b)
	b, err = os.ReadFile(filepath.Join(repoRoot, "docs", "testing.md"))
	require.NoError(t, err)
	docs := string(b)

	builds := regexp.MustCompile(`(?m)^RUN (go build .*)$`).FindAllStringSubmatch(dockerfile, -1)
	require.Len(t, builds, 1, "one go build line")
	build := builds[0][1]
	assert.Contains(t, docs, "```sh\n"+build+"\n```", "docs/testing.md documents the Dockerfile's build line")
	assert.Regexp(t, `(?m)^ENV CGO_ENABLED=0$`, dockerfile[:strings.Index(dockerfile, build)], "a static binary, for alpine")

	args := strings.Fields(build)
	pkg := args[len(args)-1]
	here, err := filepath.Abs(".")
	require.NoError(t, err)
	built, err := filepath.Abs(filepath.Join(repoRoot, pkg))
	require.NoError(t, err)
	assert.Equal(t, here, built, "the build line names this command's package, from the repository's root")
	out := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(build)
	require.NotNil(t, out, "the build line names its output")
	assert.Regexp(t, `(?m)^COPY --from=build `+regexp.QuoteMeta(out[1])+` /usr/local/bin/vlens-fake$`, dockerfile)
	assert.Regexp(t, `(?m)^ENTRYPOINT \["vlens-fake", "-addr", "0\.0\.0\.0:8080"\]$`, dockerfile)

	image := regexp.MustCompile(`(?m)^FROM golang:(\d+)\.(\d+)\.(\d+) AS build$`).FindStringSubmatch(dockerfile)
	require.NotNil(t, image, "the Go image is pinned to a release (golang:1.26.8), never latest")
	goMod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	require.NoError(t, err)
	goLine := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindStringSubmatch(string(goMod))
	require.NotNil(t, goLine)
	assert.GreaterOrEqual(t, version(t, image[1], image[2]), version(t, goLine[1], goLine[2]), "the image's Go is no older than go.mod's")
	assert.Contains(t, docs, "(`golang:"+strings.Join(image[1:], ".")+"`)", "docs/testing.md names the pinned image")

	health := "http://127.0.0.1:8080" + vlenstest.ControlHealthPath
	assert.Regexp(t, `(?m)^  CMD wget -q -O /dev/null `+regexp.QuoteMeta(health)+` \|\| exit 1$`, dockerfile)
	assert.Contains(t, docs, `test: ["CMD", "wget", "-q", "-O", "/dev/null", "`+health+`"]`)
	assert.Contains(t, docs, "condition: service_healthy")
	assert.Contains(t, docs, "dockerfile: vlenstest/cmd/vlens-fake/Dockerfile")
}

// version is major.minor as one comparable number.
func version(t *testing.T, major, minor string) int {
	t.Helper()
	ma, err := strconv.Atoi(major)
	require.NoError(t, err)
	mi, err := strconv.Atoi(minor)
	require.NoError(t, err)
	return ma*1000 + mi
}

// TestDocumentedVariablesAreTheBanners: the environment variables the
// README and docs/testing.md tell a backend to set are the ones the banner
// prints and examples/invitation reads (VLENS_ADMIN_TENANCY, not
// VLENS_TENANCY), besides the docs' own VLENS_INSECURE_HTTP switch.
func TestDocumentedVariablesAreTheBanners(t *testing.T) {
	t.Parallel()
	vars, _ := startRun(t, "-addr", "127.0.0.1:0", "-quiet")
	var banner []string
	for name := range vars {
		banner = append(banner, name)
	}
	require.Contains(t, banner, "VLENS_ADMIN_TENANCY")

	b, err := os.ReadFile(filepath.Join(repoRoot, "examples", "invitation", "main.go"))
	require.NoError(t, err)
	var example []string
	for _, m := range regexp.MustCompile(`getenv\("(VLENS_[A-Z_]+)"\)`).FindAllStringSubmatch(string(b), -1) {
		example = append(example, m[1])
	}
	for _, name := range banner {
		assert.Contains(t, example, name, "examples/invitation reads what the banner prints")
	}

	known := append(append([]string{"VLENS_INSECURE_HTTP"}, banner...), example...)
	for _, doc := range []string{"README.md", filepath.Join("docs", "testing.md")} {
		b, err := os.ReadFile(filepath.Join(repoRoot, doc))
		require.NoError(t, err)
		names := regexp.MustCompile(`VLENS_[A-Z_]+`).FindAllString(string(b), -1)
		for _, name := range names {
			assert.Contains(t, known, name, "%s names a variable that neither the banner nor examples/invitation uses", doc)
		}
		for _, name := range banner {
			if strings.HasPrefix(name, "VLENS_ADMIN_") {
				assert.True(t, slices.Contains(names, name), "%s names the banner's %s", doc, name)
			}
		}
	}
}
