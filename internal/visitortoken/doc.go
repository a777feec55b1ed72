// Package visitortoken verifies the tokens with which a host site vouches
// for a logged-in visitor of its live chat.
//
// A token is a JWT (RFC 7519) that the host's backend signs and the host
// page hands to the widget. A Verifier checks it with
// github.com/golang-jwt/jwt/v5:
//
//   - algorithms: HS256 with the secret the host shares with chatflow, or
//     RS256 / ES256 with the host's public keys — given as PEM, or as a
//     JWKS URL that is fetched at start-up and again when a token names a
//     key id it does not know (at most once a minute);
//   - claims: sub is the user id (required); name and email are optional;
//     exp is required and may lie at most MaxLifetime after iat (and after
//     now), so a leaked token cannot live for a year; iat and nbf are
//     honoured; aud must contain the configured audience when one is set;
//     all times with a small leeway for clock skew.
//
// Only the holder of the secret or private key can make a token, so a
// visitor cannot claim another user's id.
//
// # The pre-JWT format (deprecated)
//
// Until this change tokens were base64url(JSON payload) "." base64url(HMAC-SHA256)
// — a format of our own that hosts had to re-implement. A Verifier with a
// secret and Legacy set still accepts it (two parts, where a JWT has
// three), for one deprecation period: the next minor release removes it.
// Each legacy token verified is reported through Options.OnLegacy so
// operators see which hosts still send it. SignLegacy makes one, for tests.
package visitortoken
