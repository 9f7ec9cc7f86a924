package catalog

import "strings"

// TestRunner is a call that runs a test suite: a program (by its row's
// canonical name, so python3 is python and gradlew is gradle) and the
// words its arguments start with ("test" for go test). Run records count
// such calls as test runs and take their outcome from the tool's result.
type TestRunner struct {
	Program string
	// Words are the leading arguments, space-separated; empty for a
	// program that only runs tests (pytest, jest).
	Words string
}

// testRunners is what Warden knows of test runners. A launcher that runs
// another program (npx jest, python -m pytest, bundle exec rspec, uv run
// pytest) needs no row: RunsTests follows the row's Exec operand.
var testRunners = []TestRunner{
	{Program: "go", Words: "test"},
	{Program: "cargo", Words: "test"}, {Program: "cargo", Words: "t"}, {Program: "cargo", Words: "nextest"},
	{Program: "pytest"}, {Program: "py.test"}, {Program: "tox"}, {Program: "nox"},
	{Program: "python", Words: "-m pytest"}, {Program: "python", Words: "-m unittest"},
	{Program: "jest"}, {Program: "vitest"}, {Program: "mocha"}, {Program: "ava"}, {Program: "karma"},
	{Program: "playwright", Words: "test"}, {Program: "cypress", Words: "run"},
	{Program: "npm", Words: "test"}, {Program: "npm", Words: "t"}, {Program: "npm", Words: "run test"},
	{Program: "npm", Words: "run-script test"},
	{Program: "yarn", Words: "test"}, {Program: "yarn", Words: "run test"},
	{Program: "pnpm", Words: "test"}, {Program: "pnpm", Words: "t"}, {Program: "pnpm", Words: "run test"},
	{Program: "bun", Words: "test"}, {Program: "bun", Words: "run test"}, {Program: "deno", Words: "test"},
	{Program: "mvn", Words: "test"}, {Program: "mvn", Words: "verify"},
	{Program: "gradle", Words: "test"}, {Program: "gradle", Words: "check"},
	{Program: "make", Words: "test"}, {Program: "make", Words: "check"}, {Program: "ctest"},
	{Program: "bazel", Words: "test"}, {Program: "dotnet", Words: "test"},
	{Program: "rspec"}, {Program: "rake", Words: "test"}, {Program: "rake", Words: "spec"},
	{Program: "phpunit"}, {Program: "mix", Words: "test"}, {Program: "swift", Words: "test"},
	{Program: "sbt", Words: "test"}, {Program: "just", Words: "test"}, {Program: "task", Words: "test"},
}

// TestRunners returns the test runner table, for documentation.
func TestRunners() []TestRunner { return append([]TestRunner(nil), testRunners...) }

// maxExecDepth bounds the launchers RunsTests follows (npx npx npx ...).
const maxExecDepth = 4

// RunsTests reports whether program called with argv runs a test suite:
// it, or the program a launcher row of c runs with the rest of argv (its
// Exec operand), matches a TestRunner. The program is matched by its base
// name and by its row's canonical name (python3 is python).
func RunsTests(c *Catalog, program string, argv []string) bool {
	for depth := 0; depth < maxExecDepth; depth++ {
		name := program
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		p := c.Lookup(name)
		canonical := name
		if p != nil {
			canonical = p.Name()
		}
		for _, r := range testRunners {
			if (r.Program == name || r.Program == canonical) && leads(argv, r.Words) {
				return true
			}
		}
		if p == nil {
			return false
		}
		call := Parse(p, program, argv)
		if call.Exec < 0 || call.Exec >= len(argv) {
			return false
		}
		program, argv = argv[call.Exec], argv[call.Exec+1:]
	}
	return false
}

// leads reports whether argv starts with the space-separated words.
func leads(argv []string, words string) bool {
	i := 0
	for w := range strings.FieldsSeq(words) {
		if i >= len(argv) || argv[i] != w {
			return false
		}
		i++
	}
	return true
}
