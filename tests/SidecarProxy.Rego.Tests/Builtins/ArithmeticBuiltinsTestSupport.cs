using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Tests.Builtins;

/// <summary>Calls builtins of the default registry directly, for the arithmetic/aggregate/object family tests.</summary>
internal static class BuiltinsB1
{
    public static RegoValue? Call(string name, params RegoValue[] args)
    {
        Assert.True(BuiltinRegistry.Default.TryGet(name, out var definition), $"{name} is not registered");
        Assert.Equal(definition.Arity, args.Length);
        Assert.NotNull(definition.Function);
        return definition.Function(new BuiltinContext(DateTimeOffset.UnixEpoch), args);
    }

    /// <summary>A value from JSON text (numbers exact).</summary>
    public static RegoValue J(string json) => RegoJson.Parse(json);

    public static RegoNumber N(string text) => RegoNumber.Parse(text);

    public static RegoSet S(params RegoValue[] items) => RegoSet.From(items);

    public static RegoString Str(string s) => new(s);

    /// <summary>Asserts the call's result equals <paramref name="expected"/> as Rego values (1 equals 1.0).</summary>
    public static void Is(RegoValue expected, string name, params RegoValue[] args)
    {
        var actual = Call(name, args);
        Assert.NotNull(actual);
        Assert.True(expected.Equals(actual), $"{name}: expected {expected} but got {actual}");
    }

    public static void Is(string expectedJson, string name, params RegoValue[] args) => Is(J(expectedJson), name, args);

    public static void TypeError(string message, string name, params RegoValue[] args)
    {
        var ex = Assert.Throws<BuiltinTypeException>(() => Call(name, args));
        Assert.Equal(message, ex.Message);
    }

    public static void BuiltinError(string message, string name, params RegoValue[] args)
    {
        var ex = Assert.ThrowsAny<BuiltinErrorException>(() => Call(name, args));
        Assert.IsNotType<BuiltinTypeException>(ex);
        Assert.Equal(message, ex.Message);
    }
}
