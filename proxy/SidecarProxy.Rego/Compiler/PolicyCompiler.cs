using SidecarProxy.Rego.Ast;
using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Eval;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Compiler;

internal sealed class CompileErrorException(RegoError error) : Exception(error.ToString())
{
    public RegoError Error { get; } = error;
}

/// <summary>Name-resolution context of one module: its package, imports and the rule names of its package.</summary>
internal sealed class ModuleContext
{
    public required string File { get; init; }

    public required string[] Package { get; init; }

    /// <summary>Alias to (root, path after root), e.g. "bar" to ("data", ["foo", "bar"]).</summary>
    public Dictionary<string, (string Root, string[] Path)> Imports { get; } = new(StringComparer.Ordinal);

    public HashSet<string> RuleNames { get; init; } = new(StringComparer.Ordinal);
}

internal sealed class LiteralInfo
{
    public required Literal Literal { get; init; }

    public HashSet<int> Inputs { get; } = [];

    public HashSet<int> Outputs { get; } = [];

    public bool IsEq { get; init; }

    /// <summary>Position in the source body.</summary>
    public int Index { get; set; }
}

/// <summary>Compiles parsed modules into the evaluation model: resolves names, orders bodies for safety, builds node trees.</summary>
internal sealed partial class PolicyCompiler
{
    private readonly BuiltinRegistry _builtins;
    private readonly List<RegoError> _errors = [];
    private readonly DataNode _root = new([]);
    private readonly Dictionary<object, HashSet<object>> _deps = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<object, (string Name, Loc Loc)> _depInfo = new(ReferenceEqualityComparer.Instance);
    private int _groupCount;
    private object? _owner;
    private ModuleContext? _ctx;

    private PolicyCompiler(BuiltinRegistry builtins) => _builtins = builtins;

    public List<RegoError> Errors => _errors;

    public DataNode Root => _root;

    public static PolicyCompiler Create(BuiltinRegistry builtins) => new(builtins);

    private static CompileErrorException Err(string code, Loc loc, string message) => new(new RegoError(code, message, loc.File, loc.Line, loc.Column));

    // ------------------------------------------------------------------ modules

    public PolicyModel CompileModules(IReadOnlyList<Module> modules, RegoValue data, List<string> testRules)
    {
        var pending = new List<(ModuleContext Ctx, Rule Rule, object Group, DataNode Node)>();
        var ruleNamesByPackage = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var m in modules)
        {
            var key = string.Join('.', m.Package);
            if (!ruleNamesByPackage.TryGetValue(key, out var names))
            {
                names = new HashSet<string>(StringComparer.Ordinal);
                ruleNamesByPackage[key] = names;
            }

            foreach (var r in m.Rules)
            {
                names.Add(((VarTerm)r.Head.Head).Name);
            }
        }

        foreach (var m in modules)
        {
            var ctx = new ModuleContext { File = m.File, Package = [.. m.Package], RuleNames = ruleNamesByPackage[string.Join('.', m.Package)] };
            foreach (var imp in m.Imports)
            {
                var root = ((VarTerm)imp.Path.Head).Name;
                var path = imp.Path.Path.Select(p => ((RegoString)((ScalarTerm)p).Value).Value).ToArray();
                if (root is "future" or "rego")
                {
                    continue;
                }

                if (root is not ("data" or "input"))
                {
                    _errors.Add(new RegoError("rego_parse_error", "invalid import path: must begin with input or data", imp.Loc.File, imp.Loc.Line, imp.Loc.Column));
                    continue;
                }

                var alias = imp.Alias ?? (path.Length > 0 ? path[^1] : root);
                if (!ctx.Imports.TryAdd(alias, (root, path)))
                {
                    _errors.Add(new RegoError("rego_compile_error", $"import must not shadow import {alias}", imp.Loc.File, imp.Loc.Line, imp.Loc.Column));
                }
            }

            var pkgNode = NodeAt(m.Package);
            foreach (var rule in m.Rules)
            {
                try
                {
                    var (group, node) = Register(pkgNode, m.Package, rule);
                    pending.Add((ctx, rule, group, node));
                    var ruleName = ((VarTerm)rule.Head.Head).Name;
                    if (ruleName.StartsWith("test_", StringComparison.Ordinal) && rule.Kind != RuleKind.Function && rule.Head.Path.Count == 0)
                    {
                        var full = "data." + string.Join('.', m.Package) + "." + ruleName;
                        if (!testRules.Contains(full))
                        {
                            testRules.Add(full);
                        }
                    }
                }
                catch (CompileErrorException e)
                {
                    _errors.Add(e.Error);
                }
            }
        }

        AssignBase(_root, data);

        foreach (var (ctx, rule, group, _) in pending)
        {
            _ctx = ctx;
            _owner = group;
            try
            {
                CompileRule(rule, group);
            }
            catch (CompileErrorException e)
            {
                _errors.Add(e.Error);
            }
            catch (RegoSyntaxException e)
            {
                _errors.Add(new RegoError("rego_parse_error", e.Message, ctx.File, e.Line, e.Column));
            }
        }

        _ctx = null;
        _owner = null;
        CheckRecursion();
        return new PolicyModel { Root = _root, BaseData = data, GroupCount = _groupCount };
    }

    private DataNode NodeAt(IEnumerable<string> path)
    {
        var node = _root;
        foreach (var seg in path)
        {
            node = node.Child(seg);
        }

        return node;
    }

    private static void AssignBase(DataNode node, RegoValue? value)
    {
        node.Base = value;
        foreach (var (name, child) in node.Children)
        {
            RegoValue? v = null;
            if (value is RegoObject o)
            {
                o.TryGetValue(name, out v);
            }

            AssignBase(child, v);
        }
    }

    private (object Group, DataNode Node) Register(DataNode pkgNode, List<string> package, Rule rule)
    {
        var name = ((VarTerm)rule.Head.Head).Name;
        var path = rule.Head.Path;
        var dyn = path.FindIndex(p => p is not ScalarTerm { Value: RegoString });
        var staticSegs = new List<string> { name };
        for (var i = 0; i < (dyn < 0 ? path.Count : dyn); i++)
        {
            staticSegs.Add(((RegoString)((ScalarTerm)path[i]).Value).Value);
        }

        var node = pkgNode;
        foreach (var s in staticSegs)
        {
            node = node.Child(s);
        }

        var fullName = node.Name;
        if (rule.Kind == RuleKind.Function)
        {
            if (dyn >= 0)
            {
                throw Err("rego_parse_error", rule.Loc, "function names must be static references");
            }

            if (node.Rules is not null)
            {
                throw Err("rego_type_error", rule.Loc, $"conflicting rules {fullName} found");
            }

            if (node.Function is null)
            {
                node.Function = new FunctionGroup { Name = fullName, Arity = rule.Args!.Count };
                _depInfo[node.Function] = (fullName, rule.Loc);
            }
            else if (node.Function.Arity != rule.Args!.Count)
            {
                throw Err("rego_type_error", rule.Loc, $"conflicting rules {fullName} found");
            }

            if (rule.IsDefault && node.Function.Default is not null)
            {
                throw Err("rego_type_error", rule.Loc, $"multiple default rules {fullName} found");
            }

            return (node.Function, node);
        }

        GroupKind kind;
        if (rule.Kind == RuleKind.PartialSet)
        {
            // a.b[x] contains y: an object whose leaves are sets.
            kind = dyn >= 0 ? GroupKind.Object : GroupKind.Set;
        }
        else
        {
            kind = dyn >= 0 ? GroupKind.Object : GroupKind.Complete;
        }

        if (node.Function is not null)
        {
            throw Err("rego_type_error", rule.Loc, $"conflicting rules {fullName} found");
        }

        if (node.Rules is null)
        {
            node.Rules = new RuleGroup { Id = _groupCount++, Name = fullName, Kind = kind, Loc = rule.Loc };
            _depInfo[node.Rules] = (fullName, rule.Loc);
        }
        else if (node.Rules.Kind != kind)
        {
            throw Err("rego_type_error", rule.Loc, $"conflicting rules {fullName} found");
        }

        if (rule.IsDefault && node.Rules.Default is not null)
        {
            throw Err("rego_type_error", rule.Loc, $"multiple default rules {fullName} found");
        }

        return (node.Rules, node);
    }

    private void CompileRule(Rule rule, object group)
    {
        var layout = new FrameLayout();
        var argScope = new Scope(layout, null);
        var compiled = new CompiledRule { Loc = rule.Loc };
        var bound = new HashSet<int>();

        if (rule.IsDefault)
        {
            var valueScope = new Scope(layout, argScope);
            if (rule.Args is not null)
            {
                foreach (var a in rule.Args)
                {
                    foreach (var n in PatternNames(a))
                    {
                        valueScope.DeclareIfUnknown(n);
                    }
                }
            }

            var value = CompileHead(rule.Value!, valueScope, bound, rule.Loc);

            compiled.Branches.Add(new CompiledBranch(BodyNode.Empty, value, true, rule.Loc));
            compiled.Slots = layout.Count;
            if (group is RuleGroup rg)
            {
                rg.Default = compiled;
            }
            else
            {
                ((FunctionGroup)group).Default = compiled;
            }

            return;
        }

        // Arguments that are not plain patterns (refs, calls, templates) are matched in the body, after its variables bind.
        var argLits = new List<Literal>();
        if (rule.Args is not null)
        {
            var args = new List<Term>();
            for (var i = 0; i < rule.Args.Count; i++)
            {
                var a = rule.Args[i];
                if (IsPattern(a))
                {
                    args.Add(a);
                    continue;
                }

                var v = new VarTerm(a.Loc, "$arg" + i);
                args.Add(v);
                argLits.Add(new Literal { Loc = a.Loc, Kind = LiteralKind.Unify, Left = v, Right = a });
            }

            foreach (var a in args)
            {
                foreach (var n in AllNames(a))
                {
                    argScope.DeclareIfUnknown(n);
                }
            }

            compiled.Args = [.. args.Select(a => CompileTerm(a, argScope, bound))];
            foreach (var a in args)
            {
                var io = new LiteralInfo { Literal = new Literal() };
                Vars(a, argScope, io, true);
                bound.UnionWith(io.Inputs);
                bound.UnionWith(io.Outputs);
            }
        }

        // A head value with wildcards (q(_) := xs[_]) is computed in the body.
        var headLits = new List<Literal>();
        var ruleValue = rule.Value;
        if (ruleValue is not null && HasWildcard(ruleValue))
        {
            var hv = new VarTerm(ruleValue.Loc, "$head");
            headLits.Add(new Literal { Loc = ruleValue.Loc, Kind = LiteralKind.Unify, Left = hv, Right = ruleValue });
            ruleValue = hv;
        }

        // Main branch.
        var scope = new Scope(layout, argScope);
        var (body, after) = CompileBody([.. argLits, .. rule.Body, .. headLits], scope, bound);
        Term valueTerm = ruleValue ?? new ScalarTerm(rule.Loc, RegoBoolean.True);
        if (rule.Kind == RuleKind.PartialSet && group is RuleGroup { Kind: GroupKind.Object })
        {
            var dynSet = rule.Head.Path.FindIndex(p => p is not ScalarTerm { Value: RegoString });
            compiled.Keys = [.. rule.Head.Path.Skip(dynSet).Select(t => CompileHead(t, scope, after, rule.Loc))];
            compiled.MultiValue = true;
            valueTerm = rule.Key!;
        }
        else if (rule.Kind == RuleKind.PartialSet)
        {
            compiled.Keys = [CompileHead(rule.Key!, scope, after, rule.Loc)];
            valueTerm = new ScalarTerm(rule.Loc, RegoBoolean.True);
        }
        else if (group is RuleGroup { Kind: GroupKind.Object })
        {
            var dyn = rule.Head.Path.FindIndex(p => p is not ScalarTerm { Value: RegoString });
            compiled.Keys = [.. rule.Head.Path.Skip(dyn).Select(t => CompileHead(t, scope, after, rule.Loc))];
        }

        var valueNode = CompileHead(valueTerm, scope, after, rule.Loc);
        compiled.Branches.Add(new CompiledBranch(body, valueNode, valueNode is ConstNode && rule.Kind != RuleKind.PartialSet && group is not RuleGroup { Kind: GroupKind.Object }, rule.Loc));

        foreach (var br in rule.Else)
        {
            var elseScope = new Scope(layout, argScope);
            var (eb, eAfter) = CompileBody([.. argLits, .. br.Body], elseScope, bound);
            var ev = CompileHead(br.Value ?? new ScalarTerm(br.Loc, RegoBoolean.True), elseScope, eAfter, br.Loc);
            compiled.Branches.Add(new CompiledBranch(eb, ev, ev is ConstNode, br.Loc));
        }

        compiled.Slots = layout.Count;
        if (group is RuleGroup g)
        {
            g.Rules.Add(compiled);
        }
        else
        {
            ((FunctionGroup)group).Rules.Add(compiled);
        }
    }

    private TNode CompileHead(Term t, Scope scope, HashSet<int> bound, Loc ruleLoc)
    {
        foreach (var n in AllNames(t))
        {
            if (scope.TryResolve(n, out var slot))
            {
                if (!bound.Contains(slot))
                {
                    throw Err("rego_unsafe_var_error", t.Loc, $"var {Display(n)} is unsafe");
                }
            }
            else if (!IsGlobalName(n))
            {
                throw Err("rego_unsafe_var_error", t.Loc, $"var {Display(n)} is unsafe");
            }
        }

        return CompileTerm(t, scope, bound);
    }

    private static bool IsPattern(Term t) => t switch
    {
        VarTerm or ScalarTerm => true,
        ArrayTerm a => a.Items.TrueForAll(IsPattern),
        ObjectTerm o => o.Items.TrueForAll(kv => kv.Key is ScalarTerm && IsPattern(kv.Value)),
        _ => false,
    };

    private static bool HasWildcard(Term t) => AllNames(t).Exists(n => n.StartsWith("$_", StringComparison.Ordinal));

    private static string Display(string name) => name.StartsWith("$_", StringComparison.Ordinal) ? "_" : name;

    private static bool IsConstant(Term t) => t switch
    {
        ScalarTerm => true,
        ArrayTerm a => a.Items.TrueForAll(IsConstant),
        SetTerm s => s.Items.TrueForAll(IsConstant),
        ObjectTerm o => o.Items.TrueForAll(kv => IsConstant(kv.Key) && IsConstant(kv.Value)),
        _ => false,
    };

    private bool IsGlobalName(string name) =>
        name is "input" or "data" || (_ctx is not null && (_ctx.Imports.ContainsKey(name) || _ctx.RuleNames.Contains(name)));

    // ------------------------------------------------------------------ recursion

    private void AddDep(object target)
    {
        if (_owner is null)
        {
            return;
        }

        if (!_deps.TryGetValue(_owner, out var set))
        {
            set = new HashSet<object>(ReferenceEqualityComparer.Instance);
            _deps[_owner] = set;
        }

        set.Add(target);
    }

    private void CheckRecursion()
    {
        var state = new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
        var stack = new List<object>();
        var reported = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var node in _deps.Keys.ToList())
        {
            Visit(node);
        }

        void Visit(object n)
        {
            if (state.TryGetValue(n, out var s))
            {
                if (s == 1)
                {
                    var idx = stack.IndexOf(n);
                    var cycle = stack.Skip(idx).Append(n).Select(x => _depInfo[x].Name).ToList();
                    if (reported.Add(n))
                    {
                        var info = _depInfo[n];
                        _errors.Add(new RegoError("rego_recursion_error", $"rule {info.Name} is recursive: {string.Join(" -> ", cycle)}", info.Loc.File, info.Loc.Line, info.Loc.Column));
                    }
                }

                return;
            }

            state[n] = 1;
            stack.Add(n);
            if (_deps.TryGetValue(n, out var targets))
            {
                foreach (var t in targets)
                {
                    Visit(t);
                }
            }

            stack.RemoveAt(stack.Count - 1);
            state[n] = 2;
        }
    }
}

internal sealed partial class PolicyCompiler
{
    private PolicyCompiler(BuiltinRegistry builtins, DataNode root, int groupCount)
        : this(builtins)
    {
        _root = root;
        _groupCount = groupCount;
    }

    /// <summary>A compiler for queries against an already compiled model.</summary>
    public static PolicyCompiler ForModel(PolicyModel model, BuiltinRegistry builtins) => new(builtins, model.Root, model.GroupCount);
}
