package ipban

import (
	"errors"
	"fmt"
	"net/netip"
)

// Sentinel errors of the package. Check them with errors.Is; the errors
// returned carry the offending input and wrap one or more of these.
var (
	// ErrInvalidRange is wrapped by every error of ParseRange, AddrRange,
	// PrefixRange and Range.UnmarshalText, next to a more specific
	// sentinel below (or the underlying net/netip parse error).
	ErrInvalidRange = errors.New("invalid ip range")
	// ErrEmptyRange: the input is empty or blank, or a start–end range
	// misses one of its ends.
	ErrEmptyRange = errors.New("empty ip range")
	// ErrSyntax: the input is not an IP address, a CIDR prefix or a
	// start–end range.
	ErrSyntax = errors.New("syntax error")
	// ErrMixedFamily: a start–end range mixes IPv4 and IPv6.
	ErrMixedFamily = errors.New("start and end are of different ip families")
	// ErrReversedRange: a start–end range whose start is after its end.
	ErrReversedRange = errors.New("start is after end")
	// ErrHostBits: a CIDR prefix with bits set after the prefix length
	// ("10.0.0.1/24"); the error names the masked prefix that was probably
	// meant. Such input is refused rather than silently masked, because a
	// ban on a whole network must be what the admin typed.
	ErrHostBits = errors.New("host bits set in prefix")
	// ErrZone: an IPv6 address with a zone ("fe80::1%eth0"); zones are
	// local to one host and mean nothing in a ban.
	ErrZone = errors.New("ipv6 zones are not allowed")

	// ErrInvalidEntry is wrapped by NewTable's errors, next to
	// ErrEmptyID, ErrDuplicateID or ErrInvalidRange.
	ErrInvalidEntry = errors.New("invalid ban entry")
	// ErrEmptyID: an Entry without an ID.
	ErrEmptyID = errors.New("empty id")
	// ErrDuplicateID: two entries of one table share an ID.
	ErrDuplicateID = errors.New("duplicate id")

	// ErrNeverBlock is wrapped by *NeverBlockError, returned by
	// CheckNeverBlock when a range touches a never-block prefix.
	ErrNeverBlock = errors.New("range overlaps a never-block network")
)

// RangeError is the error of ParseRange and friends. It wraps
// ErrInvalidRange and Err, so both errors.Is(err, ErrInvalidRange) and, for
// instance, errors.Is(err, ErrReversedRange) hold.
type RangeError struct {
	// Input is the text that was parsed (or the formatted addresses or
	// prefix for AddrRange and PrefixRange).
	Input string
	// Detail says what is wrong, naming the offending part.
	Detail string
	// Err is the specific sentinel (ErrReversedRange, ...) or the error of
	// net/netip.
	Err error
}

// Error implements error: `invalid ip range "<input>": <detail>`.
func (e *RangeError) Error() string {
	return fmt.Sprintf("%v %q: %s", ErrInvalidRange, e.Input, e.Detail)
}

// Unwrap returns ErrInvalidRange and Err.
func (e *RangeError) Unwrap() []error { return []error{ErrInvalidRange, e.Err} }

// NeverBlockError is returned by CheckNeverBlock: Range touches the
// never-block network Prefix. It wraps ErrNeverBlock.
type NeverBlockError struct {
	// Range is the range that was checked.
	Range Range
	// Prefix is the first never-block prefix it touches.
	Prefix netip.Prefix
	// Contained reports that Range lies wholly inside Prefix: a ban on it
	// would never take effect, so an admin API should refuse it. When false
	// the ban only partly overlaps and still applies outside Prefix, so an
	// admin API should warn.
	Contained bool
}

// Error implements error.
func (e *NeverBlockError) Error() string {
	if e.Contained {
		return fmt.Sprintf("ip range %s lies inside never-block network %s: a ban on it has no effect", e.Range, e.Prefix)
	}
	return fmt.Sprintf("ip range %s overlaps never-block network %s: addresses in it stay unbanned", e.Range, e.Prefix)
}

// Unwrap returns ErrNeverBlock.
func (e *NeverBlockError) Unwrap() error { return ErrNeverBlock }
