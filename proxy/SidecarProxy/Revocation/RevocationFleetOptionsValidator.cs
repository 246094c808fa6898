using Microsoft.Extensions.Options;
using SidecarProxy.Configuration;
using StackExchange.Redis;

namespace SidecarProxy.Revocation;

/// <summary>
/// Checks <c>Sidecar:Revocations:Redis</c>, <c>MaxStaleness</c> and <c>OnStale</c>; every error names its key. The
/// connection string may hold a password: no message repeats it.
/// </summary>
internal sealed class RevocationFleetOptionsValidator : IValidateOptions<RevocationOptions>
{
    public ValidateOptionsResult Validate(string? name, RevocationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var revocations = options;
        var errors = new List<string>();
        if (revocations.Redis is { } redis)
        {
            if (ParseRedis(redis) is { } problem)
            {
                errors.Add("Sidecar:Revocations:Redis " + problem);
            }
        }

        if (revocations.MaxStaleness <= TimeSpan.Zero)
        {
            errors.Add($"Sidecar:Revocations:MaxStaleness must be positive (got {revocations.MaxStaleness})");
        }

        if (!RevocationOptions.OnStaleValues.Contains(revocations.OnStale))
        {
            errors.Add($"Sidecar:Revocations:OnStale must be one of {string.Join(", ", RevocationOptions.OnStaleValues)} (got '{Shorten(revocations.OnStale)}')");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Null when <paramref name="connectionString"/> is usable; otherwise why not, without its content.</summary>
    internal static string? ParseRedis(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return "must be a Redis connection string such as 127.0.0.1:6379 (it is empty)";
        }

        ConfigurationOptions parsed;
        try
        {
            parsed = ConfigurationOptions.Parse(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or NotSupportedException)
        {
            // The parser's message can quote the offending option; it is not repeated (it may be next to a password).
            return "is not a valid StackExchange.Redis connection string (an unknown option or a bad value); expected host:port[,option=value...]";
        }

        if (parsed.EndPoints.Count == 0)
        {
            return "names no endpoint; expected host:port[,option=value...]";
        }

        return null;
    }

    /// <summary>The connection string without its password (for logs).</summary>
    internal static string Redact(string connectionString)
    {
        try
        {
            return ConfigurationOptions.Parse(connectionString).ToString(includePassword: false);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or NotSupportedException)
        {
            return "(unparsable)";
        }
    }

    private static string Shorten(string? value) => value is null ? "" : value.Length <= 32 ? value : value[..32] + "...";
}
