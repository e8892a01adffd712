using Kdx.Core.Elf;

namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// The DWARF of one file (a vmlinux or a module): its sections and the headers of all its units.
/// Reading a unit list is cheap (one header per unit); DIEs are read on demand by the index and the
/// type builder. Safe for concurrent use.
/// </summary>
internal sealed partial class DwarfFile
{
    private readonly DwarfUnit[] _infoUnits;
    private readonly DwarfUnit[] _typesUnits;
    private readonly Lazy<long[]> _infoUnitOffsets;
    private Dictionary<ulong, DwarfUnit>? _typeUnitsBySignature;

    public DwarfFile(DwarfSections sections)
    {
        Sections = sections;
        var warnings = new List<string>();
        _infoUnits = UnitHeaders.ReadAll(sections.Info, inTypesSection: false, firstIndex: 0, warnings);
        _typesUnits = UnitHeaders.ReadAll(sections.Types, inTypesSection: true, firstIndex: _infoUnits.Length, warnings);
        Warnings = warnings;
        Units = [.. _infoUnits, .. _typesUnits];
        _infoUnitOffsets = new Lazy<long[]>(() => Array.ConvertAll(_infoUnits, u => (long)u.Offset));
    }

    /// <summary>Problems met while reading the unit headers.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The sections.</summary>
    public DwarfSections Sections { get; }

    /// <summary>The file name for messages.</summary>
    public string Name => Sections.File;

    /// <summary>.debug_abbrev.</summary>
    public DwarfSection Abbrev => Sections.Abbrev;

    /// <summary>Every unit: those of .debug_info in section order, then those of .debug_types.</summary>
    public IReadOnlyList<DwarfUnit> Units { get; }

    /// <summary>Opens the DWARF sections of an ELF file (see <see cref="DwarfSections.FromElf"/>).</summary>
    public static DwarfFile FromElf(ElfFile elf, IReadOnlyDictionary<string, ulong>? sectionAddresses = null) =>
        new(DwarfSections.FromElf(elf, sectionAddresses));

    /// <summary>The unit holding <paramref name="dieRef"/>, with its root attributes read; throws for a reference outside every unit.</summary>
    public DwarfUnit UnitOf(long dieRef)
    {
        if (!TryUnitOf(dieRef, out var unit))
        {
            bool types = (dieRef & DwarfUnit.TypesSectionTag) != 0;
            var section = types ? Sections.Types : Sections.Info;
            throw section.Error(dieRef & ~DwarfUnit.TypesSectionTag, "a DIE reference that points outside every unit");
        }

        return unit;
    }

    /// <summary>Finds the unit holding <paramref name="dieRef"/>.</summary>
    public bool TryUnitOf(long dieRef, out DwarfUnit unit)
    {
        bool types = (dieRef & DwarfUnit.TypesSectionTag) != 0;
        var units = types ? _typesUnits : _infoUnits;
        long offset = dieRef & ~DwarfUnit.TypesSectionTag;
        int lo = 0, hi = units.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var u = units[mid];
            if (offset < u.Offset)
            {
                hi = mid - 1;
            }
            else if (offset >= u.End)
            {
                lo = mid + 1;
            }
            else
            {
                unit = u;
                if (offset < u.FirstDie)
                {
                    break;
                }

                u.EnsureRoot(this);
                return true;
            }
        }

        unit = null!;
        return false;
    }

    /// <summary>The .debug_info unit whose header starts at <paramref name="offset"/>, or null.</summary>
    public DwarfUnit? UnitAt(long offset)
    {
        int i = Array.BinarySearch(_infoUnitOffsets.Value, offset);
        return i >= 0 ? _infoUnits[i] : null;
    }

    /// <summary>The type unit with <paramref name="signature"/> (DW_FORM_ref_sig8), or null.</summary>
    public DwarfUnit? TypeUnit(ulong signature)
    {
        var map = _typeUnitsBySignature;
        if (map is null)
        {
            map = [];
            foreach (var u in Units)
            {
                if (u.IsTypeUnit)
                {
                    map.TryAdd(u.TypeSignature, u);
                }
            }

            _typeUnitsBySignature = map;
        }

        return map.TryGetValue(signature, out var unit) ? unit : null;
    }
}
