using System.Globalization;
using System.Text;
using Kdx.Core.Types;

namespace Kdx.Commands.Formatting;

/// <summary>
/// Types spelled as crash's gdb prints them: gcc's integer names in C's usual order ("unsigned long",
/// not "long unsigned int"), and struct/union bodies as <c>ptype</c> lays them out.
/// </summary>
public static class GdbTypeText
{
    private static readonly (string Gcc, string Gdb)[] IntegerNames =
    [
        ("long long unsigned int", "unsigned long long"), ("long long int", "long long"),
        ("long unsigned int", "unsigned long"), ("long int", "long"),
        ("short unsigned int", "unsigned short"), ("short int", "short"),
    ];

    /// <summary>A declaration of <paramref name="declarator"/> ("" for the type alone), gdb's spelling.</summary>
    public static string Declaration(QualifiedType type, string declarator) => GdbNames(TypeNames.Declaration(type, declarator));

    /// <summary>gdb's spelling of the integer names in <paramref name="text"/>.</summary>
    public static string GdbNames(string text)
    {
        if (!text.Contains(" int", StringComparison.Ordinal))
        {
            return text;
        }

        foreach (var (gcc, gdb) in IntegerNames)
        {
            text = ReplaceWord(text, gcc, gdb);
        }

        return text;
    }

    /// <summary>
    /// ptype's body of a struct, union or enum: "struct list_head {", members indented 4 spaces a level, "}".
    /// With <paramref name="offsets"/>, crash's <c>struct -o</c> column "[OFFSET]" is put before each member,
    /// as wide as the widest offset the type's size allows.
    /// </summary>
    public static List<string> Definition(KType type, bool offsets) => Definition(type, offsets, null);

    /// <summary>
    /// As <see cref="Definition(KType, bool)"/>; with <paramref name="address"/>, the column holds each member's
    /// address in hexadecimal instead of its offset (crash's <c>struct -o TYPE ADDRESS</c>).
    /// </summary>
    public static List<string> Definition(KType type, bool offsets, ulong? address)
    {
        var t = type.Unaliased();
        var lines = new List<string> { (t.Name is null ? (t.Kind == TypeKind.Union ? "union" : "struct") : TypeNames.BaseName(t)) + " {" };
        if (t.Kind == TypeKind.Enum)
        {
            return [EnumLine(t)];
        }

        int width = !offsets ? 0 : address is { } a ? $"[{a:x}]".Length + 2 : $"[{t.Size}]".Length + 2;
        AppendMembers(lines, t, 1, 0, width, t, false, address, 1);
        lines.Add("}");
        return lines;
    }

    /// <summary>
    /// A typedef of a struct or union as crash prints it when the typedef is named ("typedef struct {", the
    /// members, "} atomic_t;"), or null when the typedef does not stand for a struct or union.
    /// </summary>
    public static List<string>? TypedefDefinition(KType typedef, bool offsets)
    {
        if (typedef.Kind != TypeKind.Typedef || !typedef.Unaliased().IsCompound)
        {
            return null;
        }

        var lines = Definition(typedef.Unaliased(), offsets);
        lines[0] = "typedef " + lines[0];
        lines[^1] = "} " + typedef.Name + ";";
        return lines;
    }

    /// <summary>The column crash puts before a member of <c>struct -o</c>: the offset right-aligned in <paramref name="width"/>.</summary>
    public static string OffsetColumn(ulong offset, int width) => $"[{offset}]".PadLeft(width);

    /// <summary>gdb's one-line enum: "enum pid_type {PIDTYPE_PID, PIDTYPE_TGID, ...}", values shown where they jump.</summary>
    public static string EnumLine(KType t)
    {
        var sb = new StringBuilder(t.Name is null ? "enum" : "enum " + t.Name).Append(" {");
        ulong next = 0;
        bool first = true;
        foreach (var e in t.Enumerators)
        {
            sb.Append(first ? string.Empty : ", ").Append(e.Name);
            if (e.Value != next)
            {
                sb.Append(" = ").Append(t.IsSigned ? e.SignedValue.ToString(CultureInfo.InvariantCulture) : e.Value.ToString(CultureInfo.InvariantCulture));
            }

            next = e.Value + 1;
            first = false;
        }

        return sb.Append('}').ToString();
    }

    // crash 8.0.2 asks gdb for each member's offset by its name in the outer type: members of an
    // anonymous struct/union resolve (C11), those inside a member of an unnamed struct type only when
    // their name also resolves from the top (struct_group()'s copies do), else the column stays blank.
    // gdb's "show" depth: ptype starts at 1, a named member's type is printed one lower, an unnamed member's at
    // the same depth (crash's gdb patch to c-typeprint.c); an unnamed struct or union below 0 is "struct {...}".
    private static void AppendMembers(List<string> lines, KType t, int level, ulong baseBits, int width, KType top, bool byName, ulong? address, int show)
    {
        string indent = new(' ', 4 * level);
        string blank = width > 0 ? new string(' ', width) + " " : string.Empty;
        string indentNoOffset = width > 0 ? new string(' ', 4 * (level - 1)) : indent;
        foreach (var m in t.Members)
        {
            ulong bits = baseBits + m.BitOffset;
            var mt = m.Type.Type.Unaliased();
            string column = Column(m, bits, width, top, byName, blank, address);
            int memberShow = m.Name is null ? show : show - 1;
            if (mt.IsCompound && mt.Name is null && m.Type.Type.Kind != TypeKind.Typedef && memberShow < 0)
            {
                lines.Add(column + indentNoOffset + (mt.Kind == TypeKind.Struct ? "struct" : "union") + " {...} " + m.Name + ";");
                continue;
            }

            if (mt.IsCompound && mt.Name is null && m.Type.Type.Kind != TypeKind.Typedef)
            {
                // An unnamed struct or union is opened up in place.
                string keyword = mt.Kind == TypeKind.Struct ? "struct" : "union";
                lines.Add(blank + indentNoOffset + keyword + " {");
                AppendMembers(lines, mt, level + 1, bits, width, top, byName || m.Name is not null, address, memberShow);
                lines.Add(m.Name is null ? blank + indentNoOffset + "};" : column + indentNoOffset + "} " + m.Name + ";");
                continue;
            }

            string decl = Declaration(m.Type, m.Name ?? string.Empty);
            if (AnonymousEnum(m.Type.Type) is { } e)
            {
                // ptype spells out an unnamed enum in a member's declaration.
                decl = decl.Replace("enum {...}", EnumLine(e), StringComparison.Ordinal);
            }

            if (m.IsBitField)
            {
                decl += " : " + m.BitFieldSize.ToString(CultureInfo.InvariantCulture);
            }

            lines.Add(column + indentNoOffset + decl + ";");
        }
    }

    private static KType? AnonymousEnum(KType t)
    {
        for (int guard = 0; t.Kind is TypeKind.Pointer or TypeKind.Array && guard < 16; guard++)
        {
            t = t.Target!.Value.Type;
        }

        return t.Kind == TypeKind.Enum && t.Name is null ? t : null;
    }

    private static string Column(KMember m, ulong bits, int width, KType top, bool byName, string blank, ulong? address)
    {
        if (width == 0)
        {
            return string.Empty;
        }

        if (!byName)
        {
            return Place(bits / 8, width, address) + " ";
        }

        return m.Name is not null && top.TryFindMember(m.Name, out _, out ulong found) ? Place(found / 8, width, address) + " " : blank;
    }

    private static string Place(ulong offset, int width, ulong? address) =>
        address is { } a ? $"[{unchecked(a + offset):x}]".PadLeft(width) : OffsetColumn(offset, width);

    private static string ReplaceWord(string text, string word, string replacement)
    {
        int i = 0;
        while ((i = text.IndexOf(word, i, StringComparison.Ordinal)) >= 0)
        {
            int end = i + word.Length;
            bool startOk = i == 0 || !IsIdentifier(text[i - 1]);
            bool endOk = end == text.Length || !IsIdentifier(text[end]);
            if (startOk && endOk)
            {
                text = string.Concat(text.AsSpan(0, i), replacement, text.AsSpan(end));
                i += replacement.Length;
            }
            else
            {
                i = end;
            }
        }

        return text;
    }

    private static bool IsIdentifier(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
