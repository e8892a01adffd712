using System.Collections.Concurrent;
using Kdx.Core.Types;

namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// Source lines and addresses: address → file:line from the line tables (decoded per unit, on first
/// use), where functions and variables were declared, and the addresses DWARF gives them. Addresses
/// are the file's own: link-time for a vmlinux (subtract the KASLR offset first), the given section
/// addresses for a module.
/// </summary>
public sealed partial class DwarfTypeSource
{
    private readonly ConcurrentDictionary<int, LineTable?> _lineTables = new();
    private AddressMap? _addressMap;

    /// <summary>
    /// The source file and line of the instruction at <paramref name="address"/>: in the line table of the
    /// unit that holds the address, the last row at or before it (as gdb's find_pc_line, and so crash's
    /// <c>sym</c> and <c>dis -l</c>, pick it).
    /// </summary>
    public bool TryFindLine(ulong address, out SourceLocation location)
    {
        location = null!;
        _addressMap ??= AddressMap.Build(File);
        foreach (int unitIndex in _addressMap.UnitsAt(address))
        {
            if (LinesOf(unitIndex) is { } table && table.TryFind(address, out var row) && row.File < table.Files.Count)
            {
                location = new SourceLocation(table.Files[row.File], row.Line);
                return true;
            }
        }

        return false;
    }

    /// <summary>Where a function was defined (DW_AT_decl_file/decl_line of its best DIE), or null.</summary>
    public SourceLocation? FindFunctionLocation(string name) =>
        Lookup(IndexSpace.Function, name) is { } f ? DeclaredAt(f.Die) : null;

    /// <summary>Where a global or static variable was defined, or null.</summary>
    public SourceLocation? FindVariableLocation(string name) =>
        Lookup(IndexSpace.Variable, name) is { } v ? DeclaredAt(v.Die) : null;

    /// <summary>The address of a function's code (DW_AT_low_pc, or the start of its first range).</summary>
    public bool TryGetFunctionAddress(string name, out ulong address)
    {
        address = 0;
        if (Lookup(IndexSpace.Function, name) is not { } f)
        {
            return false;
        }

        var die = File.ReadDie(f.Die);
        var ranges = new List<(ulong Start, ulong End)>();
        RangeLists.Add(File, die.Unit, die.LowPc, die.HighPc, die.Ranges, ranges);
        if (ranges.Count == 0)
        {
            return false;
        }

        address = File.TryAddress(die.Unit, die.LowPc, out ulong low) ? low : ranges.Min(r => r.Start);
        return true;
    }

    /// <summary>The static address of a global or static variable from its DW_AT_location (DW_OP_addr or DW_OP_addrx).</summary>
    public bool TryGetVariableAddress(string name, out ulong address)
    {
        address = 0;
        return Lookup(IndexSpace.Variable, name) is { } v && LocationAddress(File.ReadDie(v.Die), out address);
    }

    private bool LocationAddress(in Die die, out ulong address)
    {
        address = 0;
        var location = die.Location;
        return location.Class switch
        {
            FormClass.Expression or FormClass.Block => Expressions.TryStaticAddress(File, die.Unit, die.Unit.Section, location.Position, location.Size, out address),
            FormClass.SectionOffset or FormClass.LocationListIndex => LocationLists.TryFirstStaticAddress(File, die.Unit, location, out address),
            _ => false,
        };
    }

    private SourceLocation? DeclaredAt(long dieRef)
    {
        var die = File.ReadDie(dieRef);
        for (int hop = 0; hop < DwarfFile.MaxReferenceChain; hop++)
        {
            if (die.DeclFile.IsConstant && die.DeclLine.IsConstant && DeclarationFileName(die.Unit, die.DeclFile.Value) is { } file)
            {
                return new SourceLocation(file, (int)Math.Min(die.DeclLine.Value, int.MaxValue));
            }

            var origin = die.Origin;
            if (origin.Class != FormClass.Reference || origin.Value == ulong.MaxValue)
            {
                return null;
            }

            die = File.ReadDie((long)origin.Value);
        }

        return null;
    }

    private LineTable? LinesOf(int unitIndex) => _lineTables.GetOrAdd(unitIndex, i =>
    {
        var unit = File.Units[i];
        unit.EnsureRoot(File);
        return unit.StmtList is { } offset ? LineProgram.Read(File, unit, offset) : null;
    });
}
