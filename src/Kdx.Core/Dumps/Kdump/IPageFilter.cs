namespace Kdx.Core.Dumps.Kdump;

/// <summary>
/// Decides which page frames a new compressed kdump keeps, as makedumpfile's dump level does.
/// <see cref="KdumpWriter"/> handles level bit 1 (zero pages) itself, because it needs the page data;
/// the other bits (2 cache, 4 cache with private data, 8 user data, 16 free pages) need the kernel's
/// <c>struct page</c> array and are left to a kernel-aware implementation of this interface.
/// </summary>
public interface IPageFilter
{
    /// <summary>The dump level bits this filter implements, recorded in the new dump's header (e.g. 30).</summary>
    int DumpLevel { get; }

    /// <summary>
    /// Whether the contents of page frame <paramref name="pfn"/> go into the new dump. Called once per page
    /// frame the source dump holds, in increasing pfn order, before any page is written.
    /// </summary>
    bool Keep(ulong pfn);
}

/// <summary>Facts about makedumpfile dump levels (makedumpfile.h: DL_EXCLUDE_*).</summary>
public static class DumpLevels
{
    /// <summary>DL_EXCLUDE_ZERO: pages filled with zeros (the writer does this one itself).</summary>
    public const int ExcludeZero = 1;

    /// <summary>The bits that need a kernel-aware <see cref="IPageFilter"/>: 2 cache, 4 cache with private data, 8 user data, 16 free pages.</summary>
    public const int KernelAware = 2 | 4 | 8 | 16;

    /// <summary>The highest dump level makedumpfile accepts.</summary>
    public const int Max = 31;
}
