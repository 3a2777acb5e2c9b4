package cognito_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every Go snippet of the README and of the package doc is compiled: each
// stands, line for line, in a test file (an Example, usually) or in an
// example program, which go vet and go test build. A snippet edited in one
// place and not the other fails here.
func TestDocSnippetsCompile(t *testing.T) {
	var sources []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "benchmarks" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, "_test.go") || (strings.HasPrefix(path, "examples"+string(filepath.Separator)) && strings.HasSuffix(path, ".go")) {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sources = append(sources, "\n"+normalize(string(b)))
		}
		return nil
	})
	require.NoError(t, err)

	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	snippets := map[string]string{}
	for i, m := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		snippets["README.md go block "+strconv.Itoa(i+1)] = m[1]
	}
	doc, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	for i, block := range docCodeBlocks(string(doc)) {
		snippets["doc.go code block "+strconv.Itoa(i+1)] = block
	}
	require.NotEmpty(t, snippets)
	for name, snippet := range snippets {
		want := "\n" + normalize(snippet)
		found := false
		for _, src := range sources {
			if strings.Contains(src, want) {
				found = true
				break
			}
		}
		assert.True(t, found, "%s is not in any test file or example program:\n%s", name, snippet)
	}
}

// docCodeBlocks returns the code blocks of a Go doc comment: runs of lines
// indented with a tab after "//".
func docCodeBlocks(src string) []string {
	var blocks []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			blocks = append(blocks, strings.Join(cur, "\n"))
			cur = nil
		}
	}
	for _, line := range strings.Split(src, "\n") {
		if rest, ok := strings.CutPrefix(line, "//\t"); ok {
			cur = append(cur, rest)
			continue
		}
		flush()
	}
	flush()
	return blocks
}

// normalize drops indentation, blank lines and runs of spaces, so that a
// snippet matches the body of the function that holds it.
func normalize(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		// Spacing inside a line does not count either (gofmt aligns
		// comments one way, the README another).
		if fields := strings.Fields(line); len(fields) > 0 {
			out = append(out, strings.Join(fields, " "))
		}
	}
	return strings.Join(out, "\n") + "\n"
}
