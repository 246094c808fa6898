using Xunit.Abstractions;
using Xunit.Sdk;

namespace SidecarProxy.Rego.Conformance;

/// <summary>
/// Counts the cases of one run and, when the run ends, reports "OPA conformance: X of Y cases pass (Z known failures)"
/// as an xunit diagnostic message (shown by `dotnet test`; xunit.runner.json turns diagnostic messages on).
/// </summary>
public sealed class ConformanceTally(IMessageSink diagnostics) : IDisposable
{
    private int passed;
    private int knownFailures;
    private int unexpectedFailures;

    public void Record(bool passed, bool listedAsKnownFailure)
    {
        if (passed)
        {
            Interlocked.Increment(ref this.passed);
        }
        else if (listedAsKnownFailure)
        {
            Interlocked.Increment(ref knownFailures);
        }
        else
        {
            Interlocked.Increment(ref unexpectedFailures);
        }
    }

    public string Summary(IEnumerable<string> staleKnownFailures)
    {
        var total = passed + knownFailures + unexpectedFailures;
        var summary = $"OPA conformance: {passed:N0} of {total:N0} cases pass ({knownFailures:N0} known failures)";
        if (unexpectedFailures > 0)
        {
            summary += $", {unexpectedFailures:N0} unexpected failures";
        }

        // A listed id that names no case would hide nothing but makes the list lie about what fails.
        var stale = staleKnownFailures.ToList();
        if (stale.Count > 0)
        {
            summary += $"; {KnownFailures.FileName} lists {stale.Count} id(s) the suite does not have: {string.Join(", ", stale.Take(5))}";
        }

        return summary;
    }

    public void Dispose()
    {
        if (passed + knownFailures + unexpectedFailures == 0)
        {
            return;
        }

        var stale = KnownFailures.Default.Ids.Where(id => !ConformanceSuite.Cases.ContainsKey(id)).Order(StringComparer.Ordinal);
        diagnostics.OnMessage(new DiagnosticMessage(Summary(stale)));
    }
}
