package vlens_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIntegrationModulesAreCopiedNotImported keeps the docs and the
// integration modules' go.mod files in step. The modules under examples/
// are not published and build against this checkout through a replace
// directive, which an importer's build ignores: the docs must say to copy
// them, never show an import of one, and every module must keep the replace
// so that ./scripts/test tests it against the SDK beside it.
func TestIntegrationModulesAreCopiedNotImported(t *testing.T) {
	t.Parallel()
	docs, err := filepath.Glob("docs/*.md")
	require.NoError(t, err)
	for _, doc := range append(docs, "README.md") {
		text, err := os.ReadFile(doc)
		require.NoError(t, err)
		assert.False(t, strings.Contains(string(text), `"github.com/vlens-go/vlens/examples/`), "%s imports an integration module; say to copy it", doc)
	}

	mods, err := filepath.Glob("examples/*/go.mod")
	require.NoError(t, err)
	require.NotEmpty(t, mods)
	for _, mod := range mods {
		text, err := os.ReadFile(mod)
		require.NoError(t, err)
		var replaced bool
		for _, line := range strings.Split(string(text), "\n") {
			replaced = replaced || strings.Join(strings.Fields(line), " ") == "replace github.com/vlens-go/vlens => ../.."
		}
		assert.True(t, replaced, "%s builds against the SDK in this checkout", mod)
	}
}
