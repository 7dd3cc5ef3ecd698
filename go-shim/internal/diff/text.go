package diff

import (
	"math"
	"strings"
)

// The text of one change, printed as helm-diff's default "diff" output
// prints it (diff/diff.go, printDiffRecords): every line of the two YAML
// documents prefixed with "- ", "+ " or "  ", lines farther than `context`
// from a change replaced by one "..." line, all lines when context < 0.

type lineOp byte

const (
	lineCommon lineOp = ' '
	lineDelete lineOp = '-'
	lineInsert lineOp = '+'
)

type lineEdit struct {
	op   lineOp
	text string
}

// maxEditDistance bounds the Myers search (its memory grows with the square
// of the distance); beyond it the differing middle is shown as all removed
// then all added, which is still a correct diff.
const maxEditDistance = 1500

// splitLines splits a document into lines; a final newline does not make
// an empty last line.
func splitLines(doc string) []string {
	if doc == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(doc, "\n"), "\n")
}

// diffLines is a shortest line edit script from a to b. In each run of
// changed lines the removals come before the additions, as helm-diff
// prints them.
func diffLines(a, b []string) []lineEdit {
	prefix := 0
	for prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < len(a)-prefix && suffix < len(b)-prefix && a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	edits := make([]lineEdit, 0, len(a)+len(b))
	for _, line := range a[:prefix] {
		edits = append(edits, lineEdit{lineCommon, line})
	}
	edits = append(edits, myers(a[prefix:len(a)-suffix], b[prefix:len(b)-suffix])...)
	for _, line := range a[len(a)-suffix:] {
		edits = append(edits, lineEdit{lineCommon, line})
	}
	return groupChanges(edits)
}

// myers is Myers' O((N+M)D) diff, keeping the frontier of every step for
// the backtrack.
func myers(a, b []string) []lineEdit {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return replaceAll(a, b)
	}
	limit := min(n+m, maxEditDistance)
	offset := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int // trace[d][k+d] = furthest x on diagonal k after step d
	found := -1
	for d := 0; d <= limit && found < 0; d++ {
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[offset+k-1] < v[offset+k+1]) {
				x = v[offset+k+1]
			} else {
				x = v[offset+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[offset+k] = x
			if x >= n && y >= m {
				found = d
			}
		}
		trace = append(trace, append([]int(nil), v[offset-d:offset+d+1]...))
	}
	if found < 0 {
		return replaceAll(a, b)
	}

	var rev []lineEdit
	x, y := n, m
	for d := found; d > 0; d-- {
		prev := trace[d-1] // index k+(d-1)
		at := func(k int) int { return prev[k+d-1] }
		k := x - y
		var prevK int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			rev = append(rev, lineEdit{lineCommon, a[x-1]})
			x--
			y--
		}
		if x == prevX {
			rev = append(rev, lineEdit{lineInsert, b[prevY]})
		} else {
			rev = append(rev, lineEdit{lineDelete, a[prevX]})
		}
		x, y = prevX, prevY
	}
	for x > 0 && y > 0 {
		rev = append(rev, lineEdit{lineCommon, a[x-1]})
		x--
		y--
	}
	out := make([]lineEdit, len(rev))
	for i, e := range rev {
		out[len(rev)-1-i] = e
	}
	return out
}

func replaceAll(a, b []string) []lineEdit {
	out := make([]lineEdit, 0, len(a)+len(b))
	for _, line := range a {
		out = append(out, lineEdit{lineDelete, line})
	}
	for _, line := range b {
		out = append(out, lineEdit{lineInsert, line})
	}
	return out
}

// groupChanges puts, in every run of changed lines, the removals first.
func groupChanges(edits []lineEdit) []lineEdit {
	out := make([]lineEdit, 0, len(edits))
	for i := 0; i < len(edits); {
		if edits[i].op == lineCommon {
			out = append(out, edits[i])
			i++
			continue
		}
		j := i
		for j < len(edits) && edits[j].op != lineCommon {
			j++
		}
		for _, e := range edits[i:j] {
			if e.op == lineDelete {
				out = append(out, e)
			}
		}
		for _, e := range edits[i:j] {
			if e.op == lineInsert {
				out = append(out, e)
			}
		}
		i = j
	}
	return out
}

// formatEdits prints an edit script as helm-diff does, with context lines
// of context around changes (all lines when context < 0).
func formatEdits(edits []lineEdit, context int, out *strings.Builder) {
	if context < 0 {
		for _, e := range edits {
			formatEdit(e, out)
		}
		return
	}
	distances := changeDistances(edits)
	omitting := false
	for i, e := range edits {
		if distances[i] > context {
			if !omitting {
				out.WriteString("...\n")
				omitting = true
			}
			continue
		}
		omitting = false
		formatEdit(e, out)
	}
}

func formatEdit(e lineEdit, out *strings.Builder) {
	switch e.op {
	case lineInsert:
		out.WriteString("+ ")
	case lineDelete:
		out.WriteString("- ")
	default:
		if e.text == "" {
			out.WriteString("\n")
			return
		}
		out.WriteString("  ")
	}
	out.WriteString(e.text)
	out.WriteString("\n")
}

// changeDistances is, for every line, how far the closest changed line is.
func changeDistances(edits []lineEdit) []int {
	distances := make([]int, len(edits))
	change := -1
	for i, e := range edits {
		if e.op != lineCommon {
			change = i
		}
		distances[i] = math.MaxInt32
		if change != -1 {
			distances[i] = i - change
		}
	}
	change = -1
	for i := len(edits) - 1; i >= 0; i-- {
		if edits[i].op != lineCommon {
			change = i
		}
		if change != -1 && change-i < distances[i] {
			distances[i] = change - i
		}
	}
	return distances
}

// changeText is one change as helm-diff prints it: the header line, then
// the diff of before and after (either may be empty, for an object created
// or deleted). helm-diff's diff of an added object also prints a "- " line
// for the empty old document; that artefact is left out.
func changeText(header, before, after string, context int) string {
	var out strings.Builder
	out.WriteString(header)
	out.WriteString("\n")
	formatEdits(diffLines(splitLines(before), splitLines(after)), context, &out)
	return out.String()
}

// stripTrailingCR removes the carriage returns that end lines, as they
// appear in the YAML of strings written with CRLF line ends ("\r\n"
// escaped in double-quoted scalars, a bare "\r" before a newline in block
// ones).
func stripTrailingCR(doc string) string {
	doc = strings.ReplaceAll(doc, "\\r\\n", "\\n")
	return strings.ReplaceAll(doc, "\r\n", "\n")
}
