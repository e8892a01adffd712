using Kdx.Core;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Debug.Kallsyms;
using Kdx.Core.Dumps;
using Kdx.Core.Memory;
using Kdx.Core.Symbols;
using Kdx.Tests.Arch.X86_64;

namespace Kdx.Tests.Debug.Kallsyms;

public class KallsymsReaderTests
{
    private readonly FakeKernel _kernel = new();

    private ulong Tables => _kernel.Text + 0x1000000;

    private KallsymsBuilder Sample(KallsymsAddressMode mode, KallsymsTableOrder order)
    {
        var b = new KallsymsBuilder { Mode = mode, Order = order };
        ulong text = _kernel.Text;
        if (mode == KallsymsAddressMode.AbsolutePerCpu)
        {
            b.Add("fixed_percpu_data", 'A', 0, perCpu: true).Add("cpu_number", 'A', 0x1a000, perCpu: true).Add("runqueues", 'A', 0x2c000, perCpu: true);
        }

        b.Add("_text", 'T', text).Add("_stext", 'T', text).Add("startup_64", 'T', text)
            .Add("vmlab_timer_fn", 't', text + 0x1234).Add("schedule", 'T', text + 0x9f0e0)
            .Add("init_uts_ns", 'D', text + 0x19f9b60).Add("page_offset_base", 'D', text + 0x1c00000)
            .Add("jiffies", 'D', text + 0x1c10000).Add("_end", 'B', text + 0x1e00000);
        return b;
    }

    private (KallsymsLocations Locations, KernelVirtualMemory Memory) Write(KallsymsBuilder b)
    {
        var locations = b.Write(_kernel, Tables);
        _kernel.Dump.Info = KallsymsBuilder.VmcoreInfo(_kernel, locations, $"SYMBOL(_stext)={_kernel.Text:x}");
        return (locations, new KernelVirtualMemory(_kernel.Dump, X86_64LayoutDetector.Detect(_kernel.Dump)));
    }

    private KallsymsTable Read(KallsymsBuilder b, ParseLimits? limits = null)
    {
        var (locations, memory) = Write(b);
        return KallsymsReader.Read(memory, locations, _kernel.Dump.Info!.Symbol, (long)_kernel.KernelOffset, limits);
    }

    public static TheoryData<KallsymsAddressMode, bool> Encodings()
    {
        var data = new TheoryData<KallsymsAddressMode, bool>();
        foreach (var mode in Enum.GetValues<KallsymsAddressMode>())
        {
            data.Add(mode, false);
            data.Add(mode, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Every_address_encoding_and_table_order_reads_back(KallsymsAddressMode mode, bool linux612Order)
    {
        var b = Sample(mode, linux612Order ? KallsymsTableOrder.Linux612 : KallsymsTableOrder.Linux61);
        var table = Read(b);

        table.AddressMode.ShouldBe(mode);
        table.Symbols.Count.ShouldBe(b.Symbols.Count);
        table.Symbols.Select(s => (s.Name, s.Type, s.Address)).Order().ShouldBe(b.Symbols.Select(s => (s.Name, s.Type, s.Address)).Order());
        table.Symbols.TryGetAddress("vmlab_timer_fn", out ulong fn).ShouldBeTrue();
        fn.ShouldBe(_kernel.Text + 0x1234);
        table.Symbols.Relocation.ShouldBe((long)_kernel.KernelOffset);
        table.Symbols.Image.ShouldBe(new KernelImageRange(_kernel.Text, _kernel.Text + 0x1e00000));
    }

    [Fact]
    public void Sizes_run_to_the_next_address_and_stop_at_the_per_cpu_boundary()
    {
        var symbols = Read(Sample(KallsymsAddressMode.AbsolutePerCpu, KallsymsTableOrder.Linux61)).Symbols;
        ulong Size(string name) => symbols.TryGetSymbol(name, out var s) ? s.Size : throw new InvalidOperationException(name);

        Size("cpu_number").ShouldBe(0x12000UL);
        Size("runqueues").ShouldBe(0UL); // the last per-CPU offset: the next address is in the kernel
        Size("_stext").ShouldBe(0x1234UL); // three symbols at _text share the size
        Size("_text").ShouldBe(0x1234UL);
        Size("schedule").ShouldBe(0x19f9b60UL - 0x9f0e0);
        Size("_end").ShouldBe(0UL);
    }

    [Fact]
    public void A_name_of_128_tokens_or_more_has_a_two_byte_length()
    {
        var b = Sample(KallsymsAddressMode.Relative, KallsymsTableOrder.Linux612);
        string longName = new('q', 300);
        b.Add(longName, 'T', _kernel.Text + 0x1f00000);
        var table = Read(b);

        table.LongLengths.ShouldBeTrue();
        table.Symbols.TryGetAddress(longName, out ulong a).ShouldBeTrue();
        a.ShouldBe(_kernel.Text + 0x1f00000);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Kernels_before_6_1_took_a_length_byte_whole_and_the_markers_tell(bool wideMarkers)
    {
        var b = new KallsymsBuilder { Mode = KallsymsAddressMode.Relative, LongLengths = false, WideMarkers = wideMarkers };
        for (int i = 0; i < 300; i++)
        {
            // A name of 150 tokens early on: its length byte 0x96 has bit 7 set.
            b.Add(i == 3 ? new string('q', 149) : $"sym{i:d4}", 't', _kernel.Text + (ulong)(i * 16));
        }

        var table = Read(b);
        table.LongLengths.ShouldBeFalse();
        table.Symbols.Count.ShouldBe(300);
        table.Symbols.TryGetAddress("sym0299", out ulong last).ShouldBeTrue();
        last.ShouldBe(_kernel.Text + (299 * 16));
        table.Symbols.TryGetAddress(new string('q', 149), out _).ShouldBeTrue();
    }

    [Fact]
    public void Anchors_that_disagree_with_every_encoding_are_an_error()
    {
        var b = Sample(KallsymsAddressMode.AbsolutePerCpu, KallsymsTableOrder.Linux61);
        var (locations, memory) = Write(b);
        var e = Should.Throw<KdxException>(() => KallsymsReader.Read(memory, locations, name => name == "_stext" ? _kernel.Text + 0x1000 : null));
        e.Message.ShouldContain("fit no known encoding");
        e.Message.ShouldContain("VMCOREINFO says");
    }

    [Fact]
    public void Without_anchors_the_encoding_is_decided_by_sorted_addresses()
    {
        var (locations, memory) = Write(Sample(KallsymsAddressMode.AbsolutePerCpu, KallsymsTableOrder.Linux612));
        KallsymsReader.Read(memory, locations).AddressMode.ShouldBe(KallsymsAddressMode.AbsolutePerCpu);

        var (relLocations, relMemory) = Write(Sample(KallsymsAddressMode.Relative, KallsymsTableOrder.Linux612));
        KallsymsReader.Read(relMemory, relLocations).AddressMode.ShouldBe(KallsymsAddressMode.Relative);
    }

    [Fact]
    public void Without_a_relative_base_or_an_anchor_the_offsets_cannot_be_placed()
    {
        var (locations, memory) = Write(Sample(KallsymsAddressMode.RelativeToAnchor, KallsymsTableOrder.Linux61));
        Should.Throw<KdxException>(() => KallsymsReader.Read(memory, locations)).Message.ShouldContain("no kallsyms_relative_base and no anchor symbol");
    }

    [Fact]
    public void Unsorted_addresses_fit_no_encoding()
    {
        var b = Sample(KallsymsAddressMode.Relative, KallsymsTableOrder.Linux61);
        b.Symbols.Reverse();
        Should.Throw<KdxException>(() => Read(b)).Message.ShouldContain("not sorted");
    }

    [Fact]
    public void Counts_out_of_range()
    {
        var b = Sample(KallsymsAddressMode.Relative, KallsymsTableOrder.Linux61);
        Should.Throw<KdxException>(() => Read(b, new ParseLimits { MaxSymbols = 4 })).Message.ShouldContain("kallsyms_num_syms");
        b.Symbols.Clear();
        b.Add("x", 'T', _kernel.Text);
        var (locations, memory) = Write(b);
        _kernel.Dump.Write(_kernel.ToPhysical(locations.NumSyms), new byte[4]);
        Should.Throw<KdxException>(() => KallsymsReader.Read(memory, locations)).Message.ShouldContain("is 0: not a symbol count");
    }

    [Fact]
    public void Malformed_names()
    {
        var zero = Sample(KallsymsAddressMode.Relative, KallsymsTableOrder.Linux61);
        zero.NamePatches.Add((0, 0));
        Should.Throw<KdxException>(() => Read(zero)).Message.ShouldContain("symbol 0 at offset 0 has length 0");

        var noLetter = Sample(KallsymsAddressMode.Relative, KallsymsTableOrder.Linux61);
        noLetter.NamePatches.Add((1, (byte)'1'));
        Should.Throw<KdxException>(() => Read(noLetter)).Message.ShouldContain("no type letter");
    }

    [Fact]
    public void A_token_without_its_NUL_is_an_error()
    {
        var b = Sample(KallsymsAddressMode.Relative, KallsymsTableOrder.Linux61);
        var tail = Enumerable.Repeat((byte)'x', 3000).ToArray();
        b.AfterTokenTable = tail;
        b.TokenIndexPatch = (255, 1200); // into the run of x's
        Should.Throw<KdxException>(() => Read(b)).Message.ShouldContain("token 255 at offset 1200 has no NUL");
    }

    [Fact]
    public void Names_that_cannot_be_read_are_a_memory_fault()
    {
        var b = Sample(KallsymsAddressMode.Relative, KallsymsTableOrder.Linux612);
        for (int i = 0; i < 2000; i++)
        {
            b.Add($"filler_{i:d4}", 't', _kernel.Text + 0x1f00000 + (ulong)i);
        }

        var (locations, memory) = Write(b);
        _kernel.Dump.Remove(_kernel.ToPhysical(locations.Names + 0x1000));
        var e = Should.Throw<MemoryFaultException>(() => KallsymsReader.Read(memory, locations));
        e.Message.ShouldContain("kallsyms_names");
        e.Reason.ShouldBe(ReadStatus.NotInDump);
    }
}
