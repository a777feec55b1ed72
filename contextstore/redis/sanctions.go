package redisstore

import (
	"context"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// sanctionsBuffer is how many block ids SubscribeSanctions holds for a
// slow reader before it drops the oldest.
const sanctionsBuffer = 256

// SubscribeSanctions listens for block changes made by any instance
// sharing this Redis and key prefix: every create or update of a block
// publishes its id on the channel "<prefix>sanctions" in the same atomic
// script that writes it. The sanctions pipeline of each instance applies
// what it receives to the conversations the block covers (idempotently),
// so a sanction reaches every chat even when the instance that made it
// stops right after.
//
// Pub/sub is fire-and-forget: ids published while the subscriber is
// disconnected are lost (the instance that made the block applied it
// itself; this feed is the second path). The subscription reconnects and
// follows failovers like SubscribeBans. The returned stop function (safe
// to call more than once) ends it and closes the channel; cancelling ctx
// does the same.
func (s *Store) SubscribeSanctions(ctx context.Context) (<-chan string, func()) {
	out := make(chan string, sanctionsBuffer)
	log := s.log.With(zap.String("channel", s.keys.sanctionsChannel()))
	stop := s.listen(ctx, s.keys.sanctionsChannel(), "sanction", func() { close(out) }, func(_ context.Context, msg any) {
		m, ok := msg.(*redis.Message)
		if !ok {
			return
		}
		select {
		case out <- m.Payload:
		default:
			// A slow reader: drop the oldest id, keep the newest.
			select {
			case old := <-out:
				log.Warn("sanction feed full; an older block id was dropped", zap.String("block", old))
			default:
			}
			out <- m.Payload
		}
	})
	return out, stop
}
