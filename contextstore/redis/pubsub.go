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
// the connection; a connection that has not answered the ping by the next
// idle period is taken for dead (its node may have vanished without
// closing it) and the subscription is made again, on a live node.
const pubsubIdle = 3 * time.Second

// pubsubMaxBackoff caps the pause between attempts to resubscribe, so
// that the subscription follows a failover within this much of the
// promotion.
const pubsubMaxBackoff = 500 * time.Millisecond

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
// after errors: a failure also reloads a Cluster's slot map, and a
// connection that does not answer a ping within pubsubIdle is replaced,
// so after a failover it resubscribes on a live node within
// pubsubMaxBackoff of the promotion being visible.
//
// The returned stop function (safe to call more than once) ends the
// subscription and closes the channel; cancelling ctx does the same.
func (s *Store) SubscribeBans(ctx context.Context) (<-chan int64, func()) {
	out := make(chan int64, 1)
	log := s.log.With(zap.String("channel", s.keys.bansChannel()))
	// last is the version most recently put in out; a repeat of it is
	// dropped (see above).
	var last int64
	delivered := false
	deliver := func(v int64) {
		if delivered && v == last {
			return
		}
		last, delivered = deliverLatest(out, v), true
	}
	stop := s.listen(ctx, s.keys.bansChannel(), "ban", func() { close(out) }, func(ctx context.Context, msg any) {
		switch m := msg.(type) {
		case *redis.Subscription:
			// (Re)subscribed: messages may have been missed meanwhile.
			v, err := s.BansVersion(ctx)
			if err != nil {
				log.Warn("reading the bans version after subscribing failed", zap.Error(err))
				return
			}
			deliver(v)
		case *redis.Message:
			v, err := strconv.ParseInt(m.Payload, 10, 64)
			if err != nil {
				log.Warn("ignoring a malformed ban notification", zap.String("payload", m.Payload))
				return
			}
			deliver(v)
		}
	})
	return out, stop
}

// listen subscribes to channel and calls handle, on one goroutine, with
// every *redis.Subscription (a (re)subscription: messages may have been
// missed) and *redis.Message it receives, until ctx is done or the
// returned stop (safe to call more than once) is called; then it calls
// done and returns. It reconnects by itself after errors: a failure also
// reloads a Cluster's slot map, and a connection that does not answer a
// ping within pubsubIdle is replaced, so after a failover it resubscribes
// on a live node within pubsubMaxBackoff of the promotion being visible.
// what names the subscription in the logs.
func (s *Store) listen(ctx context.Context, channel, what string, done func(), handle func(ctx context.Context, msg any)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	sub := &subscription{ps: s.rdb.Subscribe(ctx, channel)}
	finished := make(chan struct{})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			sub.close() // unblocks a pending Receive
		})
		<-finished
	}
	stopOnCancel := context.AfterFunc(ctx, func() { once.Do(sub.close) })
	go func() {
		defer close(finished)
		defer done()
		defer stopOnCancel()
		s.receive(ctx, sub, channel, what, handle)
	}()
	return stop
}

// subscription is the current PubSub of a listen loop, which the loop
// replaces when its connection is dead.
type subscription struct {
	mu     sync.Mutex
	ps     *redis.PubSub
	closed bool
}

func (s *subscription) get() *redis.PubSub {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ps
}

func (s *subscription) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	_ = s.ps.Close()
}

// renew replaces the PubSub with a new one made by subscribe, unless the
// subscription was closed.
func (s *subscription) renew(subscribe func() *redis.PubSub) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	_ = s.ps.Close()
	s.ps = subscribe()
}

// receive is the loop behind listen.
func (s *Store) receive(ctx context.Context, sub *subscription, channel, what string, handle func(ctx context.Context, msg any)) {
	log := s.log.With(zap.String("channel", channel))
	backoff := 50 * time.Millisecond
	pinged := false // a ping is unanswered
	for ctx.Err() == nil {
		ps := sub.get()
		msg, err := ps.ReceiveTimeout(ctx, pubsubIdle)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				if !pinged {
					// Idle: check the connection.
					pinged = true
					_ = ps.Ping(ctx)
					continue
				}
				// The ping went unanswered: the node is gone without
				// closing the connection. Subscribe again.
				log.Warn(what + " subscription does not answer; subscribing again")
				s.faults.refresh("the " + what + " subscription does not answer")
				sub.renew(func() *redis.PubSub { return s.rdb.Subscribe(ctx, channel) })
				pinged = false
				continue
			}
			if errors.Is(err, redis.ErrClosed) {
				return
			}
			log.Warn(what+" subscription failed; retrying", zap.Error(err), zap.Duration("backoff", backoff))
			s.faults.refresh("the " + what + " subscription failed")
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, pubsubMaxBackoff)
			continue
		}
		backoff = 50 * time.Millisecond
		pinged = false
		handle(ctx, msg)
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
