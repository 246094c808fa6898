using SidecarProxy.Rego.Ast;
using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Compiler;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego;

/// <summary>Parses and compiles Rego v1 modules plus base data into a <see cref="CompiledPolicy"/>.</summary>
public static class RegoCompiler
{
    /// <summary>Compiles once; throws <see cref="RegoCompileException"/> listing every error found.</summary>
    public static CompiledPolicy Compile(IEnumerable<RegoModuleSource> modules, RegoValue? data = null, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modules);
        var builtins = options?.Builtins ?? BuiltinRegistry.Default;
        var errors = new List<RegoError>();
        var parsed = new List<Module>();
        foreach (var src in modules)
        {
            try
            {
                parsed.Add(Parser.ParseModule(src.FileName, src.Text));
            }
            catch (RegoSyntaxException e)
            {
                errors.Add(new RegoError("rego_parse_error", e.Message, src.FileName, e.Line, e.Column));
            }
        }

        var baseData = data ?? RegoObject.Empty;
        if (baseData is not RegoObject)
        {
            errors.Add(new RegoError("rego_compile_error", "base data must be an object", null, 0, 0));
        }

        if (errors.Count > 0)
        {
            throw new RegoCompileException(errors);
        }

        var compiler = PolicyCompiler.Create(builtins);
        var tests = new List<string>();
        var model = compiler.CompileModules(parsed, baseData, tests);
        if (compiler.Errors.Count > 0)
        {
            throw new RegoCompileException(compiler.Errors);
        }

        return new CompiledPolicy(model, builtins, tests);
    }
}
