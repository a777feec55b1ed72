package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts below are the only places where the store writes more
// than one key: each runs atomically on the node that owns its keys, and
// every key it touches is passed in KEYS and shares one hash tag, so each
// script is valid on Redis Cluster. The values are immutable after package
// initialisation (go-redis caches only the script's SHA-1).

// casScript is the optimistic compare-and-swap of a versioned record (a
// conversation context or a user's ChatActivityData), stored as a hash
// with the fields v (version), d (JSON) and t (the token of the write that
// stored it).
//
//	KEYS[1] the record's hash
//	ARGV[1] the version the writer read (0: the record must not exist)
//	ARGV[2] the new JSON
//	ARGV[3] TTL in milliseconds; 0 or less: no expiry
//	ARGV[4] a token unique to this write
//
// It returns the new version, or -1 - current version (so -1 means "does
// not exist") when the stored version is not ARGV[1]. The token makes the
// script idempotent: go-redis resends a command whose reply was lost (the
// connection dropped after the write), and the resent script finds its own
// write and reports success instead of a conflict.
var casScript = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'v', 't')
local want = tonumber(ARGV[1])
local have = 0
if cur[1] then have = tonumber(cur[1]) end
if (cur[1] == false and want ~= 0) or (cur[1] ~= false and have ~= want) then
  if have == want + 1 and cur[2] == ARGV[4] then return have end
  return -1 - have
end
local nv = want + 1
redis.call('HSET', KEYS[1], 'v', nv, 'd', ARGV[2], 't', ARGV[4])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
elseif cur[1] ~= false then
  redis.call('PERSIST', KEYS[1])
end
return nv
`)

// convIndexScript records a conversation id in the conversation index and
// prunes the ids whose contexts have expired.
//
//	KEYS[1] ids: sorted set, score 0, members ordered by id (ZRANGEBYLEX)
//	KEYS[2] exp: sorted set, score = expiry deadline in ms since the epoch
//	ARGV[1] conversation id
//	ARGV[2] its new deadline (ms, or "+inf" without TTL)
//	ARGV[3] prune cutoff: ids with a deadline before it are removed
//	ARGV[4] at most this many ids are pruned per call
//
// It returns the number of ids pruned.
var convIndexScript = redis.NewScript(`
redis.call('ZADD', KEYS[1], 0, ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
if #old > 0 then
  redis.call('ZREM', KEYS[1], unpack(old))
  redis.call('ZREM', KEYS[2], unpack(old))
end
return #old
`)

// blockWriteScript creates, updates or deletes one block together with its
// indexes and, for IP and range bans, the bans version counter and the
// pub/sub notification.
//
//	KEYS[1] data: hash id -> block JSON
//	KEYS[2] ids: sorted set of all block ids (score 0)
//	KEYS[3] bans version counter
//	KEYS[4] a claim key unique to this write (see below)
//	KEYS[5] causes: hash Block.Cause -> block id
//	KEYS[6] outbox: sorted set, score the sequence, members the events' JSON
//	KEYS[7] the outbox sequence counter
//	KEYS[8 .. 7+nOld]           index sets to remove the id from
//	KEYS[8+nOld .. 7+nOld+nNew] index sets to add the id to
//	ARGV[1] op: "c" create, "u" update, "d" delete
//	ARGV[2] block id
//	ARGV[3] the JSON the writer read (u and d): the write happens only if
//	        the stored JSON is still exactly this, so the old index keys the
//	        writer computed from it are the right ones
//	ARGV[4] the new JSON (c and u)
//	ARGV[5] nOld, ARGV[6] nNew
//	ARGV[7] "1" when an IP or range ban changes
//	ARGV[8] the pub/sub channel for ban changes
//	ARGV[9] the block's cause ("" for none): a create refuses a cause that
//	        another block holds and records it; a delete releases it
//	ARGV[10] the pub/sub channel of sanctions: a create or update publishes
//	        the block id there (the change feed other instances apply)
//	ARGV[11] a JSON array of outbox events to write with the change ("" for
//	        none); each gets the next sequence as its 20-digit ID
//
// It returns "ok", "exists" (create of a taken id), "cause:<id>" (create
// with a cause block <id> already holds), "missing" (update of a
// missing block) or "stale" (the stored JSON changed since the writer read
// it: read again and retry). A successful write leaves the claim key for a
// minute, so that a resent script (go-redis resends a command whose reply
// was lost) reports "ok" instead of "exists" or "stale" about its own write.
var blockWriteScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[4]) == 1 then return 'ok' end
local op, id = ARGV[1], ARGV[2]
local nOld, nNew = tonumber(ARGV[5]), tonumber(ARGV[6])
local cur = redis.call('HGET', KEYS[1], id)
if op == 'c' then
  if cur then return 'exists' end
  if ARGV[9] ~= '' then
    local holder = redis.call('HGET', KEYS[5], ARGV[9])
    if holder then return 'cause:' .. holder end
    redis.call('HSET', KEYS[5], ARGV[9], id)
  end
elseif op == 'u' then
  if not cur then return 'missing' end
  if cur ~= ARGV[3] then return 'stale' end
else
  if not cur then return 'ok' end
  if cur ~= ARGV[3] then return 'stale' end
end
for i = 1, nOld do
  redis.call('ZREM', KEYS[7 + i], id)
end
if op == 'd' then
  if ARGV[9] ~= '' then redis.call('HDEL', KEYS[5], ARGV[9]) end
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
else
  redis.call('HSET', KEYS[1], id, ARGV[4])
  redis.call('ZADD', KEYS[2], 0, id)
  for i = 1, nNew do
    redis.call('ZADD', KEYS[7 + nOld + i], 0, id)
  end
end
if ARGV[7] == '1' then
  local v = redis.call('INCR', KEYS[3])
  redis.call('PUBLISH', ARGV[8], v)
end
if ARGV[11] ~= '' then
  for _, ev in ipairs(cjson.decode(ARGV[11])) do
    local n = redis.call('INCR', KEYS[7])
    ev['ID'] = string.format('%020d', n)
    redis.call('ZADD', KEYS[6], n, cjson.encode(ev))
  end
end
if op ~= 'd' then
  redis.call('PUBLISH', ARGV[10], id)
end
redis.call('SET', KEYS[4], '1', 'PX', 60000)
return 'ok'
`)

// pageScript reads one page of an id index together with the records.
//
//	KEYS[1] index: sorted set, score 0, members are ids
//	KEYS[2] data: hash id -> JSON
//	ARGV[1] ZRANGEBYLEX minimum ("-" or "(<id>")
//	ARGV[2] page size
//
// It returns id1, json1, id2, json2, ... (a json is nil if the record is
// missing, which the indexes maintained by blockWriteScript never allow).
var pageScript = redis.NewScript(`
local ids = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+', 'LIMIT', 0, tonumber(ARGV[2]))
if #ids == 0 then return {} end
local data = redis.call('HMGET', KEYS[2], unpack(ids))
local out = {}
for i = 1, #ids do
  out[2 * i - 1] = ids[i]
  out[2 * i] = data[i]
end
return out
`)

// auditAppendScript appends an audit event.
//
//	KEYS[1] the log: sorted set, score 0, members
//	        "<escaped id>\x00\x01<20-digit seq><json>" (see audit.go)
//	KEYS[2] the sequence counter
//	KEYS[3] a claim key unique to this call: a resent script (go-redis
//	        resends a command whose reply was lost) finds it and returns
//	        the first attempt's answer instead of appending twice
//	KEYS[4] (optional) the per-block index, same members
//	ARGV[1] the escaped event id, or "" to assign the zero-padded
//	        sequence number
//	ARGV[2] the event JSON
//
// It returns the assigned id, or "" when ARGV[1] was set.
var auditAppendScript = redis.NewScript(`
local prev = redis.call('GET', KEYS[3])
if prev then return prev end
local n = redis.call('INCR', KEYS[2])
local seq = string.format('%020d', n)
local id, assigned = ARGV[1], ''
if id == '' then
  id, assigned = seq, seq
end
local m = id .. '\0\1' .. seq .. ARGV[2]
redis.call('ZADD', KEYS[1], 0, m)
if KEYS[4] then redis.call('ZADD', KEYS[4], 0, m) end
redis.call('SET', KEYS[3], assigned, 'PX', 60000)
return assigned
`)

// enqueueScript appends a conversation to a waiting queue unless it is
// already there.
//
//	KEYS[1] order: sorted set conversation id -> enqueue sequence number
//	KEYS[2] data: hash conversation id -> entry JSON
//	KEYS[3] the queue's sequence counter
//	ARGV[1] conversation id, ARGV[2] entry JSON
//
// It returns 1 when enqueued, 0 when already queued.
var enqueueScript = redis.NewScript(`
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local n = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[1], n, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
`)

// dequeueScript removes and returns the oldest entry of a queue, or nil
// when it is empty.
//
//	KEYS[1], KEYS[2] as for enqueueScript
//	KEYS[3] a claim key unique to this call, in the queue's slot
//
// The entry taken is also kept under the claim key for a minute, so that a
// resent script (go-redis resends a command whose reply was lost) returns
// the same entry instead of taking a second one, which would be lost.
var dequeueScript = redis.NewScript(`
local prev = redis.call('GET', KEYS[3])
if prev then return prev end
local p = redis.call('ZPOPMIN', KEYS[1])
if #p == 0 then return false end
local d = redis.call('HGET', KEYS[2], p[1])
if not d then return false end
redis.call('HDEL', KEYS[2], p[1])
redis.call('SET', KEYS[3], d, 'PX', 60000)
return d
`)
