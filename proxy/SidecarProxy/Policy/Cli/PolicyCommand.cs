using System.Diagnostics;
using System.Text.Json;
using SidecarProxy.Model;
using SidecarProxy.Policy.Embedded;
using SidecarProxy.Policy.Reach;
using SidecarProxy.Rego.Values;
using SidecarProxy.Rego;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Policy.Cli;

/// <summary>
/// <c>SidecarProxy policy test [DIR]</c> runs the <c>test_</c> rules like <c>opa test</c>;
/// <c>SidecarProxy policy eval [--input FILE] [--decision REF|QUERY] [DIR]</c> prints the decision, any rule or
/// the bindings of a query, like <c>opa eval</c>. Both use the embedded engine, so what they report is what the
/// proxy enforces.
/// </summary>
internal static class PolicyCommand
{
    public const string DefaultDecision = "data.sidecar.authz.decision";

    public const string Usage = """
        usage:
          SidecarProxy policy test [DIR] [-v]              run the test_ rules in DIR (default: policies)
          SidecarProxy policy eval [--input FILE] [--decision REF|QUERY] [DIR]
                                                           evaluate a rule or a query (default: the decision)
          SidecarProxy policy reach --principal SPIFFE_ID [--task-claims FILE] [--config FILE] [--json] [DIR]
                                                           what this identity can reach: every tool and action
          SidecarProxy policy COMMAND --help               help for a command
        """;

    public const string ReachUsage = """
        usage: SidecarProxy policy reach --principal SPIFFE_ID [--task-claims FILE] [--config FILE] [--json] [DIR]

          -p, --principal ID    the identity to ask about (a SPIFFE ID)
          -t, --task-claims F   the claims of a task grant (JSON object: task_id or jti, iss, exp, others); without it,
                                every request is asked without a task grant
          -c, --config FILE     a proxy configuration (appsettings.json): its ReverseProxy routes' Metadata.Tool (and
                                Labels.*) are asked about too
          --json                JSON for scripts instead of a table
          DIR                   the policy directory [policies]

        Asks the decision about every tool (the catalogue data.sidecar.tools, plus the configuration's routes) and every
        action (from the policy's method mapping data.sidecar.authz.actions: read GET, write POST, delete DELETE) and prints
        what is allowed, the scopes, the credential's maximum lifetime (ttl) and whether an approval is required.
        Exit code: 0, 1 when a decision failed, 2 on a usage or load error.
        """;

    public const string TestUsage = """
        usage: SidecarProxy policy test [DIR] [-v|--verbose]

        Runs every rule named test_* in the policy directory DIR (default: policies) with the embedded engine,
        like `opa test`: prints FAIL lines (and PASS lines with -v), then "N passed, M failed".
        Exit code: 0 when all pass, 1 when one fails, 2 when the policy does not load.
        """;

    public const string EvalUsage = """
        usage: SidecarProxy policy eval [--input FILE] [--decision REF|QUERY] [DIR]

          -i, --input FILE      the input document (JSON); without it, input is undefined
          -d, --decision REF    a rule or document, e.g. data.sidecar.authz.deny (prints its value, a set as an
                                array), or a query, e.g. 'data.sidecar.authz.deny[msg]' (prints one JSON object of
                                bindings per result, as a JSON array) [data.sidecar.authz.decision]
          DIR                   the policy directory [policies]

        For the default decision the document is also checked as the proxy would (a malformed decision is 503).
        Exit code: 0, 1 when the result is undefined or evaluation fails, 2 on a usage or load error.
        """;

    private static readonly System.Text.RegularExpressions.Regex SimpleRef =
        new(@"^(data|input)(\.[A-Za-z_][A-Za-z0-9_]*)*$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>Runs the subcommand; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Length == 0)
        {
            stderr.WriteLine(Usage);
            return 2;
        }

        if (IsHelp(args[0]) || args[0] == "help")
        {
            stdout.WriteLine(Usage);
            return 0;
        }

        if (args[1..].Any(IsHelp))
        {
            stdout.WriteLine(args[0] switch
            {
                "test" => TestUsage,
                "eval" => EvalUsage,
                "reach" => ReachUsage,
                _ => Usage,
            });
            return 0;
        }

        return args[0] switch
        {
            "test" => Test(args[1..], stdout, stderr),
            "eval" => Eval(args[1..], stdout, stderr),
            "reach" => ReachCommand(args[1..], stdout, stderr),
            _ => UsageError(stderr, $"unknown policy command '{args[0]}'"),
        };
    }

    private static int Test(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var verbose = args.Contains("-v") || args.Contains("--verbose");
        var positional = args.Where(a => !a.StartsWith('-')).ToList();
        if (positional.Count > 1)
        {
            return UsageError(stderr, "policy test takes at most one directory");
        }

        var directory = positional.Count == 1 ? positional[0] : "policies";
        if (!TryLoad(directory, stderr, out var snapshot))
        {
            return 2;
        }

        int passed = 0, failed = 0;
        foreach (var rule in snapshot.Policy.TestRules)
        {
            var watch = Stopwatch.StartNew();
            string? failure;
            try
            {
                var result = snapshot.Policy.Evaluate(rule, input: null);
                failure = result switch
                {
                    null => "undefined",
                    RegoBoolean { Value: false } => "false",
                    _ => null,
                };
            }
            catch (RegoEvaluationException e)
            {
                failure = $"error: {e.Code}: {e.Message}";
            }

            watch.Stop();
            var elapsed = $"{watch.Elapsed.TotalMilliseconds:0.###}ms";
            if (failure is null)
            {
                passed++;
                if (verbose)
                {
                    stdout.WriteLine($"PASS {rule} ({elapsed})");
                }
            }
            else
            {
                failed++;
                stdout.WriteLine($"FAIL {rule} ({elapsed}): {failure}");
            }
        }

        if (passed + failed == 0)
        {
            stderr.WriteLine($"no test_ rules found in {directory}");
            return 2;
        }

        stdout.WriteLine($"{passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    private static int Eval(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? inputPath = null;
        string? directory = null;
        var decision = DefaultDecision;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--input" or "-i" when i + 1 < args.Length:
                    inputPath = args[++i];
                    break;
                case "--decision" or "-d" when i + 1 < args.Length:
                    decision = args[++i];
                    break;
                default:
                    if (args[i].StartsWith('-') || directory is not null)
                    {
                        return UsageError(stderr, $"unexpected argument '{args[i]}'");
                    }

                    directory = args[i];
                    break;
            }
        }

        RegoValue? input = null;
        if (inputPath is not null)
        {
            try
            {
                input = RegoJson.Parse(File.ReadAllText(inputPath));
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"cannot read input {inputPath}: {e.Message}");
                return 2;
            }
        }

        if (!TryLoad(directory ?? "policies", stderr, out var snapshot))
        {
            return 2;
        }

        try
        {
            return SimpleRef.IsMatch(decision)
                ? EvalRef(snapshot, decision, input, stdout, stderr)
                : EvalQuery(snapshot, decision, input, stdout, stderr);
        }
        catch (RegoEvaluationException e)
        {
            stderr.WriteLine($"evaluation failed: {e.Code}: {e.Message}");
            return 1;
        }
        catch (RegoCompileException e)
        {
            stderr.WriteLine($"cannot compile '{decision}': {e.Message}");
            return 2;
        }
    }

    private static int EvalRef(PolicySnapshot snapshot, string path, RegoValue? input, TextWriter stdout, TextWriter stderr)
    {
        var result = snapshot.Policy.Evaluate(path, input);
        var isDecision = path == DefaultDecision;
        if (result is null)
        {
            stderr.WriteLine(isDecision
                ? $"{path} is undefined for this input (the proxy would answer 503 policy_unavailable)"
                : $"{path} is undefined for this input");
            return 1;
        }

        stdout.WriteLine(result.ToJson());
        if (isDecision && !DecisionDocument.TryParse(result, out _, out var error))
        {
            stderr.WriteLine($"the decision is malformed: {error} (the proxy would answer 503 policy_unavailable)");
            return 1;
        }

        return 0;
    }

    // A query such as data.sidecar.authz.deny[msg]: one object of bindings per result, as opa eval's "bindings".
    private static int EvalQuery(PolicySnapshot snapshot, string query, RegoValue? input, TextWriter stdout, TextWriter stderr)
    {
        var rows = snapshot.Policy.Query(query, input);
        if (rows.Count == 0)
        {
            stderr.WriteLine($"{query} is undefined for this input");
            return 1;
        }

        var text = new System.Text.StringBuilder("[");
        for (var i = 0; i < rows.Count; i++)
        {
            text.Append(i == 0 ? "" : ",").Append('{');
            var first = true;
            foreach (var (name, value) in rows[i].OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                text.Append(first ? "" : ",").Append(JsonSerializer.Serialize(name)).Append(':').Append(value.ToJson());
                first = false;
            }

            text.Append('}');
        }

        stdout.WriteLine(text.Append(']').ToString());
        return 0;
    }

    private static int ReachCommand(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? principal = null, claimsPath = null, configPath = null, directory = null;
        var asJson = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--principal" or "-p" when i + 1 < args.Length:
                    principal = args[++i];
                    break;
                case "--task-claims" or "-t" when i + 1 < args.Length:
                    claimsPath = args[++i];
                    break;
                case "--config" or "-c" when i + 1 < args.Length:
                    configPath = args[++i];
                    break;
                case "--json":
                    asJson = true;
                    break;
                default:
                    if (args[i].StartsWith('-') || directory is not null)
                    {
                        return UsageError(stderr, $"unexpected argument '{args[i]}'");
                    }

                    directory = args[i];
                    break;
            }
        }

        if (principal is null)
        {
            return UsageError(stderr, "policy reach needs --principal SPIFFE_ID");
        }

        if (!Spiffe.SpiffeId.TryParse(principal, out var id, out var idError) || id.Path.Length == 0)
        {
            stderr.WriteLine($"--principal: '{principal}' is not the SPIFFE ID of a workload" + (idError == default ? string.Empty : $" ({idError.Message()})"));
            return 2;
        }

        var now = DateTimeOffset.UtcNow;
        Model.TaskContext? task = null;
        var configTools = new List<SidecarProxy.Policy.Reach.ReachTool>();
        try
        {
            if (claimsPath is not null)
            {
                using var claims = JsonDocument.Parse(File.ReadAllText(claimsPath));
                if (claims.RootElement.ValueKind != JsonValueKind.Object)
                {
                    stderr.WriteLine($"--task-claims: {claimsPath} must hold a JSON object of claims");
                    return 2;
                }

                task = SidecarProxy.Policy.Reach.ReachEvaluator.TaskFromClaims(claims.RootElement, now);
            }

            if (configPath is not null)
            {
                using var config = JsonDocument.Parse(File.ReadAllText(configPath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                configTools.AddRange(SidecarProxy.Policy.Reach.ReachEvaluator.ToolsFromConfiguration(config.RootElement));
            }
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"cannot read {(e is JsonException ? "JSON" : "file")}: {e.Message}");
            return 2;
        }

        if (!TryLoad(directory ?? "policies", stderr, out var snapshot))
        {
            return 2;
        }

        IReadOnlyList<SidecarProxy.Policy.Reach.ReachRow> rows;
        try
        {
            var tools = SidecarProxy.Policy.Reach.ReachEvaluator.Merge(
                SidecarProxy.Policy.Reach.ReachEvaluator.ToolsFromCatalogue(snapshot.Policy.Evaluate("data.sidecar.tools", null)?.ToJson()), configTools);
            if (tools.Count == 0)
            {
                stderr.WriteLine("no tools: the policy has no data.sidecar.tools catalogue; name a proxy configuration with --config");
                return 2;
            }

            var actions = SidecarProxy.Policy.Reach.ReachEvaluator.ActionsFrom(snapshot.Policy.Evaluate(SidecarProxy.Policy.Reach.ReachEvaluator.ActionsRef, null)?.ToJson());
            rows = SidecarProxy.Policy.Reach.ReachEvaluator.EvaluateAsync(id.ToString(), task, null, tools, actions, request =>
            {
                var value = snapshot.Policy.Evaluate(DefaultDecision, PolicyInputBuilder.Build(request));
                return DecisionDocument.TryParse(value, out var decision, out var error)
                    ? ValueTask.FromResult(decision)
                    : throw new PolicyEngineException(error);
            }, now, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (RegoEvaluationException e)
        {
            stderr.WriteLine($"evaluation failed: {e.Code}: {e.Message}");
            return 1;
        }

        stdout.WriteLine(asJson ? SidecarProxy.Policy.Reach.ReachEvaluator.ToJson(id.ToString(), task, rows) : SidecarProxy.Policy.Reach.ReachEvaluator.ToTable(id.ToString(), task, rows));
        return rows.Any(r => r.Error is not null) ? 1 : 0;
    }

    private static bool IsHelp(string arg) => arg is "--help" or "-h" or "-?";

    private static bool TryLoad(string directory, TextWriter stderr, out PolicySnapshot snapshot)
    {
        try
        {
            snapshot = PolicyDirectoryLoader.Load(directory);
            return true;
        }
        catch (PolicyLoadException e)
        {
            stderr.WriteLine(e.Message);
            snapshot = null!;
            return false;
        }
    }

    private static int UsageError(TextWriter stderr, string message)
    {
        stderr.WriteLine(message);
        stderr.WriteLine(Usage);
        return 2;
    }
}
