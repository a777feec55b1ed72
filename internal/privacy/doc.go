// Package privacy keeps visitor IP addresses (and other personal values)
// encrypted at rest while still allowing exact lookups.
//
// A Sealer is built from a 32-byte master key (ParseKey reads it from
// configuration or the CHATFLOW_ENCRYPTION_KEY environment variable, as hex
// or base64). Three independent values are derived from the master key with
// HKDF-SHA256 (crypto/hkdf), each under its own label: an AES-256-GCM key for
// Seal/Open, an HMAC-SHA256 key for Hash, and a one-byte key id. The hash key
// is therefore not the encryption key, and a leaked hash key reveals nothing
// about encrypted values.
//
// Seal uses AES-256-GCM with a random 96-bit nonce (crypto/cipher's
// NewGCMWithRandomNonce). A sealed value is
//
//	0x01 | key id | nonce (12) | ciphertext | tag (16)
//
// with the first two bytes authenticated as additional data, so any change
// to any byte makes Open fail. The format byte leaves room for a later
// format.
//
// Hash is deterministic for one master key: the service stores Hash(ip)
// beside Seal(ip) and finds records of an address by its hash, never by
// decrypting. It is hex, because base64 breaks under case-insensitive
// database collations. Callers hash canonical text: HashIP and CanonicalIP
// unmap IPv4-mapped addresses and drop zones.
//
// Key rotation: New(current, old...) seals and hashes with the current key
// and opens values sealed with any of them (the key id byte picks the key;
// on an id collision each candidate is tried and GCM authentication decides).
// Stored hashes were computed with the key of their time, so during a
// rotation look up by every value of Hashes, and re-hash/re-seal records in
// the background (IsCurrent tells which are done); then drop the old key.
//
// Only the standard library is used. A Sealer has no mutable state and is
// safe for concurrent use.
package privacy
