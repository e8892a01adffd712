using System.Text;
using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Elf;
using Kdx.Core.IO;
using Kdx.Tests.Elf;

namespace Kdx.Tests.Dumps.Elf;

/// <summary>Synthetic ELF core dumps shaped like the real producers' (see readelf -l of the test-bed dumps).</summary>
internal static class Cores
{
    public const ulong TextVirtual = 0xffffffffaa000000;
    public const ulong TextPhysical = 0x7400000;
    public const ulong PageOffset = 0xffff8d3140000000;
    public const string VmcoreInfoText = "OSRELEASE=6.1.0-56-cloud-amd64\nPAGESIZE=4096\nKERNELOFFSET=29000000\nCRASHTIME=1795553402\n";

    /// <summary>Bytes that differ per segment and per position, so misplaced reads show.</summary>
    public static byte[] Pattern(int length, int seed) =>
        Enumerable.Range(0, length).Select(i => (byte)(((i * 7) + (seed * 31) + 1) % 251)).ToArray();

    public static byte[] KdumpNotes(bool vmcoreInfo = true) =>
    [
        .. ElfWriter.Note("CORE", 1, ElfWriter.PrStatus(121, 0x1000)),
        .. ElfWriter.Note("CORE", 1, ElfWriter.PrStatus(282, 0x2000)),
        .. vmcoreInfo ? ElfWriter.Note("VMCOREINFO", 0, Encoding.ASCII.GetBytes(VmcoreInfoText)) : [],
    ];

    /// <summary>
    /// Like a copy of /proc/vmcore: one PT_NOTE, the kernel text segment first (it overlaps the direct
    /// map), then direct-map segments; notes and data page-aligned.
    /// Physical memory: [0x1000, 0x3000) seg 2, [0x3000, 0x4000) seg 3, text [0x7400000, 0x7402000) seg 1
    /// over direct map [0x7400000, 0x7404000) seg 4.
    /// </summary>
    public static ElfWriter Kdump()
    {
        var w = new ElfWriter { DataAlign = 4096, DataStart = 4096 };
        w.AddSegment(4, KdumpNotes(), flags: 0);
        w.AddSegment(1, Pattern(0x2000, 1), paddr: TextPhysical, vaddr: TextVirtual);
        w.AddSegment(1, Pattern(0x2000, 2), paddr: 0x1000, vaddr: PageOffset + 0x1000);
        w.AddSegment(1, Pattern(0x1000, 3), paddr: 0x3000, vaddr: PageOffset + 0x3000);
        w.AddSegment(1, Pattern(0x4000, 4), paddr: TextPhysical, vaddr: PageOffset + TextPhysical);
        return w;
    }

    /// <summary>
    /// Like makedumpfile -E: packed after the headers, p_filesz below p_memsz where pages were excluded,
    /// and a segment with no data at all (p_offset 0, p_filesz 0).
    /// Physical memory: [0x1000, 0x2000) data, [0x2000, 0x4000) excluded (seg 1); [0x4000, 0x6000) excluded (seg 2).
    /// </summary>
    public static ElfWriter Makedumpfile()
    {
        var w = new ElfWriter { DataAlign = 1 };
        w.AddSegment(4, KdumpNotes(), flags: 0);
        w.AddSegment(1, Pattern(0x1000, 1), paddr: 0x1000, vaddr: PageOffset + 0x1000, memsz: 0x3000);
        var empty = w.AddSegment(1, [], paddr: 0x4000, vaddr: PageOffset + 0x4000, memsz: 0x2000);
        empty.Offset = 0;
        return w;
    }

    /// <summary>
    /// Like QEMU 7.2 dump-guest-memory: section headers first, e_ehsize 8, PN_XNUM, NT_PRSTATUS for each CPU
    /// then a QEMU note for each CPU, VMCOREINFO last (with -device vmcoreinfo).
    /// </summary>
    public static ElfWriter Qemu(bool paging, bool vmcoreInfo = true, ulong cr4 = 0x3606f0)
    {
        var w = new ElfWriter { SectionHeadersFirst = true, EhSize = 8, UseXnum = true, DataAlign = 1 };
        byte[] notes =
        [
            .. ElfWriter.Note("CORE", 1, ElfWriter.PrStatus(1, 0x1000)),
            .. ElfWriter.Note("CORE", 1, ElfWriter.PrStatus(2, 0x2000)),
            .. ElfWriter.Note("QEMU", 0, ElfWriter.QemuState(0x100, cr4, kernelGsBase: 0xffff888007a00000)),
            .. ElfWriter.Note("QEMU", 0, ElfWriter.QemuState(0x200, cr4)),
            .. vmcoreInfo ? ElfWriter.Note("VMCOREINFO", 0, Encoding.ASCII.GetBytes(VmcoreInfoText)) : [],
        ];
        w.AddSegment(4, notes, flags: 0);
        if (paging)
        {
            // QEMU puts 0xffff above every address its page-table walk finds, user addresses included.
            w.AddSegment(1, Pattern(0x2000, 1), paddr: 0x1000, vaddr: 0xffff000000400000);
            w.AddSegment(1, Pattern(0x2000, 2), paddr: 0x3000, vaddr: TextVirtual);
            w.AddSegment(1, [], paddr: 0xfee00000, vaddr: 0xffffffffff5fc000, memsz: 0x1000);
        }
        else
        {
            w.AddSegment(1, Pattern(0x4000, 1), paddr: 0, vaddr: 0);
            w.AddSegment(1, Pattern(0x1000, 2), paddr: 0xfffc0000, vaddr: 0xfffc0000);
        }

        return w;
    }

    public static ElfCoreDump Open(byte[] bytes, DumpOpenOptions? options = null) =>
        (ElfCoreDump)ElfCoreDump.Open(new MemoryByteSource("vmcore", bytes), options ?? DumpOpenOptions.Default);

    public static DumpFormatException Fails(byte[] bytes, DumpOpenOptions? options = null) =>
        Should.Throw<DumpFormatException>(() => Open(bytes, options));
}
