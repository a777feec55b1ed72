package privacy

import "errors"

// Sentinel errors of the package; check them with errors.Is. Messages never
// contain key material or plaintext.
var (
	// ErrKeySize: a key is not KeySize (32) bytes long.
	ErrKeySize = errors.New("encryption key must be 32 bytes")
	// ErrKeyEncoding: ParseKey's input is neither hex nor base64.
	ErrKeyEncoding = errors.New("encryption key is neither hex nor base64")
	// ErrMalformed: Open's input is too short or of an unknown format
	// version: it was not produced by Seal.
	ErrMalformed = errors.New("malformed sealed value")
	// ErrUnknownKey: Open's input was sealed with a key the Sealer does not
	// hold (neither the current nor an old one).
	ErrUnknownKey = errors.New("sealed with an unknown key")
	// ErrDecrypt: authentication failed: the value was tampered with, or
	// sealed with another key that happens to share its key id.
	ErrDecrypt = errors.New("decryption failed: value tampered with or wrong key")
)
