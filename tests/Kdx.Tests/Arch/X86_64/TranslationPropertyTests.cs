using CsCheck;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Memory;

namespace Kdx.Tests.Arch.X86_64;

/// <summary>translate(map(x)) == x for random page tables of random page sizes, 4- and 5-level.</summary>
public class TranslationPropertyTests
{
    // One mapping per 1 GiB slot so none overlap: (slot, page size class, page within the slot, frame, offset).
    private static readonly Gen<(int Slot, int SizeClass, uint PageInSlot, ulong Frame, uint Offset)> MappingGen =
        Gen.Select(Gen.Int[0, 4095], Gen.Int[0, 2], Gen.UInt, Gen.ULong[0, (1UL << 40) - 1], Gen.UInt);

    private static ulong SizeOf(int sizeClass) => sizeClass switch { 0 => 0x1000UL, 1 => 1UL << 21, _ => 1UL << 30 };

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Translate_of_a_mapped_address_gives_its_physical_address(int levels)
    {
        MappingGen.Array[1, 12].Sample(mappings =>
        {
            var dump = new SyntheticDump();
            var pt = new PageTableBuilder(dump, levels);
            var walker = new PageTableWalker(dump, levels);
            var layout = X86_64KernelLayout.Defaults(levels) with { KernelPageTable = pt.Root };
            var memory = new KernelVirtualMemory(dump, layout);
            ulong kernelBase = levels == 5 ? 0xffa0000000000000 : 0xffffc90000000000; // vmalloc: always walked
            var seen = new HashSet<int>();
            var expected = new List<(ulong Va, ulong Pa, ulong Size)>();
            foreach (var (slot, sizeClass, pageInSlot, frame, offset) in mappings)
            {
                if (!seen.Add(slot))
                {
                    continue;
                }

                ulong size = SizeOf(sizeClass);
                ulong pageBase = kernelBase + ((ulong)slot << 30) + ((pageInSlot * size) & ((1UL << 30) - 1));
                ulong pa = (frame << 12) & ~(size - 1) & PageTableEntry.FrameMask;
                pt.Map(pageBase, pa, size);
                ulong o = offset % size;
                expected.Add((pageBase + o, pa + o, size));
            }

            foreach (var (va, pa, size) in expected)
            {
                walker.Translate(pt.Root, va, out ulong got, out ulong gotSize).ShouldBe(ReadStatus.Ok);
                got.ShouldBe(pa);
                gotSize.ShouldBe(size);
                var walk = walker.Walk(pt.Root, va);
                walk.PhysicalAddress.ShouldBe(pa);
                walk.Steps.Count.ShouldBe(levels - (size == 0x1000 ? 0 : size == 1UL << 21 ? 1 : 2));
                memory.Translate(va, out ulong viaMemory).ShouldBe(ReadStatus.Ok);
                viaMemory.ShouldBe(pa);
                memory.Translate(va, out viaMemory).ShouldBe(ReadStatus.Ok); // now from the cache
                viaMemory.ShouldBe(pa);
            }
        }, iter: 100);
    }

    [Fact]
    public void Direct_map_round_trips_through_PTOV()
    {
        Gen.Select(Gen.ULong[0, (1UL << 46) - 1], Gen.ULong[0, 0x1fff]).Sample((pa, slot) =>
        {
            var layout = new X86_64KernelLayout
            {
                PageOffsetBase = 0xffff888000000000 + (slot << 30),
                VmallocBase = 0xffffff0000000000,
            };
            layout.TryTranslateLinear(layout.PhysicalToVirtual(pa), out ulong back, out _).ShouldBeTrue();
            back.ShouldBe(pa);
        });
    }

    [Fact]
    public void Kernel_image_translation_wraps_with_any_phys_base()
    {
        Gen.Select(Gen.ULong, Gen.ULong[0, (1UL << 30) - 1]).Sample((physBase, offset) =>
        {
            var layout = new X86_64KernelLayout { PhysBase = physBase };
            layout.TryTranslateLinear(X86_64KernelLayout.StartKernelMap + offset, out ulong pa, out _).ShouldBeTrue();
            unchecked(pa - physBase).ShouldBe(offset);
        });
    }
}
