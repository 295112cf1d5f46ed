package vlens

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// releaseHeading is a released version's heading in CHANGELOG.md,
// "## [0.2.0] - 2026-11-29"; "## [Unreleased]" is not one.
var releaseHeading = regexp.MustCompile(`(?m)^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$`)

// newestRelease is the version of the first release heading in changelog,
// the newest, or "" when there is none.
func newestRelease(changelog string) string {
	m := releaseHeading.FindStringSubmatch(changelog)
	if m == nil {
		return ""
	}
	return m[1]
}

// tagLink is a link definition in CHANGELOG.md that names release tags:
// "[0.2.0]: https://…/compare/v0.1.0...v0.2.0" or "[0.1.0]: https://…/releases/tag/v0.1.0".
var tagLink = regexp.MustCompile(`(?m)^\[([^\]]+)\]: \S+/(?:compare/(v\d+\.\d+\.\d+)\.\.\.(v\d+\.\d+\.\d+|HEAD)|releases/tag/(v\d+\.\d+\.\d+))$`)

// TestVersionIsTheNewestChangelogEntry: the Version constant and the
// newest release in CHANGELOG.md move together, and an [Unreleased] link,
// once there is one, compares from that release.
func TestVersionIsTheNewestChangelogEntry(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("CHANGELOG.md")
	require.NoError(t, err)
	changelog := string(b)
	assert.Equal(t, Version, newestRelease(changelog), "Version and the newest release heading in CHANGELOG.md")
	for _, m := range tagLink.FindAllStringSubmatch(changelog, -1) {
		if m[1] == "Unreleased" {
			assert.Equal(t, []string{"v" + Version, "HEAD"}, m[2:4], "[Unreleased] compares from Version")
		}
	}
}

// TestChangelogLinksNameExistingTags: CHANGELOG.md links only to tags that
// exist (none does yet, so it has no such links). Without the repository's
// tags (no git, or a shallow clone, which fetches none) it cannot tell, and
// skips once there are links to check.
func TestChangelogLinksNameExistingTags(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("CHANGELOG.md")
	require.NoError(t, err)
	var linked []string
	for _, m := range tagLink.FindAllStringSubmatch(string(b), -1) {
		for _, tag := range m[2:] {
			if tag != "" && tag != "HEAD" {
				linked = append(linked, tag)
			}
		}
	}
	if len(linked) == 0 {
		return
	}
	shallow, err := exec.Command("git", "rev-parse", "--is-shallow-repository").Output()
	if err != nil || strings.TrimSpace(string(shallow)) != "false" {
		t.Skipf("CHANGELOG.md links to %v, but this is no full git clone to list tags in (%v)", linked, err)
	}
	out, err := exec.Command("git", "tag", "--list").Output()
	require.NoError(t, err)
	tags := strings.Fields(string(out))
	for _, tag := range linked {
		assert.Contains(t, tags, tag, "CHANGELOG.md links to a tag that does not exist")
	}
}

func TestNewestRelease(t *testing.T) {
	t.Parallel()
	for changelog, want := range map[string]string{
		"## [Unreleased]\n\n## [0.3.0] - 2027-01-02\n\n## [0.2.0] - 2026-11-29\n":          "0.3.0",
		"## [Unreleased]\n\n### Added\n- [0.9.9] in a bullet\n\n## [0.2.0] - 2026-11-29\n": "0.2.0",
		"## [Unreleased]\n":                   "",
		"## [0.3.0]\n## [0.2.0] - 2026-11-29": "0.2.0", // a release has a date
	} {
		assert.Equal(t, want, newestRelease(changelog), changelog)
	}
}
