// Package bolt is the embedded durable contextstore.Store: one bbolt file
// under the data directory, the default of `chatflow serve` when no Redis
// address is configured. It passes the conformance suite in
// contextstore/storetest and follows the memory store's semantics
// (compare-and-swap on Version, orderings, sentinel errors).
//
// # Why bbolt
//
// bbolt is pure Go (no cgo), embedded (no server to run), and gives
// serializable ACID transactions with a single writer and parallel readers
// over a copy-on-write B+tree: a crash leaves the file at the last committed
// transaction, with nothing to replay or repair. chatflow's writes are small
// and per conversation, so one writer is not the bottleneck; the fsync per
// commit is.
//
// # Durability
//
// Every write method runs one read-write transaction, and bbolt fsyncs the
// data and then the meta page before Commit returns (NoSync stays false), so
// a write is durable once the method returns nil: it survives the process
// being killed (see TestDurabilityAcrossKill) and, as far as the disk honours
// fsync, a power cut. A method that returns an error has stored nothing.
// The file is locked while open; a second process fails to open it after
// Options.LockTimeout with an error wrapping contextstore.ErrUnavailable.
//
// # Layout
//
// Values are JSON of the contextstore types unless noted. Keys compare as
// bytes, which is Go's string order, so "ordered by id" is key order.
// prefixKey(s) below is s's length as a uvarint followed by s: it keeps
// composite keys unambiguous whatever bytes the parts hold.
//
//	conversations          id → Conversation (+ VarTimes, WrittenAt)
//	activity               user id → ChatActivityData
//	blocks                 block id → Block
//	blocks_by_user         prefixKey(UserID) + block id → empty
//	blocks_by_ip           prefixKey(IPHash) + block id → empty
//	blocks_by_conversation prefixKey(ConversationID) + block id → empty
//	blocks_by_kind         prefixKey(Kind) + block id → empty
//	block_causes           Block.Cause → block id (one block per cause)
//	outbox                 20-digit sequence → OutboxEvent (written with its block)
//	audit                  escaped event id + 0x00 0x01 + 20-digit sequence → AuditEvent
//	queues                 prefixKey(queue) + 20-digit sequence → QueueEntry
//	queue_members          prefixKey(queue) + conversation id → key in queues
//	meta                   "schema" → "1"; "bans_version" → decimal counter
//	accounts               account id → Account (created by the first account write)
//	accounts_by_token      TokenHash → account id (idem)
//
// Sequences come from bucket.NextSequence, which is stored with the bucket,
// so they never repeat across restarts. Empty index values (a block without
// a UserID) are not indexed.
//
// Conversation variables holding a time.Time (or *time.Time) are listed in
// the record's VarTimes so that they load as times, not as the strings JSON
// makes of them.
//
// # Queries
//
// ListBlocks walks one index (UserID, else IPHash, else ConversationID, else
// Kinds) and checks each candidate with BlockQuery.Match; a query with none
// of these fields scans all blocks. ListConversations and ListAudit seek to
// After and decode each later record until Limit matches.
//
// # Expiry
//
// With Options.ConversationTTL > 0, a conversation whose UpdatedAt (or, if
// that is zero, the time the store wrote it) plus the TTL is before the
// clock's now is expired: reads report ErrNotFound, lists skip it, and a
// create with Version 0 replaces it. Expiry is decided on read; Sweep
// deletes expired records to reclaim space and Run calls Sweep
// periodically.
package bolt
