package web_test

import (
	"testing"
)

// TestAdminEveryTabAndDialogAccessible: an admin visits every tab of the
// portal and opens its forms and dialogs — the block details with the
// renew and edit forms and the unblock confirmation, the ban form's
// confirmation, the user lookup, the conversations, webhooks and
// moderation — and each state has every control named and no serious or
// critical axe-core violation (checkLabels).
func TestAdminEveryTabAndDialogAccessible(t *testing.T) {
	e := newUI(t)
	e.admUserBlock(e.tokens["supervisor"], "u-7", "1w", "fraud", "card testing")
	e.admConversationBlock("spam run")
	ctx := e.desktop()
	e.admSignIn(ctx, "admin")
	e.admWaitRows(ctx, 2, "true")
	e.checkLabels(ctx, "the active blocks")

	e.click(ctx, "#blocks-table tbody tr a")
	e.waitVisible(ctx, "#block-details")
	e.checkLabels(ctx, "a block's details")
	e.click(ctx, "#act-renew")
	e.waitVisible(ctx, "#act-form")
	e.checkLabels(ctx, "the renew form")
	e.click(ctx, "#act-edit")
	e.waitVisible(ctx, "#edit-notes")
	e.checkLabels(ctx, "the edit form")
	e.click(ctx, "#act-unblock")
	e.waitVisible(ctx, "dialog.confirm[open]")
	e.checkLabels(ctx, "the unblock confirmation")
	e.confirm(ctx, false, "")

	e.click(ctx, "#tab-history")
	e.waitVisible(ctx, "#results-count")
	e.checkLabels(ctx, "the history")

	e.click(ctx, "#tab-bans")
	e.waitVisible(ctx, "#ban-form")
	e.checkLabels(ctx, "the ban form")
	e.fill(ctx, "#ban-address", "198.51.100.23")
	e.fill(ctx, "#ban-period", "1d")
	e.fill(ctx, "#ban-category", "spam")
	e.click(ctx, "#ban-submit")
	e.waitVisible(ctx, "dialog.confirm[open]")
	e.checkLabels(ctx, "the ban confirmation")
	e.confirm(ctx, false, "")

	e.click(ctx, "#tab-user")
	e.waitVisible(ctx, "#user-lookup")
	e.checkLabels(ctx, "the user lookup")
	e.fill(ctx, "#user-id", "u-7")
	e.click(ctx, "#user-find")
	e.waitText(ctx, "#view", "u-7")
	e.checkLabels(ctx, "a user's blacklist")

	e.click(ctx, "#tab-conversations")
	e.waitVisible(ctx, "#conv-results")
	e.checkLabels(ctx, "the conversations")

	e.click(ctx, "#tab-webhooks")
	e.waitVisible(ctx, "#webhook-create")
	e.checkLabels(ctx, "the webhooks")

	e.click(ctx, "#tab-moderation")
	e.waitVisible(ctx, "#mod-rules")
	e.checkLabels(ctx, "the moderation tab")
}
