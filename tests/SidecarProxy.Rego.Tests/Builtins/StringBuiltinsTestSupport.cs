using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Tests.Builtins;

/// <summary>Calls the string, sprintf, regex and glob builtins through the default registry, as the evaluator does.</summary>
internal static class TextBuiltinCalls
{
    public static RegoValue? Builtin(string name, params RegoValue[] args)
    {
        Assert.True(BuiltinRegistry.Default.TryGet(name, out var definition), $"builtin {name} is not registered");
        Assert.Equal(definition.Arity, args.Length);
        return definition.Function!(new BuiltinContext(DateTimeOffset.UnixEpoch), args);
    }

    public static RegoValue Json(string json) => RegoJson.Parse(json);

    public static RegoString S(string s) => new(s);

    public static RegoNumber N(long n) => RegoNumber.FromLong(n);

    public static RegoNumber F(double d) => RegoNumber.FromDouble(d);

    public static RegoArray A(params RegoValue[] items) => new(items);

    /// <summary>The builtin's result as JSON, "undefined" for no result.</summary>
    public static string ToJson(string name, params RegoValue[] args) => Builtin(name, args)?.ToJson() ?? "undefined";

    public static string Str(string name, params RegoValue[] args) => Assert.IsType<RegoString>(Builtin(name, args)).Value;
}
