using Microsoft.Extensions.Options;

namespace SidecarProxy.Identity.WorkloadApi;

/// <summary>Reports every problem with <see cref="WorkloadApiOptions"/> at once, not the first.</summary>
internal sealed class WorkloadApiOptionsValidator : IValidateOptions<WorkloadApiOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkloadApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();

        if (!WorkloadApiAddress.TryParse(options.WorkloadApi, out _, out var addressError))
        {
            errors.Add($"Sidecar:Identity:WorkloadApi (or {WorkloadApiOptions.EndpointSocketVariable}): {addressError}");
        }

        if (options.WorkloadApiInitialBackoff <= TimeSpan.Zero)
        {
            errors.Add("Sidecar:Identity:WorkloadApiInitialBackoff must be positive");
        }

        if (options.WorkloadApiMaxBackoff < options.WorkloadApiInitialBackoff)
        {
            errors.Add("Sidecar:Identity:WorkloadApiMaxBackoff must not be shorter than WorkloadApiInitialBackoff");
        }

        if (options.WorkloadApiStartupWait < TimeSpan.Zero)
        {
            errors.Add("Sidecar:Identity:WorkloadApiStartupWait must not be negative");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
