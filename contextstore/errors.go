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
	// ErrUnavailable means the backend could not be reached, or could not
	// confirm a write (a timeout after sending it, a write the replicas did
	// not confirm); the operation did not take effect or its outcome is
	// unknown, and it may be retried (writes are versioned or keyed by
	// their cause, so a retry does not apply them twice).
	ErrUnavailable = errors.New("store unavailable")
)

// CauseTakenError is returned by BlockStore.CreateBlock when a block was
// already created for the same Block.Cause: ID names that block. It wraps
// ErrAlreadyExists.
type CauseTakenError struct {
	Cause string
	ID    string
}

// Error names the block that holds the cause.
func (e *CauseTakenError) Error() string {
	return "block " + e.ID + " was already created for this cause"
}

// Unwrap makes errors.Is(err, ErrAlreadyExists) true.
func (e *CauseTakenError) Unwrap() error { return ErrAlreadyExists }
