// Package webhooks delivers domain events (internal/events) to the HTTP
// endpoints staff subscribe, following the Standard Webhooks
// specification (https://www.standardwebhooks.com):
//
//   - each request is a POST of a JSON body {"type", "timestamp", "data"}
//     with the headers webhook-id (the event's id: the same on every
//     redelivery, so receivers deduplicate), webhook-timestamp (Unix
//     seconds) and webhook-signature ("v1,<base64 HMAC-SHA256>" of
//     "<id>.<timestamp>.<body>" with the subscription's secret);
//   - deliveries are at least once: a delivery that fails (a network
//     error, a timeout per attempt, a status outside 2xx) is retried with
//     exponential backoff and full jitter, until MaxAttempts, after which
//     it is dead (kept, with its last error, for a manual resend);
//   - deliveries of one subject (a block) are in order: a later event of a
//     subject waits while an earlier one is being retried;
//   - targets on loopback, private, link-local or unspecified addresses
//     are refused (checked on the resolved address at connect time, so a
//     DNS name cannot point around it) unless the operator allows them.
//
// The delivery state lives behind the Queue interface, so a durable store
// (the outbox) keeps it across restarts; MemoryQueue serves tests and
// single-process use. Sign and Verify are the signature of the
// specification, for chatflow and for receivers written in Go.
package webhooks
