package contextstore

import "errors"

// Sentinel errors returned by every backend. Wrap them with %w; check them
// with errors.Is.
var (
	// ErrNotFound means the requested record does not exist (or has expired
	// from a backend that expires records, such as a conversation past its TTL).
	ErrNotFound = errors.New("not found")
	// ErrVersionConflict means an optimistic write lost the race: the stored
	// record's version is not the one the writer read. Reload and retry.
	ErrVersionConflict = errors.New("version conflict")
	// ErrAlreadyExists means a create found a record with the same key.
	ErrAlreadyExists = errors.New("already exists")
	// ErrUnavailable means the backend could not be reached; the operation
	// did not take effect and may be retried.
	ErrUnavailable = errors.New("store unavailable")
)
