package memory

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/chatflow/chatflow/contextstore"
)

// Records are copied on the way in (PutConversation, CreateBlock, ...) and
// on the way out (GetConversation, ListBlocks, ...). Stored records are
// immutable: a write replaces the record, never changes it, so a reader may
// copy one after releasing the lock, and a new record may share the parts
// that did not change with the record it replaces (see storableConversation).
//
// A copy handed to a caller costs one allocation for the record and the
// values its pointers point at, two per map (Go's map header and its group),
// and one per non-empty slice; the Replies of all ProcessedEvents share one
// backing array. Transcript and Processed get spare capacity, so that the
// turn that appends to them does not reallocate.

// spare is the extra capacity of the Transcript and Processed of a copy
// handed to a caller: a turn appends a message or two and one event.
const spare = 4

// Processed events and their replies up to these counts live in the
// record's own allocation (convBox) instead of two more.
const (
	inlineEvents  = 32
	inlineReplies = 32
)

// convBox is the one allocation of a conversation copy: the Conversation,
// the values its pointer fields point at and, when they fit, its Processed
// events and their Replies. A box is private to its copy; no other record
// points into it.
type convBox struct {
	c       contextstore.Conversation
	until   time.Time
	cursor  contextstore.Cursor
	events  [inlineEvents]contextstore.ProcessedEvent
	replies [inlineReplies]string
}

// cloneConversation returns a deep copy of a stored conversation (whose Vars
// hold only values of the model, see normalizeValue) for a caller.
func cloneConversation(c *contextstore.Conversation) *contextstore.Conversation {
	box := newBox(c)
	cp := &box.c
	cp.Vars = cloneVars(c.Vars)
	if c.Pins != nil {
		cp.Pins = maps.Clone(c.Pins)
	}
	cp.Transcript = cloneSpare(c.Transcript)
	cp.Processed = box.cloneProcessed(c.Processed, spare)
	cp.Sanctions = slices.Clone(c.Sanctions)
	return cp
}

// storableConversation returns the record to store for c: a deep copy with
// Vars normalized and the monotonic clock readings of its times dropped, as
// a JSON backend stores it. Parts of c equal to those of prev (the stored
// record it replaces, or nil) are shared with prev instead of copied.
func storableConversation(c, prev *contextstore.Conversation) (*contextstore.Conversation, error) {
	if prev == nil {
		prev = &contextstore.Conversation{}
	}
	vars, err := storableVars(c.Vars, prev.Vars)
	if err != nil {
		return nil, err
	}
	box := newBox(c)
	cp := &box.c
	cp.Vars = vars
	cp.Info.StartedAt = cp.Info.StartedAt.Round(0)
	roundTime(cp.Info.LiveChatBlockedUntil)
	cp.CreatedAt = cp.CreatedAt.Round(0)
	cp.UpdatedAt = cp.UpdatedAt.Round(0)

	switch {
	case c.Pins == nil:
	case maps.Equal(c.Pins, prev.Pins) && prev.Pins != nil:
		cp.Pins = prev.Pins
	default:
		cp.Pins = maps.Clone(c.Pins)
	}
	if sameNil(c.Transcript, prev.Transcript) && slices.EqualFunc(c.Transcript, prev.Transcript, sameMessage) {
		cp.Transcript = prev.Transcript
	} else {
		cp.Transcript = slices.Clone(c.Transcript)
		for i := range cp.Transcript {
			cp.Transcript[i].At = cp.Transcript[i].At.Round(0)
		}
	}
	// Processed is copied, never shared: an inline copy is free, and
	// sharing one would keep the whole box of the old record alive.
	cp.Processed = box.cloneProcessed(c.Processed, 0)
	for i := range cp.Processed {
		cp.Processed[i].At = cp.Processed[i].At.Round(0)
	}
	cp.Sanctions = slices.Clone(c.Sanctions)
	return cp, nil
}

// storableVars normalizes vars, sharing the values (and, when nothing
// changed, the map) of prev that are identical.
func storableVars(vars, prev map[string]any) (map[string]any, error) {
	if vars == nil {
		return nil, nil
	}
	if prev != nil && len(vars) == len(prev) {
		same := true
		for k, v := range vars {
			if p, ok := prev[k]; !ok || !sameValue(v, p) {
				same = false
				break
			}
		}
		if same {
			return prev, nil
		}
	}
	out := make(map[string]any, len(vars))
	for k, v := range vars {
		if p, ok := prev[k]; ok && sameValue(v, p) {
			out[k] = p
			continue
		}
		nv, err := normalizeValue(v)
		if err != nil {
			return nil, varError(k, err)
		}
		out[k] = nv
	}
	return out, nil
}

// sameValue reports whether the caller's Vars value v is identical to the
// stored value p: same types and same representation (times compare with ==,
// so a time in another Location or with a monotonic reading is not the
// same), so that storing p for v changes nothing. Values outside the model
// are never the same: they must be normalized.
func sameValue(v, p any) bool {
	switch x := v.(type) {
	case nil:
		return p == nil
	case string:
		y, ok := p.(string)
		return ok && x == y
	case bool:
		y, ok := p.(bool)
		return ok && x == y
	case float64:
		y, ok := p.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y) // -0 is not 0
	case time.Time:
		y, ok := p.(time.Time)
		return ok && x == y
	case *time.Time:
		y, ok := p.(*time.Time)
		return ok && x != nil && y != nil && *x == *y
	case map[string]any:
		y, ok := p.(map[string]any)
		if !ok || x == nil || y == nil || len(x) != len(y) {
			return false
		}
		for k, e := range x {
			if f, ok := y[k]; !ok || !sameValue(e, f) {
				return false
			}
		}
		return true
	case []any:
		y, ok := p.([]any)
		if !ok || x == nil || y == nil || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func sameMessage(a, b contextstore.Message) bool { return a == b }

// sameNil reports whether a and b are both nil or both not nil.
func sameNil[S ~[]E, E any](a, b S) bool { return (a == nil) == (b == nil) }

// newBox returns a box holding a shallow copy of c whose pointer fields
// point at copies.
func newBox(c *contextstore.Conversation) *convBox {
	box := &convBox{c: *c}
	if c.Info.LiveChatBlockedUntil != nil {
		box.until = *c.Info.LiveChatBlockedUntil
		box.c.Info.LiveChatBlockedUntil = &box.until
	}
	if c.Cursor != nil {
		box.cursor = *c.Cursor
		box.c.Cursor = &box.cursor
	}
	return box
}

// cloneSpare copies s with spare extra capacity; nil stays nil.
func cloneSpare[S ~[]E, E any](s S) S {
	if s == nil {
		return nil
	}
	out := make(S, len(s), len(s)+spare)
	copy(out, s)
	return out
}

// cloneProcessed copies events with extra capacity, and their Replies into
// one backing array, each sub-slice capped so that an append by the caller
// reallocates instead of overwriting its neighbour. Both live in the box
// when they fit.
func (box *convBox) cloneProcessed(events []contextstore.ProcessedEvent, extra int) []contextstore.ProcessedEvent {
	if events == nil {
		return nil
	}
	var out []contextstore.ProcessedEvent
	if len(events)+extra <= inlineEvents {
		out = box.events[: len(events) : len(events)+extra]
	} else {
		out = make([]contextstore.ProcessedEvent, len(events), len(events)+extra)
	}
	copy(out, events)
	n := 0
	for _, e := range events {
		n += len(e.Replies)
	}
	var backing []string
	if n <= inlineReplies {
		backing = box.replies[:n]
	} else {
		backing = make([]string, n)
	}
	off := 0
	for i, e := range events {
		if e.Replies == nil {
			continue
		}
		end := off + copy(backing[off:], e.Replies)
		out[i].Replies = backing[off:end:end]
		off = end
	}
	return out
}

// cloneVars deep-copies stored Vars.
func cloneVars(vars map[string]any) map[string]any {
	if vars == nil {
		return nil
	}
	out := make(map[string]any, len(vars))
	for k, v := range vars {
		out[k] = cloneValue(v)
	}
	return out
}

// cloneValue deep-copies a value of the Vars model: maps, slices and
// *time.Time are copied; the immutable values (string, float64, bool, nil,
// time.Time) are shared, which costs nothing.
func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneVars(x)
	case []any:
		if x == nil {
			return x
		}
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = cloneValue(e)
		}
		return s
	case *time.Time:
		if x == nil {
			return x
		}
		t := *x
		return &t
	}
	return v
}

// normalizeValue returns a deep copy of v in the Vars model: what a JSON
// backend returns for it. string, float64, bool, nil, time.Time, *time.Time,
// []any and map[string]any keep their type (times lose their monotonic
// reading); a nil *time.Time, []any or map[string]any becomes nil; every
// other number becomes a float64 (float32 through its shortest decimal form,
// as encoding/json writes it); anything else goes through a JSON round trip.
// A value JSON cannot encode is an error.
func normalizeValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool:
		return v, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, &pathError{err: fmt.Errorf("number %v cannot be stored (JSON has no NaN or infinity)", x)}
		}
		return v, nil
	case time.Time:
		if r := x.Round(0); r != x {
			return r, nil // drop the monotonic reading; boxes only then
		}
		return v, nil
	case *time.Time:
		if x == nil {
			return nil, nil
		}
		t := x.Round(0)
		return &t, nil
	case map[string]any:
		if x == nil {
			return nil, nil
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			ne, err := normalizeValue(e)
			if err != nil {
				return nil, within(err, "["+strconv.Quote(k)+"]")
			}
			m[k] = ne
		}
		return m, nil
	case []any:
		if x == nil {
			return nil, nil
		}
		s := make([]any, len(x))
		for i, e := range x {
			ne, err := normalizeValue(e)
			if err != nil {
				return nil, within(err, "["+strconv.Itoa(i)+"]")
			}
			s[i] = ne
		}
		return s, nil
	case int:
		return float64(x), nil
	case int8:
		return float64(x), nil
	case int16:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint:
		return float64(x), nil
	case uint8:
		return float64(x), nil
	case uint16:
		return float64(x), nil
	case uint32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, &pathError{err: fmt.Errorf("number %v cannot be stored (JSON has no NaN or infinity)", x)}
		}
		return strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, &pathError{err: fmt.Errorf("json.Number %q cannot be stored: %w", string(x), err)}
		}
		return f, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, &pathError{err: fmt.Errorf("a %T cannot be stored: %w", v, err)}
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, &pathError{err: fmt.Errorf("a %T cannot be stored: %w", v, err)}
	}
	return out, nil
}

// pathError is a Vars value that cannot be stored, with the path to it below
// the variable (`["key"][2]`), built while the recursion unwinds.
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

// within returns err with step (`["key"]` or "[i]") put in front of its path.
func within(err error, step string) error {
	if pe, ok := err.(*pathError); ok {
		return &pathError{path: step + pe.path, err: pe.err}
	}
	return err
}

// varError describes a value of the variable name that cannot be stored.
func varError(name string, err error) error {
	if pe, ok := err.(*pathError); ok {
		return fmt.Errorf("variable Vars[%q]%s: %w", name, pe.path, pe.err)
	}
	return fmt.Errorf("variable Vars[%q]: %w", name, err)
}

// roundTime drops the monotonic clock reading of *t, if t is set.
func roundTime(t *time.Time) {
	if t != nil {
		*t = t.Round(0)
	}
}
