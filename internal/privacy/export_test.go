package privacy

import (
	"crypto/hkdf"
	"crypto/sha256"
)

// derivedEncKey exposes the encryption sub-key derivation to tests.
func derivedEncKey(master []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, master, nil, infoEncrypt, 32)
}
