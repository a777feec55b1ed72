package redisstore

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

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
// itself; this feed is the second path). The subscription reconnects by
// itself after errors. The returned stop function (safe to call more than
// once) ends it and closes the channel; cancelling ctx does the same.
func (s *Store) SubscribeSanctions(ctx context.Context) (<-chan string, func()) {
	ctx, cancel := context.WithCancel(ctx)
	ps := s.rdb.Subscribe(ctx, s.keys.sanctionsChannel())
	out := make(chan string, sanctionsBuffer)
	done := make(chan struct{})
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			_ = ps.Close()
		})
		<-done
	}
	stopOnCancel := context.AfterFunc(ctx, func() { once.Do(func() { _ = ps.Close() }) })
	go func() {
		defer close(done)
		defer close(out)
		defer stopOnCancel()
		log := s.log.With(zap.String("channel", s.keys.sanctionsChannel()))
		backoff := 50 * time.Millisecond
		for ctx.Err() == nil {
			msg, err := ps.ReceiveTimeout(ctx, pubsubIdle)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, redis.ErrClosed) {
					return
				}
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					_ = ps.Ping(ctx)
					continue
				}
				log.Warn("sanction subscription failed; retrying", zap.Error(err), zap.Duration("backoff", backoff))
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, 5*time.Second)
				continue
			}
			backoff = 50 * time.Millisecond
			m, ok := msg.(*redis.Message)
			if !ok {
				continue
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
		}
	}()
	return out, stop
}
