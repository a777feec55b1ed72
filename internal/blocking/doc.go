// Package blocking is the blocking domain service: it creates, renews,
// edits and lifts blocks, answers "is this subject blocked?" on the hot
// path, keeps the history and the audit log, and purges personal data
// after retention. The internal actions use it now (through the narrow
// interfaces of actions/helpdesk, adapted in internal/app) and the admin
// HTTP API will use it later; neither talks to the store about blocks
// directly.
//
// # What lives where
//
// A block is a contextstore.Block, keyed by one of four kinds:
//
//   - KindUser — an authenticated user: the Live Chat Blacklist of the
//     specification. Check finds it by a store query (UserID, active,
//     channel).
//   - KindConversation — an anonymous user, within one conversation. The
//     block that counts for the live chat lives in the conversation
//     context, ConversationInfo.LiveChatBlockedUntil, because the
//     specification puts it there: the flow's action writes it in the same
//     turn, ConnectToHelpdeskAgent reads it from the context the turn
//     already holds (no extra store read), and a flow unblocks the user by
//     setting the field to null or GetDate(), which a separate record could
//     not see. The KindConversation record that RecordConversationBlock
//     writes is the history and admin view of it. The two are kept in
//     line: Lift, Renew, Edit and Create of such a record rewrite the
//     context (compare-and-swap, retried); a flow's own unblock is recorded
//     with RecordConversationUnblock, which must not write the context the
//     turn is about to save.
//   - KindIP and KindRange — IP bans (IPv4, IPv6; CIDR or start–end),
//     with Allow entries that carve holes. They are held in memory as one
//     ipban.Table (a prefix table: the most specific entry wins, never-block
//     networks are never banned). Exact IP bans go into the same table as
//     ranges, decrypted when the table is built, rather than being looked
//     up by hash in the store on each Check: Check then makes no store
//     round trip for addresses, and the most-specific rule covers single
//     addresses too (a single-address allow inside a banned range works; a
//     single-address ban inside an allowed hole bans). The keyed hash
//     serves the admin side: Search, and refusing duplicate bans.
//
// The user's ChatActivityData mirrors the Live Chat Blacklist for flows
// only if a flow asked for it (SaveToChatActivityData): BlockUserForLiveChat
// writes it then, and never creates it otherwise. Once it carries block
// fields, every admin change to that user's blocks (Create, Renew, Edit,
// Lift, UnblockUser) re-derives them from the user's active live-chat
// blocks: the one ending last is mirrored; none clears all four fields. An
// entity field cannot say "permanent" (nil means "not blocked"), so a
// permanent block is mirrored as PermanentUntil().
//
// # Check
//
// Check asks, in order: the user's active user blocks, the conversation's
// active records, then the IP table. The table is rebuilt after a ban
// change made through this Service (immediately, on the next Check) and
// when the store's BansVersion moved because another instance changed a
// ban; the version is asked at most every Options.RefreshInterval (0: on
// every Check). A rebuild whose entries are unchanged (only hit counts or
// a reason changed) keeps the current table. Lookups in the table take no
// lock and do not allocate; the only shared writes are atomic hit counters,
// flushed to the stored bans (HitCount, LastHitAt) by FlushHits / Run, each
// instance adding its own counts with compare-and-swap. Hits are counted
// for IP and range entries only: counting user blocks would put a store
// write on the hot path.
//
// # Periods
//
// Presets are 1 hour, 1 day, 1 week, 7 days and 1 month, plus custom
// minutes and permanent (ParsePeriod, Presets). A month is 30 days: a
// Period is a number of minutes, which means the same on every day of the
// year and gives the exact end the admin sees; a calendar end date is set
// with Edit.Until. A period is written in the duration grammar of the
// configuration (internal/duration): "90m" is 90 minutes, months are
// "mo"; a bare number is minutes.
//
// # Validation
//
// Create reports every problem at once in a *ValidationError (each with the
// field name the admin API uses) and stores nothing. It refuses a ban that
// touches a never-block network, whether the ban lies inside it (it would
// never take effect) or covers it (part of it would silently stay
// unbanned), naming the network; allow entries may go anywhere. A single
// address given as a range is refused (it must be an IP ban, so that it is
// encrypted), as is a second active entry for the same subject and
// channels. The flow path (BlockUserForLiveChat, RecordConversationBlock)
// is lenient about the reason category, which comes from agent feedback:
// an unknown one is stored as "other" rather than failing the block.
//
// # Lifecycle and history
//
// Renew sets a new end from now (re-activating an expired block; a lifted
// one is refused: someone unblocked it on purpose). Edit changes reason,
// notes, channels or the end. Lift ends an active block now, with who and
// why; UnblockUser lifts all of a user's blocks and clears the
// ChatActivityData fields. Nothing is deleted: expired and lifted blocks
// stay queryable (History, List with StatusEnded, Search) and expiry is
// decided on read.
//
// # Audit
//
// Every change appends a contextstore.AuditEvent (block.create,
// block.renew, block.edit, block.lift, block.purge) with the actor, the
// time, the block id and non-personal details (kind, category, channels,
// until, changed fields; the range for range bans). Audit events carry no
// user id, conversation id, IP, reason or notes: the audit log is
// append-only, so anything personal in it would outlive the retention
// period. Those live in the block record, reached by BlockID, and are
// purged with it. Renewal notes are appended to the block's notes, dated
// and signed, for the same reason.
//
// # Privacy
//
// A KindIP block stores the address only encrypted (IPCipher, AES-GCM via
// privacy.Sealer) with a keyed hash (IPHash, HMAC) for exact lookup; the
// plaintext address exists only in memory (the ban table, View.IP). Purge
// (run by Run) removes the personal data of every block that ended at
// least Retention (default 7 days) ago: UserID, ConversationID, IPHash,
// IPCipher, Reason, Notes and LiftNotes are cleared and Purged is set;
// ID, Kind, Range, Allow, Channels, ReasonCategory, CreatedAt, CreatedBy,
// Until, LiftedAt, LiftedBy, UpdatedAt, HitCount and LastHitAt are kept for
// statistics. Actors are staff, not the blocked person, and are kept.
//
// Conversation contexts keep the visitor address the same way: SealVisitorIP
// (the executor's flows.VisitorIPSealer, installed by internal/app) gives
// ConversationInfo.VisitorIPCipher and VisitorIPHash, and VisitorIP opens
// it for whoever needs the address (SubjectOf, moderation, the agent's ip
// block). A context written before holds LegacyVisitorIP in clear, which
// VisitorIP reads until the executor has sealed it.
//
// # Errors
//
// Sentinels are in one var block (ErrInvalid, ErrNotActive, ErrLifted,
// ErrPurged, ErrIncomplete); store errors such as contextstore.ErrNotFound
// come wrapped. When a block was saved but a follow-up write failed (audit
// event, ChatActivityData, conversation context), the method returns the
// block and an error wrapping ErrIncomplete.
package blocking
