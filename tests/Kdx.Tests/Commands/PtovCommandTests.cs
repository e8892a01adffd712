namespace Kdx.Tests.Commands;

public sealed class PtovCommandTests : IDisposable
{
    private readonly FakeProgram _p = new();

    public void Dispose() => _p.Dispose();

    [Fact]
    public void Physical_addresses_map_into_the_direct_map()
    {
        ulong b = _p.Kernel.PageOffsetBase;
        _p.Run("ptov 1000 0x27eb258").ShouldBe(
            $"VIRTUAL           PHYSICAL        \n{b + 0x1000:x}  1000            \n\n" +
            $"VIRTUAL           PHYSICAL        \n{b + 0x27eb258:x}  27eb258         \n");
        _p.Run("ptov (0x1000 + 16)").ShouldContain($"{b + 0x1010:x}  1010 ");
    }

    [Fact]
    public void A_per_cpu_offset_maps_to_each_listed_cpu()
    {
        ulong cpu0 = _p.Kernel.PageOffsetBase + 0x7a00000, cpu1 = _p.Kernel.PageOffsetBase + 0x7a40000;
        const ulong Offset = FakeProgram.Runqueues;
        string all = $"PER-CPU OFFSET: {Offset:x}\n  CPU    VIRTUAL         \n  [0]  {cpu0 + Offset:x}\n  [1]  {cpu1 + Offset:x}\n";
        _p.Run($"ptov {Offset:x}:a").ShouldBe(all);
        _p.Run($"ptov {Offset:x}:all").ShouldBe(all);
        _p.Run($"ptov {Offset:x}:0-1").ShouldBe(all);
        _p.Run($"ptov {Offset:x}:1,0,1").ShouldBe(all);
        _p.Run($"ptov {Offset:x}:1").ShouldBe($"PER-CPU OFFSET: {Offset:x}\n  CPU    VIRTUAL         \n  [1]  {cpu1 + Offset:x}\n");
        _p.Run($"ptov 1000 {Offset:x}:1").ShouldContain("1000            \n\nPER-CPU OFFSET");
    }

    [Fact]
    public void Bad_cpu_lists_and_unknown_current_cpus_are_errors()
    {
        _p.Run("ptov 10:2").ShouldBe("ptov: invalid cpu specification: 2\n");
        _p.Run("ptov 10:1-0").ShouldBe("ptov: invalid cpu specification: 1-0\n");
        _p.Run("ptov 10:x").ShouldBe("ptov: invalid cpu specification: x\n");
        _p.Run("ptov 10:").ShouldStartWith("ptov: the current CPU is not known");
    }

    [Fact]
    public void Without_per_cpu_offsets_the_offset_form_is_refused()
    {
        using var p = new FakeProgram(withSymbols: false);
        p.Run("ptov 10:a").ShouldStartWith("ptov: per-CPU offsets are unknown");
    }

    [Fact]
    public void Bad_numbers_and_missing_arguments_are_errors()
    {
        _p.Run("ptov").ShouldStartWith("ptov: missing address");
        _p.Run("ptov xyz").ShouldBe("ptov: invalid input: \"xyz\"\n");
        _p.Run("ptov -x 10").ShouldBe("ptov: invalid option -- 'x'\n");
    }
}
