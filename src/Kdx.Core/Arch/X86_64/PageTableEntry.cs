namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// Bits of an x86_64 page-table entry (Intel SDM vol. 3, 4.5 "4-level and 5-level paging";
/// kernel names from arch/x86/include/asm/pgtable_types.h).
/// </summary>
public static class PageTableEntry
{
    /// <summary>_PAGE_PRESENT: the entry maps something.</summary>
    public const ulong Present = 1UL << 0;

    /// <summary>_PAGE_RW: writable.</summary>
    public const ulong ReadWrite = 1UL << 1;

    /// <summary>_PAGE_USER: user-accessible.</summary>
    public const ulong User = 1UL << 2;

    /// <summary>_PAGE_PWT: write-through.</summary>
    public const ulong WriteThrough = 1UL << 3;

    /// <summary>_PAGE_PCD: cache disabled.</summary>
    public const ulong CacheDisabled = 1UL << 4;

    /// <summary>_PAGE_ACCESSED.</summary>
    public const ulong Accessed = 1UL << 5;

    /// <summary>_PAGE_DIRTY.</summary>
    public const ulong Dirty = 1UL << 6;

    /// <summary>_PAGE_PSE: in a PUD or PMD entry, the entry maps a 1 GiB or 2 MiB page (bit 7 is PAT in a PTE).</summary>
    public const ulong PageSizeExtension = 1UL << 7;

    /// <summary>_PAGE_GLOBAL.</summary>
    public const ulong Global = 1UL << 8;

    /// <summary>
    /// _PAGE_PROTNONE: the same bit as _PAGE_GLOBAL, meaning "mapped but PROT_NONE" when Present is clear
    /// (user PMDs and PTEs only; the kernel's pte_present() counts it as present).
    /// </summary>
    public const ulong ProtNone = Global;

    /// <summary>_PAGE_NX: no execute (bit 63).</summary>
    public const ulong NoExecute = 1UL << 63;

    /// <summary>
    /// The frame bits of an entry: 12–51 (__PHYSICAL_MASK_SHIFT is 52 on x86_64, page_64_types.h).
    /// Bits 52–62 are software and protection-key bits, 63 is NX.
    /// </summary>
    public const ulong FrameMask = 0x000F_FFFF_FFFF_F000UL;

    /// <summary>Whether <paramref name="entry"/> has the present bit.</summary>
    public static bool IsPresent(ulong entry) => (entry & Present) != 0;

    /// <summary>Whether a PUD or PMD entry maps a large page.</summary>
    public static bool IsLarge(ulong entry) => (entry & PageSizeExtension) != 0;

    /// <summary>
    /// The flag names of an entry in crash's order and words (x86_64_translate_pte), e.g.
    /// "PRESENT|RW|ACCESSED|DIRTY|PSE|GLOBAL|NX"; "no mapping" for an empty entry.
    /// PSE is named only when present, PROTNONE only when not present.
    /// </summary>
    public static string FlagNames(ulong entry)
    {
        if (entry == 0)
        {
            return "no mapping";
        }

        bool present = (entry & Present) != 0;
        var names = new List<string>(11);
        void Add(bool set, string name)
        {
            if (set)
            {
                names.Add(name);
            }
        }

        Add(present, "PRESENT");
        Add((entry & ReadWrite) != 0, "RW");
        Add((entry & User) != 0, "USER");
        Add((entry & WriteThrough) != 0, "PWT");
        Add((entry & CacheDisabled) != 0, "PCD");
        Add((entry & Accessed) != 0, "ACCESSED");
        Add((entry & Dirty) != 0, "DIRTY");
        Add(present && (entry & PageSizeExtension) != 0, "PSE");
        Add(!present && (entry & ProtNone) != 0, "PROTNONE");
        Add((entry & Global) != 0, "GLOBAL");
        Add((entry & NoExecute) != 0, "NX");
        return string.Join('|', names);
    }
}
