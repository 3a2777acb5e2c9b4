// Command benchtable reads `go test -bench` output on stdin and prints a
// Markdown table of the median ns/op and allocs/op of each benchmark, with
// its ratio to the floor, fastest first.
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^BenchmarkVerify/(\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+[\d.]+ B/op\s+([\d.]+) allocs/op)?`)

func median(xs []float64) float64 {
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func main() {
	ns, allocs := map[string][]float64{}, map[string][]float64{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[3], 64)
		ns[m[1]] = append(ns[m[1]], v)
		if m[4] != "" {
			a, _ := strconv.ParseFloat(m[4], 64)
			allocs[m[1]] = append(allocs[m[1]], a)
		}
	}
	floor := ns["floor"]
	if len(floor) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no BenchmarkVerify/floor in the input")
		os.Exit(1)
	}
	f := median(floor)
	var names []string
	for name := range ns {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return median(ns[names[i]]) < median(ns[names[j]]) })
	fmt.Println("| verifier | ratio to the floor | ns/op | allocs/op |")
	fmt.Println("|---|---:|---:|---:|")
	for _, name := range names {
		m := median(ns[name])
		fmt.Printf("| %s | %.2f | %s | %.0f |\n", strings.ReplaceAll(name, "|", "/"), m/f, group(m), median(allocs[name]))
	}
}

// group formats n with thousands separators.
func group(n float64) string {
	s := strconv.FormatFloat(n, 'f', 0, 64)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
