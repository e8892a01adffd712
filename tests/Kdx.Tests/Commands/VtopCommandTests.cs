using System.Text;
using Kdx.Commands.Memory;
using Kdx.Core.Arch.X86_64;

namespace Kdx.Tests.Commands;

public sealed class VtopCommandTests : IDisposable
{
    private const string Header = "VIRTUAL           PHYSICAL        \n";
    private readonly FakeProgram _p = new();

    public void Dispose() => _p.Dispose();

    // The walk lines for an address, from the entries the builder wrote (top level first).
    private static string Walk(FakeProgram p, ulong va, int entries)
    {
        var s = new StringBuilder($"PGD DIRECTORY: {p.Kernel.InitTopPgt:x}\n");
        string[] names = p.Kernel.Levels == 5 ? ["PGD", "P4D", "PUD", "PMD", "PTE"] : ["PGD", "PUD", "PMD", "PTE"];
        for (int depth = 0; depth < entries; depth++)
        {
            ulong at = p.Kernel.Tables.EntryAddressAt(va, depth);
            ulong entry = p.Kernel.Tables.ReadUInt64(at);
            s.Append(depth == 0 ? $"PAGE DIRECTORY: {entry:x}\n" : $"   {names[depth]}: {at:x} => {entry:x}\n");
        }

        return s.ToString();
    }

    [Fact]
    public void A_kernel_text_address_in_a_2_MiB_page()
    {
        ulong va = _p.Kernel.Text + 0x1234;
        _p.Run($"vtop {va:x}").ShouldBe(
            Header + $"{va:x}  3001234         \n\n" + Walk(_p, va, 3) +
            "  PAGE: 3000000  (2MB)\n\n" +
            "  PTE    PHYSICAL  FLAGS\n" +
            "30000e3   3000000  (PRESENT|RW|ACCESSED|DIRTY|PSE)\n\n");
    }

    [Fact]
    public void A_vmalloc_address_in_a_4_KiB_page_given_as_an_expression()
    {
        ulong va = _p.Kernel.VmallocBase + 0x1010;
        _p.Run($"vtop ({_p.Kernel.VmallocBase:x} + 0x1010)").ShouldBe(
            Header + $"{va:x}  7000010         \n\n" + Walk(_p, va, 4) +
            "  PAGE: 7000000\n\n" +
            "  PTE    PHYSICAL  FLAGS\n" +
            "7000063   7000000  (PRESENT|RW|ACCESSED|DIRTY)\n\n");
    }

    [Fact]
    public void A_direct_map_address_translates_arithmetically_and_shows_its_walk()
    {
        ulong va = _p.Kernel.PageOffsetBase + 0x1234;
        _p.Run($"vtop {va:x}").ShouldBe(
            Header + $"{va:x}  1234            \n\n" + Walk(_p, va, 4) +
            "  PAGE: 1000\n\n" +
            "PTE   PHYSICAL  FLAGS\n" +
            "1063    1000    (PRESENT|RW|ACCESSED|DIRTY)\n\n");
    }

    [Fact]
    public void A_1_GiB_page()
    {
        ulong va = _p.Kernel.VmallocBase + (5UL << 30);
        _p.Kernel.Tables.Map(va, 0x40000000, 1UL << 30);
        _p.Run($"vtop {va + 0x123456:x}").ShouldBe(
            Header + $"{va + 0x123456:x}  40123456        \n\n" + Walk(_p, va, 2) +
            "  PAGE: 40000000  (1GB)\n\n" +
            "  PTE     PHYSICAL  FLAGS\n" +
            "400000e3  40000000  (PRESENT|RW|ACCESSED|DIRTY|PSE)\n\n");
    }

    [Fact]
    public void An_unmapped_address_stops_at_the_empty_entry()
    {
        ulong va = _p.Kernel.VmallocBase + 0x10000;
        _p.Run($"vtop {va:x}").ShouldBe(Header + $"{va:x}  (not mapped)\n\n" + Walk(_p, va, 4) + "\n");
        ulong far = _p.Kernel.VmallocBase + (7UL << 39);
        _p.Run($"vtop {far:x}").ShouldBe(Header + $"{far:x}  (not mapped)\n\n" + Walk(_p, far, 1) + "\n");
    }

    [Fact]
    public void A_pte_that_is_not_present_but_not_empty_is_shown_with_its_flags()
    {
        ulong va = _p.Kernel.VmallocBase + 0x2000;
        _p.Dump.WriteUInt64(_p.Kernel.Tables.EntryAddressAt(va, 3), 0x7003000 | PageTableEntry.ProtNone | PageTableEntry.ReadWrite);
        _p.Run($"vtop {va:x}").ShouldEndWith(
            "\n\n  PTE    PHYSICAL  FLAGS\n7003102   7003000  (RW|PROTNONE|GLOBAL)\n\n");
        _p.Run($"vtop {va:x}").ShouldContain("(not mapped)");
    }

    [Fact]
    public void Five_level_paging_shows_the_p4d_entry()
    {
        using var p = new FakeProgram(levels: 5);
        ulong va = p.Kernel.VmallocBase + 0x1000;
        string output = p.Run($"vtop {va:x}");
        output.ShouldBe(Header + $"{va:x}  7000000         \n\n" + Walk(p, va, 5) +
            "  PAGE: 7000000\n\n  PTE    PHYSICAL  FLAGS\n7000063   7000000  (PRESENT|RW|ACCESSED|DIRTY)\n\n");
        output.ShouldContain("   P4D: ");
    }

    [Fact]
    public void Several_addresses_are_separated_by_a_blank_line()
    {
        ulong a = _p.Kernel.VmallocBase + 0x1000, b = _p.Kernel.VmallocBase + 0x2000;
        _p.Run($"vtop {a:x} {b:x}").ShouldBe(_p.Run($"vtop {a:x}") + "\n" + _p.Run($"vtop {b:x}"));
    }

    [Fact]
    public void User_addresses_and_task_page_tables_need_the_task_layer()
    {
        _p.Run("vtop 400000").ShouldBe("vtop: 400000: user virtual addresses need a task's page table, and tasks are not available yet\n");
        _p.Run($"vtop -u {_p.Kernel.Text:x}").ShouldContain("user virtual addresses need a task's page table");
        _p.Run($"vtop -c 1 {_p.Kernel.Text:x}").ShouldBe("vtop: -c needs a task's page table, and tasks are not available yet\n");
        _p.Run("vtop -u -k 1000").ShouldBe("vtop: -u and -k options are mutually exclusive\n");
    }

    [Fact]
    public void Addresses_outside_both_ranges_are_ambiguous_unless_k_is_given()
    {
        _p.Run("vtop ffff800000001000").ShouldBe("vtop: ambiguous address: ffff800000001000  (requires -u or -k)\n");
        _p.Run("vtop -k ffff800000001000").ShouldBe(Header + "ffff800000001000  (not a kernel virtual address)\n\n");
        _p.Run("vtop -k 1000").ShouldBe(Header + "1000      (not a kernel virtual address)\n\n");
    }

    [Fact]
    public void A_page_table_page_missing_from_the_dump_ends_the_walk_with_crash_words()
    {
        ulong va = _p.Kernel.PageOffsetBase + 0x5000;
        ulong table = _p.Kernel.Tables.EntryAddressAt(va, 3) & ~0xFFFUL;
        _p.Dump.Exclude(table);
        _p.Run($"vtop {va:x}").ShouldBe(
            Header + $"{va:x}  5000            \n\n" + Walk(_p, va, 3) +
            $"vtop: page excluded: physical address: {table:x}  type: \"page table\" (synthetic pfn {table >> 12:x})\n");

        ulong vmalloc = _p.Kernel.VmallocBase + 0x1000;
        ulong pmdTable = _p.Kernel.Tables.EntryAddressAt(vmalloc, 2) & ~0xFFFUL;
        _p.Dump.Exclude(pmdTable);
        _p.Run($"vtop {vmalloc:x}").ShouldBe(
            Header + $"vtop: page excluded: physical address: {pmdTable:x}  type: \"pmd page\" (synthetic pfn {pmdTable >> 12:x})\n");
    }

    [Fact]
    public void Missing_addresses_and_unknown_symbols_are_errors()
    {
        _p.Run("vtop").ShouldStartWith("vtop: missing address");
        _p.Run("vtop nosuch").ShouldBe("vtop: symbol not found: nosuch\n");
        _p.Run($"vtop schedule").ShouldStartWith(Header + $"{_p.Schedule:x}  ");
    }

    [Theory]
    [InlineData("PTE", 7, false, "  PTE  ")]
    [InlineData("PTE", 16, false, "      PTE       ")]
    [InlineData("100000", 8, true, " 100000 ")]
    [InlineData("da00000", 8, true, " da00000")]
    [InlineData("PHYSICAL", 8, false, "PHYSICAL")]
    [InlineData("toolongtext", 3, true, "toolongtext")]
    public void Columns_are_centred_like_crash_mkstring(string text, int width, bool leanRight, string expected) =>
        PageWalkText.Center(text, width, leanRight).ShouldBe(expected);

    [Fact]
    public void Frames_keep_crash_physical_mask()
    {
        PageWalkText.Frame(0x8000_0000_0da0_01e1, 4).ShouldBe(0xda00000UL);
        PageWalkText.Frame(0x000f_ffff_ffff_f1e1, 4).ShouldBe(0x3fff_ffff_f000UL);
        PageWalkText.Frame(0x000f_ffff_ffff_f1e1, 5).ShouldBe(0xf_ffff_ffff_f000UL);
    }
}
