using Kdx.Core.Types;

namespace Kdx.Core.Model.Expressions;

/// <summary>C's arithmetic on <see cref="KObject"/> values: integer promotion, the usual arithmetic conversions, pointer scaling.</summary>
internal static class Arithmetic
{
    public static KObject Int(IProgram program, long value) => KObject.FromValue(program, program.Types.IntegerType(4, true), unchecked((ulong)value));

    /// <summary>An integer constant with C's type rules (int, then long, then unsigned long).</summary>
    public static KObject Literal(IProgram program, ulong value, bool unsigned)
    {
        if (!unsigned && value <= int.MaxValue)
        {
            return KObject.FromValue(program, program.Types.IntegerType(4, true), value);
        }

        bool isUnsigned = unsigned || value > long.MaxValue;
        if (unsigned && value <= uint.MaxValue)
        {
            return KObject.FromValue(program, program.Types.IntegerType(4, false), value);
        }

        return KObject.FromValue(program, program.Types.IntegerType(8, !isUnsigned), value);
    }

    public static KObject SizeOf(IProgram program, KType type)
    {
        var t = type.Unaliased();
        if (t.Kind != TypeKind.Void && t.Size == 0 && !(t.Kind == TypeKind.Array && t.Length == 0))
        {
            throw new KdxException($"sizeof an incomplete type: {type}");
        }

        return KObject.FromValue(program, program.Types.IntegerType(8, false), t.Kind == TypeKind.Void ? 1 : t.Size);
    }

    public static bool Truth(KObject o)
    {
        var t = o.UnderlyingType;
        return t.Kind == TypeKind.Float ? o.ToDouble() != 0 : t.Kind == TypeKind.Array ? o.Address != 0 : o.ToUInt64() != 0;
    }

    public static long Signed(KObject o) => o.UnderlyingType.IsSigned ? o.ToInt64() : unchecked((long)o.ToUInt64());

    public static KObject Unary(IProgram program, string op, KObject o)
    {
        if (op == "!")
        {
            return Int(program, Truth(o) ? 0 : 1);
        }

        RequireInteger(o, op);
        var (type, value) = Promote(program, o);
        ulong r = op switch
        {
            "-" => unchecked(0 - value),
            "~" => ~value,
            _ => value,
        };
        return KObject.FromValue(program, type, r);
    }

    public static KObject Binary(IProgram program, string op, KObject left, KObject right)
    {
        var lt = left.UnderlyingType;
        var rt = right.UnderlyingType;
        bool lp = lt.Kind is TypeKind.Pointer or TypeKind.Array;
        bool rp = rt.Kind is TypeKind.Pointer or TypeKind.Array;
        if ((op is "+" or "-") && (lp || rp))
        {
            return PointerArithmetic(program, op, left, right, lp, rp);
        }

        if (op is "==" or "!=" or "<" or ">" or "<=" or ">=")
        {
            return Int(program, Compare(program, op, left, right) ? 1 : 0);
        }

        if (op is "&&" or "||")
        {
            return Int(program, op == "&&" ? (Truth(left) && Truth(right) ? 1 : 0) : (Truth(left) || Truth(right) ? 1 : 0));
        }

        RequireInteger(left, op);
        RequireInteger(right, op);
        var (type, a, b) = Convert(program, left, right);
        bool signed = type.Unaliased().IsSigned;
        int bits = (int)type.Unaliased().Size * 8;
        ulong r = op switch
        {
            "+" => unchecked(a + b),
            "-" => unchecked(a - b),
            "*" => unchecked(a * b),
            "/" => b == 0 ? throw new KdxException("division by zero") : signed ? unchecked((ulong)(SignExtend(a, bits) / SignExtend(b, bits))) : a / b,
            "%" => b == 0 ? throw new KdxException("division by zero") : signed ? unchecked((ulong)(SignExtend(a, bits) % SignExtend(b, bits))) : a % b,
            "&" => a & b,
            "|" => a | b,
            "^" => a ^ b,
            "<<" => b >= 64 ? 0 : a << (int)b,
            ">>" => b >= 64 ? (signed && SignExtend(a, bits) < 0 ? ulong.MaxValue : 0) : signed ? unchecked((ulong)(SignExtend(a, bits) >> (int)b)) : a >> (int)b,
            _ => throw new KdxException($"unknown operator {op}"),
        };
        return KObject.FromValue(program, type, r);
    }

    private static KObject PointerArithmetic(IProgram program, string op, KObject left, KObject right, bool lp, bool rp)
    {
        if (lp && rp)
        {
            if (op == "+")
            {
                throw new KdxException("cannot add two pointers");
            }

            ulong size = Math.Max(1, KObject.ElementSize(left.UnderlyingType.Target!.Value.Type));
            long diff = unchecked((long)(PointerValue(left) - PointerValue(right))) / (long)size;
            return KObject.FromValue(program, program.Types.IntegerType(8, true), unchecked((ulong)diff));
        }

        var pointer = lp ? left : right;
        var offset = lp ? right : left;
        if (op == "-" && !lp)
        {
            throw new KdxException("cannot subtract a pointer from an integer");
        }

        RequireInteger(offset, op);
        var element = pointer.UnderlyingType.Target!.Value;
        long n = Signed(offset);
        ulong scaled = unchecked((ulong)n * KObject.ElementSize(element.Type));
        ulong v = op == "+" ? unchecked(PointerValue(pointer) + scaled) : unchecked(PointerValue(pointer) - scaled);
        var type = pointer.UnderlyingType.Kind == TypeKind.Array ? KType.Pointer(element) : pointer.Type.Type;
        return KObject.FromValue(program, type, v);
    }

    private static ulong PointerValue(KObject o) => o.UnderlyingType.Kind == TypeKind.Array ? o.Address : o.ToUInt64();

    private static bool Compare(IProgram program, string op, KObject left, KObject right)
    {
        bool lp = left.UnderlyingType.Kind is TypeKind.Pointer or TypeKind.Array;
        bool rp = right.UnderlyingType.Kind is TypeKind.Pointer or TypeKind.Array;
        int c;
        if (lp || rp)
        {
            ulong a = lp ? PointerValue(left) : left.ToUInt64();
            ulong b = rp ? PointerValue(right) : right.ToUInt64();
            c = a.CompareTo(b);
        }
        else
        {
            var (type, a, b) = Convert(program, left, right);
            int bits = (int)type.Unaliased().Size * 8;
            c = type.Unaliased().IsSigned ? SignExtend(a, bits).CompareTo(SignExtend(b, bits)) : a.CompareTo(b);
        }

        return op switch
        {
            "==" => c == 0,
            "!=" => c != 0,
            "<" => c < 0,
            ">" => c > 0,
            "<=" => c <= 0,
            _ => c >= 0,
        };
    }

    private static void RequireInteger(KObject o, string op)
    {
        if (o.UnderlyingType.Kind is not (TypeKind.Int or TypeKind.Enum or TypeKind.Bool or TypeKind.Pointer))
        {
            throw new KdxException($"invalid operand of type {o.Type} for {op}");
        }
    }

    // Integer promotion: anything narrower than int becomes int.
    private static (KType Type, ulong Value) Promote(IProgram program, KObject o)
    {
        var t = o.UnderlyingType;
        if (t.Kind == TypeKind.Pointer)
        {
            return (program.Types.IntegerType(8, false), o.ToUInt64());
        }

        if (t.Size < 4)
        {
            return (program.Types.IntegerType(4, true), unchecked((ulong)Signed(o)));
        }

        return (t.Kind == TypeKind.Int ? t : program.Types.IntegerType((int)t.Size, t.IsSigned), t.IsSigned ? unchecked((ulong)o.ToInt64()) : o.ToUInt64());
    }

    // The usual arithmetic conversions (for two's-complement sizes 4 and 8).
    private static (KType Type, ulong A, ulong B) Convert(IProgram program, KObject left, KObject right)
    {
        var (lt, a) = Promote(program, left);
        var (rt, b) = Promote(program, right);
        int size = (int)Math.Max(lt.Size, rt.Size);
        bool unsigned = (lt.Size == (ulong)size && !lt.IsSigned) || (rt.Size == (ulong)size && !rt.IsSigned);
        var type = program.Types.IntegerType(size, !unsigned);
        if (size == 4)
        {
            a &= 0xffff_ffff;
            b &= 0xffff_ffff;
        }

        return (type, a, b);
    }

    private static long SignExtend(ulong v, int bits) => bits >= 64 ? unchecked((long)v) : unchecked((long)(v << (64 - bits))) >> (64 - bits);
}
