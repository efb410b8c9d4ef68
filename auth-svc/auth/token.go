package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"strings"
)

// The shape of a token, after GitHub's: a prefix that names the issuer, a
// random body and a checksum of both. Secret scanners (GitHub's push
// protection, gitleaks, trufflehog) match "mov_" + 38 base62 characters, and
// the checksum lets them, and us, tell a real token from a look-alike
// without asking the database.
const (
	// TokenPrefix starts every token issued now.
	TokenPrefix = "mov_"
	// tokenRandomLen base62 characters carry 190 bits of entropy.
	tokenRandomLen = 32
	// tokenChecksumLen base62 characters hold a CRC-32 (62^6 > 2^32).
	tokenChecksumLen = 6
	// TokenLength is the length of a token issued now.
	TokenLength = len(TokenPrefix) + tokenRandomLen + tokenChecksumLen
	// legacyTokenLength is the 40 lower-case hex characters of the tokens
	// issued before the prefix (DRF's shape). They are still accepted until
	// they expire like any other token (Options.TokenMaxAge counts from their
	// creation), so no one is logged out by the upgrade.
	legacyTokenLength = 40
	// tokenIDLength is the hex length of a token's public id.
	tokenIDLength = 16
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newToken returns a fresh random token: TokenPrefix, 32 random base62
// characters, and the base62 CRC-32 of the two.
func newToken() string {
	var b strings.Builder
	b.Grow(TokenLength)
	b.WriteString(TokenPrefix)
	var buf [64]byte
	for b.Len() < len(TokenPrefix)+tokenRandomLen {
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails on supported platforms
		for _, c := range buf {
			// 248 = 4*62: dropping the bytes above keeps every character
			// equally likely.
			if c < 248 && b.Len() < len(TokenPrefix)+tokenRandomLen {
				b.WriteByte(base62[c%62])
			}
		}
	}
	b.WriteString(tokenChecksum(b.String()))
	return b.String()
}

// tokenChecksum is the CRC-32 of s in tokenChecksumLen base62 characters.
func tokenChecksum(s string) string {
	n := crc32.ChecksumIEEE([]byte(s))
	var out [tokenChecksumLen]byte
	for i := tokenChecksumLen - 1; i >= 0; i-- {
		out[i] = base62[n%62]
		n /= 62
	}
	return string(out[:])
}

// HashToken is the only form of a token the store keeps. A fast hash is
// enough: the token has 160 bits of entropy or more, so there is nothing to
// guess.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenIDOfHash is the public id of the token whose HashToken is hash: the
// first 64 bits of the hash. It names a token in lists and revocations
// without revealing anything that helps to forge or find it, and needs no
// column of its own.
func TokenIDOfHash(hash string) string { return hash[:tokenIDLength] }

// validTokenID reports whether id can be a token id.
func validTokenID(id string) bool { return len(id) == tokenIDLength && isLowerHex(id) }

// wellFormedToken rejects what cannot be a token before any lookup: a token
// issued now with its checksum right, or a legacy hex token.
func wellFormedToken(t string) bool {
	switch len(t) {
	case legacyTokenLength:
		return isLowerHex(t)
	case TokenLength:
		body, sum := t[:TokenLength-tokenChecksumLen], t[TokenLength-tokenChecksumLen:]
		if !strings.HasPrefix(body, TokenPrefix) {
			return false
		}
		for i := len(TokenPrefix); i < len(body); i++ {
			if strings.IndexByte(base62, body[i]) < 0 {
				return false
			}
		}
		return tokenChecksum(body) == sum
	}
	return false
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
