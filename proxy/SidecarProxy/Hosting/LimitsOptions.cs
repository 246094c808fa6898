using Microsoft.Extensions.Options;

namespace SidecarProxy.Hosting;

/// <summary>
/// <c>Sidecar:Limits</c>: Kestrel's request limits, set explicitly by <see cref="SidecarKestrelSetup"/> for every
/// listener. A request over a size limit is refused (431 or 413) and a client too slow is dropped, while other
/// agents are served.
/// </summary>
internal sealed record LimitsOptions
{
    public const string SectionName = "Sidecar:Limits";

    /// <summary>Largest request body, in bytes [10485760 = 10 MiB]; larger is 413.</summary>
    public long MaxRequestBodySize { get; init; } = 10 * 1024 * 1024;

    /// <summary>Largest total size of the request line's headers, in bytes [32768]; larger is 431.</summary>
    public int MaxRequestHeadersTotalSize { get; init; } = 32 * 1024;

    /// <summary>Time a client has to send all request headers [00:00:10]; Kestrel's default is 30 s.</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time an idle keep-alive connection stays open [00:02:00].</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Slowest accepted request body rate, in bytes per second [240], after the grace period.</summary>
    public double MinRequestBodyDataRate { get; init; } = 240;

    /// <summary>Time before <see cref="MinRequestBodyDataRate"/> is enforced [00:00:05]; more than 1 s.</summary>
    public TimeSpan MinRequestBodyDataRateGracePeriod { get; init; } = TimeSpan.FromSeconds(5);
}

internal sealed class LimitsOptionsValidator : IValidateOptions<LimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, LimitsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        const string Section = LimitsOptions.SectionName;
        if (options.MaxRequestBodySize < 0)
        {
            errors.Add($"{Section}:MaxRequestBodySize must be 0 or more bytes");
        }

        if (options.MaxRequestHeadersTotalSize < 1024)
        {
            errors.Add($"{Section}:MaxRequestHeadersTotalSize must be at least 1024 bytes");
        }

        if (options.RequestHeadersTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{Section}:RequestHeadersTimeout must be positive");
        }

        if (options.KeepAliveTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{Section}:KeepAliveTimeout must be positive");
        }

        if (!(options.MinRequestBodyDataRate > 0) || double.IsInfinity(options.MinRequestBodyDataRate))
        {
            errors.Add($"{Section}:MinRequestBodyDataRate must be a positive number of bytes per second");
        }

        // Kestrel checks rates on a 1 s heartbeat and refuses a grace period that is not longer.
        if (options.MinRequestBodyDataRateGracePeriod <= TimeSpan.FromSeconds(1))
        {
            errors.Add($"{Section}:MinRequestBodyDataRateGracePeriod must be longer than 1 second");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
