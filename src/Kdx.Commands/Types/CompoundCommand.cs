using System.Globalization;
using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Types;

/// <summary>
/// crash's <c>struct</c> and <c>union</c>: a type's definition (with <c>-o</c>, member offsets), or its
/// contents at an address: whole, or the members named after the type ("task_struct.pid,comm"),
/// for a count of consecutive objects, or on several CPUs for a per-CPU variable.
/// </summary>
public abstract partial class CompoundCommand : Command
{
    private readonly OptionParser _options;

    /// <summary>Creates the command.</summary>
    protected CompoundCommand()
    {
        _options = new OptionParser(Name, "orfuxdp", "lc");
    }

    /// <summary>Struct or union.</summary>
    protected abstract TypeKind Kind { get; }

    private string Keyword => Kind == TypeKind.Struct ? "struct" : "union";

    /// <inheritdoc/>
    public override string Usage => $"{Name} {Name}_name[.member[,member]][-o][-l offset][-rfxdp] [address | symbol][:cpuspec] [count | -c count]";

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = _options.Parse(args);
        if (options.Positionals.Count == 0)
        {
            throw new CommandException($"{Name}: a {Keyword} name is needed: {Usage}");
        }

        var program = context.Session.Program;
        string spec = options.Positionals[0];
        int dot = spec.IndexOf('.', StringComparison.Ordinal);
        string typeName = dot < 0 ? spec : spec[..dot];
        var members = dot < 0 ? [] : spec[(dot + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries);
        var type = Resolve(program, typeName);
        foreach (var m in members)
        {
            if (!MemberPath.TryOffset(type, m, out _, out _))
            {
                throw new CommandException($"{Name}: invalid data structure reference: {typeName}.{m}");
            }
        }

        int radix = options.Has("x") ? 16 : options.Has("d") ? 10 : context.Session.OutputRadix;
        if (options.Positionals.Count < 2)
        {
            if (options.Has("l") || options.Has("c"))
            {
                throw new CommandException($"{Name}: an address is needed with -l and -c");
            }

            WriteDefinition(context, type, members, options.Has("o"), radix);
            return;
        }

        if (options.Has("u"))
        {
            throw new CommandException($"{Name}: -u: user virtual addresses of the current task are not available yet");
        }

        string where = options.Positionals[1];
        string? cpuSpec = null;
        int colon = where.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            cpuSpec = where[(colon + 1)..];
            where = where[..colon];
        }

        bool fileOffset = options.Has("f");
        ulong address = fileOffset ? NumberArgument.ParseHex(where) : AddressArgument.Parse(where, program);
        if (options.Value("l") is { } l)
        {
            address = unchecked(address - MemberOffset(program, l));
        }

        if (options.Has("o") && members.Length == 0)
        {
            // -o with an address: the definition with each member's address.
            foreach (var line in GdbTypeText.Definition(type.Unaliased(), true, address))
            {
                context.WriteLine(line);
            }

            context.WriteLine(radix == 16 ? string.Create(CultureInfo.InvariantCulture, $"SIZE: 0x{type.Unaliased().Size:x}") : string.Create(CultureInfo.InvariantCulture, $"SIZE: {type.Unaliased().Size}"));
            return;
        }

        long count = CountOf(options);
        if (options.Has("r"))
        {
            WriteRaw(context, type, members, address, count, fileOffset);
            return;
        }

        var printer = new ValuePrinter(program, radix);
        var view = new ObjectView(fileOffset, options.Has("p"));
        if (cpuSpec is not null)
        {
            foreach (int cpu in CpuSpec.Parse(cpuSpec, program.CpuCount))
            {
                ulong at = program.PerCpuAddress(address, cpu);
                context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{cpu}]: {at:x}"));
                WriteObjects(context, printer, type, members, at, count, view);
            }

            return;
        }

        WriteObjects(context, printer, type, members, address, count, view);
    }

    private long CountOf(ParsedOptions options)
    {
        string? word = options.Value("c") ?? (options.Positionals.Count > 2 ? options.Positionals[2] : null);
        if (word is null)
        {
            return 1;
        }

        if (!long.TryParse(word, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long count) || count == 0)
        {
            throw new CommandException($"{Name}: invalid count: {word}");
        }

        return count;
    }

    private KType Resolve(KernelProgram program, string name)
    {
        var type = program.Types.FindType(name, Kind);
        if (type is null && program.Types.FindType(name, null) is { } typedef && typedef.Unaliased().Kind == Kind)
        {
            type = typedef;
        }

        if (type is null)
        {
            var other = program.Types.FindType(name, Kind == TypeKind.Struct ? TypeKind.Union : TypeKind.Struct);
            throw new CommandException(other is not null
                ? $"{Name}: data type mismatch: {name} is not a {Keyword}"
                : $"{Name}: invalid data structure reference: {name}");
        }

        if (!type.Unaliased().IsComplete)
        {
            throw new CommandException($"{Name}: {Keyword} {name} is only declared (an incomplete type): its members are unknown");
        }

        return type;
    }

    // -l takes a number of bytes or "type.member", whose offset it stands for.
    private static ulong MemberOffset(IProgram program, string text)
    {
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && TypeLookup.FindTag(program, text[..dot], null) is { } t)
        {
            return MemberPath.TryOffset(t, text[(dot + 1)..], out ulong offset, out _)
                ? offset
                : throw new CommandException($"invalid data structure reference: {text}");
        }

        return NumberArgument.TryParseNumber(text, out ulong n) ? n : throw new CommandException($"invalid -l offset: {text}");
    }

    private static void WriteDefinition(CommandContext context, KType type, string[] members, bool offsets, int radix)
    {
        var u = type.Unaliased();
        if (members.Length == 0)
        {
            foreach (var line in GdbTypeText.TypedefDefinition(type, offsets) ?? GdbTypeText.Definition(u, offsets))
            {
                context.WriteLine(line);
            }

            context.WriteLine(radix == 16 ? string.Create(CultureInfo.InvariantCulture, $"SIZE: 0x{u.Size:x}") : string.Create(CultureInfo.InvariantCulture, $"SIZE: {u.Size}"));
            return;
        }

        // Named members are shown with their offsets whether or not -o was given (crash 8.0.2).
        int width = $"[{u.Size}]".Length + 2;
        context.WriteLine(TypeNames.BaseName(u) + " {");
        foreach (var m in members)
        {
            MemberPath.TryOffset(u, m, out ulong offset, out var memberType);
            string last = m[(m.LastIndexOf('.') + 1)..];
            int bracket = last.IndexOf('[', StringComparison.Ordinal);
            context.WriteLine(GdbTypeText.OffsetColumn(offset, width) + " " + GdbTypeText.Declaration(memberType, bracket < 0 ? last : last[..bracket]) + ";");
        }

        context.WriteLine("}");
    }

    private static void WriteObjects(CommandContext context, ValuePrinter printer, KType type, string[] members, ulong address, long count, ObjectView view)
    {
        ulong size = type.Unaliased().Size;
        ulong start = count > 0 ? address : unchecked(address - ((ulong)(-count - 1) * size));
        long n = Math.Abs(count);
        for (long i = 0; i < n; i++)
        {
            if (i > 0)
            {
                context.WriteLine(string.Empty);
            }

            var program = context.Session.Program;
            ulong at = unchecked(start + ((ulong)i * size));
            var obj = view.FileOffset ? FromDumpFile(program, type, at) : KObject.FromAddress(program, type, at);
            var lines = members.Length == 0 ? printer.StructLines(obj) : printer.MemberLines(obj, members);
            if (view.FollowPointers)
            {
                lines = FollowPointers(program, printer, obj, lines);
            }

            foreach (var line in lines)
            {
                context.WriteLine(line);
            }
        }
    }
}

/// <summary><c>struct</c>: shows a structure's definition or contents.</summary>
public sealed class StructCommand : CompoundCommand
{
    /// <inheritdoc/>
    public override string Name => "struct";

    /// <inheritdoc/>
    public override string Summary => "show a structure's definition or contents";

    /// <inheritdoc/>
    protected override TypeKind Kind => TypeKind.Struct;

    /// <inheritdoc/>
    public override string Help => CompoundHelp.Text("struct", "task_struct", "task_struct.pid,comm");
}

/// <summary><c>union</c>: shows a union's definition or contents.</summary>
public sealed class UnionCommand : CompoundCommand
{
    /// <inheritdoc/>
    public override string Name => "union";

    /// <inheritdoc/>
    public override string Summary => "show a union's definition or contents";

    /// <inheritdoc/>
    protected override TypeKind Kind => TypeKind.Union;

    /// <inheritdoc/>
    public override string Help => CompoundHelp.Text("union", "rcu_special", "rcu_special.s");
}

/// <summary>The help text shared by struct and union.</summary>
internal static class CompoundHelp
{
    public static string Text(string name, string example, string members) => $"""
        Without an address, shows the definition of a {name} as gdb's ptype lays it out and its size;
        with -o, each member's offset in brackets. With an address (or a symbol), shows the {name}
        there, member by member; after the name, ".member,member" picks members ("a.b" and "a[2]"
        reach inside nested members and arrays).

          -o         show member offsets (definition only).
          -l offset  the address is that of a member at this offset (a number of bytes, or
                     "type.member"): the {name} starts that many bytes before it.
          -x / -d    integers in hexadecimal / decimal.
          -r         the raw memory of the {name} (or of one member) as rd shows it.
          -f         the address is an offset in the dump file.
          -p         a pointer member is shown with its type and followed: its target on the
                     next lines ("-> NULL", "-> <function>", or the value it points to).
          -c count   show count consecutive objects (negative: the ones ending at the address);
                     a count after the address does the same.
          :cpuspec   after a per-CPU symbol or offset: the object on each CPU listed ("0,1", "a").

        Examples:
          kdx> {name} {example}
          kdx> {name} {example} -o
          kdx> {name} {members} ADDRESS
        """;
}

/// <summary>How struct/union reads its objects: from a dump file offset (-f), and whether pointers are followed (-p).</summary>
internal readonly record struct ObjectView(bool FileOffset, bool FollowPointers);
