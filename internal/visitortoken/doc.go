// Package visitortoken signs and verifies the user tokens with which a host
// site vouches for a logged-in visitor of its live chat.
//
// A token is base64url(payload) "." base64url(mac), both without padding,
// where payload is the JSON object {"sub": user id, "name", "email", "exp":
// unix seconds} and mac is HMAC-SHA256, keyed with the secret the host
// shares with chatflow, over the first part exactly as sent (the base64url
// text, not the decoded JSON). Only the holder of the secret can make a
// token, so a visitor cannot claim another user's id. Verify compares MACs
// in constant time and refuses expired tokens.
//
// A host in another language signs like this (Python):
//
//	p = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
//	m = hmac.new(secret, p, hashlib.sha256).digest()
//	token = p + b"." + base64.urlsafe_b64encode(m).rstrip(b"=")
package visitortoken
