using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Walk;

/// <summary>
/// What <c>-s struct[.member[,member]]</c> shows after each entry of list and tree, as crash's dump_struct and
/// dump_struct_member print it through gdb: the whole structure ("struct item {" … "}"), or one "  name = value,"
/// block per member, values spelled by the shared <see cref="ValuePrinter"/>.
/// </summary>
internal sealed class EntryPrinter
{
    private readonly KernelProgram _program;
    private readonly List<(KType Type, List<string>? Members)> _specs;
    private readonly ValuePrinter _values;

    private readonly bool _direct;
    private readonly KernelSymbolText _kernelSymbols;

    private EntryPrinter(KernelProgram program, List<(KType, List<string>?)> specs, ValuePrinter values, bool direct)
    {
        _kernelSymbols = new KernelSymbolText(program.Symbols, 10);
        _direct = direct;
        _program = program;
        _specs = specs;
        _values = values;
    }

    /// <summary>The printer for the -s arguments, or null when there are none.</summary>
    public static EntryPrinter? Create(KernelProgram program, IReadOnlyList<string> structs, int radix, int sessionRadix, bool direct = false)
    {
        if (structs.Count == 0)
        {
            return null;
        }

        var specs = new List<(KType, List<string>?)>();
        foreach (string spec in structs)
        {
            int dot = spec.IndexOf('.', StringComparison.Ordinal);
            string typeName = dot < 0 ? spec : spec[..dot];
            var type = WalkArguments.FindAggregate(program, typeName)
                ?? throw new CommandException($"invalid data structure reference: {typeName}");
            List<string>? members = null;
            if (dot >= 0)
            {
                members = [.. spec[(dot + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries)];
                foreach (string m in members)
                {
                    if (!MemberPath.TryOffset(type, m, out _, out _))
                    {
                        throw new CommandException($"invalid data structure reference: {typeName}.{m}");
                    }
                }
            }

            specs.Add((type, members));
        }

        return new EntryPrinter(program, specs, new ValuePrinter(program, radix != 0 ? radix : sessionRadix), direct);
    }

    /// <summary>Shows the structures, or their members, at <paramref name="address"/>.</summary>
    public void Print(CommandContext context, ulong address)
    {
        foreach (var (type, members) in _specs)
        {
            var entry = KObject.FromAddress(_program, type, address);
            var lines = members is null ? _values.StructLines(entry) : MemberLines(type, entry, members);
            foreach (string line in lines)
            {
                context.WriteLine(line);
            }
        }
    }

    // crash cuts each member's lines out of gdb's print of the whole structure, so the last member has no comma;
    // with -S it reads each member itself and prints none.
    private List<string> MemberLines(KType type, KObject entry, List<string> members)
    {
        var all = type.Unaliased().Members;
        string? last = all.Count > 0 ? all[^1].Name : null;
        var lines = new List<string>();
        foreach (string m in members)
        {
            KObject value;
            try
            {
                value = MemberPath.Resolve(entry, m);
            }
            catch (KdxException e) when (e is not Kdx.Core.Memory.MemoryFaultException)
            {
                throw new CommandException($"invalid data structure reference: {type.Name}.{m}", e);
            }

            string comma = m == last || _direct ? string.Empty : ",";
            string text = _direct && value.UnderlyingType.Kind == TypeKind.Int && TextSymbol(value.ToUInt64()) is { } name ? " <" + name + ">" : string.Empty;
            lines.AddRange($"  {m} = {_values.Format(value, 1)}{comma}{text}".Split('\n'));
        }

        return lines;
    }

    // crash's -S (tools.c print_value) names a value that falls in a kernel or module function by the
    // function's name alone, without an offset.
    private string? TextSymbol(ulong value)
    {
        if (_program.ModuleAt(value) is null && _kernelSymbols.Describe(value) is null)
        {
            return null;
        }

        return _program.TryLookupSymbol(value, out var hit, out _) && hit.Symbol.Type is 'T' or 't' ? hit.Symbol.Name : null;
    }
}
