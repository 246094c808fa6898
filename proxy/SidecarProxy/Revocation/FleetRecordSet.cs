using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace SidecarProxy.Revocation;

/// <summary>
/// The fleet's revocation set in Redis, a two-phase set keyed by record id (ids are random and never reused):
/// <code>
/// sidecar:revocations          hash   id -> record JSON (the API's shape): the records in force
/// sidecar:revocations:lifted   zset   id scored by the lift (or expiry) time in Unix ms: tombstones, kept 30 days
/// sidecar:revocations:version  string a counter bumped by every effective change
/// sidecar:revocations:epoch    string a random id set when the set is first written; a new one means the data was lost
/// sidecar:revocations:events   pub/sub channel: {"version", "epoch", "type": "created|lifted|expired", "origin", ...}
/// </code>
/// Every change is one Lua script (atomic: the record or tombstone, the version and the announcement together). An
/// add of a tombstoned id is refused, so a lift is final. A reader takes everything in one script too.
/// </summary>
internal sealed class FleetRecordSet(IDatabase database)
{
    public const string RecordsKey = "sidecar:revocations";
    public const string LiftedKey = "sidecar:revocations:lifted";
    public const string VersionKey = "sidecar:revocations:version";
    public const string EpochKey = "sidecar:revocations:epoch";
    public const string Channel = "sidecar:revocations:events";

    /// <summary>How long a tombstone is kept. A sidecar away longer than this may bring a lifted record back (fail closed).</summary>
    public static readonly TimeSpan TombstoneRetention = TimeSpan.FromDays(30);

    private static readonly RedisKey[] Keys = [RecordsKey, LiftedKey, VersionKey, EpochKey];

    // KEYS: records, lifted, version, epoch. ARGV: id, record JSON, channel, event JSON (without version/epoch), new epoch.
    private const string AddScript = """
        local epoch = redis.call('GET', KEYS[4])
        if not epoch then epoch = ARGV[5]; redis.call('SET', KEYS[4], epoch) end
        if redis.call('ZSCORE', KEYS[2], ARGV[1]) then
          return {-1, epoch, tonumber(redis.call('GET', KEYS[3]) or '0')}
        end
        if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
          return {0, epoch, tonumber(redis.call('GET', KEYS[3]) or '0')}
        end
        local v = redis.call('INCR', KEYS[3])
        redis.call('PUBLISH', ARGV[3], '{"version":' .. v .. ',"epoch":"' .. epoch .. '",' .. string.sub(ARGV[4], 2))
        return {1, epoch, v}
        """;

    // KEYS: records, lifted, version, epoch. ARGV: id, lift time (Unix ms), channel, event JSON, new epoch, prune before (Unix ms).
    private const string LiftScript = """
        local epoch = redis.call('GET', KEYS[4])
        if not epoch then epoch = ARGV[5]; redis.call('SET', KEYS[4], epoch) end
        redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[6])
        local record = redis.call('HGET', KEYS[1], ARGV[1])
        if not record then
          return {0, epoch, tonumber(redis.call('GET', KEYS[3]) or '0')}
        end
        redis.call('HDEL', KEYS[1], ARGV[1])
        local v = redis.call('INCR', KEYS[3])
        redis.call('PUBLISH', ARGV[3], '{"version":' .. v .. ',"epoch":"' .. epoch .. '",' .. string.sub(ARGV[4], 2))
        return {1, epoch, v, record}
        """;

    // KEYS: records, lifted, version, epoch.
    private const string ReadScript = """
        return {redis.call('GET', KEYS[4]) or '', tonumber(redis.call('GET', KEYS[3]) or '0'),
                redis.call('HGETALL', KEYS[1]), redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')}
        """;

    /// <summary>Writes <paramref name="record"/> unless its id is tombstoned; announces it when it is new.</summary>
    public async Task<FleetWrite> AddAsync(RevocationRecord record, string origin)
    {
        ArgumentNullException.ThrowIfNull(record);
        var json = JsonSerializer.Serialize(record, FleetJsonContext.Default.RevocationRecord);
        var message = JsonSerializer.Serialize(
            new FleetEvent { Type = FleetEvent.Created, Origin = origin, Record = record }, FleetJsonContext.Default.FleetEvent);
        var result = (RedisResult[])(await database.ScriptEvaluateAsync(
            AddScript, Keys, [record.Id, json, Channel, message, NewEpoch()]))!;
        return new FleetWrite((int)result[0], (string)result[1]!, (long)result[2], null);
    }

    /// <summary>Removes the record (a lift or an expiry) and tombstones its id, even when the set does not hold it.</summary>
    public async Task<FleetWrite> LiftAsync(string id, string type, DateTimeOffset at, string by, string? reason, string origin)
    {
        var message = JsonSerializer.Serialize(
            new FleetEvent { Type = type, Origin = origin, Id = id, At = at, By = by, Reason = reason }, FleetJsonContext.Default.FleetEvent);
        var result = (RedisResult[])(await database.ScriptEvaluateAsync(
            LiftScript,
            Keys,
            [id, at.ToUnixTimeMilliseconds(), Channel, message, NewEpoch(), (at - TombstoneRetention).ToUnixTimeMilliseconds()]))!;
        RevocationRecord? removed = null;
        if (result.Length > 3 && (string?)result[3] is { } json)
        {
            removed = ParseRecord(json);
        }

        return new FleetWrite((int)result[0], (string)result[1]!, (long)result[2], removed);
    }

    /// <summary>The whole set, atomically.</summary>
    public async Task<FleetSnapshot> ReadAsync()
    {
        var result = (RedisResult[])(await database.ScriptEvaluateAsync(ReadScript, Keys))!;
        var epoch = (string?)result[0];
        var version = (long)result[1];
        var pairs = (RedisResult[])result[2]!;
        var records = new Dictionary<string, RevocationRecord>(StringComparer.Ordinal);
        var invalid = 0;
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            var id = (string)pairs[i]!;
            if (ParseRecord((string?)pairs[i + 1]) is { } record && record.Id == id)
            {
                records[id] = record;
            }
            else
            {
                invalid++;
            }
        }

        var tombstones = (RedisResult[])result[3]!;
        var lifted = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < tombstones.Length; i += 2)
        {
            var score = double.Parse((string)tombstones[i + 1]!, CultureInfo.InvariantCulture);
            lifted[(string)tombstones[i]!] = DateTimeOffset.FromUnixTimeMilliseconds((long)score);
        }

        return new FleetSnapshot(string.IsNullOrEmpty(epoch) ? null : epoch, version, records, lifted, invalid);
    }

    /// <summary>The (epoch, version) pair, one round trip: the heartbeat.</summary>
    public async Task<(string? Epoch, long Version)> ReadVersionAsync()
    {
        var values = await database.StringGetAsync([EpochKey, VersionKey]);
        var epoch = values[0].IsNullOrEmpty ? null : (string?)values[0];
        var version = values[1].IsNullOrEmpty ? 0 : (long)values[1];
        return (epoch, version);
    }

    /// <summary>A record in the set's JSON; null when it is not a valid record (it is then ignored and counted).</summary>
    internal static RevocationRecord? ParseRecord(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            var record = JsonSerializer.Deserialize(json, FleetJsonContext.Default.RevocationRecord);
            return IsValid(record) ? record : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static bool IsValid(RevocationRecord? record) =>
        record is { Id.Length: > 0, Subject: not null, Reason: not null, CreatedBy: not null }
        && RevocationActions.All.Contains(record.Action)
        && record.Subject.Value is not null
        && RevocationRequest.ValidateSubject(record.Subject.Kind, record.Subject.Value) is null;

    private static string NewEpoch() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
}

/// <summary>The outcome of a write: 1 changed, 0 nothing to change, -1 refused (the id is tombstoned).</summary>
internal readonly record struct FleetWrite(int Outcome, string Epoch, long Version, RevocationRecord? Removed)
{
    public bool Changed => Outcome == 1;

    public bool Tombstoned => Outcome == -1;
}

/// <summary>The fleet's set as read at one instant.</summary>
internal sealed record FleetSnapshot(
    string? Epoch,
    long Version,
    IReadOnlyDictionary<string, RevocationRecord> Records,
    IReadOnlyDictionary<string, DateTimeOffset> Lifted,
    int InvalidRecords);

/// <summary>An announcement on <see cref="FleetRecordSet.Channel"/>.</summary>
internal sealed record FleetEvent
{
    public const string Created = "created";
    public const string Lifted = "lifted";
    public const string Expired = "expired";

    [JsonPropertyName("version")]
    public long? Version { get; init; }

    [JsonPropertyName("epoch")]
    public string? Epoch { get; init; }

    [JsonPropertyName("type")]
    public required string Type { get; init; }

    /// <summary>The sidecar instance that made the change (it applied it already).</summary>
    [JsonPropertyName("origin")]
    public required string Origin { get; init; }

    [JsonPropertyName("record")]
    public RevocationRecord? Record { get; init; }

    [JsonPropertyName("id")]
    public string? Id { get; init; }

    [JsonPropertyName("at")]
    public DateTimeOffset? At { get; init; }

    [JsonPropertyName("by")]
    public string? By { get; init; }

    [JsonPropertyName("reason")]
    public string? Reason { get; init; }

    public static FleetEvent? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            var parsed = JsonSerializer.Deserialize(json, FleetJsonContext.Default.FleetEvent);
            return parsed switch
            {
                { Version: null } or { Epoch: null } => null,
                { Type: Created } when FleetRecordSet.IsValid(parsed.Record) => parsed,
                { Type: Lifted or Expired, Id.Length: > 0 } => parsed,
                _ => null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RevocationRecord))]
[JsonSerializable(typeof(FleetEvent))]
internal sealed partial class FleetJsonContext : JsonSerializerContext;
