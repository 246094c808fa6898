namespace SidecarProxy.Approvals;

/// <summary>
/// The Lua scripts of <see cref="RedisApprovalStore"/>: every change of an approval is one script, so Redis runs it
/// atomically (a vote, a consumption, an expiry and a cancellation never interleave, whichever sidecar sends them).
/// Layout:
/// <code>
/// sidecar:approvals:r:{id}      hash    id, digest, state, exp (Unix ms), min, data (immutable JSON: terms, context,
///                                       times), nv / na (votes / approving votes), v:{n} (vote JSON), by:{approver},
///                                       decided / ended (Unix ms), reason; PEXPIRE ttl + retention, then retention once ended
/// sidecar:approvals:pending     zset    id scored by exp: pending approvals
/// sidecar:approvals:open        zset    id scored by exp: pending or approved (what can still expire)
/// sidecar:approvals:all         zset    id scored by creation: every retained approval (listing)
/// sidecar:approvals:dedupe:{h}  string  id of the pending refuse-mode approval for a digest and terms (h)
/// sidecar:approvals:events      pub/sub "{id} {state}" whenever an approval leaves the pending state (or is used, ...)
/// </code>
/// Times are the calling sidecar's clock (ARGV[2]); key lifetimes are relative, so clock skew never deletes a key
/// early. Every script first expires what is due (at most 100) and returns those records first, so the sidecar that
/// expired them writes their audit line (exactly one sidecar does). Record keys other than KEYS[4] are derived in
/// the script: a standalone Redis (or a primary with replicas), not Redis Cluster.
/// </summary>
internal static class RedisApprovalScripts
{
    public const string Prefix = "sidecar:approvals:";
    public const string RecordPrefix = Prefix + "r:";
    public const string PendingKey = Prefix + "pending";
    public const string OpenKey = Prefix + "open";
    public const string AllKey = Prefix + "all";
    public const string DedupePrefix = Prefix + "dedupe:";
    public const string Channel = Prefix + "events";

    // KEYS: pending, open, all, record, dedupe. ARGV: channel, now (ms), keep (ms to keep an ended record), record prefix, ...
    private const string Common = """
        local PENDING, OPEN, ALL = KEYS[1], KEYS[2], KEYS[3]
        local CHANNEL, NOW_S, KEEP, PREFIX = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
        local NOW = tonumber(NOW_S)
        local expired = {}
        local function finish(key, id, state)
          redis.call('HSET', key, 'state', state, 'ended', NOW_S)
          redis.call('ZREM', PENDING, id)
          redis.call('ZREM', OPEN, id)
          redis.call('PEXPIRE', key, KEEP)
          redis.call('PUBLISH', CHANNEL, id .. ' ' .. state)
        end
        local function current(key, id)
          local state = redis.call('HGET', key, 'state')
          if (state == 'pending' or state == 'approved') and NOW >= tonumber(redis.call('HGET', key, 'exp')) then
            finish(key, id, 'expired')
            expired[#expired + 1] = redis.call('HGETALL', key)
            return 'expired'
          end
          return state
        end
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', OPEN, '-inf', NOW_S, 'LIMIT', 0, 100)) do
          current(PREFIX .. id, id)
          redis.call('ZREM', OPEN, id)
          redis.call('ZREM', PENDING, id)
        end

        """;

    /// <summary>ARGV 5..: id, digest, exp (ms), min approvals, data JSON, max pending, record lifetime (ms), dedupe (1/0), created (ms). Returns {expired, 1 new | 0 existing | -1 full, record}.</summary>
    public const string Create = Common + """
        if ARGV[12] == '1' then
          local existing = redis.call('GET', KEYS[5])
          if existing and current(PREFIX .. existing, existing) == 'pending' then
            return {expired, 0, redis.call('HGETALL', PREFIX .. existing)}
          end
        end
        if redis.call('ZCOUNT', PENDING, '(' .. NOW_S, '+inf') >= tonumber(ARGV[10]) then
          return {expired, -1}
        end
        redis.call('HSET', KEYS[4], 'id', ARGV[5], 'digest', ARGV[6], 'state', 'pending', 'exp', ARGV[7], 'min', ARGV[8],
          'data', ARGV[9], 'nv', '0', 'na', '0')
        redis.call('PEXPIRE', KEYS[4], ARGV[11])
        redis.call('ZADD', PENDING, ARGV[7], ARGV[5])
        redis.call('ZADD', OPEN, ARGV[7], ARGV[5])
        redis.call('ZADD', ALL, ARGV[13], ARGV[5])
        if ARGV[12] == '1' then
          redis.call('SET', KEYS[5], ARGV[5], 'PX', ARGV[11])
        end
        return {expired, 1, redis.call('HGETALL', KEYS[4])}
        """;

    /// <summary>ARGV 5: id. Returns {expired, record or empty}.</summary>
    public const string Get = Common + """
        current(KEYS[4], ARGV[5])
        return {expired, redis.call('HGETALL', KEYS[4])}
        """;

    /// <summary>
    /// ARGV 5..: id, approver, 1 approve / 0 deny, vote JSON. Any denial denies; enough distinct approvers approve.
    /// Returns {expired, not_found | expired | decided | voted | recorded, record}.
    /// </summary>
    public const string Vote = Common + """
        local key, id = KEYS[4], ARGV[5]
        local state = current(key, id)
        if not state then
          return {expired, 'not_found'}
        end
        if state == 'expired' then
          return {expired, 'expired', redis.call('HGETALL', key)}
        end
        if state ~= 'pending' then
          return {expired, 'decided', redis.call('HGETALL', key)}
        end
        if redis.call('HEXISTS', key, 'by:' .. ARGV[6]) == 1 then
          return {expired, 'voted', redis.call('HGETALL', key)}
        end
        local n = redis.call('HINCRBY', key, 'nv', 1)
        redis.call('HSET', key, 'v:' .. n, ARGV[8], 'by:' .. ARGV[6], ARGV[7])
        if ARGV[7] == '0' then
          redis.call('HSET', key, 'decided', NOW_S)
          finish(key, id, 'denied')
        elseif redis.call('HINCRBY', key, 'na', 1) >= tonumber(redis.call('HGET', key, 'min')) then
          redis.call('HSET', key, 'state', 'approved', 'decided', NOW_S)
          redis.call('ZREM', PENDING, id)
          redis.call('PUBLISH', CHANNEL, id .. ' approved')
        end
        return {expired, 'recorded', redis.call('HGETALL', key)}
        """;

    /// <summary>
    /// ARGV 5..: id, digest. The fleet-wide compare-and-set: approved and matching becomes used, once.
    /// Returns {expired, mismatch | consumed | (the state), record}. Unknown and another digest are the same answer.
    /// </summary>
    public const string Consume = Common + """
        local key, id = KEYS[4], ARGV[5]
        local state = current(key, id)
        if not state or redis.call('HGET', key, 'digest') ~= ARGV[6] then
          return {expired, 'mismatch'}
        end
        if state == 'approved' then
          finish(key, id, 'used')
          return {expired, 'consumed', redis.call('HGETALL', key)}
        end
        return {expired, state, redis.call('HGETALL', key)}
        """;

    /// <summary>ARGV 5..: id, expired | withdrawn. Ends a pending approval; returns {expired, 1, record} or {expired, 0}.</summary>
    public const string EndPending = Common + """
        if current(KEYS[4], ARGV[5]) == 'pending' then
          finish(KEYS[4], ARGV[5], ARGV[6])
          return {expired, 1, redis.call('HGETALL', KEYS[4])}
        end
        return {expired, 0}
        """;

    /// <summary>ARGV 5..: id, reason. Cancels an open approval; returns {expired, 1, record} or {expired, 0}.</summary>
    public const string Cancel = Common + """
        local state = current(KEYS[4], ARGV[5])
        if state == 'pending' or state == 'approved' then
          redis.call('HSET', KEYS[4], 'reason', ARGV[6])
          finish(KEYS[4], ARGV[5], 'cancelled')
          return {expired, 1, redis.call('HGETALL', KEYS[4])}
        end
        return {expired, 0}
        """;

    /// <summary>ARGV 5: pending | open | all. Returns {expired, {record, ...}}; forgets index entries whose record is gone.</summary>
    public const string List = Common + """
        local set = ALL
        if ARGV[5] == 'pending' then set = PENDING elseif ARGV[5] == 'open' then set = OPEN end
        local out = {}
        for _, id in ipairs(redis.call('ZRANGE', set, 0, -1)) do
          local key = PREFIX .. id
          if current(key, id) then
            out[#out + 1] = redis.call('HGETALL', key)
          else
            redis.call('ZREM', ALL, id)
            redis.call('ZREM', PENDING, id)
            redis.call('ZREM', OPEN, id)
          end
        end
        return {expired, out}
        """;

    /// <summary>Expires what is due (the common part), forgets up to 100 gone index entries; returns {expired, pending count}.</summary>
    public const string Sweep = Common + """
        for _, id in ipairs(redis.call('ZRANGE', ALL, 0, 99)) do
          if redis.call('EXISTS', PREFIX .. id) == 0 then
            redis.call('ZREM', ALL, id)
          end
        end
        return {expired, redis.call('ZCOUNT', PENDING, '(' .. NOW_S, '+inf')}
        """;
}
