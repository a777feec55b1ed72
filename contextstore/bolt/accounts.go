package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/chatflow/chatflow/contextstore"
)

// Account buckets. They are created by the first account write rather
// than by initSchema, so files written before accounts existed open
// unchanged (same schema version); a read finding no bucket sees no
// accounts.
const (
	bucketAccounts        = "accounts"
	bucketAccountsByToken = "accounts_by_token"
)

// accountBuckets returns the account buckets, creating them in a write
// transaction; in a read transaction they are nil until the first write.
func accountBuckets(tx *bbolt.Tx) (data, byToken *bbolt.Bucket, err error) {
	if !tx.Writable() {
		return tx.Bucket([]byte(bucketAccounts)), tx.Bucket([]byte(bucketAccountsByToken)), nil
	}
	if data, err = tx.CreateBucketIfNotExists([]byte(bucketAccounts)); err != nil {
		return nil, nil, fmt.Errorf("creating bucket %q: %w", bucketAccounts, err)
	}
	if byToken, err = tx.CreateBucketIfNotExists([]byte(bucketAccountsByToken)); err != nil {
		return nil, nil, fmt.Errorf("creating bucket %q: %w", bucketAccountsByToken, err)
	}
	return data, byToken, nil
}

// getAccount decodes the account id of bucket b (nil: no accounts yet), or
// returns nil if there is none.
func getAccount(b *bbolt.Bucket, id string) (*contextstore.Account, error) {
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	var out contextstore.Account
	if err := json.Unmarshal(v, &out); err != nil {
		return nil, fmt.Errorf("decoding account %q: %w", id, err)
	}
	return &out, nil
}

// CreateAccount implements contextstore.AccountStore: the account and its
// token-hash index entry are written in one transaction.
func (s *Store) CreateAccount(ctx context.Context, a *contextstore.Account) error {
	if a.ID == "" {
		return errors.New("creating account: empty id")
	}
	if a.TokenHash == "" {
		return fmt.Errorf("creating account %q: empty token hash", a.ID)
	}
	cp := *a
	cp.Version = 1
	val, err := json.Marshal(&cp)
	if err != nil {
		return fmt.Errorf("creating account %q: encoding: %w", a.ID, err)
	}
	err = s.update(ctx, fmt.Sprintf("creating account %q", a.ID), func(tx *bbolt.Tx) error {
		data, byToken, err := accountBuckets(tx)
		if err != nil {
			return err
		}
		if data.Get([]byte(a.ID)) != nil {
			return fmt.Errorf("account %q: %w", a.ID, contextstore.ErrAlreadyExists)
		}
		if byToken.Get([]byte(a.TokenHash)) != nil {
			return fmt.Errorf("account %q: token hash: %w", a.ID, contextstore.ErrAlreadyExists)
		}
		if err := data.Put([]byte(a.ID), val); err != nil {
			return err
		}
		return byToken.Put([]byte(a.TokenHash), []byte(a.ID))
	})
	if err != nil {
		return err
	}
	a.Version = 1
	return nil
}

// GetAccount implements contextstore.AccountStore.
func (s *Store) GetAccount(ctx context.Context, id string) (*contextstore.Account, error) {
	var out *contextstore.Account
	err := s.view(ctx, fmt.Sprintf("getting account %q", id), func(tx *bbolt.Tx) error {
		data, _, err := accountBuckets(tx)
		if err != nil {
			return err
		}
		out, err = getAccount(data, id)
		if err == nil && out == nil {
			err = fmt.Errorf("account %q: %w", id, contextstore.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetAccountByTokenHash implements contextstore.AccountStore through the
// accounts_by_token index. The hash is not repeated in errors: it
// identifies a credential.
func (s *Store) GetAccountByTokenHash(ctx context.Context, hash string) (*contextstore.Account, error) {
	var out *contextstore.Account
	err := s.view(ctx, "getting account by token hash", func(tx *bbolt.Tx) error {
		data, byToken, err := accountBuckets(tx)
		if err != nil {
			return err
		}
		var id []byte
		if byToken != nil && hash != "" {
			id = byToken.Get([]byte(hash))
		}
		if id == nil {
			return fmt.Errorf("account by token hash: %w", contextstore.ErrNotFound)
		}
		out, err = getAccount(data, string(id))
		if err == nil && out == nil {
			err = fmt.Errorf("token index names missing account %q", id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateAccount implements contextstore.AccountStore.
func (s *Store) UpdateAccount(ctx context.Context, a *contextstore.Account) error {
	op := fmt.Sprintf("updating account %q", a.ID)
	if a.TokenHash == "" {
		return fmt.Errorf("%s: empty token hash", op)
	}
	next := a.Version + 1
	cp := *a
	cp.Version = next
	val, err := json.Marshal(&cp)
	if err != nil {
		return fmt.Errorf("%s: encoding: %w", op, err)
	}
	err = s.update(ctx, op, func(tx *bbolt.Tx) error {
		data, byToken, err := accountBuckets(tx)
		if err != nil {
			return err
		}
		cur, err := getAccount(data, a.ID)
		if err != nil {
			return err
		}
		if cur == nil {
			return fmt.Errorf("account %q: %w", a.ID, contextstore.ErrNotFound)
		}
		if cur.Version != a.Version {
			return fmt.Errorf("account %q at version %d: %w", a.ID, a.Version, contextstore.ErrVersionConflict)
		}
		if cur.TokenHash != a.TokenHash {
			if byToken.Get([]byte(a.TokenHash)) != nil {
				return fmt.Errorf("account %q: token hash: %w", a.ID, contextstore.ErrAlreadyExists)
			}
			if err := byToken.Delete([]byte(cur.TokenHash)); err != nil {
				return err
			}
			if err := byToken.Put([]byte(a.TokenHash), []byte(a.ID)); err != nil {
				return err
			}
		}
		return data.Put([]byte(a.ID), val)
	})
	if err != nil {
		return err
	}
	a.Version = next
	return nil
}

// ListAccounts implements contextstore.AccountStore: every account, in key
// (ID) order.
func (s *Store) ListAccounts(ctx context.Context) ([]*contextstore.Account, error) {
	var out []*contextstore.Account
	err := s.view(ctx, "listing accounts", func(tx *bbolt.Tx) error {
		data, _, err := accountBuckets(tx)
		if err != nil || data == nil {
			return err
		}
		return data.ForEach(func(k, v []byte) error {
			var a contextstore.Account
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decoding account %q: %w", k, err)
			}
			out = append(out, &a)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
