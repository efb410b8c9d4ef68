package auth

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"

	"github.com/moviesplatform/platform/apierr"
)

// Limits and messages of the user fields, as Django's user model has them
// where it has them.
const (
	MaxUsernameLength = 150
	MinPasswordLength = 8
	// MaxPasswordBytes is bcrypt's limit: it ignores everything past it, so
	// longer passwords are refused rather than silently truncated.
	MaxPasswordBytes = 72

	msgBlank           = "This field may not be blank."
	msgInvalidUsername = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."
	msgUsernameLong    = "Ensure this field has no more than 150 characters."
	msgPasswordShort   = "This password is too short. It must contain at least 8 characters."
	msgPasswordLong    = "Ensure this password has no more than 72 bytes."
)

// normalizeUsername is the username as stored and shown: NFKC, like Django.
func normalizeUsername(s string) string { return norm.NFKC.String(s) }

// usernameProblems lists what is wrong with a (normalized) username.
func usernameProblems(u string) []string {
	switch {
	case u == "":
		return []string{msgBlank}
	case utf8.RuneCountInString(u) > MaxUsernameLength:
		return []string{msgUsernameLong}
	}
	for _, r := range u {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '@' || r == '.' || r == '+' || r == '-') {
			return []string{msgInvalidUsername}
		}
	}
	return nil
}

// passwordProblems lists what makes p unfit as a new password.
func passwordProblems(p string) []string {
	switch {
	case p == "":
		return []string{msgBlank}
	case utf8.RuneCountInString(p) < MinPasswordLength:
		return []string{msgPasswordShort}
	case len(p) > MaxPasswordBytes:
		return []string{msgPasswordLong}
	}
	return nil
}

// validateNewUser checks the fields of a new user, all at once so the client
// sees every problem in one answer.
func validateNewUser(username, password *string) error {
	fields := map[string][]string{}
	if username == nil {
		fields["username"] = []string{apierr.MsgRequired}
	} else if p := usernameProblems(normalizeUsername(*username)); p != nil {
		fields["username"] = p
	}
	if password == nil {
		fields["password"] = []string{apierr.MsgRequired}
	} else if p := passwordProblems(*password); p != nil {
		fields["password"] = p
	}
	if len(fields) > 0 {
		return apierr.Validation(fields)
	}
	return nil
}

// hashPassword hashes p with bcrypt at cost.
func hashPassword(p string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(p), cost)
	return string(h), err
}

// passwordMatches compares in bcrypt's time whatever the answer.
func passwordMatches(hash, p string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(p)) == nil
}
