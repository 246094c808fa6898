using SidecarProxy.Policy.Embedded;
using SidecarProxy.Rego;

namespace SidecarProxy.Tests.Policy;

/// <summary>What the proxy logs of an evaluation error: located as `policy eval` prints it, never the input.</summary>
public sealed class EvaluationErrorMessageTests
{
    [Theory]
    [InlineData("eval_conflict_error", "conflict.rego:6: eval_conflict_error: complete rules must not produce multiple outputs",
        "conflict.rego:6: eval_conflict_error: complete rules must not produce multiple outputs")]
    [InlineData("eval_builtin_error", "a.rego:3: eval_builtin_error: json.unmarshal: invalid character 'C' in CANARY-input-9f2",
        "a.rego:3: eval_builtin_error: json.unmarshal")]
    [InlineData("eval_type_error", "a.rego:4: eval_type_error: plus: operand 1 must be number but got CANARY-input-9f2",
        "a.rego:4: eval_type_error: plus")]
    [InlineData("eval_cancel_error", "caller cancelled query execution", "eval_cancel_error: caller cancelled query execution")]
    public void LocatedMessage_KeepsLocationAndCode_CutsBuiltinText(string code, string message, string expected)
    {
        var logged = EmbeddedPolicyEngine.LocatedMessage(new RegoEvaluationException(code, message));

        Assert.Equal(expected, logged);
        Assert.DoesNotContain("CANARY", logged, StringComparison.Ordinal);
    }
}
