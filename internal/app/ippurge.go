package app

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/chatflow/chatflow/contextstore"
)

// ipPurgePage is how many conversations PurgeVisitorIPs reads at a time.
const ipPurgePage = 200

// PurgeVisitorIPs removes the sealed visitor address (ConversationInfo
// VisitorIPCipher and VisitorIPHash, or a clear address not yet migrated)
// from every conversation context last saved more than the retention
// (config retention, default 7 days) ago, ended or not, through the
// executor, and returns how many it changed. Contexts usually expire
// before that (conversation_ttl, default 7 days, on the embedded store and
// Redis); this covers a longer or disabled TTL and the memory store. A
// conversation resumed after the purge has no known address: IP bans no
// longer apply to it (user and conversation blocks still do).
func (a *App) PurgeVisitorIPs(ctx context.Context) (int, error) {
	cut := a.Clock().UTC().Add(-a.Blocking.Retention())
	n := 0
	f := contextstore.ConversationFilter{Limit: ipPurgePage}
	for {
		page, err := a.Store.ListConversations(ctx, f)
		if err != nil {
			return n, fmt.Errorf("listing conversations: %w", err)
		}
		for _, c := range page {
			if !c.Info.HasVisitorIP() || !c.UpdatedAt.Before(cut) {
				continue
			}
			done, err := a.Executor.ForgetVisitorIP(ctx, c.ID, cut)
			if err != nil {
				return n, err
			}
			if done {
				n++
			}
		}
		if len(page) < ipPurgePage {
			return n, nil
		}
		f.After = page[len(page)-1].ID
	}
}

// ipPurgeLoop runs PurgeVisitorIPs on its ticker.
func (a *App) ipPurgeLoop(ctx context.Context, log *zap.Logger, o BackgroundOptions) {
	o.every(ctx, LoopIPPurge, o.SweepInterval, func() {
		start := time.Now()
		n, err := a.PurgeVisitorIPs(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("purging visitor ips past retention failed", zap.Int("purged", n), zap.Error(err))
		case n > 0:
			log.Info("visitor ips past retention purged", zap.Int("conversations", n), zap.Duration("took", time.Since(start)))
		}
	})
}
