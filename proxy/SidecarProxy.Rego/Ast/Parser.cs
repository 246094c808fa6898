using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Ast;

/// <summary>A recursive-descent parser for Rego v1 modules and queries (grammar as OPA's v1/ast/parser.go).</summary>
internal sealed class Parser
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "package", "import", "default", "else", "if", "contains", "some", "every", "in", "not", "with", "true", "false", "null",
    };

    private readonly List<Token> _toks;
    private readonly string _file;
    private readonly WildcardCounter _wildcards;
    private int _i;

    private Parser(List<Token> toks, string file, WildcardCounter wildcards)
    {
        _toks = toks;
        _file = file;
        _wildcards = wildcards;
    }

    private Token Tok => _toks[_i];

    private Token PeekTok(int n = 1) => _toks[Math.Min(_i + n, _toks.Count - 1)];

    public static Module ParseModule(string file, string text)
    {
        var p = new Parser(Lexer.Tokenize(text), file, new WildcardCounter());
        return p.Module();
    }

    public static List<Literal> ParseQuery(string file, string text)
    {
        var p = new Parser(Lexer.Tokenize(text), file, new WildcardCounter());
        var body = p.Literals(TokenKind.Eof);
        if (body.Count == 0)
        {
            throw new RegoSyntaxException("empty query", 1, 1);
        }

        return body;
    }

    public static Term ParseTerm(string file, string text)
    {
        var p = new Parser(Lexer.Tokenize(text), file, new WildcardCounter());
        var t = p.Expr(true);
        p.Expect(TokenKind.Eof, "eof");
        return t;
    }

    private Loc L(Token t) => new(_file, t.Line, t.Column);

    private RegoSyntaxException Error(string message, Token? at = null)
    {
        var t = at ?? Tok;
        return new RegoSyntaxException(message, t.Line, t.Column);
    }

    private RegoSyntaxException Unexpected(string expected)
    {
        var t = Tok;
        var what = t.Kind switch
        {
            TokenKind.Eof => "eof",
            TokenKind.Ident => IsKeyword(t) ? t.Text : "ident",
            TokenKind.String => "string",
            TokenKind.Number => "number",
            _ => t.Text,
        };
        return Error(expected.Length == 0 ? $"unexpected {what} token" : $"unexpected {what} token: expected {expected}");
    }

    private static bool IsKeyword(Token t) => t.Kind == TokenKind.Ident && Keywords.Contains(t.Text);

    /// <summary>A keyword directly followed by '.' is a name (<c>if.foo</c>, <c>true.bar</c>), as OPA v1 allows in refs.</summary>
    private bool KeywordAsName() =>
        PeekTok().Kind == TokenKind.Dot && !PeekTok().SpaceBefore && PeekTok(2).Kind == TokenKind.Ident && !PeekTok(2).SpaceBefore;

    /// <summary>The builtin <c>contains(s, t)</c> shares its name with the keyword.</summary>
    private bool ContainsCall() => IsIdent("contains") && PeekTok().Kind == TokenKind.LParen && !PeekTok().SpaceBefore;

    private bool IsIdent(string text) => Tok.Kind == TokenKind.Ident && Tok.Text == text;

    /// <summary>The keyword <paramref name="text"/> used as a keyword (not as a name like <c>if.foo</c>).</summary>
    private bool IsKw(string text) => IsIdent(text) && !KeywordAsName();

    private Token Expect(TokenKind kind, string what)
    {
        if (Tok.Kind != kind)
        {
            throw Unexpected(what);
        }

        return _toks[_i++];
    }

    private void ExpectIdent(string text)
    {
        if (!IsIdent(text))
        {
            throw Unexpected(text);
        }

        _i++;
    }

    private Module Module()
    {
        if (!IsKw("package"))
        {
            throw Error("package expected");
        }

        var pkgTok = Tok;
        _i++;
        var pkgRef = RefOfNames("ident");
        var pkg = new List<string>();
        foreach (var seg in RefSegments(pkgRef))
        {
            pkg.Add(seg);
        }

        var module = new Module { File = _file, Package = pkg, PackageLoc = L(pkgTok) };
        while (IsKw("import"))
        {
            var t = Tok;
            _i++;
            var path = RefOfNames("ident");
            string? alias = null;
            if (IsKw("as") && !Tok.NewlineBefore)
            {
                _i++;
                alias = Expect(TokenKind.Ident, "ident").Text;
            }

            module.Imports.Add(new Import(L(t), path, alias));
        }

        while (Tok.Kind != TokenKind.Eof)
        {
            if (IsKw("package"))
            {
                throw Error("unexpected package keyword");
            }

            if (IsKw("import"))
            {
                throw Error("unexpected import keyword: imports must come before rules");
            }

            module.Rules.Add(ParseRule());
        }

        return module;
    }

    private static IEnumerable<string> RefSegments(RefTerm r)
    {
        yield return ((VarTerm)r.Head).Name;
        foreach (var p in r.Path)
        {
            if (p is ScalarTerm { Value: RegoString s })
            {
                yield return s.Value;
            }
            else
            {
                throw new RegoSyntaxException("package and import paths must contain only string keys", p.Loc.Line, p.Loc.Column);
            }
        }
    }

    /// <summary>A dotted name such as <c>data.a.b["c"]</c> for packages and imports.</summary>
    private RefTerm RefOfNames(string expected)
    {
        if (Tok.Kind != TokenKind.Ident)
        {
            throw Unexpected(expected);
        }

        var first = Tok;
        _i++;
        var path = new List<Term>();
        while (true)
        {
            if (Tok.Kind == TokenKind.Dot && !Tok.SpaceBefore)
            {
                _i++;
                if (Tok.Kind != TokenKind.Ident)
                {
                    throw Unexpected("ident");
                }

                CheckRefLength(path.Count + 1);
                path.Add(new ScalarTerm(L(Tok), new RegoString(Tok.Text)));
                _i++;
            }
            else if (Tok.Kind == TokenKind.LBrack && !Tok.SpaceBefore)
            {
                _i++;
                var s = Expect(TokenKind.String, "string");
                CheckRefLength(path.Count + 1);
                path.Add(new ScalarTerm(L(s), s.Value!));
                Expect(TokenKind.RBrack, "]");
            }
            else
            {
                break;
            }
        }

        return new RefTerm(L(first), new VarTerm(L(first), first.Text), path);
    }

    private Rule ParseRule()
    {
        var start = Tok;
        var isDefault = false;
        if (IsKw("default"))
        {
            isDefault = true;
            _i++;
        }

        if (Tok.Kind != TokenKind.Ident || (IsKeyword(Tok) && !KeywordAsName()))
        {
            throw Unexpected("ident");
        }

        var headTok = Tok;
        _i++;
        var path = new List<Term>();
        while (true)
        {
            if (Tok.Kind == TokenKind.Dot && !Tok.SpaceBefore)
            {
                _i++;
                if (Tok.Kind != TokenKind.Ident)
                {
                    throw Unexpected("ident");
                }

                CheckRefLength(path.Count + 1);
                path.Add(new ScalarTerm(L(Tok), new RegoString(Tok.Text)));
                _i++;
            }
            else if (Tok.Kind == TokenKind.LBrack && !Tok.SpaceBefore)
            {
                _i++;
                CheckRefLength(path.Count + 1);
                path.Add(Expr(true));
                Expect(TokenKind.RBrack, "]");
            }
            else
            {
                break;
            }
        }

        var head = new RefTerm(L(headTok), new VarTerm(L(headTok), headTok.Text), path);
        List<Term>? args = null;
        if (Tok.Kind == TokenKind.LParen && !Tok.SpaceBefore)
        {
            _i++;
            args = [];
            if (Tok.Kind != TokenKind.RParen)
            {
                while (true)
                {
                    args.Add(Expr(true));
                    if (Tok.Kind == TokenKind.Comma)
                    {
                        _i++;
                        continue;
                    }

                    break;
                }
            }

            Expect(TokenKind.RParen, ")");
        }

        Term? key = null;
        Term? value = null;
        var kind = args != null ? RuleKind.Function : RuleKind.Complete;
        if (IsKw("contains"))
        {
            if (args != null || isDefault)
            {
                throw Error("unexpected contains keyword");
            }

            _i++;
            key = Expr(true);
            kind = RuleKind.PartialSet;
        }
        else if (Tok.Kind is TokenKind.Assign or TokenKind.Unify)
        {
            _i++;
            value = Expr(true);
        }

        if (isDefault)
        {
            if (value == null)
            {
                throw Error("default rules must have a value assigned", start);
            }

            return new Rule { Loc = L(start), IsDefault = true, Kind = kind, Head = head, Args = args, Value = value, Body = [], HasBody = false };
        }

        var (body, hasBody) = RuleBody(headTok);
        var rule = new Rule { Loc = L(start), Kind = kind, Head = head, Args = args, Key = key, Value = value, Body = body, HasBody = hasBody };
        while (IsKw("else"))
        {
            if (kind == RuleKind.PartialSet)
            {
                throw Error("else keyword cannot be used on multi-value rules");
            }

            var elseTok = Tok;
            _i++;
            Term? elseValue = null;
            if (Tok.Kind is TokenKind.Assign or TokenKind.Unify)
            {
                _i++;
                elseValue = Expr(true);
            }

            var (elseBody, _) = RuleBody(elseTok);
            rule.Else.Add(new RuleBranch(elseValue, elseBody, L(elseTok)));
        }

        return rule;
    }

    private (List<Literal> Body, bool HasBody) RuleBody(Token headTok)
    {
        if (IsKw("if"))
        {
            _i++;
            if (Tok.Kind == TokenKind.LBrace)
            {
                var save = _i;
                var wildcards = _wildcards.Next;
                try
                {
                    _i++;
                    var b = Literals(TokenKind.RBrace);
                    Expect(TokenKind.RBrace, "}");
                    return (b, true);
                }
                catch (RegoSyntaxException)
                {
                    // Not a block: a single term such as an object comprehension ({k: v | ...}).
                    _i = save;
                    _wildcards.Next = wildcards;
                }
            }

            var lit = ParseLiteral();
            return ([lit], true);
        }

        if (Tok.Kind == TokenKind.LBrace && !Tok.NewlineBefore)
        {
            throw Error("`if` keyword is required before rule body");
        }

        return ([new Literal { Loc = L(headTok), Kind = LiteralKind.Term, Left = new ScalarTerm(L(headTok), RegoBoolean.True) }], false);
    }

    private sealed class WildcardCounter
    {
        public int Next { get; set; }
    }

    /// <summary>Literals separated by ';' or newlines, up to (not including) <paramref name="end"/>.</summary>
    private List<Literal> Literals(TokenKind end)
    {
        var list = new List<Literal>();
        while (Tok.Kind == TokenKind.Semicolon)
        {
            _i++;
        }

        if (Tok.Kind == end)
        {
            if (end == TokenKind.RBrace)
            {
                throw Error("found empty body");
            }

            return list;
        }

        while (true)
        {
            list.Add(ParseLiteral());
            if (Tok.Kind == TokenKind.Semicolon)
            {
                while (Tok.Kind == TokenKind.Semicolon)
                {
                    _i++;
                }

                if (Tok.Kind == end)
                {
                    return list;
                }

                continue;
            }

            if (Tok.Kind == end)
            {
                return list;
            }

            if (Tok.NewlineBefore)
            {
                continue;
            }

            throw Unexpected(end == TokenKind.Eof ? string.Empty : "}");
        }
    }

    private Literal ParseLiteral()
    {
        var start = Tok;
        Literal lit;
        if (IsKeyword(Tok) && (KeywordAsName() || ContainsCall()))
        {
            lit = ParseExprLiteral(start);
        }
        else if (IsKw("some"))
        {
            _i++;
            lit = ParseSome(start);
        }
        else if (IsKw("every"))
        {
            _i++;
            lit = ParseEvery(start);
        }
        else if (IsKw("not"))
        {
            _i++;
            var inner = ParseExprLiteral(Tok);
            lit = new Literal { Loc = L(start), Kind = inner.Kind, Negated = true, Left = inner.Left, Right = inner.Right };
        }
        else
        {
            lit = ParseExprLiteral(start);
        }

        while (IsKw("with"))
        {
            var wt = Tok;
            _i++;
            var target = Expr(true, noIn: true);
            ExpectIdent("as");
            var value = Expr(true);
            lit.With.Add(new WithModifier(L(wt), target, value));
        }

        return lit;
    }

    private Literal ParseSome(Token start)
    {
        // some x, y   |   some x in xs   |   some k, v in xs
        var first = Expr(true, noIn: true);
        Term? second = null;
        var names = new List<Term> { first };
        while (Tok.Kind == TokenKind.Comma)
        {
            _i++;
            var t = Expr(true, noIn: true);
            names.Add(t);
        }

        if (IsKw("in"))
        {
            _i++;
            if (names.Count > 2)
            {
                throw Error("unexpected , token: some ... in takes at most a key and a value", start);
            }

            second = names.Count == 2 ? names[1] : null;
            var coll = Expr(true, noIn: true);
            return new Literal { Loc = L(start), Kind = LiteralKind.SomeIn, Key = second != null ? first : null, Value = second ?? first, Left = coll };
        }

        var vars = new List<VarTerm>();
        foreach (var n in names)
        {
            if (n is not VarTerm v)
            {
                throw new RegoSyntaxException("expected var in some declaration", n.Loc.Line, n.Loc.Column);
            }

            vars.Add(v);
        }

        return new Literal { Loc = L(start), Kind = LiteralKind.SomeDecl, Vars = vars };
    }

    private Literal ParseEvery(Token start)
    {
        var first = Expr(true, noIn: true);
        Term? key = null;
        var value = first;
        if (Tok.Kind == TokenKind.Comma)
        {
            _i++;
            key = first;
            value = Expr(true, noIn: true);
        }

        if (!IsKw("in"))
        {
            throw Unexpected("in");
        }

        _i++;
        var domain = Expr(true, noIn: true);
        Expect(TokenKind.LBrace, "{");
        var body = Literals(TokenKind.RBrace);
        Expect(TokenKind.RBrace, "}");
        return new Literal { Loc = L(start), Kind = LiteralKind.Every, Key = key, Value = value, Left = domain, Body = body };
    }

    private Literal ParseExprLiteral(Token start)
    {
        var lhs = Expr(true);
        if (Tok.Kind == TokenKind.Comma && !Tok.NewlineBefore)
        {
            // k, v in xs
            _i++;
            var v = Expr(true, noIn: true);
            var inTok = Tok;
            ExpectIdent("in");
            var coll = Expr(true, noIn: true);
            lhs = new CallTerm(L(inTok), new VarTerm(L(inTok), "internal.member_3"), [lhs, v, coll]) { IsOperator = true };
        }

        if (Tok.Kind is TokenKind.Assign or TokenKind.Unify)
        {
            var op = Tok.Kind;
            _i++;
            var rhs = Expr(true);
            return new Literal { Loc = L(start), Kind = op == TokenKind.Assign ? LiteralKind.Assign : LiteralKind.Unify, Left = lhs, Right = rhs };
        }

        return new Literal { Loc = L(start), Kind = LiteralKind.Term, Left = lhs };
    }

    // Precedence, loosest first: in; == != < <= > >=; |; &; + -; * / %.
    private static int Prec(TokenKind k) => k switch
    {
        TokenKind.Eq or TokenKind.Neq or TokenKind.Lt or TokenKind.Lte or TokenKind.Gt or TokenKind.Gte => 2,
        TokenKind.Bar => 3,
        TokenKind.Amp => 4,
        TokenKind.Plus or TokenKind.Minus => 5,
        TokenKind.Star or TokenKind.Slash or TokenKind.Percent => 6,
        _ => 0,
    };

    private static string OpName(TokenKind k) => k switch
    {
        TokenKind.Eq => "equal",
        TokenKind.Neq => "neq",
        TokenKind.Lt => "lt",
        TokenKind.Lte => "lte",
        TokenKind.Gt => "gt",
        TokenKind.Gte => "gte",
        TokenKind.Bar => "or",
        TokenKind.Amp => "and",
        TokenKind.Plus => "plus",
        TokenKind.Minus => "minus",
        TokenKind.Star => "mul",
        TokenKind.Slash => "div",
        TokenKind.Percent => "rem",
        _ => throw new InvalidOperationException(),
    };

    /// <summary>An expression term (operators become calls). <paramref name="allowBar"/> false stops at '|' (comprehension heads).</summary>
    private const int MaxDepth = 500;

    // Longer references (package paths, rule heads, data refs) made the compiler's per-prefix work quadratic: a
    // policy of one 50,000-segment package ran for minutes. No real policy comes near this.
    private const int MaxRefLength = 1000;

    private void CheckRefLength(int length)
    {
        if (length > MaxRefLength)
        {
            throw Error($"reference longer than {MaxRefLength} segments");
        }
    }
    private int _depth;

    private Term Expr(bool allowBar, bool noIn = false)
    {
        // Bounded nesting: a hostile or broken source must not overflow the stack.
        if (++_depth > MaxDepth)
        {
            throw Error($"expression nesting exceeds {MaxDepth} levels");
        }

        try
        {
            return ExprInner(allowBar, noIn);
        }
        finally
        {
            _depth--;
        }
    }

    private Term ExprInner(bool allowBar, bool noIn)
    {
        var lhs = Binary(1, allowBar);
        while (!noIn && IsKw("in"))
        {
            var t = Tok;
            _i++;
            var rhs = Binary(1, allowBar);
            lhs = new CallTerm(L(t), new VarTerm(L(t), "internal.member_2"), [lhs, rhs]) { IsOperator = true };
        }

        return lhs;
    }

    private Term Binary(int minPrec, bool allowBar)
    {
        // Each operator of a chain (a + b + c ...) nests the tree built so far one level deeper, and the later passes
        // recurse on that tree: the links count against MaxDepth like nested expressions (a long chain overflowed the stack).
        var links = 0;
        try
        {
            var lhs = Unary();
            while (true)
            {
                var t = Tok;
                var prec = Prec(t.Kind);
                if (prec == 0 || prec < minPrec || (t.Kind == TokenKind.Bar && !allowBar))
                {
                    return lhs;
                }

                // A '-' opening a new line starts a new expression (a negative number), not a subtraction.
                if (t.Kind == TokenKind.Minus && t.NewlineBefore)
                {
                    return lhs;
                }

                Nest(ref links);
                _i++;
                var rhs = Binary(prec + 1, allowBar);
                lhs = new CallTerm(L(t), new VarTerm(L(t), OpName(t.Kind)), [lhs, rhs]) { IsOperator = true };
            }
        }
        finally
        {
            _depth -= links;
        }
    }

    private void Nest(ref int links)
    {
        links++;
        if (++_depth > MaxDepth)
        {
            throw Error($"expression nesting exceeds {MaxDepth} levels");
        }
    }

    private Term Unary()
    {
        if (Tok.Kind == TokenKind.Minus)
        {
            var t = Tok;
            _i++;
            if (Tok.Kind == TokenKind.Number && !Tok.SpaceBefore)
            {
                var n = (RegoNumber)Tok.Value!;
                _i++;
                var neg = Negate(n);
                return Postfix(new ScalarTerm(L(t), neg));
            }

            // Unary minus recurses per '-': bounded like any nesting (a long run of '-' overflowed the stack).
            var links = 0;
            Term operand;
            try
            {
                Nest(ref links);
                operand = Unary();
            }
            finally
            {
                _depth -= links;
            }

            return new CallTerm(L(t), new VarTerm(L(t), "minus"), [new ScalarTerm(L(t), RegoNumber.Zero), operand]) { IsOperator = true };
        }

        return Postfix(Primary());
    }

    private static RegoNumber Negate(RegoNumber n) => n.IsInteger ? RegoNumber.FromInteger(-n.Integer) : RegoNumber.FromDouble(-n.Double);

    private Term Primary()
    {
        var t = Tok;
        switch (t.Kind)
        {
            case TokenKind.Number:
            case TokenKind.String:
                _i++;
                return new ScalarTerm(L(t), t.Value!);
            case TokenKind.Template:
                _i++;
                return Template(t);
            case TokenKind.LParen:
                {
                    _i++;
                    var inner = Expr(true);
                    if (Tok.Kind == TokenKind.Comma)
                    {
                        // (k, v in xs)
                        _i++;
                        var v = Expr(true, noIn: true);
                        var inTok = Tok;
                        if (!IsKw("in"))
                        {
                            throw Unexpected("in");
                        }

                        _i++;
                        var coll = Expr(true, noIn: true);
                        inner = new CallTerm(L(inTok), new VarTerm(L(inTok), "internal.member_3"), [inner, v, coll]) { IsOperator = true };
                    }

                    Expect(TokenKind.RParen, ")");
                    return inner;
                }

            case TokenKind.LBrack:
                return ArrayOrComprehension();
            case TokenKind.LBrace:
                return BraceTerm();
            case TokenKind.Ident when IsKeyword(t) && (KeywordAsName() || ContainsCall()):
                _i++;
                return new VarTerm(L(t), t.Text);
            case TokenKind.Ident:
                switch (t.Text)
                {
                    case "true":
                        _i++;
                        return new ScalarTerm(L(t), RegoBoolean.True);
                    case "false":
                        _i++;
                        return new ScalarTerm(L(t), RegoBoolean.False);
                    case "null":
                        _i++;
                        return new ScalarTerm(L(t), RegoNull.Instance);
                    case "set" when PeekTok().Kind == TokenKind.LParen && PeekTok(2).Kind == TokenKind.RParen && !PeekTok().SpaceBefore:
                        _i += 3;
                        return new SetTerm(L(t), []);
                }

                if (IsKeyword(t))
                {
                    throw Unexpected("term");
                }

                _i++;
                if (t.Text == "_")
                {
                    return new VarTerm(L(t), "$_" + _wildcards.Next++);
                }

                return new VarTerm(L(t), t.Text);
            default:
                throw Unexpected("term");
        }
    }

    private TemplateTerm Template(Token t)
    {
        var parts = new List<object>();
        foreach (var part in t.Parts!)
        {
            if (part.Literal != null)
            {
                parts.Add(part.Literal);
                continue;
            }

            var toks = Lexer.Tokenize(part.Source!, part.Line, part.Column, part.Offset);
            var sub = new Parser(toks, _file, _wildcards);
            if (sub.Tok.Kind == TokenKind.Eof)
            {
                throw Error("empty template expression", t);
            }

            var lit = sub.ParseLiteral();
            if (sub.Tok.Kind != TokenKind.Eof)
            {
                throw sub.Unexpected("}");
            }

            parts.Add(lit);
        }

        return new TemplateTerm(L(t), parts);
    }

    private Term Postfix(Term term)
    {
        // The ref this loop built, extended in place: copying the path per segment made a long ref quadratic.
        RefTerm? built = null;
        while (true)
        {
            var t = Tok;
            if (t.Kind == TokenKind.Dot && !t.SpaceBefore)
            {
                _i++;
                if (Tok.Kind != TokenKind.Ident || Tok.SpaceBefore)
                {
                    throw Unexpected("ident");
                }

                var key = new ScalarTerm(L(Tok), new RegoString(Tok.Text));
                _i++;
                term = built = AppendRef(term, key, built);
            }
            else if (t.Kind == TokenKind.LBrack && !t.SpaceBefore)
            {
                _i++;
                var key = Expr(true);
                Expect(TokenKind.RBrack, "]");
                term = built = AppendRef(term, key, built);
            }
            else if (t.Kind == TokenKind.LParen && !t.SpaceBefore && IsCallable(term))
            {
                _i++;
                var args = new List<Term>();
                if (Tok.Kind != TokenKind.RParen)
                {
                    while (true)
                    {
                        args.Add(Expr(true));
                        if (Tok.Kind == TokenKind.Comma)
                        {
                            _i++;
                            if (Tok.Kind == TokenKind.RParen)
                            {
                                break;
                            }

                            continue;
                        }

                        break;
                    }
                }

                Expect(TokenKind.RParen, ")");
                term = new CallTerm(term.Loc, term, args);
            }
            else
            {
                return term;
            }
        }
    }

    private static bool IsCallable(Term t) => t is VarTerm || (t is RefTerm r && r.Head is VarTerm && r.Path.TrueForAll(p => p is ScalarTerm { Value: RegoString }));

    private RefTerm AppendRef(Term term, Term key, RefTerm? built)
    {
        if (built is not null && ReferenceEquals(term, built))
        {
            CheckRefLength(built.Path.Count + 1);
            built.Path.Add(key);
            return built;
        }

        if (term is RefTerm r)
        {
            var path = new List<Term>(r.Path) { key };
            return new RefTerm(r.Loc, r.Head, path);
        }

        return new RefTerm(term.Loc, term, [key]);
    }

    private Term ArrayOrComprehension()
    {
        var start = Tok;
        _i++;
        if (Tok.Kind == TokenKind.RBrack)
        {
            _i++;
            return new ArrayTerm(L(start), []);
        }

        var first = Expr(false);
        if (Tok.Kind == TokenKind.Bar)
        {
            _i++;
            var body = Literals(TokenKind.RBrack);
            Expect(TokenKind.RBrack, "]");
            return new ComprehensionTerm(L(start), ComprehensionKind.Array, first, null, body);
        }

        var items = new List<Term> { first };
        while (Tok.Kind == TokenKind.Comma)
        {
            _i++;
            if (Tok.Kind == TokenKind.RBrack)
            {
                break;
            }

            items.Add(Expr(true));
        }

        Expect(TokenKind.RBrack, "]");
        return new ArrayTerm(L(start), items);
    }

    private Term BraceTerm()
    {
        var start = Tok;
        _i++;
        if (Tok.Kind == TokenKind.RBrace)
        {
            _i++;
            return new ObjectTerm(L(start), []);
        }

        var first = Expr(false);
        if (Tok.Kind == TokenKind.Colon)
        {
            _i++;
            var firstValue = Expr(false);
            if (Tok.Kind == TokenKind.Bar)
            {
                _i++;
                var body = Literals(TokenKind.RBrace);
                Expect(TokenKind.RBrace, "}");
                return new ComprehensionTerm(L(start), ComprehensionKind.Object, first, firstValue, body);
            }

            var items = new List<KeyValuePair<Term, Term>> { new(first, firstValue) };
            while (Tok.Kind == TokenKind.Comma)
            {
                _i++;
                if (Tok.Kind == TokenKind.RBrace)
                {
                    break;
                }

                var k = Expr(true);
                Expect(TokenKind.Colon, ":");
                var v = Expr(true);
                items.Add(new(k, v));
            }

            Expect(TokenKind.RBrace, "}");
            return new ObjectTerm(L(start), items);
        }

        if (Tok.Kind == TokenKind.Bar)
        {
            _i++;
            var body = Literals(TokenKind.RBrace);
            Expect(TokenKind.RBrace, "}");
            return new ComprehensionTerm(L(start), ComprehensionKind.Set, first, null, body);
        }

        var setItems = new List<Term> { first };
        while (Tok.Kind == TokenKind.Comma)
        {
            _i++;
            if (Tok.Kind == TokenKind.RBrace)
            {
                break;
            }

            setItems.Add(Expr(true));
        }

        Expect(TokenKind.RBrace, "}");
        return new SetTerm(L(start), setItems);
    }
}
