using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace SidecarProxy.Admin.Cli;

/// <summary>
/// <c>SidecarProxy admin revoke|quarantine|lift|list</c>: a client of the admin API for playbooks. Exit codes:
/// 0 done, 1 refused by the server (the problem's detail is printed), 2 usage error (or unreadable certificate
/// files), 3 connection or TLS failure.
/// </summary>
internal static class AdminCommand
{
    public const string Name = "admin";

    public const int Ok = 0;
    public const int Refused = 1;
    public const int Usage = 2;
    public const int Unreachable = 3;

    private const string UsageText = """
        usage: SidecarProxy admin <command> --url https://HOST:PORT --cert admin.pem --key admin-key.pem --ca ca.pem [--json]
          revoke      (--spiffe-id ID | --prefix ID/ | --task TASK | --trust-domain TD) --reason TEXT [--expires-at RFC3339]
          quarantine  (--spiffe-id ID | --prefix ID/ | --task TASK | --trust-domain TD) --reason TEXT [--expires-at RFC3339]
          lift        ID            (or --id ID) [--reason TEXT]
          list
          drill       --sidecar URL [--sidecar URL ...] --canary SPIFFE_ID [--timeout SECONDS] (see admin drill --help)
        exit codes: 0 ok, 1 refused by the server, 2 usage error, 3 connection or TLS failure
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Length > 0 && args[0] == DrillCommand.Name)
        {
            return await DrillCommand.RunAsync(args[1..], output, error);
        }

        if (!TryParse(args, out var options, out var problem))
        {
            await error.WriteLineAsync("admin: " + problem);
            await error.WriteLineAsync(UsageText);
            return Usage;
        }

        HttpClient client;
        try
        {
            client = CreateClient(options);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"admin: cannot read the certificate files: {ex.Message}");
            return Usage;
        }

        using (client)
        {
            HttpResponseMessage response;
            try
            {
                response = await SendAsync(client, options);
            }
            catch (Exception ex) when (ex is HttpRequestException or AuthenticationException or TaskCanceledException or IOException)
            {
                await error.WriteLineAsync($"admin: cannot reach {options.Url}: {Describe(ex)}");
                return Unreachable;
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync();
                if (!response.IsSuccessStatusCode)
                {
                    await error.WriteLineAsync(DescribeProblem((int)response.StatusCode, text));
                    if (options.Json)
                    {
                        await output.WriteLineAsync(text);
                    }

                    return Refused;
                }

                if (options.Json)
                {
                    await output.WriteLineAsync(text);
                }
                else
                {
                    await output.WriteAsync(Render(options.Command, text));
                }

                return Ok;
            }
        }
    }

    internal sealed record CommandOptions
    {
        public required string Command { get; init; }

        public Uri? Url { get; set; }

        public string? Cert { get; set; }

        public string? Key { get; set; }

        public string? Ca { get; set; }

        public (string Kind, string Value)? Subject { get; set; }

        public string? Reason { get; set; }

        public string? ExpiresAt { get; set; }

        public string? Id { get; set; }

        public bool Json { get; set; }
    }

    internal static bool TryParse(string[] args, out CommandOptions options, out string problem)
    {
        options = null!;
        problem = string.Empty;
        if (args.Length == 0 || args[0] is not ("revoke" or "quarantine" or "lift" or "list"))
        {
            problem = args.Length == 0 ? "missing command" : $"unknown command '{args[0]}'";
            return false;
        }

        var parsed = new CommandOptions { Command = args[0] };
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--json")
            {
                parsed.Json = true;
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (parsed.Command == "lift" && parsed.Id is null)
                {
                    parsed.Id = arg;
                    continue;
                }

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
                case "--url":
                    if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
                    {
                        problem = $"--url must be an https:// URL (got '{value}')";
                        return false;
                    }

                    parsed.Url = url;
                    break;
                case "--cert": parsed.Cert = value; break;
                case "--key": parsed.Key = value; break;
                case "--ca": parsed.Ca = value; break;
                case "--reason": parsed.Reason = value; break;
                case "--expires-at": parsed.ExpiresAt = value; break;
                case "--id": parsed.Id = value; break;
                case "--spiffe-id" or "--prefix" or "--task" or "--trust-domain":
                    if (parsed.Subject is not null)
                    {
                        problem = "name exactly one of --spiffe-id, --prefix, --task, --trust-domain";
                        return false;
                    }

                    parsed.Subject = (arg switch
                    {
                        "--spiffe-id" => "spiffe_id",
                        "--prefix" => "spiffe_id_prefix",
                        "--task" => "task",
                        _ => "trust_domain",
                    }, value);
                    break;
                default:
                    problem = $"unknown option '{arg}'";
                    return false;
            }
        }

        if (parsed.Url is null || parsed.Cert is null || parsed.Key is null || parsed.Ca is null)
        {
            problem = "--url, --cert, --key and --ca are required";
            return false;
        }

        switch (parsed.Command)
        {
            case "revoke" or "quarantine":
                if (parsed.Subject is null)
                {
                    problem = "name the subject: --spiffe-id, --prefix, --task or --trust-domain";
                    return false;
                }

                if (string.IsNullOrWhiteSpace(parsed.Reason))
                {
                    problem = "--reason is required";
                    return false;
                }

                break;
            case "lift":
                if (string.IsNullOrEmpty(parsed.Id))
                {
                    problem = "lift needs the revocation id";
                    return false;
                }

                break;
        }

        if (parsed.Command is "lift" or "list" && (parsed.Subject is not null || parsed.ExpiresAt is not null))
        {
            problem = $"{parsed.Command} takes no subject or --expires-at";
            return false;
        }

        if (parsed.Command == "list" && parsed.Reason is not null)
        {
            problem = "list takes no --reason";
            return false;
        }

        options = parsed;
        return true;
    }

    private static HttpClient CreateClient(CommandOptions options) => CreateClient(options.Url!, options.Cert!, options.Key!, options.Ca!);

    /// <summary>An admin API client presenting the operator's SVID and authenticating the sidecar by <paramref name="ca"/>.</summary>
    internal static HttpClient CreateClient(Uri url, string cert, string key, string ca)
    {
        var leaf = X509Certificate2.CreateFromPemFile(cert, key);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(cert);
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(ca);
        if (roots.Count == 0)
        {
            throw new CryptographicException($"no certificate in '{ca}'");
        }

        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = SslStreamCertificateContext.Create(
                    leaf, [.. chain.Where(c => c.Thumbprint != leaf.Thumbprint)], offline: true),

                // The sidecar is authenticated by its CA (an X.509-SVID need not carry a DNS name for the address).
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    using var server = new X509Certificate2(certificate);
                    using var verify = new X509Chain();
                    verify.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    verify.ChainPolicy.CustomTrustStore.AddRange(roots);
                    verify.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    verify.ChainPolicy.DisableCertificateDownloads = true;
                    return verify.Build(server);
                },
            },
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        return new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, CommandOptions options)
    {
        var path = new Uri(AdminEndpoints.RevocationsPath, UriKind.Relative);
        switch (options.Command)
        {
            case "list":
                return client.GetAsync(path);
            case "lift":
                var query = options.Reason is null ? string.Empty : "?reason=" + Uri.EscapeDataString(options.Reason);
                return client.DeleteAsync(new Uri(AdminEndpoints.RevocationsPath + "/" + Uri.EscapeDataString(options.Id!) + query, UriKind.Relative));
            default:
                var body = new MemoryStream();
                using (var json = new Utf8JsonWriter(body))
                {
                    json.WriteStartObject();
                    json.WriteStartObject("subject");
                    json.WriteString("kind", options.Subject!.Value.Kind);
                    json.WriteString("value", options.Subject.Value.Value);
                    json.WriteEndObject();
                    json.WriteString("action", options.Command);
                    json.WriteString("reason", options.Reason);
                    if (options.ExpiresAt is not null)
                    {
                        json.WriteString("expires_at", options.ExpiresAt);
                    }

                    json.WriteEndObject();
                }

                var content = new ByteArrayContent(body.ToArray());
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                return client.PostAsync(path, content);
        }
    }

    internal static string Describe(Exception ex)
    {
        var message = new StringBuilder(ex.Message);
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            message.Append(": ").Append(inner.Message);
        }

        return message.ToString();
    }

    internal static string DescribeProblem(int status, string text)
    {
        try
        {
            using var problem = JsonDocument.Parse(text);
            var root = problem.RootElement;
            var code = root.TryGetProperty("code", out var c) ? c.GetString() : null;
            var detail = root.TryGetProperty("detail", out var d) ? d.GetString() : root.TryGetProperty("title", out var t) ? t.GetString() : null;
            return $"admin: refused ({status} {code}): {detail}";
        }
        catch (JsonException)
        {
            return $"admin: refused ({status})";
        }
    }

    private static string Render(string command, string text)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        var output = new StringBuilder();
        switch (command)
        {
            case "list":
                var rows = root.GetProperty("revocations").EnumerateArray().Select(Row).ToList();
                if (rows.Count == 0)
                {
                    output.AppendLine("no revocations");
                    break;
                }

                rows.Insert(0, ["ID", "ACTION", "SUBJECT", "REASON", "CREATED BY", "CREATED", "EXPIRES", "ACTIVE"]);
                var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
                foreach (var row in rows)
                {
                    output.AppendLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
                }

                break;
            case "lift":
                output.AppendLine(CultureInfo.InvariantCulture, $"lifted {root.GetProperty("id").GetString()}: {root.GetProperty("action").GetString()} of {Subject(root)}");
                break;
            default:
                output.AppendLine(CultureInfo.InvariantCulture,
                    $"{root.GetProperty("id").GetString()}: {root.GetProperty("action").GetString()} of {Subject(root)}"
                    + $" ({root.GetProperty("connections_closed").GetInt32()} connection(s) closed)");
                break;
        }

        return output.ToString();
    }

    private static string Subject(JsonElement record) =>
        record.GetProperty("subject").GetProperty("kind").GetString() + " " + record.GetProperty("subject").GetProperty("value").GetString();

    private static string[] Row(JsonElement r) =>
    [
        r.GetProperty("id").GetString() ?? "",
        r.GetProperty("action").GetString() ?? "",
        Subject(r),
        r.GetProperty("reason").GetString() ?? "",
        r.GetProperty("created_by").GetString() ?? "",
        r.GetProperty("created_at").GetString() ?? "",
        r.GetProperty("expires_at").ValueKind == JsonValueKind.String ? r.GetProperty("expires_at").GetString()! : "-",
        r.GetProperty("active").GetBoolean() ? "yes" : "no",
    ];
}
