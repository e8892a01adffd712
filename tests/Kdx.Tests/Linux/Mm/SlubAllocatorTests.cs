using CsCheck;
using Kdx.Core.Linux.Mm;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Linux.Mm;

/// <summary>The SLUB model over <see cref="SlubTestKernel"/>: free pointers (hardened or not), statistics, corruption.</summary>
public sealed class SlubAllocatorTests
{
    [Fact]
    public void A_hardened_free_pointer_decodes_to_what_was_encoded() =>
        Gen.Select(Gen.ULong, Gen.ULong, Gen.ULong).Sample((next, at, random) =>
            SlabFreelist.Decode(SlabFreelist.Encode(next, at, random), at, random) == next);

    [Fact]
    public void The_hardened_form_is_the_kernel_s_ptr_xor_random_xor_byte_swapped_address()
    {
        // mm/slub.c freelist_ptr() (6.1): ptr ^ s->random ^ swab(ptr_addr).
        SlabFreelist.Decode(0x1122_3344_5566_7788, 0xffff_8880_0000_1040, 0x0f0f_0f0f_0f0f_0f0f)
            .ShouldBe(0x1122_3344_5566_7788UL ^ 0x0f0f_0f0f_0f0f_0f0fUL ^ 0x4010_0000_8088_ffffUL);
        SlabFreelist.DecodeUnswapped(5, 3, 0).ShouldBe(6UL);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Objects_on_the_cpu_and_slab_free_lists_are_free_the_others_allocated(bool hardened)
    {
        var k = new SlubTestKernel(hardened);
        k.Slab(1, inuse: 15, freelist: k.Chain(1, 10), frozen: true);
        k.CpuSlabOf(0, 1, k.Chain(1, 3, 7, 1));
        k.NodeState(slabs: 1, total: 16);
        var cache = k.TheCache;
        cache.Name.ShouldBe("test_cache");
        cache.Hardened.ShouldBe(hardened);

        var free = k.Allocator.FindObject(SlubTestKernel.Object(1, 7) + 5)!;
        (free.Object, free.IsFree, free.CpuOf, free.Cache.Address).ShouldBe((SlubTestKernel.Object(1, 7), true, 0, SlubTestKernel.Cache));
        k.Allocator.FindObject(SlubTestKernel.Object(1, 10))!.IsFree.ShouldBeTrue();
        k.Allocator.FindObject(SlubTestKernel.Object(1, 2))!.IsFree.ShouldBeFalse();

        var contents = k.Allocator.ReadContents(cache, k.Allocator.TryReadSlab(SlubTestKernel.Page(1))!);
        contents.FreeCount.ShouldBe(4);
        contents.Problems.ShouldBeEmpty();
        contents.Free.Count(f => f).ShouldBe(4);

        k.Allocator.Statistics(cache).ShouldBe(new SlabCacheStatistics(12, 16, 1, []), new StatsComparer());
    }

    [Fact]
    public void Partial_slabs_of_cpus_and_nodes_count_their_free_objects()
    {
        var k = new SlubTestKernel();
        k.Slab(1, inuse: 16, freelist: 0, frozen: true);
        k.CpuSlabOf(0, 1, k.Chain(1, 0));
        k.Slab(2, inuse: 14, freelist: k.Chain(2, 4, 5), frozen: true);
        k.CpuSlabOf(1, 0, 0, partial: SlubTestKernel.Page(2));
        k.Slab(3, inuse: 10, freelist: k.Chain(3, 0, 1, 2, 3, 4, 5));
        k.Slab(4, inuse: 16, freelist: 0);
        k.NodeState(slabs: 4, total: 64, 3);

        var s = k.Allocator.Statistics(k.TheCache);
        (s.Allocated, s.Total, s.Slabs).ShouldBe((64L - 1 - 2 - 6, 64L, 4L));
        s.Problems.ShouldBeEmpty();
    }

    [Fact]
    public void A_free_pointer_out_of_its_slab_is_reported_and_the_rest_still_counted()
    {
        var k = new SlubTestKernel();
        k.Slab(1, inuse: 16, freelist: 0, frozen: true);
        ulong head = k.Chain(1, 3, 7);
        k.StoreFreePointer(SlubTestKernel.Object(1, 7), SlubTestKernel.Object(5, 0));
        k.CpuSlabOf(0, 1, head);
        k.NodeState(slabs: 1, total: 16);

        var contents = k.Allocator.ReadContents(k.TheCache, k.Allocator.TryReadSlab(SlubTestKernel.Page(1))!);
        contents.FreeCount.ShouldBe(2);
        contents.Problems.ShouldHaveSingleItem().ShouldContain("is not an object of the slab");
        k.Allocator.Statistics(k.TheCache).Allocated.ShouldBe(14);
    }

    [Fact]
    public void A_looping_free_list_is_reported_once_and_ends()
    {
        var k = new SlubTestKernel();
        k.Slab(1, inuse: 16, freelist: 0, frozen: true);
        ulong head = k.Chain(1, 3, 7, 9);
        k.StoreFreePointer(SlubTestKernel.Object(1, 9), SlubTestKernel.Object(1, 3));
        k.CpuSlabOf(0, 1, head);

        var contents = k.Allocator.ReadContents(k.TheCache, k.Allocator.TryReadSlab(SlubTestKernel.Page(1))!);
        contents.FreeCount.ShouldBe(3);
        contents.Problems.ShouldHaveSingleItem().ShouldContain("listed twice");
    }

    [Fact]
    public void A_misaligned_free_pointer_is_not_taken_for_an_object()
    {
        var k = new SlubTestKernel(hardened: false);
        var free = new bool[SlubTestKernel.Objects];
        var (count, problem) = SlabFreelist.Walk(k.Program, k.TheCache, SlubTestKernel.Memory(1), SlubTestKernel.Object(1, 2) + 8, free);
        count.ShouldBe(0);
        problem.ShouldNotBeNull().ShouldContain("not an object");
    }

    [Fact]
    public void A_looping_node_partial_list_is_reported_and_the_statistics_still_come_out()
    {
        var k = new SlubTestKernel();
        k.Slab(2, inuse: 10, freelist: k.Chain(2, 0, 1, 2, 3, 4, 5));
        k.Slab(3, inuse: 12, freelist: k.Chain(3, 0, 1, 2, 3));
        k.NodeState(slabs: 2, total: 32, 2, 3);
        k.Program.Write(SlubTestKernel.Page(3) + 8, SlubTestKernel.Page(2) + 8); // slab 3's next goes back to slab 2

        var problems = new List<string>();
        var node = k.Allocator.Nodes(k.TheCache).Single();
        k.Allocator.NodeList(k.TheCache, node, full: false, problems).Select(s => s.Pfn).ShouldBe([2UL, 3UL]);
        problems.ShouldHaveSingleItem().ShouldContain("loops back");

        var s = k.Allocator.Statistics(k.TheCache);
        (s.Allocated, s.Total, s.Slabs).ShouldBe((32L - 6 - 4, 32L, 2L));
        s.Problems.ShouldHaveSingleItem().ShouldContain("loops back");
    }

    [Fact]
    public void A_broken_partial_link_is_reported()
    {
        var k = new SlubTestKernel();
        k.Slab(2, inuse: 10, freelist: k.Chain(2, 0, 1, 2, 3, 4, 5));
        k.NodeState(slabs: 1, total: 16, 2);
        k.Program.Write(SlubTestKernel.Page(2) + 8, 0xdead_0000_0000_0008);
        var problems = new List<string>();
        k.Allocator.NodeList(k.TheCache, k.Allocator.Nodes(k.TheCache).Single(), full: false, problems).Count().ShouldBe(1);
        problems.ShouldHaveSingleItem().ShouldContain("invalid partial list slab pointer");
    }

    [Fact]
    public void An_address_outside_any_slab_page_is_no_object()
    {
        var k = new SlubTestKernel();
        k.Slab(1, inuse: 16, freelist: 0);
        k.Allocator.FindObject(SlubTestKernel.Object(4, 1)).ShouldBeNull();
        k.Allocator.FindObject(0x1000).ShouldBeNull();
        k.Allocator.TryReadSlab(SlubTestKernel.Page(1) + 1).ShouldBeNull();
    }

    [Fact]
    public void The_v4_14_unswapped_obfuscation_is_recognised_when_it_lands_in_the_slab()
    {
        var k = new SlubTestKernel();
        k.Slab(1, inuse: 16, freelist: 0, frozen: true);
        ulong a = SlubTestKernel.Object(1, 3), b = SlubTestKernel.Object(1, 8);
        k.Program.Write(a + 64, b ^ SlubTestKernel.Random ^ (a + 64));
        k.Program.Write(b + 64, 0 ^ SlubTestKernel.Random ^ (b + 64));
        k.CpuSlabOf(0, 1, a);
        k.Allocator.ReadContents(k.TheCache, k.Allocator.TryReadSlab(SlubTestKernel.Page(1))!).FreeCount.ShouldBe(2);
    }

    private sealed class StatsComparer : IEqualityComparer<SlabCacheStatistics>
    {
        public bool Equals(SlabCacheStatistics? x, SlabCacheStatistics? y) =>
            x is not null && y is not null && (x.Allocated, x.Total, x.Slabs, x.Problems.Count) == (y.Allocated, y.Total, y.Slabs, y.Problems.Count);

        public int GetHashCode(SlabCacheStatistics obj) => 0;
    }
}
