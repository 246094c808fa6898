using System.Globalization;
using System.Net;
using System.Text;
using SidecarProxy.Rego.Values;

namespace SidecarProxy.Rego.Builtins;

/// <summary>
/// strings.render_template: OPA renders with Go's text/template (option missingkey=error) over the JSON form of
/// the variables. This is a subset of text/template: text, comments, trim markers (<c>{{- x -}}</c>), fields
/// (<c>.a.b</c>, <c>$</c>, <c>$v.a</c>), literals, parenthesised pipelines, <c>|</c>, variables (<c>:=</c>, <c>=</c>),
/// <c>if</c>/<c>else if</c>/<c>else</c>, <c>range</c> (with <c>$i, $v :=</c>, <c>else</c>, <c>break</c>,
/// <c>continue</c>), <c>with</c>, and the functions and, or, not, len, index, eq, ne, lt, le, gt, ge, print,
/// printf, println, html, js, urlquery. <c>define</c>, <c>template</c> and <c>block</c> are not supported.
/// Values print as Go prints decoded JSON: arrays as <c>[1 2]</c>, objects as <c>map[a:1]</c>.
/// </summary>
internal sealed class StringTemplate
{
    private const int MaxOutput = 1 << 20;
    private const int MaxSteps = 1_000_000;

    private readonly string _src;
    private readonly BuiltinContext _ctx;
    private readonly StringBuilder _out = new();
    private List<Node> _nodes = [];
    private int _steps;

    private StringTemplate(string src, BuiltinContext ctx)
    {
        _src = src;
        _ctx = ctx;
    }

    public static void Register(BuiltinRegistry registry) => registry.Add("strings.render_template", 2, Render);

    private static RegoValue Render(BuiltinContext ctx, RegoValue[] args)
    {
        var template = Operands.String(args, 0);
        var variables = Operands.Object(args, 1);
        foreach (var (key, _) in variables.Entries)
        {
            if (key is not RegoString)
            {
                throw new BuiltinErrorException("invalid character: object keys must be strings");
            }
        }

        var t = new StringTemplate(template, ctx);
        t._nodes = new TemplateParser(template).Parse();
        var scope = new List<(string, RegoValue?)> { ("$", variables) };
        t.Exec(t._nodes, variables, scope);
        return new RegoString(t._out.ToString());
    }

    // ---- execution ----
    private sealed class BreakSignal : Exception
    {
    }

    private sealed class ContinueSignal : Exception
    {
    }

    private void Step()
    {
        if (++_steps > MaxSteps || _out.Length > MaxOutput)
        {
            throw new BuiltinErrorException("template: template: execution exceeded its limits");
        }

        if ((_steps & 0xFFF) == 0)
        {
            _ctx.CancellationToken.ThrowIfCancellationRequested();
        }
    }

    private void Exec(List<Node> nodes, RegoValue? dot, List<(string Name, RegoValue? Value)> vars)
    {
        var mark = vars.Count;
        foreach (var node in nodes)
        {
            Step();
            switch (node)
            {
                case TextNode t:
                    _out.Append(t.Text);
                    break;
                case ActionNode a:
                    {
                        var v = EvalPipeline(a.Pipe, dot, vars);
                        if (a.Pipe.Decl.Count == 0)
                        {
                            _out.Append(Print(v, top: true));
                        }

                        break;
                    }

                case IfNode i:
                    {
                        var v = EvalPipeline(i.Pipe, dot, vars);
                        Exec(IsTrue(v) ? i.Then : i.Else, i.With && IsTrue(v) ? v : dot, vars);
                        break;
                    }

                case RangeNode r:
                    ExecRange(r, dot, vars);
                    break;
                case BreakNode:
                    throw new BreakSignal();
                case ContinueNode:
                    throw new ContinueSignal();
            }
        }

        vars.RemoveRange(mark, vars.Count - mark);
    }

    private void ExecRange(RangeNode r, RegoValue? dot, List<(string Name, RegoValue? Value)> vars)
    {
        var v = EvalPipeline(r.Pipe, dot, vars, declare: false);
        var items = new List<(RegoValue Key, RegoValue Value)>();
        switch (v)
        {
            case RegoArray a:
                for (var k = 0; k < a.Count; k++)
                {
                    items.Add((RegoNumber.FromLong(k), a[k]));
                }

                break;
            case RegoObject o:
                foreach (var (k, val) in o.Entries)
                {
                    items.Add((k, val));
                }

                break;
            case RegoNumber n when n.IsInteger:
                for (var k = 0; k < n.Integer; k++)
                {
                    items.Add((RegoNumber.FromLong(k), RegoNumber.FromLong(k)));
                }

                break;
            case null:
                break;
            default:
                throw Exec($"range can't iterate over {Print(v, top: true)}");
        }

        if (items.Count == 0)
        {
            Exec(r.Else, dot, vars);
            return;
        }

        foreach (var (key, value) in items)
        {
            var mark = vars.Count;
            if (r.Pipe.Decl.Count == 1)
            {
                vars.Add((r.Pipe.Decl[0], value));
            }
            else if (r.Pipe.Decl.Count == 2)
            {
                vars.Add((r.Pipe.Decl[0], key));
                vars.Add((r.Pipe.Decl[1], value));
            }

            try
            {
                Exec(r.Body, value, vars);
            }
            catch (ContinueSignal)
            {
            }
            catch (BreakSignal)
            {
                vars.RemoveRange(mark, vars.Count - mark);
                break;
            }

            vars.RemoveRange(mark, vars.Count - mark);
        }
    }

    private static BuiltinErrorException Exec(string message) => new($"template: template: {message}");

    private RegoValue? EvalPipeline(Pipe pipe, RegoValue? dot, List<(string Name, RegoValue? Value)> vars, bool declare = true)
    {
        RegoValue? value = null;
        var first = true;
        foreach (var cmd in pipe.Commands)
        {
            value = EvalCommand(cmd, dot, vars, first ? null : value, !first);
            first = false;
        }

        if (declare)
        {
            foreach (var name in pipe.Decl)
            {
                if (pipe.Assign)
                {
                    var idx = vars.FindLastIndex(v => v.Name == name);
                    if (idx < 0)
                    {
                        throw Exec($"undefined variable: {name}");
                    }

                    vars[idx] = (name, value);
                }
                else
                {
                    vars.Add((name, value));
                }
            }
        }

        return value;
    }

    private RegoValue? EvalCommand(List<Operand> cmd, RegoValue? dot, List<(string Name, RegoValue? Value)> vars, RegoValue? piped, bool hasPiped)
    {
        var head = cmd[0];
        if (head is IdentOperand f)
        {
            var args = new List<RegoValue?>();
            for (var i = 1; i < cmd.Count; i++)
            {
                args.Add(EvalOperand(cmd[i], dot, vars));
            }

            if (hasPiped)
            {
                args.Add(piped);
            }

            return Call(f.Name, args);
        }

        if (cmd.Count > 1 || hasPiped)
        {
            throw Exec($"can't give argument to non-function {head}");
        }

        return EvalOperand(head, dot, vars);
    }

    private RegoValue? EvalOperand(Operand op, RegoValue? dot, List<(string Name, RegoValue? Value)> vars)
    {
        switch (op)
        {
            case LiteralOperand l:
                return l.Value;
            case NilOperand:
                return null;
            case FieldOperand fo:
                {
                    RegoValue? v;
                    if (fo.Variable is null)
                    {
                        v = dot;
                    }
                    else
                    {
                        var idx = vars.FindLastIndex(x => x.Name == fo.Variable);
                        if (idx < 0)
                        {
                            throw Exec($"undefined variable: {fo.Variable}");
                        }

                        v = vars[idx].Value;
                    }

                    foreach (var name in fo.Fields)
                    {
                        v = v switch
                        {
                            RegoObject o => o.TryGetValue(name, out var child) ? child : throw Exec($"executing \"template\" at <{fo}>: map has no entry for key \"{name}\""),
                            null => throw Exec($"executing \"template\" at <{fo}>: nil pointer evaluating interface {{}}.{name}"),
                            _ => throw Exec($"executing \"template\" at <{fo}>: can't evaluate field {name} in type {GoType(v)}"),
                        };
                    }

                    return v is RegoNull ? null : v;
                }

            case PipeOperand p:
                return EvalPipeline(p.Pipe, dot, vars, declare: false);
            case IdentOperand f:
                return Call(f.Name, []);
            default:
                throw Exec("unexpected operand");
        }
    }

    private static RegoValue? Call(string name, List<RegoValue?> args)
    {
        switch (name)
        {
            case "and":
                {
                    RegoValue? last = null;
                    foreach (var a in args)
                    {
                        last = a;
                        if (!IsTrue(a))
                        {
                            return a;
                        }
                    }

                    return last;
                }

            case "or":
                {
                    RegoValue? last = null;
                    foreach (var a in args)
                    {
                        last = a;
                        if (IsTrue(a))
                        {
                            return a;
                        }
                    }

                    return last;
                }

            case "not":
                Arity(name, args, 1);
                return RegoValue.From(!IsTrue(args[0]));
            case "len":
                Arity(name, args, 1);
                return args[0] switch
                {
                    RegoString s => RegoNumber.FromLong(Encoding.UTF8.GetByteCount(s.Value)),
                    RegoArray a => RegoNumber.FromLong(a.Count),
                    RegoObject o => RegoNumber.FromLong(o.Count),
                    _ => throw Exec($"error calling len: len of type {GoType(args[0])}"),
                };
            case "index":
                {
                    if (args.Count == 0)
                    {
                        throw Exec("wrong number of args for index: want at least 1 got 0");
                    }

                    var v = args[0];
                    for (var i = 1; i < args.Count; i++)
                    {
                        v = v switch
                        {
                            RegoArray a when args[i] is RegoNumber n && n.TryGetInt32(out var k) => k >= 0 && k < a.Count ? a[k] : throw Exec($"error calling index: index out of range: {k}"),
                            RegoObject o when args[i] is RegoString => o[args[i]!] is { } found and not RegoNull ? found : null,
                            _ => throw Exec($"error calling index: cannot index slice/array with type {GoType(args[i])}"),
                        };
                    }

                    return v;
                }

            case "eq":
                {
                    if (args.Count < 2)
                    {
                        throw Exec("error calling eq: missing argument for comparison");
                    }

                    for (var i = 1; i < args.Count; i++)
                    {
                        if (Equals(args[0], args[i]))
                        {
                            return RegoBoolean.True;
                        }
                    }

                    return RegoBoolean.False;
                }

            case "ne":
                Arity(name, args, 2);
                return RegoValue.From(!Equals(args[0], args[1]));
            case "lt":
            case "le":
            case "gt":
            case "ge":
                {
                    Arity(name, args, 2);
                    if (args[0] is null || args[1] is null || args[0]!.Kind != args[1]!.Kind || args[0] is not (RegoNumber or RegoString))
                    {
                        throw Exec($"error calling {name}: incompatible types for comparison");
                    }

                    var c = args[0]!.CompareTo(args[1]);
                    return RegoValue.From(name switch { "lt" => c < 0, "le" => c <= 0, "gt" => c > 0, _ => c >= 0 });
                }

            case "print":
                return new RegoString(SprintLike(args, spaces: false));
            case "println":
                return new RegoString(SprintLike(args, spaces: true) + "\n");
            case "printf":
                {
                    if (args.Count == 0 || args[0] is not RegoString fmt)
                    {
                        throw Exec("error calling printf: format must be a string");
                    }

                    var operands = args.Skip(1).Select(ToSprintfOperand).ToArray();
                    return new RegoString(SprintfFormatter.Format(fmt.Value, operands));
                }

            case "html":
                return new RegoString(HtmlEscape(SprintLike(args, spaces: false)));
            case "js":
                return new RegoString(JsEscape(SprintLike(args, spaces: false)));
            case "urlquery":
                return new RegoString(WebUtility.UrlEncode(SprintLike(args, spaces: false)));
            default:
                throw new BuiltinErrorException($"template: template:1: function \"{name}\" not defined");
        }
    }

    /// <summary>Template values are decoded JSON: numbers are json.Number (a string type), composites print as Go prints them.</summary>
    private static SprintfOperand ToSprintfOperand(RegoValue? v) => v switch
    {
        null or RegoNull => SprintfOperand.FromString("<nil>"),
        RegoNumber n => SprintfOperand.FromJsonNumber(n.ToNumberString()),
        RegoString s => SprintfOperand.FromString(s.Value),
        _ => SprintfOperand.FromString(Print(v, top: false)),
    };

    private static void Arity(string name, List<RegoValue?> args, int n)
    {
        if (args.Count != n)
        {
            throw Exec($"wrong number of args for {name}: want {n} got {args.Count}");
        }
    }

    private static bool Equals(RegoValue? a, RegoValue? b) => a is null ? b is null : a.Equals(b);

    /// <summary>Go's fmt.Sprint: a space between operands when neither is a string (or always, for Sprintln).</summary>
    private static string SprintLike(List<RegoValue?> args, bool spaces)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < args.Count; i++)
        {
            if (i > 0 && (spaces || (args[i] is not RegoString && args[i - 1] is not RegoString)))
            {
                sb.Append(' ');
            }

            sb.Append(Print(args[i], top: false));
        }

        return sb.ToString();
    }

    /// <summary>Go's template.HTMLEscapeString.</summary>
    private static string HtmlEscape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '"' => "&#34;",
                '\'' => "&#39;",
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\0' => "\uFFFD",
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }

    private static string JsEscape(string s)
    {
        var sb = new StringBuilder();
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '\'': sb.Append(@"\'"); break;
                case '"': sb.Append("\\\""); break;
                case '<': sb.Append(@"\u003C"); break;
                case '>': sb.Append(@"\u003E"); break;
                case '&': sb.Append(@"\u0026"); break;
                case '=': sb.Append(@"\u003D"); break;
                case '\n': sb.Append(@"\u000A"); break;
                case '\r': sb.Append(@"\u000D"); break;
                case '\t': sb.Append(@"\u0009"); break;
                default:
                    if (c < ' ')
                    {
                        sb.Append(@"\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.ToString();
    }

    private static bool IsTrue(RegoValue? v) => v switch
    {
        null or RegoNull => false,
        RegoBoolean b => b.Value,
        RegoNumber n => n.IsInteger ? !n.Integer.IsZero : n.Double != 0,
        RegoString s => s.Value.Length > 0,
        RegoArray a => a.Count > 0,
        RegoObject o => o.Count > 0,
        RegoSet s => s.Count > 0,
        _ => true,
    };

    private static string GoType(RegoValue? v) => v switch
    {
        null or RegoNull => "<nil>",
        RegoBoolean => "bool",
        RegoNumber => "json.Number",
        RegoString => "string",
        RegoArray => "[]interface {}",
        _ => "map[string]interface {}",
    };

    /// <summary>Go's fmt.Print of decoded JSON (numbers are json.Number and print as written).</summary>
    private static string Print(RegoValue? v, bool top)
    {
        switch (v)
        {
            case null:
            case RegoNull:
                return top ? "<no value>" : "<nil>";
            case RegoString s:
                return s.Value;
            case RegoNumber n:
                return n.ToNumberString();
            case RegoBoolean b:
                return b.Value ? "true" : "false";
            case RegoArray a:
                return "[" + string.Join(' ', a.AsList().Select(x => Print(x, top: false))) + "]";
            case RegoSet set:
                return "[" + string.Join(' ', set.AsList().Select(x => Print(x, top: false))) + "]";
            case RegoObject o:
                return "map[" + string.Join(' ', o.AsList().Select(p => Print(p.Key, top: false) + ":" + Print(p.Value, top: false))) + "]";
            default:
                return v.ToString();
        }
    }

    // ---- syntax tree ----
    internal abstract record Node;

    internal sealed record TextNode(string Text) : Node;

    internal sealed record ActionNode(Pipe Pipe) : Node;

    internal sealed record IfNode(Pipe Pipe, List<Node> Then, List<Node> Else, bool With) : Node;

    internal sealed record RangeNode(Pipe Pipe, List<Node> Body, List<Node> Else) : Node;

    internal sealed record BreakNode : Node;

    internal sealed record ContinueNode : Node;

    internal sealed record Pipe(List<string> Decl, bool Assign, List<List<Operand>> Commands);

    internal abstract record Operand;

    internal sealed record LiteralOperand(RegoValue Value) : Operand;

    internal sealed record NilOperand : Operand;

    internal sealed record FieldOperand(string? Variable, List<string> Fields) : Operand
    {
        public override string ToString() => (Variable ?? string.Empty) + (Fields.Count == 0 && Variable is null ? "." : string.Concat(Fields.Select(f => "." + f)));
    }

    internal sealed record PipeOperand(Pipe Pipe) : Operand;

    internal sealed record IdentOperand(string Name) : Operand
    {
        public override string ToString() => Name;
    }

    private sealed class TemplateParser
    {
        private readonly string _src;
        private readonly List<(bool IsAction, string Text, int Line)> _items = [];
        private int _index;

        public TemplateParser(string src)
        {
            _src = src;
            Lex();
        }

        public List<Node> Parse()
        {
            var nodes = ParseList(out var end);
            if (end is not null)
            {
                throw Error($"unexpected {{{{{end}}}}}");
            }

            return nodes;
        }

        private BuiltinErrorException Error(string message) =>
            new($"template: template:{(_index > 0 && _index <= _items.Count ? _items[_index - 1].Line : 1)}: {message}");

        private void Lex()
        {
            var i = 0;
            var line = 1;
            var trimNext = false;
            while (i < _src.Length)
            {
                var open = _src.IndexOf("{{", i, StringComparison.Ordinal);
                var text = open < 0 ? _src[i..] : _src[i..open];
                if (trimNext)
                {
                    text = text.TrimStart(' ', '\t', '\r', '\n');
                }

                if (open < 0)
                {
                    if (text.Length > 0)
                    {
                        _items.Add((false, text, line));
                    }

                    break;
                }

                var start = open + 2;
                var trimLeft = start + 1 < _src.Length && _src[start] == '-' && " \t\r\n".Contains(_src[start + 1], StringComparison.Ordinal);
                if (trimLeft)
                {
                    text = text.TrimEnd(' ', '\t', '\r', '\n');
                    start += 2;
                }

                if (text.Length > 0)
                {
                    _items.Add((false, text, line));
                }

                line += _src.AsSpan(i, open - i).Count('\n');
                var close = FindClose(start);
                if (close < 0)
                {
                    throw new BuiltinErrorException($"template: template:{line}: unclosed action");
                }

                var end = close;
                trimNext = false;
                if (end >= 2 && _src[end - 1] == '-' && " \t\r\n".Contains(_src[end - 2], StringComparison.Ordinal))
                {
                    trimNext = true;
                    end -= 2;
                }

                var body = _src[start..end].Trim();
                if (!(body.StartsWith("/*", StringComparison.Ordinal) && body.EndsWith("*/", StringComparison.Ordinal)))
                {
                    _items.Add((true, body, line));
                }

                line += _src.AsSpan(open, close + 2 - open).Count('\n');
                i = close + 2;
            }
        }

        /// <summary>The index of the "}}" closing the action, skipping quoted strings.</summary>
        private int FindClose(int i)
        {
            while (i < _src.Length - 1)
            {
                var c = _src[i];
                if (c is '"' or '`' or '\'')
                {
                    var q = c;
                    i++;
                    while (i < _src.Length && _src[i] != q)
                    {
                        i += _src[i] == '\\' && q != '`' ? 2 : 1;
                    }

                    i++;
                    continue;
                }

                if (c == '}' && _src[i + 1] == '}')
                {
                    return i;
                }

                i++;
            }

            return -1;
        }

        private List<Node> ParseList(out string? end)
        {
            var nodes = new List<Node>();
            while (_index < _items.Count)
            {
                var (isAction, text, _) = _items[_index++];
                if (!isAction)
                {
                    nodes.Add(new TextNode(text));
                    continue;
                }

                var keyword = FirstWord(text);
                switch (keyword)
                {
                    case "end":
                    case "else":
                        end = text;
                        return nodes;
                    case "if":
                    case "with":
                        nodes.Add(ParseIf(text[keyword.Length..], keyword == "with"));
                        break;
                    case "range":
                        {
                            var pipe = ParsePipe(text["range".Length..], allowDecl: true);
                            var body = ParseList(out var stop);
                            var elseNodes = new List<Node>();
                            if (stop is not null && FirstWord(stop) == "else")
                            {
                                elseNodes = ParseList(out stop);
                            }

                            if (stop != "end")
                            {
                                throw Error("unexpected EOF");
                            }

                            nodes.Add(new RangeNode(pipe, body, elseNodes));
                            break;
                        }

                    case "break":
                        nodes.Add(new BreakNode());
                        break;
                    case "continue":
                        nodes.Add(new ContinueNode());
                        break;
                    case "define":
                    case "template":
                    case "block":
                        throw Error($"{keyword} is not supported");
                    default:
                        nodes.Add(new ActionNode(ParsePipe(text, allowDecl: true)));
                        break;
                }
            }

            end = null;
            return nodes;
        }

        private IfNode ParseIf(string pipeText, bool with)
        {
            var pipe = ParsePipe(pipeText, allowDecl: true);
            var then = ParseList(out var stop);
            var elseNodes = new List<Node>();
            if (stop is not null && FirstWord(stop) == "else")
            {
                var rest = stop["else".Length..].Trim();
                if (FirstWord(rest) is "if" or "with")
                {
                    // "else if" nests a new conditional that shares this one's {{end}}.
                    elseNodes.Add(ParseIf(rest[FirstWord(rest).Length..], FirstWord(rest) == "with"));
                    return new IfNode(pipe, then, elseNodes, with);
                }

                elseNodes = ParseList(out stop);
            }

            if (stop != "end")
            {
                throw Error("unexpected EOF");
            }

            return new IfNode(pipe, then, elseNodes, with);
        }

        private static string FirstWord(string s)
        {
            s = s.TrimStart();
            var n = 0;
            while (n < s.Length && char.IsAsciiLetter(s[n]))
            {
                n++;
            }

            return s[..n];
        }

        private Pipe ParsePipe(string text, bool allowDecl)
        {
            var tokens = Tokenize(text);
            var pos = 0;
            var decl = new List<string>();
            var assign = false;
            if (allowDecl)
            {
                // $x := ..., $x = ..., $i, $v := ...
                var probe = 0;
                var names = new List<string>();
                while (probe < tokens.Count && tokens[probe].StartsWith('$') && tokens[probe].Length > 1 && !tokens[probe].Contains('.', StringComparison.Ordinal))
                {
                    names.Add(tokens[probe]);
                    probe++;
                    if (probe < tokens.Count && tokens[probe] == ",")
                    {
                        probe++;
                        continue;
                    }

                    break;
                }

                if (names.Count > 0 && probe < tokens.Count && tokens[probe] is ":=" or "=")
                {
                    decl = names;
                    assign = tokens[probe] == "=";
                    pos = probe + 1;
                }
            }

            var commands = ParseCommands(tokens, ref pos, inParens: false);
            if (commands.Count == 0)
            {
                throw Error("missing value for command");
            }

            return new Pipe(decl, assign, commands);
        }

        private List<List<Operand>> ParseCommands(List<string> tokens, ref int pos, bool inParens)
        {
            var commands = new List<List<Operand>>();
            var current = new List<Operand>();
            while (pos < tokens.Count)
            {
                var tok = tokens[pos++];
                if (tok == ")")
                {
                    if (!inParens)
                    {
                        throw Error("unexpected right paren");
                    }

                    break;
                }

                if (tok == "|")
                {
                    if (current.Count == 0)
                    {
                        throw Error("missing command");
                    }

                    commands.Add(current);
                    current = [];
                    continue;
                }

                if (tok == "(")
                {
                    var inner = ParseCommands(tokens, ref pos, inParens: true);
                    current.Add(new PipeOperand(new Pipe([], false, inner)));
                    continue;
                }

                current.Add(ParseOperand(tok));
            }

            if (current.Count > 0)
            {
                commands.Add(current);
            }

            return commands;
        }

        private Operand ParseOperand(string tok)
        {
            if (tok == ".")
            {
                return new FieldOperand(null, []);
            }

            if (tok[0] == '.')
            {
                return new FieldOperand(null, tok[1..].Split('.').ToList());
            }

            if (tok[0] == '$')
            {
                var parts = tok.Split('.');
                return new FieldOperand(parts[0], parts.Skip(1).ToList());
            }

            if (tok[0] == '"')
            {
                return new LiteralOperand(new RegoString(Unquote(tok)));
            }

            if (tok[0] == '`')
            {
                return new LiteralOperand(new RegoString(tok[1..^1]));
            }

            if (tok is "true" or "false")
            {
                return new LiteralOperand(RegoValue.From(tok == "true"));
            }

            if (tok == "nil")
            {
                return new NilOperand();
            }

            if (char.IsAsciiDigit(tok[0]) || tok[0] is '-' or '+')
            {
                return RegoNumber.TryParse(tok.TrimStart('+'), out var n) ? new LiteralOperand(n) : throw Error($"bad number syntax: \"{tok}\"");
            }

            if (char.IsAsciiLetter(tok[0]))
            {
                return new IdentOperand(tok);
            }

            throw Error($"unexpected \"{tok}\" in command");
        }

        private string Unquote(string tok)
        {
            var sb = new StringBuilder();
            for (var i = 1; i < tok.Length - 1; i++)
            {
                var c = tok[i];
                if (c != '\\')
                {
                    sb.Append(c);
                    continue;
                }

                i++;
                sb.Append(tok[i] switch
                {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '"' => '"',
                    '\\' => '\\',
                    _ => throw Error("invalid syntax in string literal"),
                });
            }

            return sb.ToString();
        }

        private List<string> Tokenize(string text)
        {
            var tokens = new List<string>();
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (char.IsWhiteSpace(c))
                {
                    i++;
                    continue;
                }

                if (c is '(' or ')' or '|' or ',')
                {
                    tokens.Add(c.ToString());
                    i++;
                    continue;
                }

                if (c == ':' && i + 1 < text.Length && text[i + 1] == '=')
                {
                    tokens.Add(":=");
                    i += 2;
                    continue;
                }

                if (c == '=')
                {
                    tokens.Add("=");
                    i++;
                    continue;
                }

                if (c is '"' or '`')
                {
                    var j = i + 1;
                    while (j < text.Length && text[j] != c)
                    {
                        j += text[j] == '\\' && c == '"' ? 2 : 1;
                    }

                    if (j >= text.Length)
                    {
                        throw Error("unterminated quoted string");
                    }

                    tokens.Add(text[i..(j + 1)]);
                    i = j + 1;
                    continue;
                }

                var start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('(' or ')' or '|' or ',' or '='))
                {
                    if (text[i] == ':' && i + 1 < text.Length && text[i + 1] == '=')
                    {
                        break;
                    }

                    i++;
                }

                tokens.Add(text[start..i]);
            }

            return tokens;
        }
    }
}
