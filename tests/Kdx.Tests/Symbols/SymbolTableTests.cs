using CsCheck;
using Kdx.Core.Symbols;

namespace Kdx.Tests.Symbols;

public class SymbolTableTests
{
    private static readonly KernelImageRange Image = new(0xffffffff81000000, 0xffffffff83000000);

    // A small kernel: per-CPU symbols at 0.., absolute numbers, text, data, and _end at the image end.
    private static SymbolTable Kernel() => new(
        ["__per_cpu_start", "runqueues", "kexec_control_code_size", "_text", "startup_64", "_stext", "local_fn", "schedule", "jiffies", "init_per_cpu__gdt_page", "dup", "dup", "dup", "_end"],
        [0x0UL, 0x1f000, 0x1ea, 0xffffffff81000000, 0xffffffff81000000, 0xffffffff81000000, 0xffffffff81000100, 0xffffffff81001000, 0xffffffff82000000, 0xffffffff82100000, 0xffffffff81002000, 0xffffffff81003000, 0xffffffff81004000, 0xffffffff83000000],
        [0UL, 0x1000, 0, 0, 0x40, 0, 0x20, 0x200, 8, 0, 0, 0, 0, 0],
        ['D', 'D', 'A', 'T', 'T', 'T', 't', 'T', 'D', 'A', 't', 'W', 't', 'B'],
        Image);

    [Fact]
    public void Symbols_are_kept_in_address_order()
    {
        var t = Kernel();
        t.Count.ShouldBe(14);
        t.Select(s => s.Address).ShouldBeInOrder();
        t[0].Name.ShouldBe("__per_cpu_start");
        t.Image.ShouldBe(Image);
        t.Relocation.ShouldBe(0);
    }

    [Fact]
    public void An_address_resolves_to_the_symbol_below_it_with_an_offset()
    {
        var t = Kernel();
        t.TryLookup(0xffffffff81001010, out var hit).ShouldBeTrue();
        hit.Symbol.Name.ShouldBe("schedule");
        hit.Offset.ShouldBe(0x10UL);
        hit.Index.ShouldBe(t.ToList().FindIndex(s => s.Name == "schedule"));
        hit.Symbol.IsGlobal.ShouldBeTrue();
        t.TryLookup(0xffffffff81000100, out hit).ShouldBeTrue();
        hit.Symbol.Name.ShouldBe("local_fn");
        hit.Offset.ShouldBe(0UL);
        hit.Symbol.IsGlobal.ShouldBeFalse();
    }

    [Fact]
    public void At_one_address_the_first_global_symbol_in_table_order_wins()
    {
        var t = Kernel();
        t.TryLookup(0xffffffff81000008, out var hit).ShouldBeTrue();
        hit.Symbol.Name.ShouldBe("_text");
        t.SymbolsAt(0xffffffff81000000).Select(s => s.Name).ShouldBe(["_text", "startup_64", "_stext"]);
        t.SymbolsAt(0xffffffff81000001).ShouldBeEmpty();
    }

    [Fact]
    public void Sorted_input_with_a_local_before_a_global_at_one_address_is_reordered()
    {
        var t = new SymbolTable(["loc", "glob", "abs", "later"], [0x10UL, 0x10, 0x10, 0x20], [0UL, 0, 0, 0], ['t', 'T', 'A', 'T']);
        t.SymbolsAt(0x10).Select(s => s.Name).ShouldBe(["glob", "loc", "abs"]);
        var already = new SymbolTable(["glob", "weak", "loc", "abs"], [0x10UL, 0x10, 0x10, 0x10], [0UL, 0, 0, 0], ['T', 'W', 't', 'A']);
        already.SymbolsAt(0x10).Select(s => s.Name).ShouldBe(["glob", "weak", "loc", "abs"]);
    }

    [Fact]
    public void Absolute_symbols_are_never_an_address_match()
    {
        var t = Kernel();
        t.TryLookup(0x1f0, out var hit).ShouldBeTrue();
        hit.Symbol.Name.ShouldBe("__per_cpu_start");
        hit.Offset.ShouldBe(0x1f0UL);
        t.TryLookup(0xffffffff82100008, out hit).ShouldBeTrue();
        hit.Symbol.Name.ShouldBe("jiffies");
        t.TryGetSymbol("kexec_control_code_size", out var k).ShouldBeTrue();
        k.IsAbsolute.ShouldBeTrue();
    }

    [Fact]
    public void Nothing_matches_below_the_first_symbol_or_beyond_the_last()
    {
        var t = new SymbolTable(["a", "b"], [0x1000UL, 0x2000], [0UL, 0x10], ['T', 'T']);
        t.TryLookup(0xfff, out _).ShouldBeFalse();
        t.TryLookup(0x200f, out var hit).ShouldBeTrue();
        hit.Symbol.Name.ShouldBe("b");
        t.TryLookup(0x2010, out _).ShouldBeFalse();
        t.TryLookup(0x1fff, out hit).ShouldBeTrue();
        hit.Offset.ShouldBe(0xfffUL);

        var sizeless = new SymbolTable(["_end"], [0x3000UL], [0UL], ['B']);
        sizeless.TryLookup(0x3000, out _).ShouldBeTrue();
        sizeless.TryLookup(0x3001, out _).ShouldBeFalse();
        new SymbolTable(["n"], [0x10UL], [0UL], ['A']).TryLookup(0x10, out _).ShouldBeFalse();
        new SymbolTable([], [], [], []).TryLookup(0, out _).ShouldBeFalse();
    }

    [Fact]
    public void Names_resolve_to_global_before_weak_before_local()
    {
        var t = Kernel();
        t.TryGetAddress("schedule", out ulong a).ShouldBeTrue();
        a.ShouldBe(0xffffffff81001000);
        t.TryGetSymbol("dup", out var dup).ShouldBeTrue();
        dup.Type.ShouldBe('W');
        dup.Address.ShouldBe(0xffffffff81003000);
        t.GetSymbols("dup").Select(s => s.Address).ShouldBe([0xffffffff81002000, 0xffffffff81003000, 0xffffffff81004000]);
        t.GetSymbols("jiffies").ShouldHaveSingleItem().Size.ShouldBe(8UL);
        t.GetSymbols("nope").ShouldBeEmpty();
        t.TryGetSymbol("nope", out _).ShouldBeFalse();
        t.TryGetAddress("nope", out _).ShouldBeFalse();

        var locals = new SymbolTable(["x", "x"], [0x20UL, 0x10], [0UL, 0], ['t', 't']);
        locals.TryGetAddress("x", out a).ShouldBeTrue();
        a.ShouldBe(0x10UL);
        var global = new SymbolTable(["x", "x"], [0x10UL, 0x20], [0UL, 0], ['t', 'T']);
        global.TryGetAddress("x", out a).ShouldBeTrue();
        a.ShouldBe(0x20UL);
    }

    [Fact]
    public void Relocation_moves_the_image_and_nothing_else()
    {
        const long offset = 0x29000000;
        var t = Kernel().Relocate(offset);
        t.Relocation.ShouldBe(offset);
        t.Image.ShouldBe(new KernelImageRange(0xffffffffaa000000, 0xffffffffac000000));
        Address(t, "_text").ShouldBe(0xffffffffaa000000);
        Address(t, "_end").ShouldBe(0xffffffffac000000);
        Address(t, "schedule").ShouldBe(0xffffffffaa001000);
        Address(t, "init_per_cpu__gdt_page").ShouldBe(0xffffffffab100000); // absolute, but inside the image: moves (as in crash)
        Address(t, "runqueues").ShouldBe(0x1f000UL);
        Address(t, "kexec_control_code_size").ShouldBe(0x1eaUL);
        t.TryLookup(0xffffffffaa001004, out var hit).ShouldBeTrue();
        hit.Symbol.Name.ShouldBe("schedule");

        var back = t.Relocate(-offset);
        back.Relocation.ShouldBe(0);
        Address(back, "schedule").ShouldBe(0xffffffff81001000);
        t.Relocate(0).ShouldBeSameAs(t);
    }

    [Fact]
    public void Without_an_image_range_every_symbol_but_absolute_ones_moves()
    {
        var t = new SymbolTable(["a", "n"], [0x1000UL, 0x5], [0UL, 0], ['T', 'A']).Relocate(0x100);
        t.Image.ShouldBeNull();
        Address(t, "a").ShouldBe(0x1100UL);
        Address(t, "n").ShouldBe(0x5UL);
    }

    [Fact]
    public void Arrays_of_different_lengths_are_refused() =>
        Should.Throw<ArgumentException>(() => new SymbolTable(["a"], [1UL, 2], [0UL], ['T']));

    [Fact]
    public void Image_range_includes_both_ends()
    {
        Image.Contains(0xffffffff81000000).ShouldBeTrue();
        Image.Contains(0xffffffff83000000).ShouldBeTrue();
        Image.Contains(0xffffffff80ffffff).ShouldBeFalse();
        Image.Contains(0xffffffff83000001).ShouldBeFalse();
    }

    [Fact]
    public void Lookup_agrees_with_a_linear_search()
    {
        var gen = Gen.Select(Gen.ULong[0, 4000].Array[0, 40], Gen.ULong[0, 4100].Array[1, 20]);
        gen.Sample((addresses, probes) =>
        {
            var names = addresses.Select((_, i) => $"s{i}").ToArray();
            var t = new SymbolTable(names, addresses, new ulong[addresses.Length], addresses.Select(_ => 'T').ToArray());
            ulong max = addresses.Length == 0 ? 0 : addresses.Max();
            foreach (ulong p in probes)
            {
                var below = addresses.Select((a, i) => (a, i)).Where(x => x.a <= p).ToList();
                bool expected = below.Count > 0 && (below.Max(x => x.a) < max || p == max);
                t.TryLookup(p, out var hit).ShouldBe(expected);
                if (expected)
                {
                    ulong best = below.Max(x => x.a);
                    hit.Symbol.Address.ShouldBe(best);
                    hit.Offset.ShouldBe(p - best);
                    hit.Symbol.Name.ShouldBe($"s{below.First(x => x.a == best).i}");
                }
            }
        });
    }

    private static ulong Address(SymbolTable t, string name) => t.TryGetAddress(name, out ulong a) ? a : throw new ShouldAssertException($"no {name}");
}
