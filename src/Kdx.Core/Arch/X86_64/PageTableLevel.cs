namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// A level of the x86_64 page tables, in the kernel's names. With 4-level paging the P4D level is folded
/// into the PGD (the top table then has the P4D's 512 GiB entries), as in include/asm-generic/pgtable-nop4d.h.
/// </summary>
public enum PageTableLevel : byte
{
    /// <summary>The top table (CR3 points at it): PML5 with 5-level paging, PML4 with 4-level.</summary>
    Pgd,

    /// <summary>The fourth level (PML4 under a PML5); present only with 5-level paging.</summary>
    P4d,

    /// <summary>Page upper directory: entries map 1 GiB each (or a 1 GiB page).</summary>
    Pud,

    /// <summary>Page middle directory: entries map 2 MiB each (or a 2 MiB page).</summary>
    Pmd,

    /// <summary>Page table: entries map 4 KiB pages.</summary>
    Pte,
}

/// <summary>Names of <see cref="PageTableLevel"/> values as crash prints them.</summary>
public static class PageTableLevelText
{
    /// <summary>"PGD", "P4D", "PUD", "PMD" or "PTE".</summary>
    public static string Name(this PageTableLevel level) => level switch
    {
        PageTableLevel.Pgd => "PGD",
        PageTableLevel.P4d => "P4D",
        PageTableLevel.Pud => "PUD",
        PageTableLevel.Pmd => "PMD",
        PageTableLevel.Pte => "PTE",
        _ => level.ToString(),
    };
}
