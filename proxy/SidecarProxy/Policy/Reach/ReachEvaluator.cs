using System.Globalization;
using System.Text.Json;
using System.Text;
using SidecarProxy.Model;
using SidecarProxy.Spiffe;

namespace SidecarProxy.Policy.Reach;

/// <summary>A tool to ask the policy about: its id and the labels its route gives it (<c>input.tool.labels</c>).</summary>
internal sealed record ReachTool(string Id, IReadOnlyDictionary<string, string> Labels);

/// <summary>One (tool, action) the policy was asked about, and its answer.</summary>
internal sealed record ReachRow(
    string Tool,
    string Action,
    string Method,
    bool Allowed,
    IReadOnlyList<string> Scopes,
    int? TtlSeconds,
    bool ApprovalRequired,
    string? Reason,
    string? Error)
{
    /// <summary>What the decision's <c>contain</c> would do ("quarantine task"), were the request real; null when none.</summary>
    public string? Contain { get; init; }
}

/// <summary>
/// Blast radius: asks the policy, for one identity (and optionally one task), about every tool and every action,
/// and collects what it would allow: scopes, the credential's maximum lifetime, whether a human must approve.
/// Each action is asked with one HTTP method that the policy maps to it (<c>data.sidecar.authz.actions</c>, method to
/// action, when the policy has one; otherwise read = GET, write = POST, delete = DELETE). The requests are synthetic:
/// path <c>/</c>, no headers, no approval, and a decision's <c>contain</c> is reported, never applied; a policy that looks at paths or bodies may answer otherwise for real ones.
/// Used by <c>SidecarProxy policy reach</c> and <c>GET /admin/reach</c>.
/// </summary>
internal static class ReachEvaluator
{
    public const string ActionsRef = "data.sidecar.authz.actions";

    public static readonly IReadOnlyList<(string Action, string Method)> DefaultActions = [("read", "GET"), ("write", "POST"), ("delete", "DELETE")];

    private static readonly string[] PreferredMethods = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"];
    private static readonly string[] PreferredActions = ["read", "write", "delete"];

    /// <summary>The actions of a method-to-action mapping (a JSON object), each with one method; the default when unusable.</summary>
    public static IReadOnlyList<(string Action, string Method)> ActionsFrom(string? mappingJson)
    {
        if (mappingJson is null)
        {
            return DefaultActions;
        }

        try
        {
            using var document = JsonDocument.Parse(mappingJson);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return DefaultActions;
            }

            var methods = document.RootElement.EnumerateObject()
                .Where(p => p.Value.ValueKind == JsonValueKind.String)
                .GroupBy(p => p.Value.GetString()!, p => p.Name, StringComparer.Ordinal)
                .Select(g => (Action: g.Key, Method: g.OrderBy(Rank).ThenBy(m => m, StringComparer.Ordinal).First()))
                .OrderBy(a => Array.IndexOf(PreferredActions, a.Action) is var i and >= 0 ? i : PreferredActions.Length)
                .ThenBy(a => a.Action, StringComparer.Ordinal)
                .ToList();
            return methods.Count == 0 ? DefaultActions : methods;
        }
        catch (JsonException)
        {
            return DefaultActions;
        }

        static int Rank(string method) => Array.IndexOf(PreferredMethods, method) is var i and >= 0 ? i : PreferredMethods.Length;
    }

    /// <summary>The tool ids of a catalogue (<c>data.sidecar.tools</c> as JSON: an object keyed by tool id).</summary>
    public static IEnumerable<ReachTool> ToolsFromCatalogue(string? catalogueJson)
    {
        if (catalogueJson is null)
        {
            yield break;
        }

        using var document = JsonDocument.Parse(catalogueJson);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }

        foreach (var tool in document.RootElement.EnumerateObject())
        {
            yield return new ReachTool(tool.Name, new Dictionary<string, string>());
        }
    }

    /// <summary>The tools of a proxy configuration file: every <c>ReverseProxy:Routes:*:Metadata:Tool</c>, with its <c>Labels.*</c>.</summary>
    public static IEnumerable<ReachTool> ToolsFromConfiguration(JsonElement root)
    {
        if (!TryGet(root, "ReverseProxy", out var proxy) || !TryGet(proxy, "Routes", out var routes) || routes.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }

        foreach (var route in routes.EnumerateObject())
        {
            if (!TryGet(route.Value, "Metadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object
                || !TryGet(metadata, ToolDescriptor.ToolKey, out var tool) || tool.ValueKind != JsonValueKind.String
                || string.IsNullOrWhiteSpace(tool.GetString()))
            {
                continue;
            }

            var labels = metadata.EnumerateObject()
                .Where(p => p.Name.StartsWith(ToolDescriptor.LabelPrefix, StringComparison.Ordinal) && p.Value.ValueKind == JsonValueKind.String)
                .ToDictionary(p => p.Name[ToolDescriptor.LabelPrefix.Length..], p => p.Value.GetString()!, StringComparer.Ordinal);
            yield return new ReachTool(tool.GetString()!, labels);
        }
    }

    /// <summary>Tools by id, the later source's labels winning; sorted by id.</summary>
    public static IReadOnlyList<ReachTool> Merge(params IEnumerable<ReachTool>[] sources)
    {
        var byId = new Dictionary<string, ReachTool>(StringComparer.Ordinal);
        foreach (var tool in sources.SelectMany(s => s))
        {
            byId[tool.Id] = byId.TryGetValue(tool.Id, out var known) && tool.Labels.Count == 0 ? known : tool;
        }

        return [.. byId.Values.OrderBy(t => t.Id, StringComparer.Ordinal)];
    }

    /// <summary>A task context from task-grant claims (JSON object): id from task_id or jti, issuer from iss, expiry from exp (else in an hour).</summary>
    public static TaskContext TaskFromClaims(JsonElement claims, DateTimeOffset now)
    {
        string? Text(string name) => claims.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var expires = claims.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : now.AddHours(1);
        string[] lifted = ["iss", "sub", "exp", "nbf", "iat", "task_id"];
        var rest = claims.EnumerateObject()
            .Where(p => !lifted.Contains(p.Name, StringComparer.Ordinal))
            .ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
        return new TaskContext(Text("task_id") ?? Text("jti") ?? "reach-task", Text("iss") ?? "reach", expires, rest);
    }

    /// <summary>Asks <paramref name="decide"/> about every tool and action; a decision that fails is a row with <see cref="ReachRow.Error"/>.</summary>
    public static async Task<IReadOnlyList<ReachRow>> EvaluateAsync(
        string principal,
        TaskContext? task,
        ContainmentState? containment,
        IReadOnlyList<ReachTool> tools,
        IReadOnlyList<(string Action, string Method)> actions,
        Func<PolicyRequest, ValueTask<PolicyDecision>> decide,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(decide);
        var rows = new List<ReachRow>(tools.Count * actions.Count);
        foreach (var tool in tools)
        {
            foreach (var (action, method) in actions)
            {
                var request = new PolicyRequest
                {
                    SpiffeId = principal,
                    CertificateFingerprint = "sha256:reach",
                    ToolId = tool.Id,
                    ToolLabels = tool.Labels,
                    Method = method,
                    Path = "/",
                    Query = string.Empty,
                    Host = "reach.invalid",
                    Scheme = "https",
                    Headers = new Dictionary<string, string>(),
                    Task = task,
                    Containment = containment,
                    Time = now,
                };
                try
                {
                    var d = await decide(request);
                    rows.Add(new ReachRow(tool.Id, action, method, d.Allowed && !d.RequireApproval, d.Allowed || d.RequireApproval ? d.Scopes : [],
                        d.CredentialTtl is { } ttl ? (int)ttl.TotalSeconds : null, d.RequireApproval, d.Reason, null)
                    {
                        Contain = d.Contain is { } c ? c.Action + " " + c.Scope : null,
                    });
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    rows.Add(new ReachRow(tool.Id, action, method, false, [], null, false, null, "the policy failed: " + ex.Message.ReplaceLineEndings(" ")));
                }
            }
        }

        return rows;
    }

    public static void WriteJson(Utf8JsonWriter json, string principal, TaskContext? task, IReadOnlyList<ReachRow> rows)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(rows);
        json.WriteStartObject();
        json.WriteString("principal", principal);
        if (task is null)
        {
            json.WriteNull("task_id");
        }
        else
        {
            json.WriteString("task_id", task.Id);
        }

        json.WriteStartArray("reach");
        foreach (var row in rows)
        {
            json.WriteStartObject();
            json.WriteString("tool", row.Tool);
            json.WriteString("action", row.Action);
            json.WriteString("method", row.Method);
            json.WriteBoolean("allowed", row.Allowed);
            json.WriteBoolean("require_approval", row.ApprovalRequired);
            json.WriteStartArray("scopes");
            foreach (var scope in row.Scopes)
            {
                json.WriteStringValue(scope);
            }

            json.WriteEndArray();
            if (row.TtlSeconds is { } ttl)
            {
                json.WriteNumber("ttl_seconds", ttl);
            }
            else
            {
                json.WriteNull("ttl_seconds");
            }

            json.WriteString("reason", row.Reason);
            json.WriteString("contain", row.Contain);
            if (row.Error is not null)
            {
                json.WriteString("error", row.Error);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    public static string ToJson(string principal, TaskContext? task, IReadOnlyList<ReachRow> rows)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            WriteJson(json, principal, task, rows);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A table for people: one line per tool and action; the reason only for what is not allowed.</summary>
    public static string ToTable(string principal, TaskContext? task, IReadOnlyList<ReachRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var header = new[] { "TOOL", "ACTION", "METHOD", "ALLOWED", "APPROVAL", "TTL", "SCOPES", "REASON" };
        var cells = rows.Select(r => new[]
        {
            r.Tool, r.Action, r.Method,
            r.Error is not null ? "error" : r.Allowed ? "yes" : "no",
            r.ApprovalRequired ? "required" : "-",
            r.TtlSeconds is { } t && (r.Allowed || r.ApprovalRequired) ? t.ToString(CultureInfo.InvariantCulture) + "s" : "-",
            r.Scopes.Count == 0 ? "-" : string.Join(' ', r.Scopes),
            (r.Error ?? (r.Allowed ? string.Empty : r.Reason ?? string.Empty)) + (r.Contain is { } c ? $" [would {c}]" : string.Empty),
        }).ToList();
        var widths = Enumerable.Range(0, header.Length - 1)
            .Select(i => Math.Max(header[i].Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length)))
            .ToArray();
        var text = new StringBuilder();
        text.Append("principal ").Append(principal).Append(task is null ? " (no task grant)" : $" (task {task.Id})").AppendLine();
        void Line(string[] row)
        {
            for (var i = 0; i < row.Length - 1; i++)
            {
                text.Append(row[i].PadRight(widths[i] + 2));
            }

            text.Append(row[^1]);
            text.Append('\n');
        }

        Line(header);
        cells.ForEach(Line);
        var reachable = rows.Count(r => r.Allowed);
        text.Append(CultureInfo.InvariantCulture, $"{reachable} of {rows.Count} allowed, {rows.Count(r => r.ApprovalRequired)} after approval");
        return text.ToString();
    }

    private static bool TryGet(JsonElement element, string name, out JsonElement value)
    {
        value = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        // Configuration keys are case-insensitive.
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
    }
}
