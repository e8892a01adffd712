using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Walk;

/// <summary>
/// What <c>-s struct.member[,member]</c> shows after each entry of list and tree: one line per member,
/// "  name = value," in gdb's style as crash prints it (dump_struct_member). Members are read as
/// <see cref="KObject"/>s and spelled by <see cref="GdbValueText"/>.
/// </summary>
internal sealed class EntryPrinter
{
    private readonly KernelProgram _program;
    private readonly List<(KType Type, List<string> Members)> _specs;
    private readonly GdbValueText _text;

    private EntryPrinter(KernelProgram program, List<(KType, List<string>)> specs, GdbValueText text)
    {
        _program = program;
        _specs = specs;
        _text = text;
    }

    /// <summary>The printer for the -s arguments, or null when there are none.</summary>
    public static EntryPrinter? Create(KernelProgram program, IReadOnlyList<string> structs, int radix, int sessionRadix)
    {
        if (structs.Count == 0)
        {
            return null;
        }

        var specs = new List<(KType, List<string>)>();
        foreach (string spec in structs)
        {
            int dot = spec.IndexOf('.', StringComparison.Ordinal);
            string typeName = dot < 0 ? spec : spec[..dot];
            var type = WalkArguments.FindAggregate(program, typeName)
                ?? throw new CommandException($"invalid data structure reference: {typeName}");
            if (dot < 0)
            {
                throw new CommandException($"-s {spec}: printing a whole structure needs the struct printer, which kdx does not have yet; name the members (-s {spec}.member[,member])");
            }

            var members = spec[(dot + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();
            foreach (string m in members)
            {
                Resolve(KObject.FromAddress(program, type, 0), m);
            }

            specs.Add((type, members));
        }

        return new EntryPrinter(program, specs, new GdbValueText(program, radix != 0 ? radix : sessionRadix));
    }

    /// <summary>Shows the members of the structure at <paramref name="address"/>.</summary>
    public void Print(CommandContext context, ulong address)
    {
        foreach (var (type, members) in _specs)
        {
            var entry = KObject.FromAddress(_program, type, address);
            foreach (string m in members)
            {
                // crash cuts the member's line out of gdb's print of the whole structure: the last member has no comma.
                string comma = type.Unaliased().Members.Count > 0 && type.Unaliased().Members[^1].Name == m ? string.Empty : ",";
                context.WriteLine($"  {m} = {_text.Format(Resolve(entry, m))}{comma}");
            }
        }
    }

    // "a.b[2].c": members and array elements, as crash passes them to gdb.
    private static KObject Resolve(KObject entry, string path)
    {
        var o = entry;
        foreach (string part in path.Split('.'))
        {
            string name = part;
            int bracket = part.IndexOf('[', StringComparison.Ordinal);
            long? index = null;
            if (bracket > 0 && part.EndsWith(']'))
            {
                name = part[..bracket];
                index = NumberArgument.TryParseNumber(part[(bracket + 1)..^1], out ulong i)
                    ? (long)i
                    : throw new CommandException($"invalid array index in {path}");
            }

            try
            {
                o = o.Member(name);
                if (index is { } n)
                {
                    o = o.Index(n);
                }
            }
            catch (KdxException)
            {
                throw new CommandException($"invalid data structure reference: {entry.UnderlyingType.Name}.{path}");
            }
        }

        return o;
    }
}
