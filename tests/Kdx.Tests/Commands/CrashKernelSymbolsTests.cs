using Kdx.Commands.Symbols;
using Kdx.Core.Symbols;

namespace Kdx.Tests.Commands;

/// <summary>The kernel's symbols in crash's order, names and address search (symbols.c, x86_64.c).</summary>
public class CrashKernelSymbolsTests
{
    private const ulong Text = 0xffffffff81000000;

    private static CrashKernelSymbols Table(params (string Name, ulong Address, char Type)[] symbols) =>
        new(new SymbolTable([.. symbols.Select(s => s.Name)], [.. symbols.Select(s => s.Address)], new ulong[symbols.Length], [.. symbols.Select(s => s.Type)]), null);

    [Theory]
    [InlineData("foo.isra.0", "foo")]
    [InlineData("foo.part.3", "foo")]
    [InlineData("foo.llvm.123456", "foo")]
    [InlineData("foo.constprop.0", "foo.constprop.0")]
    [InlineData("foo.cold", "foo.cold")]
    [InlineData("foo.constprop.0.isra.0", "foo.constprop.0")]
    public void Gcc_clone_suffixes_are_cut_as_crash_cuts_them(string name, string expected) =>
        CrashKernelSymbols.StripCloneSuffix(name).ShouldBe(expected);

    [Fact]
    public void Symbols_sort_by_address_then_name_and_before_text_only_per_cpu_ones_stay()
    {
        var t = Table(
            ("sp_offset", 0, 'a'), ("fixed_percpu_data", 0, 'D'), ("__per_cpu_start", 0, 'D'), ("cpu_number", 0x1000, 'D'),
            ("per_cpu_helper", 0x1100, 'b'), ("local_bss", 0x1200, 'b'), ("__per_cpu_end", 0x2000, 'D'), ("phys_startup_64", 0x1000000, 'A'),
            ("_text", Text, 'T'), ("_stext", Text, 'T'), ("schedule.isra.0", Text + 0x100, 't'), ("jiffies", Text + 0x1000, 'D'));
        t.All.Select(s => s.Name).ShouldBe(["__per_cpu_start", "fixed_percpu_data", "cpu_number", "per_cpu_helper", "__per_cpu_end", "_stext", "_text", "schedule", "jiffies"]);
    }

    [Fact]
    public void Without_per_cpu_start_nothing_before_text_is_kept()
    {
        var t = Table(("runqueues", 0x2b6c0, 'D'), ("_text", Text, 'T'), ("jiffies", Text + 0x1000, 'D'));
        t.All.Select(s => s.Name).ShouldBe(["_text", "jiffies"]);
        t.Named("runqueues").ShouldBeEmpty();
        t.Named("jiffies").ShouldBe([1]);
    }

    [Fact]
    public void An_exact_address_finds_the_first_symbol_there_and_an_inner_one_the_last_below()
    {
        var t = Table(("_text", Text, 'T'), ("a_first", Text + 0x10, 't'), ("b_second", Text + 0x10, 't'), ("c", Text + 0x40, 't'));
        t.TrySearch(Text + 0x10, out int i, out ulong offset).ShouldBeTrue();
        (t[i].Name, offset).ShouldBe(("a_first", 0UL));
        t.TrySearch(Text + 0x18, out i, out offset).ShouldBeTrue();
        (t[i].Name, offset).ShouldBe(("b_second", 8UL));
        t.TrySearch(Text + 0x40, out i, out _).ShouldBeTrue();
        t[i].Name.ShouldBe("c");
        t.TrySearch(Text + 0x41, out _, out _).ShouldBeFalse("above the highest symbol");
        t.TrySearch(Text - 1, out _, out _).ShouldBeFalse("below the lowest symbol");
    }

    [Theory]
    [InlineData(".text.unlikely", "real")]
    [InlineData("SyS_read", "real")]
    [InlineData("compat_SyS_read", "real")]
    [InlineData("__entry_text_start", "real")]
    public void Markers_at_an_address_give_way_to_the_symbol_after_them(string marker, string expected)
    {
        // Names chosen so that the marker sorts first at the address.
        string real = marker.StartsWith('_') ? "__zreal" : "real";
        var t = Table(("_text", Text, 'T'), (marker, Text + 0x20, 't'), (real, Text + 0x20, 'T'));
        t.TrySearch(Text + 0x20, out int i, out _).ShouldBeTrue();
        t[i].Name.ShouldBe(real == "real" ? expected : real);
    }
}
