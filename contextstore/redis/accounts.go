package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/chatflow/chatflow/contextstore"
)

// Account keys share the hash tag {accounts}, so the account, the id set
// and the token index are written by one script in one slot.
func (k keys) accountData() string              { return k.prefix + "{accounts}:data" }
func (k keys) accountIDs() string               { return k.prefix + "{accounts}:ids" }
func (k keys) accountTokens() string            { return k.prefix + "{accounts}:token" }
func (k keys) accountClaim(token string) string { return k.prefix + "{accounts}:claim:" + token }

// accountWriteScript creates or updates one account together with the id
// set and the token-hash index.
//
//	KEYS[1] data: hash account id -> account JSON (with its Version)
//	KEYS[2] ids: sorted set of all account ids (score 0)
//	KEYS[3] tokens: hash TokenHash -> account id
//	KEYS[4] a claim key unique to this write: a resent script (go-redis
//	        resends a command whose reply was lost) finds it and reports
//	        "ok" instead of "exists" or "stale" about its own write
//	ARGV[1] op: "c" create, "u" update
//	ARGV[2] account id
//	ARGV[3] the JSON the writer read (u): the write happens only if the
//	        stored JSON is still exactly this
//	ARGV[4] the new JSON
//	ARGV[5] the stored TokenHash (u), ARGV[6] the new TokenHash
//
// It returns "ok", "exists" (create of a taken id), "token" (the new
// TokenHash belongs to another account), "missing" (update of a missing
// account) or "stale" (changed since read: read again and retry).
var accountWriteScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[4]) == 1 then return 'ok' end
local op, id = ARGV[1], ARGV[2]
local cur = redis.call('HGET', KEYS[1], id)
if op == 'c' then
  if cur then return 'exists' end
  if redis.call('HEXISTS', KEYS[3], ARGV[6]) == 1 then return 'token' end
else
  if not cur then return 'missing' end
  if cur ~= ARGV[3] then return 'stale' end
  if ARGV[5] ~= ARGV[6] then
    if redis.call('HEXISTS', KEYS[3], ARGV[6]) == 1 then return 'token' end
    redis.call('HDEL', KEYS[3], ARGV[5])
  end
end
redis.call('HSET', KEYS[1], id, ARGV[4])
redis.call('ZADD', KEYS[2], 0, id)
redis.call('HSET', KEYS[3], ARGV[6], id)
redis.call('SET', KEYS[4], '1', 'PX', 60000)
return 'ok'
`)

// accountByTokenScript returns the JSON of the account whose TokenHash is
// ARGV[1], or nil.
//
//	KEYS[1] data, KEYS[2] tokens (as for accountWriteScript)
var accountByTokenScript = redis.NewScript(`
local id = redis.call('HGET', KEYS[2], ARGV[1])
if not id then return false end
return redis.call('HGET', KEYS[1], id)
`)

func (s *Store) writeAccount(ctx context.Context, op, id, oldJSON, newJSON, oldHash, newHash string) (string, error) {
	return s.runDurable(ctx, accountWriteScript, true,
		[]string{s.keys.accountData(), s.keys.accountIDs(), s.keys.accountTokens(), s.keys.accountClaim(rand.Text())},
		op, id, oldJSON, newJSON, oldHash, newHash).Text()
}

func decodeAccount(id, data string) (*contextstore.Account, error) {
	var a contextstore.Account
	if err := json.Unmarshal([]byte(data), &a); err != nil {
		return nil, fmt.Errorf("redis: decoding account %q: %w", id, err)
	}
	return &a, nil
}

// CreateAccount implements contextstore.AccountStore: one script writes
// the account, its id and its token-hash index entry atomically.
func (s *Store) CreateAccount(ctx context.Context, a *contextstore.Account) error {
	if a.ID == "" {
		return errors.New("creating account: empty id")
	}
	if a.TokenHash == "" {
		return fmt.Errorf("creating account %q: empty token hash", a.ID)
	}
	doc := *a
	doc.Version = 1
	data, err := json.Marshal(&doc)
	if err != nil {
		return fmt.Errorf("redis: encoding account %q: %w", a.ID, err)
	}
	res, err := s.writeAccount(ctx, "c", a.ID, "", string(data), "", a.TokenHash)
	if err != nil {
		return s.fail(fmt.Sprintf("redis: creating account %q", a.ID), err)
	}
	switch res {
	case "ok":
		a.Version = 1
		return nil
	case "exists":
		return fmt.Errorf("account %q: %w", a.ID, contextstore.ErrAlreadyExists)
	case "token":
		return fmt.Errorf("account %q: token hash: %w", a.ID, contextstore.ErrAlreadyExists)
	}
	return fmt.Errorf("redis: creating account %q: unexpected script reply %q", a.ID, res)
}

// readAccount returns an account and the JSON it was decoded from.
func (s *Store) readAccount(ctx context.Context, id string) (*contextstore.Account, string, error) {
	return readRecord(ctx, s, s.keys.accountData(), "account", id, decodeAccount)
}

// readRecord reads the JSON of record id (of kind "account", "block")
// from the hash key and decodes it: ErrNotFound when it is absent, the
// store's failure otherwise.
func readRecord[T any](ctx context.Context, s *Store, key, kind, id string, decode func(id, data string) (*T, error)) (*T, string, error) {
	data, err := s.rdb.HGet(ctx, key, id).Result()
	if errors.Is(err, redis.Nil) {
		return nil, "", fmt.Errorf("%s %q: %w", kind, id, contextstore.ErrNotFound)
	}
	if err != nil {
		return nil, "", s.fail(fmt.Sprintf("redis: getting %s %q", kind, id), err)
	}
	v, err := decode(id, data)
	if err != nil {
		return nil, "", err
	}
	return v, data, nil
}

// GetAccount implements contextstore.AccountStore.
func (s *Store) GetAccount(ctx context.Context, id string) (*contextstore.Account, error) {
	a, _, err := s.readAccount(ctx, id)
	return a, err
}

// GetAccountByTokenHash implements contextstore.AccountStore: one round
// trip (a read-only script follows the index). The hash is not repeated in
// errors: it identifies a credential.
func (s *Store) GetAccountByTokenHash(ctx context.Context, hash string) (*contextstore.Account, error) {
	data, err := accountByTokenScript.Run(ctx, s.rdb,
		[]string{s.keys.accountData(), s.keys.accountTokens()}, hash).Text()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("account by token hash: %w", contextstore.ErrNotFound)
	}
	if err != nil {
		return nil, s.fail("redis: getting account by token hash", err)
	}
	return decodeAccount("(by token hash)", data)
}

// UpdateAccount implements contextstore.AccountStore: it reads the stored
// account (its version and token hash) and writes with a script that
// succeeds only if the account is still exactly what was read. Two round
// trips.
func (s *Store) UpdateAccount(ctx context.Context, a *contextstore.Account) error {
	if a.TokenHash == "" {
		return fmt.Errorf("updating account %q: empty token hash", a.ID)
	}
	doc := *a
	doc.Version = a.Version + 1
	data, err := json.Marshal(&doc)
	if err != nil {
		return fmt.Errorf("redis: encoding account %q: %w", a.ID, err)
	}
	var cur *contextstore.Account
	res, err := s.casUpdate(ctx, "account", a.ID, a.Version,
		func() (int64, string, error) {
			var curJSON string
			var err error
			cur, curJSON, err = s.readAccount(ctx, a.ID)
			if err != nil {
				return 0, "", err
			}
			return cur.Version, curJSON, nil
		},
		func(curJSON string) (string, error) {
			return s.writeAccount(ctx, "u", a.ID, curJSON, string(data), cur.TokenHash, a.TokenHash)
		})
	switch {
	case err != nil:
		return err
	case res == "token":
		return fmt.Errorf("account %q: token hash: %w", a.ID, contextstore.ErrAlreadyExists)
	case res != "ok":
		return fmt.Errorf("redis: updating account %q: unexpected answer %q", a.ID, res)
	}
	a.Version = doc.Version
	return nil
}

// ListAccounts implements contextstore.AccountStore: every account in ID
// order, a page of ids and their accounts per round trip.
func (s *Store) ListAccounts(ctx context.Context) ([]*contextstore.Account, error) {
	var out []*contextstore.Account
	from := "-"
	for {
		page, err := pageScript.Run(ctx, s.rdb, []string{s.keys.accountIDs(), s.keys.accountData()}, from, pageSize).Slice()
		if err != nil {
			return nil, s.fail("redis: listing accounts", err)
		}
		for i := 0; i+1 < len(page); i += 2 {
			id, _ := page[i].(string)
			data, ok := page[i+1].(string)
			from = "(" + id
			if !ok {
				continue
			}
			a, err := decodeAccount(id, data)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
		if len(page) < 2*pageSize {
			return out, nil
		}
	}
}
