using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Conformance;

/// <summary>Runs one case the way OPA's own harness compares results. Returns null on success, else why it failed.</summary>
public static class ConformanceRunner
{
    public static string? Run(ConformanceCase c)
    {
        var expectsError = c.WantErrorCode is not null || c.WantError is not null;
        IReadOnlyList<IReadOnlyDictionary<string, RegoValue>> rows;
        try
        {
            var modules = c.Modules.Select((text, i) => new RegoModuleSource($"test-{i}.rego", text)).ToList();
            var policy = RegoCompiler.Compile(modules, c.Data ?? RegoObject.Empty);
            var options = new EvaluationOptions
            {
                StrictBuiltinErrors = c.StrictError,
                MaxSteps = 50_000_000,
                Timeout = TimeSpan.FromSeconds(30),
                Now = DateTimeOffset.UtcNow,
            };
            rows = c.InputTerm is not null
                ? policy.QueryWithInputTerm(c.Query, c.InputTerm, options)
                : policy.Query(c.Query, c.Input, options);
        }
        catch (RegoCompileException e)
        {
            var code = e.Errors.Count > 0 ? e.Errors[0].Code : "rego_compile_error";
            return expectsError ? CheckError(c, code, e.Message) : $"unexpected compile error: {Short(e.Message)}";
        }
        catch (RegoEvaluationException e)
        {
            return expectsError ? CheckError(c, e.Code, e.Message) : $"unexpected error: {e.Code}: {Short(e.Message)}";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"crash: {e.GetType().Name}: {Short(e.Message)}";
        }

        if (expectsError)
        {
            return $"expected error {c.WantErrorCode} {c.WantError} but got {rows.Count} row(s)";
        }

        if (c.WantResult is not RegoArray want)
        {
            return "case has neither want_result nor an expected error";
        }

        var actualRows = rows.Select(r => Normalize(ToJsonShape(RegoObject.FromStrings(r)), c.SortBindings)).ToList();
        var expectedRows = want.Items.ToArray().Select(r => Normalize(r, c.SortBindings)).ToList();
        var actualSet = RegoSet.From(actualRows);
        var expectedSet = RegoSet.From(expectedRows);
        if (actualSet.Equals(expectedSet))
        {
            return null;
        }

        return $"want {Short(expectedSet.ToString())} got {Short(actualSet.ToString())}";
    }

    private static string? CheckError(ConformanceCase c, string code, string message)
    {
        if (c.WantErrorCode is not null && !string.Equals(c.WantErrorCode, code, StringComparison.Ordinal))
        {
            return $"want error code {c.WantErrorCode} got {code}: {Short(message)}";
        }

        if (c.WantError is not null && !message.Contains(c.WantError, StringComparison.Ordinal))
        {
            return $"want error containing \"{c.WantError}\" got {code}: {Short(message)}";
        }

        return null;
    }

    private static RegoValue ToJsonShape(RegoValue v) => RegoJson.Parse(RegoJson.Serialize(v));

    private static RegoValue Normalize(RegoValue row, bool sortBindings)
    {
        if (!sortBindings || row is not RegoObject o)
        {
            return row;
        }

        var map = new Dictionary<RegoValue, RegoValue>();
        foreach (var (k, v) in o.Entries)
        {
            map[k] = v is RegoArray a ? new RegoArray(a.Items.ToArray().Order().ToArray()) : v;
        }

        return new RegoObject(map);
    }

    private static string Short(string s)
    {
        s = s.Replace('\n', ' ');
        return s.Length > 300 ? s[..300] + "..." : s;
    }
}
