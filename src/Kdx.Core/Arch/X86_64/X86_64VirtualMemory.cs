using System.Globalization;
using Kdx.Core.Memory;

namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// A virtual address space of the crashed machine read through the page tables: each page is translated
/// (arithmetically where crash does that, else by a cached walk) and read from the dump's physical memory.
/// A read stops at the first byte that cannot be read: <see cref="ReadStatus.NotMapped"/> when there is no
/// translation, else the dump's reason for the physical page (or for a page-table page the walk needed).
/// </summary>
public abstract class X86_64VirtualMemory : IMemoryReader
{
    private readonly TranslationCache _cache = new();

    private protected X86_64VirtualMemory(PageTableWalker walker)
    {
        Walker = walker;
    }

    /// <inheritdoc/>
    public abstract AddressSpace Space { get; }

    /// <summary>The walker (and through it the physical memory) this space reads with.</summary>
    public PageTableWalker Walker { get; }

    /// <summary>The dump's physical memory.</summary>
    public IMemoryReader Physical => Walker.Physical;

    /// <inheritdoc/>
    public ReadStatus Read(ulong address, Span<byte> destination, out int bytesRead)
    {
        bytesRead = 0;
        while (!destination.IsEmpty)
        {
            var status = TranslateRun(address, out ulong physical, out ulong run);
            if (status != ReadStatus.Ok)
            {
                return status;
            }

            int chunk = (int)Math.Min((ulong)destination.Length, run);
            status = Physical.Read(physical, destination[..chunk], out int n);
            bytesRead += n;
            if (status != ReadStatus.Ok)
            {
                return status;
            }

            destination = destination[chunk..];
            ulong next = unchecked(address + (ulong)chunk);
            if (next < address && !destination.IsEmpty)
            {
                return ReadStatus.NotMapped; // ran off the top of the address space
            }

            address = next;
        }

        return ReadStatus.Ok;
    }

    /// <summary>
    /// Translates an address the way reads do (crash's kvtop/uvtop without verbose): arithmetic for the
    /// direct map and kernel image, a cached page-table walk for the rest. Allocation-free.
    /// </summary>
    public ReadStatus Translate(ulong address, out ulong physicalAddress) => TranslateRun(address, out physicalAddress, out _);

    /// <summary>Walks the page tables for an address and returns every entry read (what <c>vtop</c> prints).</summary>
    public abstract PageWalk Walk(ulong address);

    /// <inheritdoc/>
    public string? ExplainFailure(ulong address, ReadStatus status)
    {
        var ci = CultureInfo.InvariantCulture;
        var translated = TranslateRun(address, out ulong physical, out _);
        if (translated == ReadStatus.Ok)
        {
            string where = string.Create(ci, $"physical address {physical:x}");
            return Physical.ExplainFailure(physical, status) is { } more ? $"{where}: {more}" : where;
        }

        return ExplainTranslationFailure(address);
    }

    /// <summary>Why an address does not translate (the walk's own words).</summary>
    private protected virtual string ExplainTranslationFailure(ulong address) => Walk(address).Describe();

    /// <summary>
    /// Translates an address and says how many bytes from it on are physically contiguous with it
    /// (to the end of its page or linear region).
    /// </summary>
    private protected abstract ReadStatus TranslateRun(ulong address, out ulong physicalAddress, out ulong contiguousBytes);

    /// <summary>A cached page-table walk from <paramref name="root"/>.</summary>
    private protected ReadStatus TranslateByWalk(ulong root, ulong address, bool protNoneIsPresent, out ulong physicalAddress, out ulong contiguousBytes)
    {
        if (!_cache.TryGet(address, out ulong pageStart, out ulong pageSize))
        {
            var status = Walker.Translate(root, address, out ulong pa, out pageSize, protNoneIsPresent);
            if (status != ReadStatus.Ok)
            {
                physicalAddress = 0;
                contiguousBytes = 0;
                return status;
            }

            pageStart = pa & ~(pageSize - 1);
            _cache.Add(address, pageStart, pageSize);
        }

        ulong offset = address & (pageSize - 1);
        physicalAddress = pageStart + offset;
        contiguousBytes = pageSize - offset;
        return ReadStatus.Ok;
    }
}
