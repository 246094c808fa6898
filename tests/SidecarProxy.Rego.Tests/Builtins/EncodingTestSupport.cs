using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Tests.Builtins;

/// <summary>Calls builtins of the encoding, JSON, walk, graph, time, net, semver and uuid families directly.</summary>
internal static class EncodingTestSupport
{
    public static readonly DateTimeOffset FixedNow = new(2024, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static BuiltinContext NewContext() => new(FixedNow);

    public static RegoValue? Call(string name, params RegoValue[] args) => Call(NewContext(), name, args);

    public static RegoValue? Call(BuiltinContext context, string name, params RegoValue[] args)
    {
        Assert.True(BuiltinRegistry.Default.TryGet(name, out var definition), $"{name} is not registered");
        Assert.Equal(args.Length, definition.Arity);
        Assert.NotNull(definition.Function);
        return definition.Function(context, args);
    }

    public static List<RegoValue> CallRelation(string name, params RegoValue[] args)
    {
        Assert.True(BuiltinRegistry.Default.TryGet(name, out var definition), $"{name} is not registered");
        Assert.NotNull(definition.Relation);
        return definition.Relation(NewContext(), args).ToList();
    }

    /// <summary>A value from JSON text (sets cannot be written this way; use <see cref="Set"/>).</summary>
    public static RegoValue J(string json) => RegoJson.Parse(json);

    public static RegoString S(string s) => new(s);

    public static RegoNumber N(long n) => RegoNumber.FromLong(n);

    public static RegoSet Set(params RegoValue[] items) => RegoSet.From(items);

    public static RegoArray Arr(params RegoValue[] items) => new(items);

    public static void AssertValue(string expectedJson, RegoValue? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(J(expectedJson), actual is RegoSet s ? new RegoArray(s.Items.ToArray()) : actual);
    }

    public static TException Throws<TException>(string name, params RegoValue[] args)
        where TException : Exception => Assert.Throws<TException>(() => Call(name, args));
}
