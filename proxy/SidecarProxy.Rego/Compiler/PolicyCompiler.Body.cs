using SidecarProxy.Rego.Ast;
using SidecarProxy.Rego.Builtins;
using SidecarProxy.Rego.Eval;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Compiler;

internal sealed partial class PolicyCompiler
{
    private sealed class TrueLiteral : LNode
    {
        public override bool Eval(EvalContext c, RegoValue?[] f, Func<bool> k) => Next is null ? k() : Next.Run(c, f, k);
    }

    // ------------------------------------------------------------------ queries

    public (BodyNode Body, FrameLayout Layout, List<(string Name, int Slot)> Outputs) CompileQuery(List<Literal> query)
    {
        _ctx = null;
        _owner = null;
        var layout = new FrameLayout();
        var scope = new Scope(layout, null);
        var (body, _) = CompileBody(query, scope, []);
        var outputs = scope.Own
            .Where(kv => !kv.Key.StartsWith('$'))
            .Select(kv => (kv.Key, kv.Value))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToList();
        return (body, layout, outputs);
    }

    public TNode CompileStandaloneTerm(Term term)
    {
        _ctx = null;
        _owner = null;
        var layout = new FrameLayout();
        var scope = new Scope(layout, null);
        foreach (var n in AllNames(term))
        {
            if (!IsGlobalName(n))
            {
                throw Err("rego_unsafe_var_error", term.Loc, $"var {Display(n)} is unsafe");
            }
        }

        return CompileTerm(term, scope, []);
    }

    // ------------------------------------------------------------------ bodies

    private (BodyNode Body, HashSet<int> Bound) CompileBody(List<Literal> lits, Scope scope, HashSet<int> bound)
    {
        var savedLimit = scope.VisibleLimit;
        try
        {
            DeclarePass(lits, scope);
            var infos = new List<LiteralInfo>(lits.Count);
            for (var i = 0; i < lits.Count; i++)
            {
                scope.VisibleLimit = i;
                var info = Analyze(lits[i], scope);
                info.Index = i;
                infos.Add(info);
            }

            var order = Reorder(infos, bound, scope);
            var b = new HashSet<int>(bound);
            var nodes = new List<LNode>(order.Count);
            foreach (var info in order)
            {
                scope.VisibleLimit = info.Index;
                nodes.Add(CompileLiteral(info.Literal, scope, b));
                b.UnionWith(info.Outputs);
            }

            return (new BodyNode([.. nodes]), b);
        }
        finally
        {
            scope.VisibleLimit = savedLimit;
        }
    }

    private void DeclarePass(List<Literal> lits, Scope scope)
    {
        for (var index = 0; index < lits.Count; index++)
        {
            var lit = lits[index];
            scope.VisibleLimit = index;
            switch (lit.Kind)
            {
                case LiteralKind.SomeDecl:
                    foreach (var v in lit.Vars!)
                    {
                        scope.DeclareFresh(v.Name);
                        scope.MarkDeclaredAt(v.Name, index);
                    }

                    break;
                case LiteralKind.SomeIn:
                    foreach (var n in PatternNames(lit.Key).Concat(PatternNames(lit.Value)))
                    {
                        scope.DeclareFresh(n);
                        scope.MarkDeclaredAt(n, index);
                    }

                    foreach (var n in AllNames(lit.Key).Concat(AllNames(lit.Value)))
                    {
                        scope.DeclareIfUnknown(n);
                    }

                    DeclareUnknown(lit.Left, scope);
                    break;
                case LiteralKind.Assign:
                    foreach (var n in PatternNames(lit.Left))
                    {
                        if (!scope.DeclareAssigned(n, out _))
                        {
                            throw Err("rego_compile_error", lit.Loc, $"var {n} assigned above");
                        }

                        scope.MarkDeclaredAt(n, index);
                    }

                    if (lit.Left is not (VarTerm or ArrayTerm or ObjectTerm))
                    {
                        throw Err("rego_parse_error", lit.Loc, "cannot assign to " + TermKindName(lit.Left!));
                    }

                    DeclareUnknown(lit.Left, scope);
                    DeclareUnknown(lit.Right, scope);
                    break;
                case LiteralKind.Every:
                    DeclareUnknown(lit.Left, scope);
                    break;
                default:
                    DeclareUnknown(lit.Left, scope);
                    DeclareUnknown(lit.Right, scope);
                    break;
            }

            foreach (var w in lit.With)
            {
                if (!IsFunctionRef(w.Value, scope))
                {
                    DeclareUnknown(w.Value, scope);
                }
            }
        }
    }

    /// <summary>A <c>with</c> value naming a function (<c>with count as my_count</c>) rather than a variable.</summary>
    private bool IsFunctionRef(Term t, Scope scope) =>
        StaticSegments(t) is { } segs && !scope.TryResolve(segs[0], out _) && ResolveFunctionSegments(segs) is not null;

    private static string TermKindName(Term t) => t switch
    {
        ScalarTerm s => s.Value.TypeName,
        RefTerm => "ref",
        CallTerm => "call",
        SetTerm => "set",
        ComprehensionTerm => "comprehension",
        _ => "term",
    };

    private void DeclareUnknown(Term? t, Scope scope)
    {
        foreach (var n in AllNames(t))
        {
            if (!scope.TryResolve(n, out _) && !IsGlobalName(n))
            {
                scope.DeclareFresh(n);
            }
        }
    }

    /// <summary>Names of variables in a term, outside closures (comprehensions, every bodies); ref heads included.</summary>
    private static List<string> AllNames(Term? t)
    {
        var list = new List<string>();
        Collect(t, list);
        return list;

        static void Collect(Term? t, List<string> list)
        {
            switch (t)
            {
                case VarTerm v:
                    list.Add(v.Name);
                    break;
                case RefTerm r:
                    Collect(r.Head, list);
                    foreach (var p in r.Path)
                    {
                        Collect(p, list);
                    }

                    break;
                case ArrayTerm a:
                    a.Items.ForEach(i => Collect(i, list));
                    break;
                case SetTerm s:
                    s.Items.ForEach(i => Collect(i, list));
                    break;
                case ObjectTerm o:
                    foreach (var (k, v) in o.Items)
                    {
                        Collect(k, list);
                        Collect(v, list);
                    }

                    break;
                case CallTerm c:
                    c.Args.ForEach(i => Collect(i, list));
                    break;
                case TemplateTerm tt:
                    foreach (var p in tt.Parts)
                    {
                        if (p is Literal l)
                        {
                            Collect(l.Left, list);
                            Collect(l.Right, list);
                            foreach (var w in l.With)
                            {
                                Collect(w.Value, list);
                            }
                        }
                    }

                    break;
            }
        }
    }

    /// <summary>Variables in pattern position: the term itself, array items, object values.</summary>
    private static List<string> PatternNames(Term? t)
    {
        var list = new List<string>();
        Collect(t, list);
        return list;

        static void Collect(Term? t, List<string> list)
        {
            switch (t)
            {
                case VarTerm v:
                    list.Add(v.Name);
                    break;
                case ArrayTerm a:
                    a.Items.ForEach(i => Collect(i, list));
                    break;
                case ObjectTerm o:
                    foreach (var (_, v) in o.Items)
                    {
                        Collect(v, list);
                    }

                    break;
            }
        }
    }

    /// <summary>All variable names, including inside closures.</summary>
    private static void DeepNames(Term? t, HashSet<string> names)
    {
        switch (t)
        {
            case VarTerm v:
                names.Add(v.Name);
                break;
            case RefTerm r:
                DeepNames(r.Head, names);
                r.Path.ForEach(p => DeepNames(p, names));
                break;
            case ArrayTerm a:
                a.Items.ForEach(i => DeepNames(i, names));
                break;
            case SetTerm s:
                s.Items.ForEach(i => DeepNames(i, names));
                break;
            case ObjectTerm o:
                foreach (var (k, v) in o.Items)
                {
                    DeepNames(k, names);
                    DeepNames(v, names);
                }

                break;
            case CallTerm c:
                c.Args.ForEach(i => DeepNames(i, names));
                break;
            case ComprehensionTerm ct:
                DeepNames(ct.Head, names);
                DeepNames(ct.Value, names);
                DeepLitNames(ct.Body, names);
                break;
            case TemplateTerm tt:
                foreach (var p in tt.Parts)
                {
                    if (p is Literal l)
                    {
                        DeepLitNames([l], names);
                    }
                }

                break;
        }
    }

    private static void DeepLitNames(List<Literal> lits, HashSet<string> names)
    {
        foreach (var l in lits)
        {
            DeepNames(l.Left, names);
            DeepNames(l.Right, names);
            DeepNames(l.Key, names);
            DeepNames(l.Value, names);
            if (l.Vars is not null)
            {
                l.Vars.ForEach(v => names.Add(v.Name));
            }

            if (l.Body is not null)
            {
                DeepLitNames(l.Body, names);
            }

            foreach (var w in l.With)
            {
                DeepNames(w.Value, names);
            }
        }
    }

    /// <summary>Names a closure declares for itself (<c>:=</c>, <c>some</c>, every key/value), which shadow outer names.</summary>
    private static void InnerDeclared(List<Literal> lits, HashSet<string> names)
    {
        foreach (var l in lits)
        {
            switch (l.Kind)
            {
                case LiteralKind.Assign:
                    PatternNames(l.Left).ForEach(n => names.Add(n));
                    break;
                case LiteralKind.SomeDecl:
                    l.Vars!.ForEach(v => names.Add(v.Name));
                    break;
                case LiteralKind.SomeIn:
                case LiteralKind.Every:
                    PatternNames(l.Key).ForEach(n => names.Add(n));
                    PatternNames(l.Value).ForEach(n => names.Add(n));
                    break;
            }
        }
    }

    /// <summary>Outer variables a closure reads: they must be bound before the literal holding it.</summary>
    private static void FreeVars(List<Literal> body, IEnumerable<Term?> extra, Scope scope, HashSet<int> inputs, IEnumerable<string>? alsoDeclared = null)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        DeepLitNames(body, names);
        foreach (var e in extra)
        {
            DeepNames(e, names);
        }

        var declared = new HashSet<string>(StringComparer.Ordinal);
        InnerDeclared(body, declared);
        if (alsoDeclared is not null)
        {
            declared.UnionWith(alsoDeclared);
        }

        foreach (var n in names)
        {
            if (!declared.Contains(n) && !n.StartsWith("$_", StringComparison.Ordinal) && scope.TryResolveAsChild(n, out var slot))
            {
                inputs.Add(slot);
            }
        }
    }

    // ------------------------------------------------------------------ safety analysis

    private LiteralInfo Analyze(Literal lit, Scope scope)
    {
        var info = new LiteralInfo { Literal = lit, IsEq = lit.Kind is LiteralKind.Unify or LiteralKind.Assign };
        switch (lit.Kind)
        {
            case LiteralKind.Term:
                if (lit.Left is CallTerm unknown && ResolveFunction(unknown, out var fname) is null && fname != "print")
                {
                    throw Err("rego_type_error", unknown.Loc, $"undefined function {fname}");
                }

                if (lit.Left is CallTerm call && OutputArity(call) is { } arity && call.Args.Count == arity + 1)
                {
                    for (var i = 0; i < arity; i++)
                    {
                        Vars(call.Args[i], scope, info, false);
                    }

                    Vars(call.Args[arity], scope, info, true);
                }
                else
                {
                    Vars(lit.Left, scope, info, false);
                }

                break;
            case LiteralKind.Unify:
            case LiteralKind.Assign:
                Vars(lit.Left, scope, info, true);
                Vars(lit.Right, scope, info, true);
                break;
            case LiteralKind.SomeIn:
                Vars(lit.Left, scope, info, false);
                Vars(lit.Key, scope, info, true);
                Vars(lit.Value, scope, info, true);
                break;
            case LiteralKind.Every:
                Vars(lit.Left, scope, info, false);
                FreeVars(lit.Body!, [], scope, info.Inputs, PatternNames(lit.Key).Concat(PatternNames(lit.Value)));
                break;
        }

        if (lit.Negated)
        {
            foreach (var o in info.Outputs)
            {
                if (!scope.Layout.Names[o].StartsWith("$_", StringComparison.Ordinal))
                {
                    info.Inputs.Add(o);
                }
            }

            info.Outputs.Clear();
        }

        foreach (var w in lit.With)
        {
            if (IsFunctionRef(w.Value, scope))
            {
                continue;
            }

            var tmp = new LiteralInfo { Literal = lit };
            Vars(w.Value, scope, tmp, false);
            info.Inputs.UnionWith(tmp.Inputs);
            info.Inputs.UnionWith(tmp.Outputs);
        }

        return info;
    }

    /// <summary>The arity of the function a call names, when known (for the output-argument form <c>f(x, out)</c>).</summary>
    private int? OutputArity(CallTerm call)
    {
        var target = ResolveFunction(call, out _);
        return target switch
        {
            FunctionGroup g => g.Arity,
            BuiltinDefinition d => d.Arity,
            _ => null,
        };
    }

    private static void Vars(Term? t, Scope scope, LiteralInfo io, bool pattern)
    {
        switch (t)
        {
            case null:
            case ScalarTerm:
                return;
            case VarTerm v:
                if (scope.TryResolve(v.Name, out var slot))
                {
                    (pattern ? io.Outputs : io.Inputs).Add(slot);
                }

                return;
            case RefTerm r:
                if (r.Head is VarTerm hv)
                {
                    if (scope.TryResolve(hv.Name, out var hs))
                    {
                        io.Inputs.Add(hs);
                    }
                }
                else
                {
                    Vars(r.Head, scope, io, false);
                }

                foreach (var p in r.Path)
                {
                    Vars(p, scope, io, true);
                }

                return;
            case ArrayTerm a:
                a.Items.ForEach(i => Vars(i, scope, io, pattern));
                return;
            case SetTerm s:
                s.Items.ForEach(i => Vars(i, scope, io, false));
                return;
            case ObjectTerm o:
                foreach (var (k, v) in o.Items)
                {
                    Vars(k, scope, io, false);
                    Vars(v, scope, io, pattern);
                }

                return;
            case CallTerm c:
                c.Args.ForEach(i => Vars(i, scope, io, false));
                return;
            case ComprehensionTerm ct:
                FreeVars(ct.Body, [ct.Head, ct.Value], scope, io.Inputs);
                return;
            case TemplateTerm tt:
                foreach (var p in tt.Parts)
                {
                    if (p is Literal l)
                    {
                        var tmp = new LiteralInfo { Literal = l };
                        Vars(l.Left, scope, tmp, false);
                        foreach (var w in l.With)
                        {
                            Vars(w.Value, scope, tmp, false);
                        }

                        io.Inputs.UnionWith(tmp.Inputs);
                        io.Outputs.UnionWith(tmp.Outputs);
                    }
                }

                return;
        }
    }

    private static HashSet<int> PatternSlots(Term? t, Scope scope)
    {
        var set = new HashSet<int>();
        foreach (var n in PatternNames(t))
        {
            if (scope.TryResolve(n, out var s))
            {
                set.Add(s);
            }
        }

        return set;
    }

    private static bool EqSafe(Term a, Term b, HashSet<int> bound, Scope scope)
    {
        var ua = PatternSlots(a, scope);
        ua.ExceptWith(bound);
        var ub = PatternSlots(b, scope);
        ub.ExceptWith(bound);
        if (ua.Count == 0 || ub.Count == 0)
        {
            return true;
        }

        if (a is ArrayTerm aa && b is ArrayTerm ba && aa.Items.Count == ba.Items.Count)
        {
            var local = new HashSet<int>(bound);
            for (var i = 0; i < aa.Items.Count; i++)
            {
                if (!EqSafe(aa.Items[i], ba.Items[i], local, scope))
                {
                    return false;
                }

                local.UnionWith(PatternSlots(aa.Items[i], scope));
                local.UnionWith(PatternSlots(ba.Items[i], scope));
            }

            return true;
        }

        if (PairObjects(a, b) is { } pairs)
        {
            var local = new HashSet<int>(bound);
            foreach (var (x, y) in pairs)
            {
                if (!EqSafe(x, y, local, scope))
                {
                    return false;
                }

                local.UnionWith(PatternSlots(x, scope));
                local.UnionWith(PatternSlots(y, scope));
            }

            return true;
        }

        return false;
    }

    /// <summary>Pairs the values of two object literals with the same constant keys.</summary>
    private static List<(Term, Term)>? PairObjects(Term a, Term b)
    {
        if (a is not ObjectTerm oa || b is not ObjectTerm ob || oa.Items.Count != ob.Items.Count)
        {
            return null;
        }

        var pairs = new List<(Term, Term)>();
        foreach (var (ka, va) in oa.Items)
        {
            if (ka is not ScalarTerm sa)
            {
                return null;
            }

            var match = ob.Items.FindIndex(kv => kv.Key is ScalarTerm sb && sb.Value.Equals(sa.Value));
            if (match < 0)
            {
                return null;
            }

            pairs.Add((va, ob.Items[match].Value));
        }

        return pairs;
    }

    private List<LiteralInfo> Reorder(List<LiteralInfo> infos, HashSet<int> bound, Scope scope)
    {
        var remaining = new List<LiteralInfo>(infos);
        var result = new List<LiteralInfo>(infos.Count);
        var b = new HashSet<int>(bound);
        while (remaining.Count > 0)
        {
            var idx = remaining.FindIndex(i => i.Inputs.IsSubsetOf(b) && (!i.IsEq || EqSafe(i.Literal.Left!, i.Literal.Right!, b, scope)));
            if (idx < 0)
            {
                var first = remaining[0];
                var unsafeVars = new SortedSet<string>(StringComparer.Ordinal);
                foreach (var info in remaining)
                {
                    foreach (var s in info.Inputs)
                    {
                        if (!b.Contains(s))
                        {
                            unsafeVars.Add(scope.Layout.DisplayName(s));
                        }
                    }

                    if (info.IsEq && info.Inputs.IsSubsetOf(b))
                    {
                        foreach (var s in PatternSlots(info.Literal.Left, scope).Concat(PatternSlots(info.Literal.Right, scope)))
                        {
                            if (!b.Contains(s))
                            {
                                unsafeVars.Add(scope.Layout.DisplayName(s));
                            }
                        }
                    }
                }

                foreach (var v in unsafeVars.Skip(1).Take(10))
                {
                    _errors.Add(new RegoError("rego_unsafe_var_error", $"var {v} is unsafe", first.Literal.Loc.File, first.Literal.Loc.Line, first.Literal.Loc.Column));
                }

                throw Err("rego_unsafe_var_error", first.Literal.Loc, $"var {unsafeVars.FirstOrDefault() ?? "_"} is unsafe");
            }

            var next = remaining[idx];
            remaining.RemoveAt(idx);
            result.Add(next);
            b.UnionWith(next.Outputs);
        }

        return result;
    }

    // ------------------------------------------------------------------ literals

    private LNode CompileLiteral(Literal lit, Scope scope, HashSet<int> bound)
    {
        LNode node;
        switch (lit.Kind)
        {
            case LiteralKind.Term:
                if (lit.Left is CallTerm call && OutputArity(call) is { } arity && call.Args.Count == arity + 1)
                {
                    var fn = CompileCall(call, scope, bound, arity);
                    node = new UnifyLiteral(CompileTerm(call.Args[arity], scope, bound), fn) { Loc = lit.Loc };
                }
                else
                {
                    node = new TermLiteral(CompileTerm(lit.Left!, scope, bound)) { Loc = lit.Loc };
                }

                break;
            case LiteralKind.Unify:
            case LiteralKind.Assign:
                node = new UnifyLiteral(CompileTerm(lit.Left!, scope, bound), CompileTerm(lit.Right!, scope, bound)) { Loc = lit.Loc };
                break;
            case LiteralKind.SomeDecl:
                node = new TrueLiteral { Loc = lit.Loc };
                break;
            case LiteralKind.SomeIn:
                node = new SomeInLiteral(lit.Key is null ? null : CompileTerm(lit.Key, scope, bound), CompileTerm(lit.Value!, scope, bound), CompileTerm(lit.Left!, scope, bound)) { Loc = lit.Loc };
                break;
            case LiteralKind.Every:
                {
                    var child = new Scope(scope.Layout, scope);
                    var inner = new HashSet<int>(bound);
                    foreach (var n in PatternNames(lit.Key).Concat(PatternNames(lit.Value)))
                    {
                        child.DeclareFresh(n);
                    }

                    var key = lit.Key is null ? null : CompileTerm(lit.Key, child, inner);
                    var value = CompileTerm(lit.Value!, child, inner);
                    foreach (var n in PatternNames(lit.Key).Concat(PatternNames(lit.Value)))
                    {
                        child.TryResolve(n, out var s);
                        inner.Add(s);
                    }

                    var (body, _) = CompileBody(lit.Body!, child, inner);
                    node = new EveryLiteral(key, value, CompileTerm(lit.Left!, scope, bound), body) { Loc = lit.Loc };
                    break;
                }

            default:
                throw new InvalidOperationException();
        }

        if (lit.Negated)
        {
            node = new NotLiteral(node) { Loc = lit.Loc };
        }

        if (lit.With.Count > 0)
        {
            node = new WithLiteral(node, [.. lit.With.Select(w => CompileWith(w, scope, bound))]) { Loc = lit.Loc };
        }

        return node;
    }

    private WithModifierNode CompileWith(WithModifier w, Scope scope, HashSet<int> bound)
    {
        var segs = StaticSegments(w.Target);
        if (segs is null)
        {
            throw Err("rego_type_error", w.Loc, "with keyword target must reference existing input, data, or a function");
        }

        // Resolve imports and package rule names to absolute paths.
        if (segs[0] is not ("input" or "data") && _ctx is not null)
        {
            if (_ctx.Imports.TryGetValue(segs[0], out var imp))
            {
                segs = [imp.Root, .. imp.Path, .. segs.Skip(1)];
            }
            else if (_ctx.RuleNames.Contains(segs[0]))
            {
                segs = ["data", .. _ctx.Package, .. segs];
            }
        }

        if (segs[0] == "input")
        {
            return new WithModifierNode { Kind = WithTargetKind.Input, Path = [.. segs.Skip(1)], Value = CompileTerm(w.Value, scope, bound) };
        }

        object? fnTarget = null;
        if (segs[0] == "data")
        {
            var node = FindNode(segs.Skip(1));
            if (node is not null && node.IsFunctionOnly)
            {
                fnTarget = node.Function;
            }
            else
            {
                return new WithModifierNode { Kind = WithTargetKind.Data, Path = [.. segs.Skip(1)], Value = CompileTerm(w.Value, scope, bound) };
            }
        }
        else if (_builtins.TryGet(string.Join('.', segs), out var def))
        {
            fnTarget = def;
        }

        if (fnTarget is null)
        {
            throw Err("rego_compile_error", w.Loc, "with keyword target must reference existing input, data, or a function");
        }

        AddDepIfFunction(fnTarget);
        var valueSegs = StaticSegments(w.Value);
        if (valueSegs is not null && !scope.TryResolve(valueSegs[0], out _))
        {
            var replacement = ResolveFunctionSegments(valueSegs);
            if (replacement is FunctionGroup fg)
            {
                AddDep(fg);
                return new WithModifierNode { Kind = WithTargetKind.Function, Target = fnTarget, ValueFunction = fg };
            }

            if (replacement is BuiltinDefinition bd)
            {
                return new WithModifierNode { Kind = WithTargetKind.Function, Target = fnTarget, ValueBuiltin = bd };
            }
        }

        return new WithModifierNode { Kind = WithTargetKind.Function, Target = fnTarget, Value = CompileTerm(w.Value, scope, bound) };
    }

    private void AddDepIfFunction(object target)
    {
        if (target is FunctionGroup g)
        {
            AddDep(g);
        }
    }

    private DataNode? FindNode(IEnumerable<string> path)
    {
        var node = _root;
        foreach (var s in path)
        {
            if (!node.Children.TryGetValue(s, out var child))
            {
                return null;
            }

            node = child;
        }

        return node;
    }

    /// <summary>The dotted name of a var or a ref with only string keys (<c>io.jwt.decode</c>), else null.</summary>
    private static List<string>? StaticSegments(Term t)
    {
        switch (t)
        {
            case VarTerm v:
                return [.. v.Name.Split('.')];
            case RefTerm { Head: VarTerm hv } r:
                var list = new List<string> { hv.Name };
                foreach (var p in r.Path)
                {
                    if (p is ScalarTerm { Value: RegoString s })
                    {
                        list.Add(s.Value);
                    }
                    else
                    {
                        return null;
                    }
                }

                return list;
            default:
                return null;
        }
    }

    // ------------------------------------------------------------------ terms

    private TNode CompileTerm(Term t, Scope scope, HashSet<int> bound)
    {
        TNode node = t switch
        {
            ScalarTerm s => new ConstNode(s.Value),
            VarTerm v => CompileVar(v, scope, bound),
            RefTerm r => CompileRef(r, scope, bound),
            ArrayTerm a => Fold(new ArrayNode([.. a.Items.Select(i => CompileTerm(i, scope, bound))])),
            SetTerm s => Fold(new SetNode([.. s.Items.Select(i => CompileTerm(i, scope, bound))])),
            ObjectTerm o => Fold(new ObjectNode([.. o.Items.Select(i => CompileTerm(i.Key, scope, bound))], [.. o.Items.Select(i => CompileTerm(i.Value, scope, bound))]) { Loc = o.Loc }),
            ComprehensionTerm c => CompileComprehension(c, scope, bound),
            CallTerm c => CompileCall(c, scope, bound, null),
            TemplateTerm tt => CompileTemplate(tt, scope, bound),
            _ => throw Err("rego_compile_error", t.Loc, "unsupported term"),
        };
        return node;
    }

    private static TNode Fold(TNode node)
    {
        if (!node.IsSimple)
        {
            return node;
        }

        // Constant collections are built once here rather than on every evaluation.
        var isConst = node switch
        {
            ArrayNode a => Array.TrueForAll(a.Items, i => i is ConstNode),
            SetNode s => Array.TrueForAll(s.Items, i => i is ConstNode),
            ObjectNode o => Array.TrueForAll(o.KeyNodes, i => i is ConstNode) && Array.TrueForAll(o.ValueNodes, i => i is ConstNode),
            _ => false,
        };
        if (!isConst)
        {
            return node;
        }

        RegoValue? v;
        try
        {
            v = node.Value(null!, []);
        }
        catch (RegoEvaluationException)
        {
            // A literal object with one key twice and different values: the conflict is an evaluation error.
            return node;
        }

        return v is null ? node : new ConstNode(v) { Loc = node.Loc };
    }

    private TemplateNode CompileTemplate(TemplateTerm tt, Scope scope, HashSet<int> bound)
    {
        var parts = new List<object>();
        foreach (var p in tt.Parts)
        {
            if (p is string s)
            {
                parts.Add(s);
                continue;
            }

            var lit = (Literal)p;
            if (lit.Kind != LiteralKind.Term || lit.Negated)
            {
                throw Err("rego_parse_error", lit.Loc, "template expressions must be terms");
            }

            var inner = CompileTerm(lit.Left!, scope, bound);
            if (lit.With.Count > 0)
            {
                inner = new WithTermNode(inner, [.. lit.With.Select(w => CompileWith(w, scope, bound))]) { Loc = lit.Loc };
            }

            parts.Add(inner);
        }

        return new TemplateNode([.. parts]) { Loc = tt.Loc };
    }

    private ComprehensionNode CompileComprehension(ComprehensionTerm c, Scope scope, HashSet<int> bound)
    {
        var child = new Scope(scope.Layout, scope);
        var (body, after) = CompileBody(c.Body, child, bound);
        var head = CompileHead(c.Head, child, after, c.Loc);
        var value = c.Value is null ? null : CompileHead(c.Value, child, after, c.Loc);
        var kind = c.Kind switch
        {
            ComprehensionKind.Array => ComprehensionKindNode.Array,
            ComprehensionKind.Set => ComprehensionKindNode.Set,
            _ => ComprehensionKindNode.Object,
        };
        return new ComprehensionNode(kind, head, value, body) { Loc = c.Loc };
    }

    private TNode CompileVar(VarTerm v, Scope scope, HashSet<int> bound)
    {
        if (scope.TryResolve(v.Name, out var slot))
        {
            return new VarNode(slot, v.Name) { Loc = v.Loc, KnownBound = bound.Contains(slot) };
        }

        return CompileGlobal(v.Name, [], v.Loc, scope, bound) ?? throw Err("rego_unsafe_var_error", v.Loc, $"var {Display(v.Name)} is unsafe");
    }

    private TNode? CompileGlobal(string name, List<TNode> keys, Loc loc, Scope scope, HashSet<int> bound)
    {
        if (name == "input")
        {
            return keys.Count == 0 ? new InputNode { Loc = loc } : new RefNode(new InputNode { Loc = loc }, [.. keys]) { Loc = loc };
        }

        if (name == "data")
        {
            return MakeDataRef(keys, loc);
        }

        if (_ctx is not null)
        {
            if (_ctx.Imports.TryGetValue(name, out var imp))
            {
                var all = imp.Path.Select(p => (TNode)new ConstNode(new RegoString(p))).Concat(keys).ToList();
                return CompileGlobal(imp.Root, all, loc, scope, bound);
            }

            if (_ctx.RuleNames.Contains(name))
            {
                var all = _ctx.Package.Append(name).Select(p => (TNode)new ConstNode(new RegoString(p))).Concat(keys).ToList();
                return MakeDataRef(all, loc);
            }
        }

        return null;
    }

    private TNode CompileRef(RefTerm r, Scope scope, HashSet<int> bound)
    {
        var keys = r.Path.Select(p => CompileTerm(p, scope, bound)).ToList();
        if (r.Head is VarTerm hv)
        {
            if (scope.TryResolve(hv.Name, out var slot))
            {
                return new RefNode(new VarNode(slot, hv.Name) { Loc = hv.Loc, KnownBound = bound.Contains(slot) }, [.. keys]) { Loc = r.Loc };
            }

            return CompileGlobal(hv.Name, keys, r.Loc, scope, bound) ?? throw Err("rego_unsafe_var_error", hv.Loc, $"var {Display(hv.Name)} is unsafe");
        }

        return new RefNode(CompileTerm(r.Head, scope, bound), [.. keys]) { Loc = r.Loc };
    }

    private DataRefNode MakeDataRef(List<TNode> keys, Loc loc)
    {
        var node = _root;
        var i = 0;
        while (i < keys.Count && node.Rules is null)
        {
            if (keys[i] is ConstNode cn)
            {
                if (cn.Constant is RegoString s && node.Children.TryGetValue(s.Value, out var child))
                {
                    node = child;
                    i++;
                    continue;
                }

                // The prefix leaves the tree: the rest is plain base data (JSON, so number keys name string keys).
                var baseValue = IndexBase(node.Base, cn.Constant);
                i++;
                while (i < keys.Count && keys[i] is ConstNode ck && baseValue is not null)
                {
                    baseValue = IndexBase(baseValue, ck.Constant);
                    i++;
                }

                return new DataRefNode(_root, [.. keys], null, i, baseValue) { Loc = loc };
            }

            break;
        }

        if (node.Rules is not null)
        {
            AddDep(node.Rules);
        }

        foreach (var g in node.AllGroups())
        {
            AddDep(g);
        }

        return new DataRefNode(_root, [.. keys], node, i, null) { Loc = loc };
    }

    private static RegoValue? IndexBase(RegoValue? value, RegoValue key)
    {
        if (value is null)
        {
            return null;
        }

        var r = RefNode.Index(value, key);
        if (r is null && value is RegoObject o && key is RegoNumber)
        {
            o.TryGetValue(new RegoString(key.ToString()), out r);
        }

        return r;
    }

    private object? ResolveFunction(CallTerm call, out string name)
    {
        var segs = StaticSegments(call.Function);
        name = segs is null ? "?" : string.Join('.', segs);
        return segs is null ? null : ResolveFunctionSegments(segs);
    }

    private object? ResolveFunctionSegments(List<string> segs)
    {
        if (segs[0] == "data")
        {
            return FindNode(segs.Skip(1))?.Function;
        }

        if (_ctx is not null)
        {
            if (_ctx.Imports.TryGetValue(segs[0], out var imp) && imp.Root == "data")
            {
                return FindNode(imp.Path.Concat(segs.Skip(1)))?.Function;
            }

            if (_ctx.RuleNames.Contains(segs[0]))
            {
                var fn = FindNode(_ctx.Package.Concat(segs))?.Function;
                if (fn is not null)
                {
                    return fn;
                }
            }
        }

        return _builtins.TryGet(string.Join('.', segs), out var def) ? def : null;
    }

    private TNode CompileCall(CallTerm call, Scope scope, HashSet<int> bound, int? argCount)
    {
        var segs = StaticSegments(call.Function);
        var name = segs is null ? "?" : string.Join('.', segs);
        var n = argCount ?? call.Args.Count;
        var args = call.Args.Take(n).Select(a => CompileTerm(a, scope, bound)).ToArray();
        if (name == "print")
        {
            return new PrintNode(args) { Loc = call.Loc };
        }

        var target = segs is null ? null : ResolveFunctionSegments(segs);
        switch (target)
        {
            case FunctionGroup g:
                if (g.Arity != n)
                {
                    throw Err("rego_type_error", call.Loc, ArityMessage(name, g.Arity, n));
                }

                AddDep(g);
                return new FunctionCallNode(g, args) { Loc = call.Loc };
            case BuiltinDefinition d:
                if (d.Arity != n)
                {
                    throw Err("rego_type_error", call.Loc, ArityMessage(name, d.Arity, n));
                }

                if (call.IsOperator && d.Name is "equal" or "neq" or "lt" or "lte" or "gt" or "gte" && ReferenceEquals(_builtins, BuiltinRegistry.Default))
                {
                    return new CompareNode(d, args[0], args[1]) { Loc = call.Loc };
                }

                return new BuiltinCallNode(d, args) { Loc = call.Loc };
            default:
                throw Err("rego_type_error", call.Loc, $"undefined function {name}");
        }
    }

    private static string ArityMessage(string name, int want, int have) =>
        have > want ? $"{name}: too many arguments: want {want}, have {have}" : $"{name}: too few arguments: want {want}, have {have}";
}
