using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Admin.Cli;

/// <summary>
/// <c>SidecarProxy admin drill</c>: a fleet revocation drill. Revokes a canary SPIFFE ID through the first sidecar
/// (with a 15-minute expiry, so an interrupted drill cleans up after itself), checks at every listed sidecar that the
/// revocation is listed and enforced (<c>GET /admin/revocations/check</c>: refused, no cached credentials) and how long
/// that took, then lifts it and checks the lift reached every sidecar. Exit codes: 0 every step passed, 1 a step
/// failed (the report says which), 2 usage error, 3 the first sidecar cannot be reached.
/// </summary>
internal static class DrillCommand
{
    public const string Name = "drill";

    private const string UsageText = """
        usage: SidecarProxy admin drill --sidecar https://HOST:PORT [--sidecar https://HOST:PORT ...] --canary SPIFFE_ID
                                        --cert admin.pem --key admin-key.pem --ca ca.pem [--timeout SECONDS] [--json]
          Revokes the canary through the first sidecar, checks every sidecar refuses it (and lists the record), reports
          the propagation time per sidecar, lifts it and checks every sidecar admits it again.
          --timeout: how long each sidecar may take per step (default 10 s). The caller needs the role revoke.
        exit codes: 0 passed, 1 a step failed, 2 usage error, 3 the first sidecar cannot be reached
        """;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (!TryParse(args, out var options, out var problem))
        {
            await error.WriteLineAsync("admin drill: " + problem);
            await error.WriteLineAsync(UsageText);
            return AdminCommand.Usage;
        }

        var clients = new List<HttpClient>();
        try
        {
            foreach (var url in options.Sidecars)
            {
                clients.Add(AdminCommand.CreateClient(url, options.Cert!, options.Key!, options.Ca!));
            }
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            clients.ForEach(c => c.Dispose());
            await error.WriteLineAsync($"admin drill: cannot read the certificate files: {ex.Message}");
            return AdminCommand.Usage;
        }

        try
        {
            var report = await DrillAsync(options, clients);
            if (options.Json)
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(report, DrillJson.Options));
            }
            else
            {
                await output.WriteAsync(Render(report));
            }

            foreach (var failure in report.Errors)
            {
                await error.WriteLineAsync("admin drill: " + failure);
            }

            return report.Unreachable ? AdminCommand.Unreachable : report.Passed ? AdminCommand.Ok : AdminCommand.Refused;
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    internal sealed record DrillOptions
    {
        public List<Uri> Sidecars { get; } = [];

        public string? Canary { get; set; }

        public string? Cert { get; set; }

        public string? Key { get; set; }

        public string? Ca { get; set; }

        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

        public bool Json { get; set; }
    }

    internal static bool TryParse(string[] args, out DrillOptions options, out string problem)
    {
        options = new DrillOptions();
        problem = string.Empty;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--json")
            {
                options.Json = true;
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                problem = $"unexpected argument '{arg}'";
                return false;
            }

            if (i + 1 >= args.Length)
            {
                problem = $"{arg} needs a value";
                return false;
            }

            var value = args[++i];
            switch (arg)
            {
                case "--sidecar":
                    if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
                    {
                        problem = $"--sidecar must be an https:// URL of an admin listener (got '{value}')";
                        return false;
                    }

                    options.Sidecars.Add(url);
                    break;
                case "--canary":
                    if (!SpiffeId.TryParse(value, out var id, out var error) || id.Path.Length == 0)
                    {
                        problem = $"--canary must be the SPIFFE ID of a workload (got '{value}'{(error == SpiffeIdError.None ? ": it has no path" : ": " + error.Message())})";
                        return false;
                    }

                    options.Canary = value;
                    break;
                case "--cert": options.Cert = value; break;
                case "--key": options.Key = value; break;
                case "--ca": options.Ca = value; break;
                case "--timeout":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0 || seconds > 3600)
                    {
                        problem = $"--timeout must be a number of seconds between 0 and 3600 (got '{value}')";
                        return false;
                    }

                    options.Timeout = TimeSpan.FromSeconds(seconds);
                    break;
                default:
                    problem = $"unknown option '{arg}'";
                    return false;
            }
        }

        if (options.Sidecars.Count == 0)
        {
            problem = "name at least one --sidecar (the first one takes the revocation)";
            return false;
        }

        if (options.Canary is null)
        {
            problem = "--canary is required (a SPIFFE ID no real agent uses)";
            return false;
        }

        if (options.Cert is null || options.Key is null || options.Ca is null)
        {
            problem = "--cert, --key and --ca are required";
            return false;
        }

        return true;
    }

    private static async Task<DrillReport> DrillAsync(DrillOptions options, List<HttpClient> clients)
    {
        var report = new DrillReport { Canary = options.Canary!, Sidecars = [.. options.Sidecars.Select(u => new SidecarResult { Url = u.ToString() })] };

        // 0. The canary must not be revoked anywhere before the drill, or nothing it shows is meaningful.
        var before = await Task.WhenAll(clients.Select(c => CheckAsync(c, options.Canary!)));
        for (var i = 0; i < before.Length; i++)
        {
            if (before[i].Error is { } error)
            {
                report.Errors.Add($"{options.Sidecars[i]}: preflight check failed: {error}");
                report.Unreachable |= i == 0 && before[i].Unreachable;
            }
            else if (before[i].Refused)
            {
                report.Errors.Add($"{options.Sidecars[i]}: the canary is already refused ({before[i].Code}) before the drill; lift that first");
            }
        }

        if (report.Errors.Count > 0)
        {
            return report;
        }

        // 1. Revoke through the first sidecar.
        var body = JsonSerializer.Serialize(new
        {
            subject = new { kind = "spiffe_id", value = options.Canary },
            action = "revoke",
            reason = "admin drill: fleet revocation propagation check",
            expires_at = DateTimeOffset.UtcNow.AddMinutes(15).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        });
        using var content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        string id;
        Stopwatch clock;
        try
        {
            using var response = await clients[0].PostAsync(new Uri(AdminEndpoints.RevocationsPath, UriKind.Relative), content);
            var text = await response.Content.ReadAsStringAsync();
            clock = Stopwatch.StartNew();
            if ((int)response.StatusCode != 201)
            {
                report.Errors.Add($"{options.Sidecars[0]}: revoke refused: " + AdminCommand.DescribeProblem((int)response.StatusCode, text));
                return report;
            }

            using var created = JsonDocument.Parse(text);
            id = created.RootElement.GetProperty("id").GetString()!;
            report.RevocationId = id;
            report.Fleet = created.RootElement.TryGetProperty("fleet", out var fleet) ? fleet.GetString() : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or AuthenticationException or TaskCanceledException or IOException)
        {
            report.Unreachable = true;
            report.Errors.Add($"{options.Sidecars[0]}: cannot reach it to revoke: {AdminCommand.Describe(ex)}");
            return report;
        }

        // 2. Every sidecar refuses the canary, holds no credential for it, and lists the record.
        await Task.WhenAll(clients.Select(async (client, i) =>
        {
            var result = report.Sidecars[i];
            result.Revoke = await WaitForAsync(client, options, clock, c => c.Refused && c.RecordId == id && c.CachedCredentials == 0);
            if (result.Revoke.Ok)
            {
                result.Revoke.Listed = await IsListedAsync(client, id);
                result.Revoke.Ok = result.Revoke.Listed == true;
                if (!result.Revoke.Ok)
                {
                    result.Revoke.Error = "refused, but the record is not in GET /admin/revocations";
                }
            }
        }));

        // 3. Lift through the first sidecar (tried whatever happened above: the drill cleans up).
        try
        {
            using var response = await clients[0].DeleteAsync(new Uri(
                AdminEndpoints.RevocationsPath + "/" + Uri.EscapeDataString(id) + "?reason=" + Uri.EscapeDataString("admin drill done"), UriKind.Relative));
            clock.Restart();
            if (!response.IsSuccessStatusCode)
            {
                report.Errors.Add($"{options.Sidecars[0]}: lift refused: "
                    + AdminCommand.DescribeProblem((int)response.StatusCode, await response.Content.ReadAsStringAsync())
                    + $" (the record expires by itself within 15 min; lift {id} by hand)");
                report.Lifted = false;
            }
            else
            {
                report.Lifted = true;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or AuthenticationException or TaskCanceledException or IOException)
        {
            report.Errors.Add($"{options.Sidecars[0]}: cannot reach it to lift {id}: {AdminCommand.Describe(ex)}");
            report.Lifted = false;
        }

        // 4. Every sidecar admits the canary again and no longer lists the record.
        if (report.Lifted)
        {
            await Task.WhenAll(clients.Select(async (client, i) =>
            {
                var result = report.Sidecars[i];
                result.Lift = await WaitForAsync(client, options, clock, c => !c.Refused && c.RecordId != id);
                if (result.Lift.Ok)
                {
                    result.Lift.Listed = await IsListedAsync(client, id);
                    result.Lift.Ok = result.Lift.Listed == false;
                    if (!result.Lift.Ok)
                    {
                        result.Lift.Error = "admitted, but the record is still in GET /admin/revocations";
                    }
                }
            }));
        }

        foreach (var (result, i) in report.Sidecars.Select((r, i) => (r, i)))
        {
            if (result.Revoke is { Ok: false, Error: { } revokeError })
            {
                report.Errors.Add($"{options.Sidecars[i]}: revocation not enforced: {revokeError}");
            }

            if (result.Lift is { Ok: false, Error: { } liftError })
            {
                report.Errors.Add($"{options.Sidecars[i]}: lift not applied: {liftError}");
            }
        }

        report.Passed = report.Errors.Count == 0;
        return report;
    }

    private static async Task<StepResult> WaitForAsync(HttpClient client, DrillOptions options, Stopwatch clock, Func<Check, bool> done)
    {
        var deadline = clock.Elapsed + options.Timeout;
        Check last;
        while (true)
        {
            last = await CheckAsync(client, options.Canary!);
            var elapsed = clock.Elapsed;
            if (last.Error is null && done(last))
            {
                return new StepResult { Ok = true, Seconds = Math.Round(elapsed.TotalSeconds, 4), Code = last.Code, CachedCredentials = last.CachedCredentials, FleetState = last.FleetState };
            }

            if (elapsed >= deadline)
            {
                return new StepResult
                {
                    Ok = false,
                    Code = last.Code,
                    CachedCredentials = last.CachedCredentials,
                    FleetState = last.FleetState,
                    Error = last.Error ?? $"not seen within {options.Timeout.TotalSeconds:0.###} s (refused: {last.Refused}, record: {last.RecordId ?? "none"}, cached credentials: {last.CachedCredentials}, fleet: {last.FleetState ?? "none"})",
                };
            }

            await Task.Delay(PollInterval);
        }
    }

    private static async Task<Check> CheckAsync(HttpClient client, string canary)
    {
        try
        {
            using var response = await client.GetAsync(new Uri(AdminCheckEndpoint.CheckPath + "?spiffe_id=" + Uri.EscapeDataString(canary), UriKind.Relative));
            var text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                return new Check { Error = AdminCommand.DescribeProblem((int)response.StatusCode, text) };
            }

            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            return new Check
            {
                Refused = root.GetProperty("refused").GetBoolean(),
                Code = root.GetProperty("code").ValueKind == JsonValueKind.String ? root.GetProperty("code").GetString() : null,
                RecordId = root.GetProperty("record_id").ValueKind == JsonValueKind.String ? root.GetProperty("record_id").GetString() : null,
                CachedCredentials = root.GetProperty("cached_credentials").GetInt32(),
                FleetState = root.GetProperty("fleet").ValueKind == JsonValueKind.Object ? root.GetProperty("fleet").GetProperty("state").GetString() : null,
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or AuthenticationException or TaskCanceledException or IOException)
        {
            return new Check { Error = "unreachable: " + AdminCommand.Describe(ex), Unreachable = true };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return new Check { Error = "unexpected answer (is this a sidecar with the check endpoint?)" };
        }
    }

    private static async Task<bool?> IsListedAsync(HttpClient client, string id)
    {
        try
        {
            var list = await client.GetFromJsonAsync<JsonElement>(new Uri(AdminEndpoints.RevocationsPath, UriKind.Relative));
            return list.GetProperty("revocations").EnumerateArray().Any(r => r.GetProperty("id").GetString() == id);
        }
        catch (Exception ex) when (ex is HttpRequestException or AuthenticationException or TaskCanceledException or IOException or JsonException or KeyNotFoundException)
        {
            return null;
        }
    }

    private static string Render(DrillReport report)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"drill of {report.Canary} on {report.Sidecars.Count} sidecar(s); revocation {report.RevocationId ?? "(none)"}{(report.Fleet is null ? "" : " (" + report.Fleet + ")")}");
        List<string[]> rows = [["SIDECAR", "REVOKED AFTER", "LIFTED AFTER", "FLEET"]];
        foreach (var sidecar in report.Sidecars)
        {
            rows.Add(
            [
                sidecar.Url,
                Cell(sidecar.Revoke),
                report.Lifted ? Cell(sidecar.Lift) : "-",
                sidecar.Revoke?.FleetState ?? sidecar.Lift?.FleetState ?? "-",
            ]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
        {
            text.AppendLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }

        text.AppendLine(report.Passed ? "drill passed" : $"drill FAILED ({report.Errors.Count} problem(s))");
        return text.ToString();
    }

    private static string Cell(StepResult? step) => step switch
    {
        null => "-",
        { Ok: true } => string.Create(CultureInfo.InvariantCulture, $"{step.Seconds * 1000:0.#} ms"),
        _ => "FAILED",
    };

    private sealed record Check
    {
        public bool Refused { get; init; }

        public string? Code { get; init; }

        public string? RecordId { get; init; }

        public int CachedCredentials { get; init; }

        public string? FleetState { get; init; }

        public string? Error { get; init; }

        public bool Unreachable { get; init; }
    }

    internal sealed class DrillReport
    {
        public required string Canary { get; init; }

        public string? RevocationId { get; set; }

        /// <summary>The first sidecar's <c>fleet</c> answer: replicated, queued, or null without a fleet store.</summary>
        public string? Fleet { get; set; }

        public bool Passed { get; set; }

        public bool Lifted { get; set; }

        public bool Unreachable { get; set; }

        public required List<SidecarResult> Sidecars { get; init; }

        public List<string> Errors { get; } = [];
    }

    internal sealed class SidecarResult
    {
        public required string Url { get; init; }

        public StepResult? Revoke { get; set; }

        public StepResult? Lift { get; set; }
    }

    internal sealed class StepResult
    {
        public bool Ok { get; set; }

        /// <summary>Seconds from the admin call's answer to the first check that saw the change.</summary>
        public double? Seconds { get; init; }

        public bool? Listed { get; set; }

        public string? Code { get; init; }

        public int CachedCredentials { get; init; }

        public string? FleetState { get; init; }

        public string? Error { get; set; }
    }

    private static class DrillJson
    {
        public static readonly JsonSerializerOptions Options = new()
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            WriteIndented = true,
        };
    }
}
