package vlens_test

import (
	"bufio"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snippetImports are the packages README snippets use without importing
// them, by the name they use.
var snippetImports = map[string]string{
	"context":   "context",
	"errors":    "errors",
	"fmt":       "fmt",
	"http":      "net/http",
	"httpmock":  "github.com/jarcoal/httpmock",
	"httptest":  "net/http/httptest",
	"io":        "io",
	"json":      "encoding/json",
	"log":       "log",
	"os":        "os",
	"rate":      "golang.org/x/time/rate",
	"slog":      "log/slog",
	"strings":   "strings",
	"testing":   "testing",
	"time":      "time",
	"vlens":     "github.com/vlens-go/vlens",
	"vlenstest": "github.com/vlens-go/vlens/vlenstest",
	"webhook":   "github.com/vlens-go/vlens/webhook",
}

// foreignPackages are packages of the integration modules, which the
// SDK's module does not have: their snippets are left to those modules
// (examples/otel runs the tracing code; examples/redislimiter is the
// limiter).
var foreignPackages = []string{"otelhttp", "codes", "redis", "redis_rate", "redislimiter"}

// snippetGivens declares what README snippets use without declaring: the
// context, the client and the like that surround them in real code.
const snippetGivens = `package readme

import (
	"context"
	"net/http"
	"testing"

	"github.com/vlens-go/vlens"
)

var (
	ctx    context.Context
	key    string
	apiKey string
	id     string
	client *vlens.Client
	hc     *http.Client
	input  vlens.CreateInvitationInput
	t      *testing.T
	in     %s
	mux    *http.ServeMux
	queue  interface{ Put(context.Context, any) error } // the reader's own queue
)
`

// readmeSnippet is a ```go block of README.md and the line it starts on.
type readmeSnippet struct {
	line int
	code string
}

// readmeSnippets returns README.md's ```go blocks.
func readmeSnippets(t *testing.T) []readmeSnippet {
	t.Helper()
	f, err := os.Open("README.md")
	require.NoError(t, err)
	defer f.Close()
	var snippets []readmeSnippet
	var cur *readmeSnippet
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && line == "```go":
			cur = &readmeSnippet{line: n + 1}
		case cur != nil && line == "```":
			snippets = append(snippets, *cur)
			cur = nil
		case cur != nil:
			cur.code += line + "\n"
		}
	}
	require.NoError(t, sc.Err())
	require.Nil(t, cur, "README.md ends inside a ```go block")
	return snippets
}

// TestREADMESnippetsCompile type-checks every ```go block of README.md
// against the package in this checkout, so that a renamed option or a
// changed signature cannot leave the README behind. A whole program is
// checked as it is; top-level declarations get the imports they use; other
// blocks become a function's body, with snippetGivens for the names they
// take from their surroundings. Unused variables and imports are allowed,
// as snippets show a call and not what follows it. The packages come from
// `go list -export` on the checkout's own module: nothing is downloaded.
func TestREADMESnippetsCompile(t *testing.T) {
	t.Parallel()
	type checked struct {
		snippet readmeSnippet
		files   map[string]string // name -> source
		offset  int               // lines the snippet file has before the snippet
	}
	var all []checked
	needed := map[string]bool{}
	for _, s := range readmeSnippets(t) {
		c := checked{snippet: s, files: map[string]string{}}
		fset := token.NewFileSet()
		if strings.HasPrefix(s.code, "package ") {
			c.files["snippet.go"] = s.code
		} else {
			body, offset := "package readme\n"+s.code, 1
			if _, err := parser.ParseFile(fset, "", body, 0); err != nil {
				body, offset = "package readme\n\nfunc snippet() error {\n"+s.code+"return nil\n}\n", 3
			}
			f, err := parser.ParseFile(fset, "", body, 0)
			require.NoError(t, err, "README.md:%d: the snippet does not parse", s.line)
			used, foreign := packagesUsed(f)
			if foreign != "" {
				t.Logf("README.md:%d: uses %s, of an integration module: left to that module", s.line, foreign)
				continue
			}
			var imports strings.Builder
			for _, name := range used {
				fmt.Fprintf(&imports, "import %s %q\n", name, snippetImports[name])
			}
			c.files["snippet.go"] = strings.Replace(body, "package readme\n", "package readme\n"+imports.String(), 1)
			c.offset = offset + len(used)
			in := "vlens.CreateAuthSessionInput"
			if strings.Contains(s.code, "CreateInvitation(ctx, in") {
				in = "vlens.CreateInvitationInput"
			}
			c.files["givens.go"] = fmt.Sprintf(snippetGivens, in)
		}
		for _, src := range c.files {
			f, err := parser.ParseFile(fset, "", src, parser.ImportsOnly)
			require.NoError(t, err, "README.md:%d", s.line)
			for _, imp := range f.Imports {
				needed[strings.Trim(imp.Path.Value, `"`)] = true
			}
		}
		all = append(all, c)
	}
	require.NotEmpty(t, all)

	imp := exportImporter(t, needed)
	for _, c := range all {
		fset := token.NewFileSet()
		var files []*ast.File
		names := make([]string, 0, len(c.files))
		for name := range c.files {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			f, err := parser.ParseFile(fset, name, c.files[name], 0)
			require.NoError(t, err)
			files = append(files, f)
		}
		var errs []string
		conf := types.Config{Importer: imp, Error: func(err error) {
			msg := err.Error()
			if strings.Contains(msg, "declared and not used") || strings.Contains(msg, "imported and not used") {
				return
			}
			if te, ok := err.(types.Error); ok && te.Fset.Position(te.Pos).Filename == "snippet.go" {
				msg = fmt.Sprintf("README.md:%d: %s", c.snippet.line+te.Fset.Position(te.Pos).Line-1-c.offset, te.Msg)
			}
			errs = append(errs, msg)
		}}
		_, _ = conf.Check("readme", fset, files, nil)
		assert.Empty(t, errs, "the README's snippet at line %d does not compile:\n%s", c.snippet.line, c.snippet.code)
	}
}

// packagesUsed returns the names of snippetImports that f uses as package
// selectors without importing them, sorted, and a foreign package's name
// it uses, if any.
func packagesUsed(f *ast.File) (used []string, foreign string) {
	imported := map[string]bool{}
	for _, imp := range f.Imports {
		path := strings.Trim(imp.Path.Value, `"`)
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		imported[name] = true
		if slices.Contains(foreignPackages, name) {
			foreign = name
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if x, ok := sel.X.(*ast.Ident); ok && !imported[x.Name] {
			if _, known := snippetImports[x.Name]; known && !slices.Contains(used, x.Name) {
				used = append(used, x.Name)
			}
			if slices.Contains(foreignPackages, x.Name) {
				foreign = x.Name
			}
		}
		return true
	})
	sort.Strings(used)
	return used, foreign
}

// exportImporter imports packages from the export data `go list -export`
// builds for them and their dependencies, in this module.
func exportImporter(t *testing.T, pkgs map[string]bool) types.Importer {
	t.Helper()
	args := []string{"list", "-export", "-deps", "-f", "{{if .Export}}{{.ImportPath}}={{.Export}}{{end}}"}
	for p := range pkgs {
		args = append(args, p)
	}
	out, err := exec.Command("go", args...).Output()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		t.Fatalf("go list: %v\n%s", err, exitErr.Stderr)
	}
	require.NoError(t, err)
	exports := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if path, file, ok := strings.Cut(line, "="); ok {
			exports[path] = file
		}
	}
	return importer.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %q (add it to snippetImports)", path)
		}
		return os.Open(file)
	})
}

// TestREADMELicencesNameTheRunTimeDependencies: the README's licence line
// names every module the module's packages (the SDK, vlenstest, the
// examples) use at run time, so that a licence review reading it misses
// none; test-only modules (testify, httpmock) are not among them.
func TestREADMELicencesNameTheRunTimeDependencies(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f",
		"{{if not .Standard}}{{with .Module}}{{if not .Main}}{{.Path}}{{end}}{{end}}{{end}}",
		"./...").Output()
	require.NoError(t, err)
	modules := strings.Fields(string(out))
	require.NotEmpty(t, modules)
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	i := strings.Index(string(readme), "\nLicences: ")
	require.GreaterOrEqual(t, i, 0, "README.md has a line starting with \"Licences: \"")
	line, _, _ := strings.Cut(string(readme[i+1:]), "\n")
	for _, m := range modules {
		assert.Contains(t, line, m, "README.md's licence line names %s", m)
	}
}
