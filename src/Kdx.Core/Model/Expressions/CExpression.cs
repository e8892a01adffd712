using Kdx.Core.Types;

namespace Kdx.Core.Model.Expressions;

/// <summary>
/// A small C expression evaluator for crash's expression arguments: variables, members (<c>.</c>
/// and <c>-&gt;</c>, which are the same here, as in gdb), indexing, <c>*</c> and <c>&amp;</c>,
/// casts to any type name, <c>sizeof</c>, C's arithmetic with pointer scaling, comparisons, logic,
/// <c>?:</c>, and crash's per-CPU suffix <c>symbol:cpu</c> (<c>runqueues:1</c>).
/// </summary>
public sealed class CExpression
{
    private static readonly HashSet<string> BaseTypeWords = ["void", "char", "short", "int", "long", "signed", "unsigned", "float", "double", "_Bool"];
    private static readonly HashSet<string> QualifierWords = ["const", "volatile", "restrict", "_Atomic"];

    private readonly IProgram _program;
    private readonly string _text;
    private readonly List<Token> _tokens;
    private int _pos;

    private CExpression(IProgram program, string text)
    {
        _program = program;
        _text = text;
        _tokens = Lexer.Tokenize(text);
    }

    private Token Current => _tokens[_pos];

    /// <summary>Evaluates <paramref name="text"/>. Throws <see cref="KdxException"/> (an <see cref="ExpressionException"/> for syntax).</summary>
    public static KObject Evaluate(IProgram program, string text)
    {
        var e = new CExpression(program, text);
        var result = e.ParseExpression();
        if (e.Current.Kind != TokenKind.End)
        {
            throw e.Error("unexpected text");
        }

        return result;
    }

    /// <summary>Parses a C type name such as "struct task_struct *", "unsigned long" or "char [16]".</summary>
    public static QualifiedType ParseTypeName(IProgram program, string text)
    {
        var e = new CExpression(program, text);
        var t = e.TryParseTypeName() ?? throw e.Error("not a type name");
        if (e.Current.Kind != TokenKind.End)
        {
            throw e.Error("unexpected text after the type name");
        }

        return t;
    }

    private ExpressionException Error(string problem) => new(problem, _text, Current.Position);

    private Token Next() => _tokens[_pos++];

    private bool Accept(string punctuator)
    {
        if (Current.Is(punctuator))
        {
            _pos++;
            return true;
        }

        return false;
    }

    private void Expect(string punctuator)
    {
        if (!Accept(punctuator))
        {
            throw Error($"expected '{punctuator}'");
        }
    }

    private KObject ParseExpression()
    {
        var condition = ParseBinary(0);
        if (!Accept("?"))
        {
            return condition;
        }

        var whenTrue = ParseExpression();
        Expect(":");
        var whenFalse = ParseExpression();
        return Arithmetic.Truth(condition) ? whenTrue : whenFalse;
    }

    // Precedence climbing over C's binary operators.
    private static int Precedence(string op) => op switch
    {
        "||" => 1,
        "&&" => 2,
        "|" => 3,
        "^" => 4,
        "&" => 5,
        "==" or "!=" => 6,
        "<" or ">" or "<=" or ">=" => 7,
        "<<" or ">>" => 8,
        "+" or "-" => 9,
        "*" or "/" or "%" => 10,
        _ => -1,
    };

    private KObject ParseBinary(int minPrecedence)
    {
        var left = ParseUnary();
        while (Current.Kind == TokenKind.Punctuator && Precedence(Current.Text) is int p && p > minPrecedence)
        {
            string op = Next().Text;
            if (op == "&&" && !Arithmetic.Truth(left))
            {
                ParseBinary(p);
                left = Arithmetic.Int(_program, 0);
                continue;
            }

            if (op == "||" && Arithmetic.Truth(left))
            {
                ParseBinary(p);
                left = Arithmetic.Int(_program, 1);
                continue;
            }

            var right = ParseBinary(p);
            left = Arithmetic.Binary(_program, op, left, right);
        }

        return left;
    }

    private KObject ParseUnary()
    {
        var t = Current;
        if (t.Kind == TokenKind.Punctuator)
        {
            switch (t.Text)
            {
                case "-":
                case "+":
                case "~":
                case "!":
                    _pos++;
                    return Arithmetic.Unary(_program, t.Text, ParseUnary());
                case "*":
                    _pos++;
                    return ParseUnary().Deref();
                case "&":
                    _pos++;
                    return AddressOf(ParseUnary());
                case "(":
                    {
                        int save = _pos;
                        _pos++;
                        var cast = TryParseTypeName();
                        if (cast is not null && Accept(")"))
                        {
                            return ParseUnary().Cast(cast.Value);
                        }

                        _pos = save;
                        break;
                    }
            }
        }

        if (t.IsWord("sizeof"))
        {
            _pos++;
            if (Current.Is("("))
            {
                int save = _pos;
                _pos++;
                var type = TryParseTypeName();
                if (type is not null && Accept(")"))
                {
                    return Arithmetic.SizeOf(_program, type.Value.Type);
                }

                _pos = save;
            }

            return Arithmetic.SizeOf(_program, ParseUnary().Type.Type);
        }

        return ParsePostfix();
    }

    private static KObject AddressOf(KObject o)
    {
        // &function is the function's address, as is the function name alone.
        return o.UnderlyingType.Kind == TypeKind.Function && !o.IsReference ? o : o.AddressOf();
    }

    private KObject ParsePostfix()
    {
        var o = ParsePrimary();
        while (true)
        {
            if (Accept(".") || Accept("->"))
            {
                var name = Next();
                if (name.Kind != TokenKind.Identifier)
                {
                    _pos--;
                    throw Error("expected a member name");
                }

                o = o.Member(name.Text);
            }
            else if (Accept("["))
            {
                var index = ParseExpression();
                Expect("]");
                o = o.Index(Arithmetic.Signed(index));
            }
            else
            {
                return o;
            }
        }
    }

    private KObject ParsePrimary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokenKind.Number when t.Text.StartsWith('\''):
                // gdb types a character constant as char, so p 'a' prints "97 'a'".
                return KObject.FromValue(_program, _program.Types.FindType("char") ?? KType.Int("char", 1, true), t.Number);
            case TokenKind.Number:
                return Arithmetic.Literal(_program, t.Number, t.NumberIsUnsigned);
            case TokenKind.Identifier:
                return Identifier(t.Text);
            case TokenKind.Punctuator when t.Text == "(":
                {
                    var inner = ParseExpression();
                    Expect(")");
                    return inner;
                }

            default:
                _pos--;
                throw Error(t.Kind == TokenKind.End ? "the expression ends too early" : "expected a value");
        }
    }

    private KObject Identifier(string name)
    {
        // crash's per-CPU syntax: symbol:cpu
        int? cpu = null;
        if (Current.Is(":") && _tokens[_pos + 1].Kind == TokenKind.Number)
        {
            _pos++;
            cpu = (int)Next().Number;
        }

        if (!_program.TryGetSymbolAddress(name, out var address))
        {
            // An enumerator is a constant of its enum's type, as gdb takes it (p PIDTYPE_TGID, x[PIDTYPE_PID]).
            if (cpu is null && _program.Types.TryFindEnumerator(name, out var enumType, out var enumerator))
            {
                return KObject.FromValue(_program, enumType, enumerator.Value);
            }

            if (_program.Types.FindType(name) is not null)
            {
                _pos--;
                throw Error($"{name} is a type, not a value");
            }

            _pos--;
            throw Error($"no symbol named {name}");
        }

        if (cpu is { } c)
        {
            if (c < 0 || c >= _program.CpuCount)
            {
                throw new KdxException($"invalid cpu number: {c} (the dump has {_program.CpuCount})");
            }

            address = _program.PerCpuAddress(address, c);
        }

        if (_program.Types.FindVariableType(name) is { } type)
        {
            return KObject.FromAddress(_program, type, address);
        }

        if (_program.Types.FindFunctionType(name) is { } fn)
        {
            return KObject.FromValue(_program, KType.Pointer(fn), address);
        }

        // A symbol without type information: usable by address and through a cast, as in gdb.
        return KObject.FromAddress(_program, UnknownType, address);
    }

    /// <summary>The type of a symbol with no type information: reading it asks for a cast.</summary>
    internal static KType UnknownType { get; } = KType.Struct("<symbol without type information; cast it>", 0, null);

    private QualifiedType? TryParseTypeName()
    {
        int save = _pos;
        var qualifiers = ParseQualifiers();
        KType? type = null;
        var t = Current;
        if (t.IsWord("struct") || t.IsWord("union") || t.IsWord("enum"))
        {
            _pos++;
            var name = Next();
            if (name.Kind != TokenKind.Identifier)
            {
                _pos = save;
                return null;
            }

            var kind = t.Text switch { "struct" => TypeKind.Struct, "union" => TypeKind.Union, _ => TypeKind.Enum };
            type = _program.Types.FindType(name.Text, kind) ?? throw new KdxException($"no type named {t.Text} {name.Text}");
        }
        else if (t.Kind == TokenKind.Identifier && BaseTypeWords.Contains(t.Text))
        {
            var words = new List<string>();
            while (Current.Kind == TokenKind.Identifier && (BaseTypeWords.Contains(Current.Text) || QualifierWords.Contains(Current.Text)))
            {
                var w = Next().Text;
                if (QualifierWords.Contains(w))
                {
                    qualifiers |= QualifierOf(w);
                }
                else
                {
                    words.Add(w);
                }
            }

            string spelled = string.Join(' ', words);
            type = spelled == "void" ? KType.Void : _program.Types.FindType(spelled) ?? BuiltIn(spelled) ?? throw new KdxException($"no type named {spelled}");
        }
        else if (t.Kind == TokenKind.Identifier && !_program.TryGetSymbolAddress(t.Text, out _) && _program.Types.FindType(t.Text) is { } typedef)
        {
            _pos++;
            type = typedef;
        }

        if (type is null)
        {
            _pos = save;
            return null;
        }

        qualifiers |= ParseQualifiers();
        var result = new QualifiedType(type, qualifiers);
        while (Accept("*"))
        {
            result = new QualifiedType(KType.Pointer(result), ParseQualifiers());
        }

        if (Current.Is("(") && _tokens[_pos + 1].Is("*") && _tokens[_pos + 2].Is(")"))
        {
            // A function pointer type "(*)(...)": the parameters are skipped.
            _pos += 3;
            if (Accept("("))
            {
                int depth = 1;
                while (depth > 0 && Current.Kind != TokenKind.End)
                {
                    var p = Next();
                    depth += p.Is("(") ? 1 : p.Is(")") ? -1 : 0;
                }
            }

            var returns = result;
            result = KType.Pointer(KType.Function(() => returns, () => [], true));
        }

        var lengths = new List<ulong>();
        while (Accept("["))
        {
            var n = ParseExpression();
            Expect("]");
            lengths.Add(n.ToUInt64());
        }

        for (int i = lengths.Count - 1; i >= 0; i--)
        {
            result = KType.Array(result, lengths[i]);
        }

        return result;
    }

    private Qualifiers ParseQualifiers()
    {
        var q = Qualifiers.None;
        while (Current.Kind == TokenKind.Identifier && QualifierWords.Contains(Current.Text))
        {
            q |= QualifierOf(Next().Text);
        }

        return q;
    }

    private static Qualifiers QualifierOf(string word) => word switch
    {
        "const" => Qualifiers.Const,
        "volatile" => Qualifiers.Volatile,
        "restrict" => Qualifiers.Restrict,
        _ => Qualifiers.Atomic,
    };

    // Base types for programs whose type sources lack them (e.g. a dump with no type information).
    private static KType? BuiltIn(string spelled)
    {
        string? canonical = TypeCollection.CanonicalIntegerName(spelled);
        return canonical switch
        {
            null => spelled switch
            {
                "_Bool" => KType.Bool("_Bool", 1),
                "float" => KType.Float("float", 4),
                "double" => KType.Float("double", 8),
                "long double" => KType.Float("long double", 16),
                _ => null,
            },
            "char" or "signed char" => KType.Int(canonical, 1, true),
            "unsigned char" => KType.Int(canonical, 1, false),
            "short int" => KType.Int(canonical, 2, true),
            "short unsigned int" => KType.Int(canonical, 2, false),
            "int" => KType.Int(canonical, 4, true),
            "unsigned int" => KType.Int(canonical, 4, false),
            _ => KType.Int(canonical, 8, !canonical.Contains("unsigned", StringComparison.Ordinal)),
        };
    }
}
