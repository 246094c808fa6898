using Microsoft.Extensions.Options;
using SidecarProxy.Model;

namespace SidecarProxy.Approvals;

/// <summary>Lists every problem of <c>Sidecar:Approvals</c> at once; each error names its key.</summary>
internal sealed class ApprovalOptionsValidator : IValidateOptions<ApprovalOptions>
{
    public ValidateOptionsResult Validate(string? name, ApprovalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        const string p = ApprovalOptions.SectionName;
        if (options.MinApprovals is < 1 or > ApprovalRequirement.MaxApprovers)
        {
            errors.Add($"{p}:MinApprovals must be between 1 and {ApprovalRequirement.MaxApprovers} (got {options.MinApprovals})");
        }

        if (options.Ttl < TimeSpan.FromSeconds(1) || options.Ttl > TimeSpan.FromSeconds(ApprovalRequirement.MaxTtlSeconds))
        {
            errors.Add($"{p}:Ttl must be between 00:00:01 and 7.00:00:00 (got {options.Ttl})");
        }

        if (!ApprovalModes.IsValid(options.Mode))
        {
            errors.Add($"{p}:Mode must be '{ApprovalModes.Refuse}' or '{ApprovalModes.Hold}' (got '{options.Mode}')");
        }

        if (options.HoldTimeout < TimeSpan.FromSeconds(1) || options.HoldTimeout > TimeSpan.FromSeconds(ApprovalRequirement.MaxHoldSeconds))
        {
            errors.Add($"{p}:HoldTimeout must be between 00:00:01 and 01:00:00 (got {options.HoldTimeout})");
        }

        if (options.MaxBodyBytes is < 0 or > 64L * 1024 * 1024)
        {
            errors.Add($"{p}:MaxBodyBytes must be between 0 and 67108864 (got {options.MaxBodyBytes})");
        }

        if (options.ConsoleUrl is { } console
            && (!console.IsAbsoluteUri || (console.Scheme != Uri.UriSchemeHttps && console.Scheme != Uri.UriSchemeHttp)
                || !string.IsNullOrEmpty(console.Query) || !string.IsNullOrEmpty(console.Fragment)))
        {
            errors.Add($"{p}:ConsoleUrl must be an absolute http(s) URL without query or fragment (got '{console}')");
        }

        for (var i = 0; i < options.RedactFields.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.RedactFields[i]))
            {
                errors.Add($"{p}:RedactFields:{i} must not be empty");
            }
        }

        if (options.RetryAfterSeconds is < 1 or > 3600)
        {
            errors.Add($"{p}:RetryAfterSeconds must be between 1 and 3600 (got {options.RetryAfterSeconds})");
        }

        if (string.IsNullOrWhiteSpace(options.RequesterClaim))
        {
            errors.Add($"{p}:RequesterClaim must name a task grant claim");
        }

        if (options.MaxPending < 1)
        {
            errors.Add($"{p}:MaxPending must be at least 1 (got {options.MaxPending})");
        }

        if (options.DecidedRetention < TimeSpan.Zero)
        {
            errors.Add($"{p}:DecidedRetention must not be negative (got {options.DecidedRetention})");
        }

        if (options.Redis is { } redis && Revocation.RevocationFleetOptionsValidator.ParseRedis(redis) is { } problem)
        {
            errors.Add($"{p}:Redis {problem}");
        }

        ValidateWebhook(options.Webhook, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    // The URL may carry a token (many chat webhooks do) and the secret file holds a secret: no message repeats either.
    private static void ValidateWebhook(ApprovalWebhookOptions webhook, List<string> errors)
    {
        const string w = ApprovalOptions.SectionName + ":Webhook";
        if (webhook.Url is null)
        {
            if (webhook.SecretPath is not null)
            {
                errors.Add($"{w}:SecretPath is set but {w}:Url is not");
            }

            return;
        }

        var url = webhook.Url;
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp) || !string.IsNullOrEmpty(url.UserInfo))
        {
            errors.Add($"{w}:Url must be an absolute http(s) URL without user information");
        }

        if (string.IsNullOrWhiteSpace(webhook.SecretPath))
        {
            errors.Add($"{w}:SecretPath is required with {w}:Url (events are always signed)");
        }
        else if (!File.Exists(webhook.SecretPath))
        {
            errors.Add($"{w}:SecretPath: file '{webhook.SecretPath}' does not exist");
        }

        if (webhook.Timeout <= TimeSpan.Zero || webhook.Timeout > TimeSpan.FromMinutes(1))
        {
            errors.Add($"{w}:Timeout must be between 00:00:00.001 and 00:01:00 (got {webhook.Timeout})");
        }

        if (webhook.MaxAttempts is < 1 or > ApprovalWebhookOptions.MaxAttemptsLimit)
        {
            errors.Add($"{w}:MaxAttempts must be between 1 and {ApprovalWebhookOptions.MaxAttemptsLimit} (got {webhook.MaxAttempts})");
        }

        if (webhook.RetryDelay < TimeSpan.Zero || webhook.RetryDelay > TimeSpan.FromMinutes(1))
        {
            errors.Add($"{w}:RetryDelay must be between 00:00:00 and 00:01:00 (got {webhook.RetryDelay})");
        }

        if (webhook.QueueCapacity is < 1 or > 100_000)
        {
            errors.Add($"{w}:QueueCapacity must be between 1 and 100000 (got {webhook.QueueCapacity})");
        }
    }
}
