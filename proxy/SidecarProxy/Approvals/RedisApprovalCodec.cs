using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace SidecarProxy.Approvals;

/// <summary>
/// Converts between <see cref="ApprovalRecord"/> and its Redis hash (<see cref="RedisApprovalScripts"/>): what never
/// changes (terms, context, creation and expiry) is one JSON member, <c>data</c>; what the scripts change (state,
/// votes, times) are hash fields of their own, so a script never has to parse JSON.
/// </summary>
internal static class RedisApprovalCodec
{
    /// <summary>The <c>data</c> member: everything the scripts never change.</summary>
    public static string SerializeData(ApprovalRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return JsonSerializer.Serialize(
            new StoredApproval(record.Terms, record.Context, record.CreatedAt, record.ExpiresAt), RedisApprovalJsonContext.Default.StoredApproval);
    }

    public static string SerializeVote(ApprovalVote vote) => JsonSerializer.Serialize(vote, RedisApprovalJsonContext.Default.ApprovalVote);

    /// <summary>The key of the pending refuse-mode approval for this digest and these terms.</summary>
    public static string DedupeKey(string digest, ApprovalTerms terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        var text = string.Join(
            '\n',
            digest,
            terms.MinApprovals.ToString(CultureInfo.InvariantCulture),
            string.Join(',', terms.ApproverRoles),
            terms.Ttl.Ticks.ToString(CultureInfo.InvariantCulture),
            terms.Mode,
            terms.HoldTimeout.Ticks.ToString(CultureInfo.InvariantCulture));
        return RedisApprovalScripts.DedupePrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>
    /// The record of an HGETALL reply (field, value, field, value...); null when it is empty (no such approval).
    /// Throws <see cref="InvalidDataException"/> when the hash is not an approval this sidecar can read.
    /// </summary>
    public static ApprovalRecord? Parse(RedisResult? reply)
    {
        if (reply is null || reply.IsNull)
        {
            return null;
        }

        var items = (RedisResult[])reply!;
        if (items.Length == 0)
        {
            return null;
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < items.Length; i += 2)
        {
            fields[(string)items[i]!] = (string?)items[i + 1] ?? string.Empty;
        }

        if (!fields.TryGetValue("id", out var id) || !fields.TryGetValue("digest", out var digest)
            || !fields.TryGetValue("state", out var state) || !fields.TryGetValue("data", out var data))
        {
            throw new InvalidDataException("an approval record in Redis lacks id, digest, state or data");
        }

        StoredApproval stored;
        try
        {
            stored = JsonSerializer.Deserialize(data, RedisApprovalJsonContext.Default.StoredApproval)
                ?? throw new InvalidDataException("an approval record in Redis has empty data");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException("an approval record in Redis has data that is not valid JSON", ex);
        }

        var count = fields.TryGetValue("nv", out var nv) ? int.Parse(nv, CultureInfo.InvariantCulture) : 0;
        var votes = new List<ApprovalVote>(count);
        for (var n = 1; n <= count; n++)
        {
            if (fields.TryGetValue("v:" + n.ToString(CultureInfo.InvariantCulture), out var json)
                && JsonSerializer.Deserialize(json, RedisApprovalJsonContext.Default.ApprovalVote) is { } vote)
            {
                votes.Add(vote);
            }
        }

        return new ApprovalRecord
        {
            Id = id,
            Digest = digest,
            State = state,
            Terms = stored.Terms,
            Context = stored.Context,
            CreatedAt = stored.CreatedAt,
            ExpiresAt = stored.ExpiresAt,
            Votes = votes,
            DecidedAt = Time(fields, "decided"),
            EndedAt = Time(fields, "ended"),
            EndReason = fields.GetValueOrDefault("reason"),
        };
    }

    public static string UnixMs(DateTimeOffset time) => time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    private static DateTimeOffset? Time(Dictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var ms) && long.TryParse(ms, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? DateTimeOffset.FromUnixTimeMilliseconds(value)
            : null;
}

/// <summary>The immutable part of an approval, as stored in Redis.</summary>
internal sealed record StoredApproval(ApprovalTerms Terms, ApprovalContext Context, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredApproval))]
[JsonSerializable(typeof(ApprovalVote))]
internal sealed partial class RedisApprovalJsonContext : JsonSerializerContext;
