using System.Diagnostics;
using System.Text.Json;
using SidecarProxy.Policy.Embedded;
using SidecarProxy.Rego;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Policy.Cli;

/// <summary>
/// <c>SidecarProxy policy test [DIR]</c> runs the <c>test_</c> rules like <c>opa test</c>;
/// <c>SidecarProxy policy eval --input FILE [DIR]</c> prints the decision for an input document.
/// Both use the embedded engine, so what they report is what the proxy enforces.
/// </summary>
internal static class PolicyCommand
{
    public const string Usage = """
        usage:
          SidecarProxy policy test [DIR] [-v]              run the test_ rules in DIR (default: policies)
          SidecarProxy policy eval --input FILE [DIR] [--decision data.x.y]
                                                           print the decision for the input document in FILE
        """;

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

        return args[0] switch
        {
            "test" => Test(args[1..], stdout, stderr),
            "eval" => Eval(args[1..], stdout, stderr),
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
        var decision = "data.sidecar.authz.decision";
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

        if (inputPath is null)
        {
            return UsageError(stderr, "policy eval needs --input FILE");
        }

        RegoValue input;
        try
        {
            input = RegoJson.Parse(File.ReadAllText(inputPath));
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"cannot read input {inputPath}: {e.Message}");
            return 2;
        }

        if (!TryLoad(directory ?? "policies", stderr, out var snapshot))
        {
            return 2;
        }

        try
        {
            var result = snapshot.Policy.Evaluate(decision, input);
            if (result is null)
            {
                stderr.WriteLine($"{decision} is undefined for this input (the proxy would answer 503 policy_unavailable)");
                return 1;
            }

            stdout.WriteLine(result.ToJson());
            if (!DecisionDocument.TryParse(result, out _, out var error))
            {
                stderr.WriteLine($"the decision is malformed: {error} (the proxy would answer 503 policy_unavailable)");
                return 1;
            }

            return 0;
        }
        catch (RegoEvaluationException e)
        {
            stderr.WriteLine($"evaluation failed: {e.Code}: {e.Message}");
            return 1;
        }
    }

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
