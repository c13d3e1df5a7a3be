// The reference for os_tooling/core/semver_range.py: blang/semver v4's ParseRange and Parse, the
// functions the releases repository's Go test reads requests.yaml with. Reads JSON lines
// {"range": R, "versions": [V...]} on stdin and answers {"error", "results", "panic"} per line.
// bench/blang_table.py uses it to write tests/data/blang-ranges.yaml (see that script for how to
// build it offline with Debian's golang-go and golang-github-blang-semver-dev).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/blang/semver/v4"
)

type query struct {
	Range    string   `json:"range"`
	Versions []string `json:"versions"`
}

type answer struct {
	Error   bool    `json:"error"`
	Results []*bool `json:"results"`
	Panic   bool    `json:"panic"`
}

func eval(r semver.Range, v semver.Version) (res *bool, panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	b := r(v)
	return &b, false
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		var q query
		if err := json.Unmarshal(in.Bytes(), &q); err != nil {
			panic(err)
		}
		a := answer{}
		r, err := semver.ParseRange(q.Range)
		if err != nil {
			a.Error = true
		} else {
			for _, vs := range q.Versions {
				v, err := semver.Parse(vs)
				if err != nil {
					a.Results = append(a.Results, nil)
					continue
				}
				res, p := eval(r, v)
				if p {
					a.Panic = true
				}
				a.Results = append(a.Results, res)
			}
		}
		b, _ := json.Marshal(a)
		fmt.Fprintln(out, string(b))
	}
}
