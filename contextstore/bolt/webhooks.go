package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/bbolt"

	"github.com/chatflow/chatflow/contextstore"
)

// The webhook concern's buckets, created by the first write (files
// written before it have none; reads treat a missing bucket as empty):
//
//   - webhook_subs: subscription id → JSON;
//   - webhook_deliveries: seqKey(Seq) → delivery JSON;
//   - webhook_delivery_ids: subscription\x00event id → seqKey (the
//     idempotency key of AddWebhookDeliveries);
//   - webhook_pending: seqKey → "" for the pending deliveries;
//   - webhook_by_sub: subscription\x00seqKey → "" (the delivery log);
//
// and the relay's cursor under the meta bucket's key webhook_cursor.
const (
	bucketWebhookSubs    = "webhook_subs"
	bucketWebhookDels    = "webhook_deliveries"
	bucketWebhookDelIDs  = "webhook_delivery_ids"
	bucketWebhookPending = "webhook_pending"
	bucketWebhookBySub   = "webhook_by_sub"
	metaWebhookCursor    = "webhook_cursor"
)

func webhookBuckets(tx *bbolt.Tx) (map[string]*bbolt.Bucket, error) {
	out := map[string]*bbolt.Bucket{}
	for _, name := range []string{bucketWebhookSubs, bucketWebhookDels, bucketWebhookDelIDs, bucketWebhookPending, bucketWebhookBySub} {
		b, err := tx.CreateBucketIfNotExists([]byte(name))
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

func delIDKey(sub, event string) []byte { return []byte(sub + "\x00" + event) }

func decodeDelivery(k, v []byte) (contextstore.WebhookDelivery, error) {
	var d contextstore.WebhookDelivery
	if err := json.Unmarshal(v, &d); err != nil {
		return d, fmt.Errorf("decoding webhook delivery %s: %w", k, err)
	}
	n, err := strconv.ParseInt(string(k), 10, 64)
	if err != nil {
		return d, fmt.Errorf("decoding webhook delivery key %q: %w", k, err)
	}
	d.Seq = n
	return d, nil
}

// PutWebhookSubscription implements contextstore.WebhookStore.
func (s *Store) PutWebhookSubscription(ctx context.Context, v *contextstore.WebhookSubscription) error {
	val, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding webhook subscription %s: %w", v.ID, err)
	}
	return s.update(ctx, "storing webhook subscription "+v.ID, func(tx *bbolt.Tx) error {
		bs, err := webhookBuckets(tx)
		if err != nil {
			return err
		}
		return bs[bucketWebhookSubs].Put([]byte(v.ID), val)
	})
}

// GetWebhookSubscription implements contextstore.WebhookStore.
func (s *Store) GetWebhookSubscription(ctx context.Context, id string) (*contextstore.WebhookSubscription, error) {
	var out *contextstore.WebhookSubscription
	err := s.view(ctx, "reading webhook subscription "+id, func(tx *bbolt.Tx) error {
		var v []byte
		if b := tx.Bucket([]byte(bucketWebhookSubs)); b != nil {
			v = b.Get([]byte(id))
		}
		if v == nil {
			return fmt.Errorf("webhook subscription %s: %w", id, contextstore.ErrNotFound)
		}
		out = &contextstore.WebhookSubscription{}
		return json.Unmarshal(v, out)
	})
	return out, err
}

// ListWebhookSubscriptions implements contextstore.WebhookStore.
func (s *Store) ListWebhookSubscriptions(ctx context.Context) ([]*contextstore.WebhookSubscription, error) {
	var out []*contextstore.WebhookSubscription
	err := s.view(ctx, "listing webhook subscriptions", func(tx *bbolt.Tx) error {
		out = out[:0]
		b := tx.Bucket([]byte(bucketWebhookSubs))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var sub contextstore.WebhookSubscription
			if err := json.Unmarshal(v, &sub); err != nil {
				return fmt.Errorf("decoding webhook subscription %s: %w", k, err)
			}
			out = append(out, &sub)
			return nil
		})
	})
	return out, err
}

// DeleteWebhookSubscription implements contextstore.WebhookStore.
func (s *Store) DeleteWebhookSubscription(ctx context.Context, id string) error {
	return s.update(ctx, "deleting webhook subscription "+id, func(tx *bbolt.Tx) error {
		bs, err := webhookBuckets(tx)
		if err != nil {
			return err
		}
		if bs[bucketWebhookSubs].Get([]byte(id)) == nil {
			return fmt.Errorf("webhook subscription %s: %w", id, contextstore.ErrNotFound)
		}
		if err := bs[bucketWebhookSubs].Delete([]byte(id)); err != nil {
			return err
		}
		prefix := []byte(id + "\x00")
		var seqs [][]byte
		c := bs[bucketWebhookBySub].Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			seqs = append(seqs, bytes.Clone(k[len(prefix):]))
		}
		for _, seq := range seqs {
			if v := bs[bucketWebhookDels].Get(seq); v != nil {
				d, err := decodeDelivery(seq, v)
				if err != nil {
					return err
				}
				if err := bs[bucketWebhookDelIDs].Delete(delIDKey(id, d.EventID)); err != nil {
					return err
				}
			}
			for _, del := range []struct {
				b *bbolt.Bucket
				k []byte
			}{{bs[bucketWebhookDels], seq}, {bs[bucketWebhookPending], seq}, {bs[bucketWebhookBySub], append(bytes.Clone(prefix), seq...)}} {
				if err := del.b.Delete(del.k); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// AddWebhookDeliveries implements contextstore.WebhookStore.
func (s *Store) AddWebhookDeliveries(ctx context.Context, ds []contextstore.WebhookDelivery) (int, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	var n int
	err := s.update(ctx, "adding webhook deliveries", func(tx *bbolt.Tx) error {
		n = 0 // fn may run again after a shared commit failed
		bs, err := webhookBuckets(tx)
		if err != nil {
			return err
		}
		for _, d := range ds {
			idk := delIDKey(d.SubscriptionID, d.EventID)
			if bs[bucketWebhookDelIDs].Get(idk) != nil {
				continue
			}
			seq, err := bs[bucketWebhookDels].NextSequence()
			if err != nil {
				return fmt.Errorf("numbering a webhook delivery: %w", err)
			}
			key := []byte(seqKey(seq))
			val, err := json.Marshal(&d)
			if err != nil {
				return fmt.Errorf("encoding webhook delivery %s: %w", d.EventID, err)
			}
			if err := bs[bucketWebhookDels].Put(key, val); err != nil {
				return err
			}
			if err := bs[bucketWebhookDelIDs].Put(idk, key); err != nil {
				return err
			}
			if err := bs[bucketWebhookBySub].Put(append([]byte(d.SubscriptionID+"\x00"), key...), nil); err != nil {
				return err
			}
			if d.State == contextstore.DeliveryPending {
				if err := bs[bucketWebhookPending].Put(key, nil); err != nil {
					return err
				}
			}
			n++
		}
		return nil
	})
	return n, err
}

// DueWebhookDeliveries implements contextstore.WebhookStore.
func (s *Store) DueWebhookDeliveries(ctx context.Context, now time.Time, limit int) ([]contextstore.WebhookDelivery, error) {
	var out []contextstore.WebhookDelivery
	err := s.view(ctx, "listing due webhook deliveries", func(tx *bbolt.Tx) error {
		out = out[:0]
		pending, dels := tx.Bucket([]byte(bucketWebhookPending)), tx.Bucket([]byte(bucketWebhookDels))
		if pending == nil || dels == nil {
			return nil
		}
		heads := map[[2]string]bool{}
		c := pending.Cursor()
		for k, _ := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Next() {
			d, err := decodeDelivery(k, dels.Get(k))
			if err != nil {
				return err
			}
			hk := [2]string{d.SubscriptionID, d.Subject}
			if heads[hk] {
				continue
			}
			heads[hk] = true
			if !d.NextAt.After(now) {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

// SaveWebhookDelivery implements contextstore.WebhookStore.
func (s *Store) SaveWebhookDelivery(ctx context.Context, d contextstore.WebhookDelivery) error {
	return s.update(ctx, "saving webhook delivery "+d.EventID+" to "+d.SubscriptionID, func(tx *bbolt.Tx) error {
		bs, err := webhookBuckets(tx)
		if err != nil {
			return err
		}
		key := bs[bucketWebhookDelIDs].Get(delIDKey(d.SubscriptionID, d.EventID))
		if key == nil {
			return fmt.Errorf("webhook delivery %s to %s: %w", d.EventID, d.SubscriptionID, contextstore.ErrNotFound)
		}
		key = bytes.Clone(key)
		cur, err := decodeDelivery(key, bs[bucketWebhookDels].Get(key))
		if err != nil {
			return err
		}
		cur.Progress(d)
		val, err := json.Marshal(&cur)
		if err != nil {
			return fmt.Errorf("encoding webhook delivery %s: %w", d.EventID, err)
		}
		if err := bs[bucketWebhookDels].Put(key, val); err != nil {
			return err
		}
		if cur.State == contextstore.DeliveryPending {
			return bs[bucketWebhookPending].Put(key, nil)
		}
		return bs[bucketWebhookPending].Delete(key)
	})
}

// GetWebhookDelivery implements contextstore.WebhookStore.
func (s *Store) GetWebhookDelivery(ctx context.Context, sub, event string) (contextstore.WebhookDelivery, error) {
	var out contextstore.WebhookDelivery
	err := s.view(ctx, "reading webhook delivery "+event+" to "+sub, func(tx *bbolt.Tx) error {
		ids, dels := tx.Bucket([]byte(bucketWebhookDelIDs)), tx.Bucket([]byte(bucketWebhookDels))
		var key []byte
		if ids != nil {
			key = ids.Get(delIDKey(sub, event))
		}
		if key == nil {
			return fmt.Errorf("webhook delivery %s to %s: %w", event, sub, contextstore.ErrNotFound)
		}
		var err error
		out, err = decodeDelivery(key, dels.Get(key))
		return err
	})
	return out, err
}

// ListWebhookDeliveries implements contextstore.WebhookStore.
func (s *Store) ListWebhookDeliveries(ctx context.Context, sub string, limit int) ([]contextstore.WebhookDelivery, error) {
	var out []contextstore.WebhookDelivery
	err := s.view(ctx, "listing webhook deliveries of "+sub, func(tx *bbolt.Tx) error {
		out = out[:0]
		bySub, dels := tx.Bucket([]byte(bucketWebhookBySub)), tx.Bucket([]byte(bucketWebhookDels))
		if bySub == nil || dels == nil {
			return nil
		}
		prefix := []byte(sub + "\x00")
		// Walk the subscription's keys backwards: from the first key after
		// the prefix range.
		c := bySub.Cursor()
		end := append(bytes.Clone(prefix[:len(prefix)-1]), 0x01)
		k, _ := c.Seek(end)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && (limit <= 0 || len(out) < limit); k, _ = c.Prev() {
			seq := k[len(prefix):]
			d, err := decodeDelivery(seq, dels.Get(seq))
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// WebhookCursor implements contextstore.WebhookStore.
func (s *Store) WebhookCursor(ctx context.Context) (string, error) {
	var out string
	err := s.view(ctx, "reading the webhook cursor", func(tx *bbolt.Tx) error {
		out = string(tx.Bucket([]byte(bucketMeta)).Get([]byte(metaWebhookCursor)))
		return nil
	})
	return out, err
}

// AdvanceWebhookCursor implements contextstore.WebhookStore.
func (s *Store) AdvanceWebhookCursor(ctx context.Context, id string) error {
	return s.update(ctx, "advancing the webhook cursor", func(tx *bbolt.Tx) error {
		meta := tx.Bucket([]byte(bucketMeta))
		if id <= string(meta.Get([]byte(metaWebhookCursor))) {
			return nil
		}
		return meta.Put([]byte(metaWebhookCursor), []byte(id))
	})
}
