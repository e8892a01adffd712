using System.Globalization;
using Kdx.Core.Compression;
using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Kdump;
using Kdx.Tests.Arch.X86_64;
using Kdx.Tests.Linux.Mm;

namespace Kdx.Tests.Cli;

/// <summary>
/// A synthetic 6.12-style kernel written to a kdump file: FakeKernel's page tables and vmemmap, a mem_section
/// table in the kernel image, and struct pages that mark a few frames as free, cache, user and slab pages.
/// </summary>
internal static class ConvertSource
{
    public const ulong FreeBlock = 0x4000; // order 4: 16 frames
    public const ulong CachePage = 0x4100;
    public const ulong AnonPage = 0x4101;
    public const ulong SlabPage = 0x4102; // slab page type with an odd mapping word: must be kept
    public const ulong DataPage = 0x4103; // a plain kernel page

    private const ulong VmemmapPhysical = 0x8000000;

    public static byte[] Contents(ulong pfn) =>
        Enumerable.Range(0, 4096).Select(i => (byte)((i * 13) + (int)pfn + 1)).ToArray();

    /// <summary>Writes the dump (level 1, uncompressed) to <paramref name="path"/>.</summary>
    public static void Write(string path, bool withStructPageInfo = true)
    {
        var fk = new FakeKernel();
        ulong roots = fk.Text + 0x1d00000, rootPage = roots + 0x1000;
        var k = Kernel.V612;
        var pages = new StructPages(k, 32768, fk.VmemmapBase)
            .Buddy((int)FreeBlock, 4)
            .Page((int)CachePage, k.Flag("PG_lru"), 0xffff888003a1c2d8)
            .Page((int)AnonPage, k.Flag("PG_lru") | k.Flag("PG_swapbacked"), 0xffff888004b2c001, mapcount: 0)
            .Slab((int)SlabPage, 0x15);
        fk.Dump.Write(VmemmapPhysical, pages.Bytes.AsSpan(0, 32768 * 64));
        fk.WriteVariable(roots, rootPage);
        fk.WriteVariable(rootPage, fk.VmemmapBase | 0x3); // section 0: frames 0 … 32767
        foreach (ulong pfn in new[] { FreeBlock, FreeBlock + 15, CachePage, AnonPage, SlabPage, DataPage })
        {
            fk.Dump.Write(pfn * 4096, Contents(pfn));
        }

        var ci = CultureInfo.InvariantCulture;
        string info = fk.VmcoreInfo().Text;
        if (withStructPageInfo)
        {
            info += k.Info.Text + "\n" + string.Create(ci, $"SYMBOL(mem_section)={roots:x}\nLENGTH(mem_section)=2048\nSIZE(mem_section)=16\nOFFSET(mem_section.section_mem_map)=0\nNUMBER(SECTION_SIZE_BITS)=27\nNUMBER(MAX_PHYSMEM_BITS)=46\n");
        }

        fk.Dump.Info = VmcoreInfo.Parse(info);
        KdumpWriter.Write(fk.Dump, path, new KdumpWriterOptions { Compression = PageCompression.None, ExcludeZeroPages = true });
    }
}
