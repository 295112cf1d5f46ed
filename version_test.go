package vlens

import (
	"os"
	"regexp"
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

// TestVersionIsTheNewestChangelogEntry: the Version constant and the
// newest release in CHANGELOG.md move together, and the [Unreleased] link
// compares from that release.
func TestVersionIsTheNewestChangelogEntry(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("CHANGELOG.md")
	require.NoError(t, err)
	changelog := string(b)
	assert.Equal(t, Version, newestRelease(changelog), "Version and the newest release heading in CHANGELOG.md")
	assert.Regexp(t, `(?m)^\[Unreleased\]: \S+/compare/v`+regexp.QuoteMeta(Version)+`\.\.\.HEAD$`, changelog)
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
