using System.Globalization;
using System.Text;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Formatting;

/// <summary>
/// Prints values as crash does through gdb (pretty printing on, 256 elements, no repeat
/// compression, as crash sets gdb up): structs as "{" + "  name = value," lines indented 2 spaces a
/// level + "}", arrays on one line "{0, 0, 0}", char arrays as quoted strings, pointers in hex with
/// &lt;symbol+offset&gt; when they point into the kernel image, char pointers with their string,
/// enums by name, bools as true/false. Integers follow the radix (10, or 16 for -x).
/// </summary>
public sealed class ValuePrinter
{
    private readonly IProgram _program;
    private readonly KernelSymbolText _symbols;
    private readonly bool _sizesKnown;

    /// <summary>Creates a printer for <paramref name="program"/> with output radix 10 or 16.</summary>
    public ValuePrinter(IProgram program, int radix)
    {
        ArgumentNullException.ThrowIfNull(program);
        _program = program;
        Radix = radix;
        _symbols = new KernelSymbolText(program.Symbols, 10); // gdb writes <sym+offset> in decimal whatever the radix
        _sizesKnown = program.Symbols.Any(s => s.Size != 0);
    }

    /// <summary>10 or 16.</summary>
    public int Radix { get; }

    /// <summary>Whether enums print as numbers rather than enumerator names (gdb's p/x and p/d formats).</summary>
    public bool EnumsAsNumbers { get; init; }

    /// <summary>
    /// The value as gdb prints it after "$1 = " (<paramref name="level"/> 0) or after "name = " inside a
    /// struct at nesting <paramref name="level"/>; several lines joined by "\n" for structs.
    /// </summary>
    public string Format(KObject value, int level = 0)
    {
        ArgumentNullException.ThrowIfNull(value);
        var sb = new StringBuilder();
        Append(sb, value, level, value.IsReference ? value.Address : null);
        return sb.ToString();
    }

    /// <summary>
    /// crash's <c>struct TYPE.member ADDR</c> lines: "  name = value," for each member path
    /// ("pid", "se.load", "comm[1]"), the value indented as a member of the top level.
    /// </summary>
    public List<string> MemberLines(KObject owner, IEnumerable<string> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var lines = new List<string>();
        foreach (var path in members)
        {
            var member = MemberPath.Resolve(owner, path);
            int level = 1 + AnonymousDepth(owner.UnderlyingType, path, 0);
            lines.AddRange((Indent(level) + path + " = " + Format(member, level) + ",").Split('\n'));
        }

        return lines;
    }

    // crash cuts a named member out of gdb's print of the whole struct, so a member inside unnamed
    // structs or unions keeps their indentation (mm_struct's members, in one unnamed struct since Linux
    // v4.19 made mm_cpumask a trailing array, are indented 4 spaces). A path with '.' or '[' is printed on its own.
    private static int AnonymousDepth(KType t, string name, int depth)
    {
        if (depth > 8 || !t.IsCompound || name.AsSpan().IndexOfAny('.', '[') >= 0)
        {
            return 0;
        }

        foreach (var m in t.Members)
        {
            if (m.Name == name)
            {
                return depth;
            }

            if (m.Name is null && m.Type.Type.Unaliased() is { IsCompound: true } inner && inner.TryFindMember(name, out _, out _))
            {
                return AnonymousDepth(inner, name, depth + 1);
            }
        }

        return 0;
    }

    /// <summary>A whole struct/union at an address as crash's <c>struct TYPE ADDR</c>: "struct list_head {" ... "}".</summary>
    public List<string> StructLines(KObject value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string head = GdbTypeText.Declaration(value.Type with { Qualifiers = Qualifiers.None }, string.Empty);
        return [.. (head + " " + Format(value, 0)).Split('\n')];
    }

    private static string Indent(int level) => new(' ', 2 * level);

    // address: where the object lives when known (a member of a struct read as a whole is a value, but
    // gdb still shows the address of an empty array inside it).
    private void Append(StringBuilder sb, KObject o, int level, ulong? address)
    {
        var t = o.UnderlyingType;
        switch (t.Kind)
        {
            case TypeKind.Struct or TypeKind.Union:
                AppendCompound(sb, o, t, level, address);
                break;
            case TypeKind.Array:
                AppendArray(sb, o, t, level, address);
                break;
            case TypeKind.Pointer:
                AppendPointer(sb, o, t);
                break;
            case TypeKind.Bool:
                AppendBool(sb, o, t);
                break;
            case TypeKind.Enum:
                AppendEnum(sb, o, t);
                break;
            case TypeKind.Int:
                AppendInteger(sb, o, t);
                break;
            case TypeKind.Float:
                sb.Append(o.ToDouble().ToString("G17", CultureInfo.InvariantCulture));
                break;
            case TypeKind.Function:
                sb.Append('{').Append(GdbTypeText.Declaration(o.Type, string.Empty)).Append("} ");
                AppendAddress(sb, o.Address);
                break;
            default:
                sb.Append("void");
                break;
        }
    }

    private void AppendCompound(StringBuilder sb, KObject o, KType t, int level, ulong? address)
    {
        if (t.Members.Count == 0)
        {
            sb.Append(t.IsComplete ? "{<No data fields>}" : "<incomplete type>");
            return;
        }

        // One read for the whole aggregate: members then come from the copy.
        var value = o.IsReference ? o.Read() : o;
        sb.Append("{\n");
        bool first = true;
        foreach (var m in t.Members)
        {
            if (!first)
            {
                sb.Append(",\n");
            }

            first = false;
            sb.Append(Indent(level + 1));
            if (m.Name is not null)
            {
                sb.Append(m.Name).Append(" = ");
            }

            Append(sb, value.Member(m), level + 1, address + m.Offset);
        }

        sb.Append('\n').Append(Indent(level)).Append('}');
    }

    private void AppendArray(StringBuilder sb, KObject o, KType t, int level, ulong? address)
    {
        var element = t.Target!.Value.Type.Unaliased();
        ulong length = t.Length ?? 0;
        if (IsCharType(element) && t.Length is null && o.IsReference)
        {
            // A char array declared without a size (linux_banner[]): gdb reads it as a string.
            AppendString(sb, o.Address);
            return;
        }

        if (length == 0)
        {
            // gdb shows where an empty (flexible) array starts, and for chars the string found there.
            if (address is not { } at)
            {
                sb.Append("{}");
                return;
            }

            AppendAddress(sb, at);
            if (IsCharType(element))
            {
                sb.Append(' ');
                AppendString(sb, at);
            }

            return;
        }

        if (IsCharType(element))
        {
            AppendCharArray(sb, o, length);
            return;
        }

        var value = o.IsReference ? o.Read() : o;
        sb.Append('{');
        ulong shown = Math.Min(length, GdbStrings.ElementLimit);
        for (ulong i = 0; i < shown; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            Append(sb, value.Index((long)i), level + 1, address + (i * element.Size));
        }

        sb.Append(shown < length ? "...}" : "}");
    }

    private static void AppendCharArray(StringBuilder sb, KObject o, ulong length)
    {

        var bytes = o.ReadBytes();
        int n = (int)Math.Min(length, (ulong)bytes.Length);

        // gdb leaves out one trailing NUL (print null-stop off).
        if (n > 0 && bytes[n - 1] == 0)
        {
            n--;
        }

        GdbStrings.AppendQuoted(sb, bytes.AsSpan(0, n), false);
    }

    private void AppendPointer(StringBuilder sb, KObject o, KType t)
    {
        ulong p = o.ToUInt64();
        var target = t.Target!.Value.Type.Unaliased();
        AppendAddress(sb, p);
        if (p != 0 && IsCharType(target))
        {
            sb.Append(' ');
            AppendString(sb, p);
        }
    }

    private void AppendAddress(StringBuilder sb, ulong p)
    {
        sb.Append("0x").Append(p.ToString("x", CultureInfo.InvariantCulture));
        if (p != 0 && SymbolOf(p) is { } name)
        {
            sb.Append(" <").Append(name).Append('>');
        }

    }

    // crash gives gdb the modules' symbols too, so module addresses are named as well.
    private string? SymbolOf(ulong p)
    {
        if (_program is KernelProgram kernel && kernel.ModuleAt(p) is { } module)
        {
            // Inside a module crash's gdb names any address by the nearest symbol below, also past the last
            // symbol's size (a module's kallsyms tables follow its last variable: <pause_on_panic+2488>).
            if (!module.Symbols.TryLookup(p, out var m) && !TryLookupBelow(module.Symbols, p, out m))
            {
                return null;
            }

            string own = FunctionName(module.Symbols, m);
            return m.Offset == 0 ? own : string.Create(CultureInfo.InvariantCulture, $"{own}+{m.Offset}");
        }

        if (_symbols.Describe(p) is not { } name || !_program.Symbols.TryLookup(p, out var hit) || !NamesAddress(hit))
        {
            return null;
        }

        // A variable at exactly the address is named by gdb from its debuginfo, by its C name: without the ".17"
        // the compiler adds to a function-local static's ELF symbol (aio_fs.17 is "aio_fs").
        int dot = name.LastIndexOf('.');
        bool text = hit.Symbol.Type is 'T' or 't' or 'W' or 'w';
        return hit.Offset == 0 && !text && dot > 0 && dot < name.Length - 1 && name.AsSpan(dot + 1).IndexOfAnyExceptInRange('0', '9') < 0
            ? name[..dot]
            : name;
    }

    private static bool TryLookupBelow(Kdx.Core.Symbols.SymbolTable symbols, ulong p, out Kdx.Core.Symbols.SymbolHit hit)
    {
        for (int i = symbols.Count - 1; i >= 0; i--)
        {
            var s = symbols[i];
            if (s.Address <= p && !s.IsAbsolute)
            {
                // The first of several symbols at one address is the preferred one, as SymbolTable.TryLookup takes it.
                while (i > 0 && symbols[i - 1].Address == s.Address && !symbols[i - 1].IsAbsolute)
                {
                    s = symbols[--i];
                }

                hit = new Kdx.Core.Symbols.SymbolHit(s, p - s.Address, i);
                return true;
            }
        }

        hit = default;
        return false;
    }

    // module_init()/module_exit() make init_module and cleanup_module aliases of the module's own functions; crash's
    // gdb names the function ("vmlab_exit"), so an alias gives way to another name at the same address.
    private static string FunctionName(Kdx.Core.Symbols.SymbolTable symbols, Kdx.Core.Symbols.SymbolHit hit)
    {
        static bool IsAlias(string n) => n is "init_module" or "cleanup_module";
        ulong at = hit.Symbol.Address;
        for (int i = hit.Index; IsAlias(hit.Symbol.Name) && i >= 0 && symbols[i].Address == at; i--)
        {
            if (!IsAlias(symbols[i].Name))
            {
                return symbols[i].Name;
            }
        }

        for (int i = hit.Index + 1; IsAlias(hit.Symbol.Name) && i < symbols.Count && symbols[i].Address == at; i++)
        {
            if (!IsAlias(symbols[i].Name))
            {
                return symbols[i].Name;
            }
        }

        return hit.Symbol.Name;
    }

    // gdb (printcmd.c build_address_symbolic, minsyms.c) names an address only by a symbol whose size covers
    // it, and never by a zero-sized data symbol (linker labels such as init_stack); functions always. Without
    // sizes (System.map, kallsyms) the nearest symbol below is taken.
    private bool NamesAddress(Kdx.Core.Symbols.SymbolHit hit)
    {
        if (!_sizesKnown)
        {
            return true;
        }

        bool text = hit.Symbol.Type is 'T' or 't' or 'W' or 'w';
        return hit.Symbol.Size == 0 ? text : hit.Offset < hit.Symbol.Size;
    }

    // gdb reads a string through a pointer up to its element limit: no NUL by then gives "..." after it.
    private void AppendString(StringBuilder sb, ulong address)
    {
        Span<byte> buffer = stackalloc byte[GdbStrings.ElementLimit];
        int read = 0;
        while (read < buffer.Length)
        {
            ulong at = address + (ulong)read;
            int chunk = (int)Math.Min((ulong)(buffer.Length - read), 4096 - (at & 4095));
            var status = _program.Memory.Read(at, buffer.Slice(read, chunk), out int n);
            read += n;
            if (status != ReadStatus.Ok || n < chunk)
            {
                break;
            }
        }

        int nul = buffer[..read].IndexOf((byte)0);
        if (nul < 0 && read < buffer.Length)
        {
            if (read == 0)
            {
                sb.Append("<error: Cannot access memory at address 0x").Append(address.ToString("x", CultureInfo.InvariantCulture)).Append('>');
                return;
            }

            GdbStrings.AppendQuoted(sb, buffer[..read], false);
            ulong bad = address + (ulong)read;
            sb.Append("<error: Cannot access memory at address 0x").Append(bad.ToString("x", CultureInfo.InvariantCulture)).Append('>');
            return;
        }

        GdbStrings.AppendQuoted(sb, buffer[..(nul < 0 ? read : nul)], nul < 0);
    }

    // gdb names only 0 and 1 (in decimal output); another value in a bool is shown as a number.
    private void AppendBool(StringBuilder sb, KObject o, KType t)
    {
        ulong v = o.ToUInt64();
        if (v <= 1 && Radix == 10)
        {
            sb.Append(v == 1 ? "true" : "false");
            return;
        }

        AppendNumber(sb, o, t);
    }

    private void AppendEnum(StringBuilder sb, KObject o, KType t)
    {
        ulong v = o.ToUInt64();
        foreach (var e in EnumsAsNumbers ? [] : t.Enumerators)
        {
            if (e.Value == v || (t.IsSigned && e.SignedValue == o.ToInt64()))
            {
                sb.Append(e.Name);
                return;
            }
        }

        AppendNumber(sb, o, t);
    }

    private void AppendInteger(StringBuilder sb, KObject o, KType t)
    {
        AppendNumber(sb, o, t);
        if (IsCharType(t) && Radix == 10)
        {
            // gdb adds the character only in decimal (crash's -x sets gdb's output radix to 16).
            sb.Append(' ');
            GdbStrings.AppendCharLiteral(sb, (byte)o.ToUInt64());
        }
    }

    private void AppendNumber(StringBuilder sb, KObject o, KType t)
    {
        if (Radix == 16)
        {
            ulong v = o.ToUInt64();
            int bits = o.BitFieldSize != 0 ? o.BitFieldSize : (int)Math.Clamp(t.Size, 1, 8) * 8;
            if (bits < 64)
            {
                v &= (1UL << bits) - 1;
            }

            sb.Append("0x").Append(v.ToString("x", CultureInfo.InvariantCulture));
            return;
        }

        sb.Append(t.IsSigned ? o.ToInt64().ToString(CultureInfo.InvariantCulture) : o.ToUInt64().ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Whether gdb prints values of <paramref name="t"/> as characters (one-byte char types: char, u8, __u8).</summary>
    public static bool IsCharType(KType t)
    {
        ArgumentNullException.ThrowIfNull(t);
        var u = t.Unaliased();
        return u.Kind == TypeKind.Int && u.Size == 1 && u.Name is { } n && n.Contains("char", StringComparison.Ordinal);
    }
}
