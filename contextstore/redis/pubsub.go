package redisstore

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// pubsubIdle is how long SubscribeBans waits for a message before it pings
// the connection, so that a silently dead connection is noticed.
const pubsubIdle = 30 * time.Second

// SubscribeBans listens for ban changes made by any instance sharing this
// Redis and key prefix. Every write of an IP or range block increments the
// bans version and publishes the new version on the channel
// "<prefix>bans" in the same atomic script; the returned channel delivers
// those versions so that an instance can reload its in-memory ban table
// promptly instead of polling BansVersion.
//
// Pub/sub is fire-and-forget: messages sent while the subscriber is
// disconnected are lost. To catch up, SubscribeBans also delivers the
// current BansVersion each time the subscription is (re)established,
// starting with the first. That read can race the notification of the
// same version: on a Redis Cluster a PUBLISH reaches the other nodes
// through the cluster bus after the script has returned, so a subscriber
// may read version n and then receive the message for n. A version equal
// to the one delivered last is therefore not delivered again: the channel
// never yields the same version twice in a row. Deliveries are coalesced:
// the channel holds only the latest version, so a slow reader skips
// versions but never misses the newest one; the reader should compare it
// with the version of the table it holds. Versions are not otherwise
// filtered (a version lower than the last one is delivered: the bans
// version key may have been lost). The subscription reconnects by itself
// after errors.
//
// The returned stop function (safe to call more than once) ends the
// subscription and closes the channel; cancelling ctx does the same.
func (s *Store) SubscribeBans(ctx context.Context) (<-chan int64, func()) {
	ctx, cancel := context.WithCancel(ctx)
	ps := s.rdb.Subscribe(ctx, s.keys.bansChannel())
	out := make(chan int64, 1)
	done := make(chan struct{})
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			_ = ps.Close() // unblocks a pending Receive
		})
		<-done
	}
	stopOnCancel := context.AfterFunc(ctx, func() { once.Do(func() { _ = ps.Close() }) })
	go func() {
		defer close(done)
		defer close(out)
		defer stopOnCancel()
		s.receiveBans(ctx, ps, out)
	}()
	return out, stop
}

// receiveBans is the loop behind SubscribeBans.
func (s *Store) receiveBans(ctx context.Context, ps *redis.PubSub, out chan int64) {
	log := s.log.With(zap.String("channel", s.keys.bansChannel()))
	backoff := 50 * time.Millisecond
	// last is the version most recently put in out; a repeat of it is
	// dropped (see SubscribeBans).
	var last int64
	delivered := false
	deliver := func(v int64) {
		if delivered && v == last {
			return
		}
		last, delivered = deliverLatest(out, v), true
	}
	for ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(ctx, pubsubIdle)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, redis.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Idle: check the connection; a failure shows up on the
				// next receive, which reconnects.
				_ = ps.Ping(ctx)
				continue
			}
			log.Warn("ban subscription failed; retrying", zap.Error(err), zap.Duration("backoff", backoff))
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Subscription:
			// (Re)subscribed: messages may have been missed meanwhile.
			v, err := s.BansVersion(ctx)
			if err != nil {
				log.Warn("reading the bans version after subscribing failed", zap.Error(err))
				continue
			}
			deliver(v)
		case *redis.Message:
			v, err := strconv.ParseInt(m.Payload, 10, 64)
			if err != nil {
				log.Warn("ignoring a malformed ban notification", zap.String("payload", m.Payload))
				continue
			}
			deliver(v)
		}
	}
}

// deliverLatest puts v in out (capacity 1), replacing an undelivered older
// value (the larger of the two is kept), and returns the value it put.
// Only the receiving goroutine sends, so it never blocks.
func deliverLatest(out chan int64, v int64) int64 {
	select {
	case out <- v:
		return v
	default:
	}
	select {
	case old := <-out:
		v = max(v, old)
	default:
	}
	out <- v
	return v
}
