using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace SidecarProxy.Rego.Builtins;

/// <summary>A compiled RE2 pattern: the .NET regex and Go's group names (index 0 is the whole match).</summary>
internal sealed record CompiledRegex(Regex Regex, IReadOnlyList<string?> GroupNames);

/// <summary>
/// Compiles RE2 patterns once and keeps them in a bounded, thread-safe cache shared by all queries (OPA keeps
/// a similar process-wide cache of 100). Invalid patterns are cached too, so a bad pattern is not re-parsed
/// on every call.
/// </summary>
internal static class RegexCache
{
    internal const int MaxEntries = 256;

    // A guard for the rare pattern the linear engine cannot build; RE2 itself never backtracks.
    private static readonly TimeSpan FallbackTimeout = TimeSpan.FromSeconds(1);

    private static readonly ConcurrentDictionary<string, Lazy<(CompiledRegex? Regex, string? Error)>> Cache = new(StringComparer.Ordinal);

    /// <summary>The compiled pattern, or throws <see cref="BuiltinErrorException"/> with Go's parse error.</summary>
    public static CompiledRegex Get(string pattern)
    {
        var (regex, error) = Lookup(pattern);
        return regex ?? throw new BuiltinErrorException(error!);
    }

    public static bool IsValid(string pattern) => Lookup(pattern).Regex is not null;

    private static (CompiledRegex? Regex, string? Error) Lookup(string pattern)
    {
        if (Cache.TryGetValue(pattern, out var hit))
        {
            return hit.Value;
        }

        if (Cache.Count >= MaxEntries)
        {
            // Dropping everything is crude but bounded, cheap and keeps hot patterns one compile away.
            Cache.Clear();
        }

        return Cache.GetOrAdd(pattern, p => new Lazy<(CompiledRegex?, string?)>(() => Compile(p))).Value;
    }

    private static (CompiledRegex? Regex, string? Error) Compile(string pattern)
    {
        TranslatedRegex translated;
        try
        {
            translated = RegexTranslator.Translate(pattern);
        }
        catch (RegexSyntaxException ex)
        {
            return (null, ex.Message);
        }

        Regex regex;
        try
        {
            regex = new Regex(translated.Pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (NotSupportedException)
        {
            regex = new Regex(translated.Pattern, RegexOptions.CultureInvariant, FallbackTimeout);
        }
        catch (ArgumentException ex)
        {
            // The translation produced something .NET rejects: report it as a parse error rather than crash.
            return (null, "error parsing regexp: " + ex.Message);
        }

        return (new CompiledRegex(regex, translated.GroupNames), null);
    }
}
