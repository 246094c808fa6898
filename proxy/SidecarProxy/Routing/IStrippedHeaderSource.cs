namespace SidecarProxy.Routing;

/// <summary>
/// Contributes request header names that carry credentials or identity and must never reach a tool nor
/// the policy input. The credential helper registers one naming each provider's header.
/// </summary>
internal interface IStrippedHeaderSource
{
    IEnumerable<string> HeaderNames { get; }
}
