// Package suggest finds the "did you mean" candidate for a misspelt name:
// lint uses it for step ids, keys and actions, and the expression compiler
// for entity fields and variables.
package suggest

import "strings"

// Closest returns the candidate nearest to name, compared
// case-insensitively, if its distance is at most maxDist; otherwise "". A
// candidate equal to name is skipped (it is not a suggestion). Ties go to
// the earlier candidate.
func Closest(name string, candidates []string, maxDist int) string {
	best, bestDist := "", maxDist+1
	lower := strings.ToLower(name)
	for _, c := range candidates {
		if c == name {
			continue
		}
		if d := Distance(lower, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// Distance is the optimal string alignment distance between a and b
// (Levenshtein plus adjacent transpositions, so "Nmae" is 1 from "Name"),
// in bytes.
func Distance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
