using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Tests.Engine;

internal static class RegoTestHelpers
{
    public static CompiledPolicy Compile(string module, string? dataJson = null, CompileOptions? options = null) =>
        RegoCompiler.Compile([new RegoModuleSource("policy.rego", module)], dataJson is null ? null : RegoJson.Parse(dataJson), options);

    public static RegoValue? Eval(this CompiledPolicy policy, string path, string? inputJson = null, EvaluationOptions? options = null) =>
        policy.Evaluate(path, inputJson is null ? null : RegoJson.Parse(inputJson), options);

    public static RegoValue Json(string json) => RegoJson.Parse(json);

    public static void AssertValue(string expectedJson, RegoValue? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(RegoJson.Parse(expectedJson), actual);
    }
}
