package events

// Types returns every event type, in a stable order (what a webhook
// subscription may ask for).
func Types() []string {
	return []string{BlockCreated, BlockRenewed, BlockEdited, BlockLifted, BlockExpired,
		BanCreated, BanLifted, BanExpired, ConversationBlocked}
}
