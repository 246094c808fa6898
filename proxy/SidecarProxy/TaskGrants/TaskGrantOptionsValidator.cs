using Microsoft.Extensions.Options;

namespace SidecarProxy.TaskGrants;

/// <summary>Lists every problem of <c>Sidecar:TaskGrants</c> at once.</summary>
internal sealed class TaskGrantOptionsValidator : IValidateOptions<TaskGrantOptions>
{
    public ValidateOptionsResult Validate(string? name, TaskGrantOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        const string p = TaskGrantOptions.SectionName;
        var hasPath = !string.IsNullOrWhiteSpace(options.JwksPath);
        var hasUrl = options.JwksUrl is not null;
        if (hasPath && hasUrl)
        {
            errors.Add($"{p}: set JwksPath or JwksUrl, not both.");
        }

        if (options.Required && !hasPath && !hasUrl)
        {
            errors.Add($"{p}:Required is true but neither JwksPath nor JwksUrl is set.");
        }

        if ((hasPath || hasUrl) && string.IsNullOrWhiteSpace(options.Issuer))
        {
            errors.Add($"{p}:Issuer is required when task grant keys are configured.");
        }

        if (hasPath && !File.Exists(options.JwksPath))
        {
            errors.Add($"{p}:JwksPath: file '{options.JwksPath}' does not exist.");
        }

        if (hasUrl && (!options.JwksUrl!.IsAbsoluteUri
            || (options.JwksUrl.Scheme != Uri.UriSchemeHttps && options.JwksUrl.Scheme != Uri.UriSchemeHttp)))
        {
            errors.Add($"{p}:JwksUrl must be an absolute http(s) URL.");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{p}:ClockSkew must be between 0 and 5 minutes.");
        }

        if (options.JwksRefreshInterval <= TimeSpan.Zero)
        {
            errors.Add($"{p}:JwksRefreshInterval must be positive.");
        }

        if (options.JwksMinimumRefreshInterval < TimeSpan.Zero)
        {
            errors.Add($"{p}:JwksMinimumRefreshInterval must not be negative.");
        }

        if (options.JwksTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{p}:JwksTimeout must be positive.");
        }

        if (options.MaxGrantLength < 64)
        {
            errors.Add($"{p}:MaxGrantLength must be at least 64.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
