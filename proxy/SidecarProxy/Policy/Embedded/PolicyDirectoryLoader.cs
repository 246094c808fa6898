using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SidecarProxy.Rego;
using SidecarProxy.Rego.Values;
using YamlDotNet.Core;

namespace SidecarProxy.Policy.Embedded;

/// <summary>A compiled policy and what it was made from.</summary>
internal sealed record PolicySnapshot(CompiledPolicy Policy, string Revision, int ModuleCount, int DataFileCount);

/// <summary>
/// Loads a policy directory as <c>opa run</c> does: every <c>.rego</c> file, and every
/// <c>data.json</c>/<c>data.yaml</c>/<c>data.yml</c> placed under <c>data</c> at the path of its folder
/// (<c>policies/teams/data.yaml</c> → <c>data.teams</c>). Every error is collected, not just the first.
/// </summary>
internal static class PolicyDirectoryLoader
{
    private static readonly string[] DataFileNames = ["data.json", "data.yaml", "data.yml"];

    public static PolicySnapshot Load(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new PolicyLoadException([$"policy directory '{directory}' does not exist"]);
        }

        var errors = new List<string>();
        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Select(path => (Path: path, Relative: Path.GetRelativePath(directory, path).Replace('\\', '/')))
            .Where(f => !f.Relative.Split('/').Any(s => s.StartsWith('.')))
            .OrderBy(f => f.Relative, StringComparer.Ordinal)
            .ToList();

        var modules = new List<RegoModuleSource>();
        var data = new Dictionary<RegoValue, RegoValue>();
        var dataFiles = 0;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (path, relative) in files)
        {
            var isRego = relative.EndsWith(".rego", StringComparison.Ordinal);
            var isData = DataFileNames.Contains(Path.GetFileName(relative), StringComparer.Ordinal);
            if (!isRego && !isData)
            {
                continue;
            }

            string text;
            try
            {
                text = File.ReadAllText(path, Encoding.UTF8);
            }
            catch (IOException e)
            {
                errors.Add($"{relative}: cannot read: {e.Message}");
                continue;
            }

            hash.AppendData(Encoding.UTF8.GetBytes(relative + "\0" + text + "\0"));
            if (isRego)
            {
                modules.Add(new RegoModuleSource(relative, text));
                continue;
            }

            dataFiles++;
            RegoValue document;
            try
            {
                document = relative.EndsWith(".json", StringComparison.Ordinal) ? RegoJson.Parse(text) : RegoYaml.Parse(text);
            }
            catch (JsonException e)
            {
                errors.Add($"{relative}: invalid JSON: {e.Message}");
                continue;
            }
            catch (YamlException e)
            {
                errors.Add($"{relative}: invalid YAML: {RegoYaml.DescribeError(e)}");
                continue;
            }

            if (document is not RegoObject documentObject)
            {
                errors.Add($"{relative}: a data file must hold an object");
                continue;
            }

            var folder = Path.GetDirectoryName(relative)?.Replace('\\', '/') ?? string.Empty;
            var prefix = folder.Length == 0 ? [] : folder.Split('/');
            MergeAt(data, prefix, documentObject, relative, errors);
        }

        if (modules.Count == 0 && errors.Count == 0)
        {
            errors.Add($"policy directory '{directory}' holds no .rego file");
        }

        // Compile even when a data file was bad, so that one run lists every error of every file.
        CompiledPolicy? compiled = null;
        if (modules.Count > 0)
        {
            try
            {
                compiled = RegoCompiler.Compile(modules, new RegoObject(data));
            }
            catch (RegoCompileException e)
            {
                errors.AddRange(e.Errors.Select(err => $"{err.File}:{err.Line}:{err.Column}: {err.Code}: {err.Message}"));
            }
        }

        if (errors.Count > 0 || compiled is null)
        {
            throw new PolicyLoadException(errors);
        }

        var revision = Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
        return new PolicySnapshot(compiled, revision, modules.Count, dataFiles);
    }

    private static void MergeAt(Dictionary<RegoValue, RegoValue> root, string[] prefix, RegoObject document, string file, List<string> errors)
    {
        // Walk (creating) the objects along the folder path, then merge the document's keys there.
        var target = root;
        var parents = new List<(Dictionary<RegoValue, RegoValue> Map, RegoValue Key)>();
        foreach (var segment in prefix)
        {
            var key = new RegoString(segment);
            var child = target.TryGetValue(key, out var existing) && existing is RegoObject o ? o.ToDictionary() : new Dictionary<RegoValue, RegoValue>();
            if (existing is not null and not RegoObject)
            {
                errors.Add($"{file}: data path {string.Join('.', prefix)} conflicts with a value of another data file");
                return;
            }

            parents.Add((target, key));
            target = child;
        }

        foreach (var (k, v) in document.Entries)
        {
            if (target.TryGetValue(k, out var existing))
            {
                if (existing is RegoObject eo && v is RegoObject vo)
                {
                    target[k] = DeepMerge(eo, vo, file, errors);
                }
                else
                {
                    errors.Add($"{file}: key {k} is defined by another data file too");
                }
            }
            else
            {
                target[k] = v;
            }
        }

        // Re-link the copied objects bottom-up.
        RegoValue current = new RegoObject(target);
        for (var i = parents.Count - 1; i >= 0; i--)
        {
            parents[i].Map[parents[i].Key] = current;
            current = new RegoObject(parents[i].Map);
        }
    }

    private static RegoObject DeepMerge(RegoObject a, RegoObject b, string file, List<string> errors)
    {
        var map = a.ToDictionary();
        foreach (var (k, v) in b.Entries)
        {
            if (map.TryGetValue(k, out var existing))
            {
                if (existing is RegoObject eo && v is RegoObject vo)
                {
                    map[k] = DeepMerge(eo, vo, file, errors);
                }
                else
                {
                    errors.Add($"{file}: key {k} is defined by another data file too");
                }
            }
            else
            {
                map[k] = v;
            }
        }

        return new RegoObject(map);
    }
}

/// <summary>The policy directory could not be loaded; <see cref="Errors"/> lists every problem found.</summary>
internal sealed class PolicyLoadException : Exception
{
    public PolicyLoadException(IReadOnlyList<string> errors)
        : base("policy could not be loaded:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
    {
        Errors = errors;
    }

    public PolicyLoadException()
        : this([])
    {
    }

    public PolicyLoadException(string message)
        : this([message])
    {
    }

    public PolicyLoadException(string message, Exception inner)
        : base(message, inner)
    {
        Errors = [message];
    }

    public IReadOnlyList<string> Errors { get; } = [];
}
