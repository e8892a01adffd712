using System.Text;

namespace Kdx.Core.Types;

/// <summary>Spells types the way C (and gdb) writes them, declarators included.</summary>
public static class TypeNames
{
    /// <summary>
    /// A declaration of <paramref name="declarator"/> with type <paramref name="type"/>:
    /// ("char *", "") → "char *"; (char[16], "comm") → "char comm[16]";
    /// (pointer to function, "fn") → "void (*fn)(struct timer_list *)".
    /// </summary>
    public static string Declaration(QualifiedType type, string declarator)
    {
        var t = type.Type;
        string inner = declarator;
        for (int guard = 0; guard < 64; guard++)
        {
            switch (t.Kind)
            {
                case TypeKind.Pointer:
                    {
                        string q = QualifierWords(type.Qualifiers);
                        inner = "*" + (q.Length > 0 ? " " + q + (inner.Length > 0 ? " " : string.Empty) : string.Empty) + inner;
                        var target = t.Target!.Value;
                        if (target.Type.Kind is TypeKind.Array or TypeKind.Function)
                        {
                            inner = "(" + inner + ")";
                        }

                        type = target;
                        t = target.Type;
                        continue;
                    }

                case TypeKind.Array:
                    inner += t.Length is { } n ? $"[{n}]" : "[]";
                    type = t.Target!.Value;
                    t = type.Type;
                    continue;

                case TypeKind.Function:
                    inner += "(" + Parameters(t) + ")";
                    type = t.Target!.Value;
                    t = type.Type;
                    continue;

                default:
                    {
                        string q = QualifierWords(type.Qualifiers);
                        string name = (q.Length > 0 ? q + " " : string.Empty) + BaseName(t);
                        return inner.Length == 0 ? name : name + " " + inner;
                    }
            }
        }

        return "<type nested too deeply>";
    }

    /// <summary>The name of a base, struct, union, enum or typedef type: "struct list_head", "struct {...}".</summary>
    public static string BaseName(KType t) => t.Kind switch
    {
        TypeKind.Struct => t.Name is null ? "struct {...}" : "struct " + t.Name,
        TypeKind.Union => t.Name is null ? "union {...}" : "union " + t.Name,
        TypeKind.Enum => t.Name is null ? "enum {...}" : "enum " + t.Name,
        _ => t.Name ?? "<unnamed>",
    };

    /// <summary>"const volatile" etc. in C's usual order.</summary>
    public static string QualifierWords(Qualifiers q)
    {
        if (q == Qualifiers.None)
        {
            return string.Empty;
        }

        var sb = new StringBuilder();
        void Add(string w)
        {
            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            sb.Append(w);
        }

        if (q.HasFlag(Qualifiers.Const))
        {
            Add("const");
        }

        if (q.HasFlag(Qualifiers.Volatile))
        {
            Add("volatile");
        }

        if (q.HasFlag(Qualifiers.Restrict))
        {
            Add("restrict");
        }

        if (q.HasFlag(Qualifiers.Atomic))
        {
            Add("_Atomic");
        }

        return sb.ToString();
    }

    private static string Parameters(KType function)
    {
        var ps = function.Parameters;
        if (ps.Count == 0)
        {
            return function.IsVariadic ? "..." : "void";
        }

        var parts = ps.Select(p => Declaration(p.Type, string.Empty)).ToList();
        if (function.IsVariadic)
        {
            parts.Add("...");
        }

        return string.Join(", ", parts);
    }
}
