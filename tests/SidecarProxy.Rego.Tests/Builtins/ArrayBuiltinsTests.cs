using static SidecarProxy.Rego.Tests.Builtins.BuiltinsB1;

namespace SidecarProxy.Rego.Tests.Builtins;

public sealed class ArrayBuiltinsTests
{
    [Fact]
    public void Concat_JoinsInOrder()
    {
        Is("[1, 2, 3, 4]", "array.concat", J("[1, 2]"), J("[3, 4]"));
        Is("[1]", "array.concat", J("[]"), J("[1]"));
        Is("[]", "array.concat", J("[]"), J("[]"));
        TypeError("operand 2 must be array but got set", "array.concat", J("[]"), S());
        TypeError("operand 1 must be array but got string", "array.concat", Str("a"), J("[]"));
    }

    [Theory]
    [InlineData("[]", "[]")]
    [InlineData("[[1, 2], [3, 4], [5]]", "[1, 2, 3, 4, 5]")]
    [InlineData("[[[1], [2, 3, []]], [[4, 5]]]", "[[1], [2, 3, []], [4, 5]]")]
    [InlineData("[[1, 2], \"string\", [3, {\"a\": \"b\"}], 4.5, [6, [7, 8]]]", "[1, 2, \"string\", 3, {\"a\": \"b\"}, 4.5, 6, [7, 8]]")]
    public void Flatten_OneLevel(string input, string expected) => Is(expected, "array.flatten", J(input));

    [Fact]
    public void Flatten_RequiresArray() => TypeError("operand 1 must be array but got number", "array.flatten", N("42"));

    [Theory]
    [InlineData("[1, 2, 3, 4, 5]", 1, 3, "[2, 3]")]
    [InlineData("[1, 2, 3, 4, 5]", -2, 2, "[1, 2]")]
    [InlineData("[1, 2, 3, 4, 5]", 3, 100, "[4, 5]")]
    [InlineData("[1, 2, 3, 4, 5]", 4, 1, "[]")]
    [InlineData("[1, 2, 3, 4, 5]", 0, -1, "[]")]
    [InlineData("[]", 0, 0, "[]")]
    public void Slice_ClampsIndices(string array, long start, long stop, string expected) =>
        Is(expected, "array.slice", J(array), Values.RegoNumber.FromLong(start), Values.RegoNumber.FromLong(stop));

    [Fact]
    public void Slice_Errors()
    {
        TypeError("operand 2 must be integer number but got floating-point number", "array.slice", J("[1]"), N("0.5"), N("1"));
        TypeError("operand 3 must be number but got string", "array.slice", J("[1]"), N("0"), Str("1"));
        TypeError("operand 1 must be array but got object", "array.slice", J("{}"), N("0"), N("1"));
    }

    [Fact]
    public void Reverse_ReversesWithoutChangingInput()
    {
        var input = J("[1, 2, 3]");
        Is("[3, 2, 1]", "array.reverse", input);
        Assert.Equal("[1, 2, 3]", input.ToString());
        Is("[]", "array.reverse", J("[]"));
        TypeError("operand 1 must be array but got number", "array.reverse", N("1"));
    }
}
