using Kdx.Core.Linux.Mm;
using Kdx.Core.Types;
using Kdx.Tests.Model;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Linux;

/// <summary>VMAs from the older mmap list and from the maple tree, and damaged lists and trees.</summary>
public sealed class VmAreasTests
{
    private const ulong B = TestProgram.Base;
    private const ulong Mm = B + 0x100;

    private readonly TestProgram _p = new();

    private void Types(bool maple)
    {
        var p = _p;
        var ptr = KType.Pointer(p.ULong);
        p.AddType("struct vm_area_struct", KType.Struct("vm_area_struct", 40, () =>
        [
            new KMember("vm_start", p.ULong, 0), new KMember("vm_end", p.ULong, 64), new KMember("vm_flags", p.ULong, 128),
            new KMember("vm_file", ptr, 192), new KMember("vm_next", ptr, 256),
        ]));
        var tree = KType.Struct("maple_tree", 16, () => [new KMember("ma_flags", p.UInt, 0), new KMember("ma_root", ptr, 64)]);
        p.AddType("struct mm_struct", KType.Struct("mm_struct", 32, () => maple ? [new KMember("mm_mt", tree, 0)] : [new KMember("mmap", ptr, 0)]));
    }

    private ulong Vma(int i, ulong start, ulong end, ulong next)
    {
        ulong at = B + 0x1000 + ((ulong)i * 0x40);
        _p.Write(at, start);
        _p.Write(at + 8, end);
        _p.Write(at + 16, 0x73);
        _p.Write(at + 32, next);
        return at;
    }

    [Fact]
    public void The_mmap_list_is_followed_when_there_is_no_maple_tree()
    {
        Types(maple: false);
        ulong c = Vma(2, 0x7000, 0x8000, 0);
        ulong b = Vma(1, 0x5000, 0x6000, c);
        ulong a = Vma(0, 0x400000 - 0x3fc000, 0x5000, b);
        _p.Write(Mm, a);
        var problems = new List<string>();
        VmAreas.Read(_p, Mm, problems).Select(v => (v.Address, v.Start, v.End, v.Flags)).ShouldBe([(a, 0x4000UL, 0x5000UL, 0x73UL), (b, 0x5000UL, 0x6000UL, 0x73UL), (c, 0x7000UL, 0x8000UL, 0x73UL)]);
        problems.ShouldBeEmpty();
    }

    [Fact]
    public void A_looping_or_broken_list_and_overlapping_areas_are_reported_with_what_was_read()
    {
        Types(maple: false);
        ulong b = Vma(1, 0x5000, 0x6000, 0);
        ulong a = Vma(0, 0x4000, 0x5800, b);  // overlaps b
        Vma(1, 0x5000, 0x6000, a);             // b links back to a
        _p.Write(Mm, a);
        var problems = new List<string>();
        VmAreas.Read(_p, Mm, problems).Count.ShouldBe(2);
        problems.ShouldContain(p => p.Contains("a loop at vm_area_struct", StringComparison.Ordinal));
        problems.ShouldContain(p => p.Contains("overlaps or precedes", StringComparison.Ordinal));

        Vma(1, 0x5000, 0x6000, 0x1000);        // b's successor is not in the dump
        problems.Clear();
        VmAreas.Read(_p, Mm, problems).Count.ShouldBe(2);
        problems.ShouldContain(p => p.Contains("vm_area_struct at 1000 is unreadable", StringComparison.Ordinal));
    }

    [Fact]
    public void A_maple_tree_with_one_entry_or_a_damaged_one()
    {
        Types(maple: true);
        ulong a = Vma(0, 0x4000, 0x5000, 0);
        _p.Write(Mm + 8, a);                   // a root that is an entry, not a node
        var problems = new List<string>();
        VmAreas.Read(_p, Mm, problems).ShouldHaveSingleItem().Address.ShouldBe(a);
        problems.ShouldBeEmpty();

        _p.Write(Mm + 8, 0x2000 | 0x2 | (1 << 3)); // a node pointer (leaf_64) to memory the dump lacks
        VmAreas.Read(_p, Mm, problems).ShouldBeEmpty();
        problems.ShouldHaveSingleItem().ShouldContain("the VMAs read so far are shown");
    }
}
