package server

import (
	"encoding/csv"
	"io"
)

// safeCSVWriter writes CSV like encoding/csv.Writer, but neutralizes every
// cell that a spreadsheet would evaluate as a formula (CSV injection): a
// cell beginning with '=', '+', '-', '@', a tab or a carriage return is
// written with a leading single quote, as the OWASP guidance on CSV
// injection recommends, so it opens as text. The exports carry values
// that visitors control (names, e-mail addresses, channels, block notes
// quoting them), so no cell is written live. The quote is visible in the
// cell and is the price of safety: a value such as "-5" reads "'-5".
// Quoting of separators, quotes and newlines is encoding/csv's.
//
// Build it with newCSVWriter; it is not safe for concurrent use.
type safeCSVWriter struct {
	w   *csv.Writer
	row []string // reused by Write
}

// newCSVWriter returns a safeCSVWriter writing to w. Every CSV export of
// the server writes through one.
func newCSVWriter(w io.Writer) *safeCSVWriter {
	return &safeCSVWriter{w: csv.NewWriter(w)}
}

// Write writes one record with its cells neutralized (see safeCSVWriter);
// record itself is not changed. Like csv.Writer.Write it buffers: call
// Flush.
func (c *safeCSVWriter) Write(record []string) error {
	c.row = c.row[:0]
	for _, cell := range record {
		c.row = append(c.row, neutralizeCell(cell))
	}
	return c.w.Write(c.row)
}

// Flush writes buffered records to the underlying writer; Error reports
// whether it failed.
func (c *safeCSVWriter) Flush() { c.w.Flush() }

// Error reports an error of a previous Write or Flush.
func (c *safeCSVWriter) Error() error { return c.w.Error() }

// neutralizeCell returns cell, prefixed with a single quote when its first
// character would make a spreadsheet read it as a formula.
func neutralizeCell(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}
