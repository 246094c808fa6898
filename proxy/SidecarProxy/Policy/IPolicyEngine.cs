using SidecarProxy.Rego.Values;

namespace SidecarProxy.Policy;

/// <summary>Something that evaluates the decision rule for an input: the embedded Rego engine or an OPA server.</summary>
internal interface IPolicyEngine
{
    /// <summary><c>embedded</c> or <c>opa</c>: the metric label and the audit's engine name.</summary>
    string Name { get; }

    /// <summary>The revision in force: a stable hash of the loaded modules and data (embedded), or of the OPA URL and decision path (opa).</summary>
    string Revision { get; }

    /// <summary>True once a policy is loaded (embedded) or the server has answered its health check (opa).</summary>
    bool IsReady { get; }

    /// <summary>Evaluates the decision rule. Throws <see cref="PolicyEngineException"/> on any engine fault.</summary>
    ValueTask<PolicyEngineResult> EvaluateAsync(RegoValue input, CancellationToken cancellationToken);
}

/// <summary>The raw decision value (null when undefined), OPA's decision id if any, and the revision that produced it.</summary>
internal readonly record struct PolicyEngineResult(RegoValue? Value, string? DecisionId, string Revision);

/// <summary>The engine could not decide (error, timeout, unreachable). Fails closed as policy_unavailable.</summary>
internal sealed class PolicyEngineException : Exception
{
    public PolicyEngineException(string message)
        : base(message)
    {
    }

    public PolicyEngineException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public PolicyEngineException()
    {
    }
}
