using Kdx.Core.Dumps;

namespace Kdx.Tests.Dumps;

public class VmcoreInfoTests
{
    // Lines as crash_save_vmcoreinfo() writes them on a KASLR x86_64 kernel with a negative phys_base.
    private const string Sample = """
        OSRELEASE=6.1.0-56-cloud-amd64
        BUILD-ID=0123456789abcdef
        PAGESIZE=4096
        SYMBOL(init_uts_ns)=ffffffffb2a13e00
        SYMBOL(init_top_pgt)=ffffffffb300a000
        SIZE(page)=64
        OFFSET(page.flags)=0
        LENGTH(mem_section)=2048
        NUMBER(phys_base)=-178257920
        NUMBER(pgtable_l5_enabled)=0
        KERNELOFFSET=30000000
        CRASHTIME=1763995200

        """;

    [Fact]
    public void Parses_every_kind_of_entry()
    {
        var v = VmcoreInfo.Parse(Sample);
        v.OsRelease.ShouldBe("6.1.0-56-cloud-amd64");
        v.BuildId.ShouldBe("0123456789abcdef");
        v.PageSize.ShouldBe(4096);
        v.Symbol("init_top_pgt").ShouldBe(0xffffffffb300a000UL);
        v.Size("page").ShouldBe(64);
        v.Offset("page.flags").ShouldBe(0);
        v.Length("mem_section").ShouldBe(2048);
        v.Number("phys_base").ShouldBe(-178257920);
        v.Number("pgtable_l5_enabled").ShouldBe(0);
        v.KernelOffset.ShouldBe(0x30000000UL);
        v.CrashTime.ShouldBe(DateTimeOffset.FromUnixTimeSeconds(1763995200));
    }

    [Fact]
    public void Missing_keys_are_null()
    {
        var v = VmcoreInfo.Parse(Sample);
        v.Symbol("no_such_symbol").ShouldBeNull();
        v.Number("nope").ShouldBeNull();
        v.Get("OSRELEASEX").ShouldBeNull();
    }

    [Fact]
    public void Later_lines_win_and_a_nul_ends_the_text()
    {
        var v = VmcoreInfo.Parse("CRASHTIME=1\nCRASHTIME=2\n\0CRASHTIME=3\n");
        v.Long("CRASHTIME").ShouldBe(2);
    }

    [Theory]
    [InlineData("PAGESIZE=")]
    [InlineData("PAGESIZE=abc")]
    [InlineData("PAGESIZE=99999999999999999999999")]
    public void Malformed_numbers_are_null_not_errors(string text)
    {
        VmcoreInfo.Parse(text).PageSize.ShouldBeNull();
    }

    [Fact]
    public void Lines_without_equals_are_ignored()
    {
        var v = VmcoreInfo.Parse("garbage\n=novalue\nA=1\r\n");
        v.Keys.ShouldBe(["A"]);
        v.Long("A").ShouldBe(1);
    }

    [Theory]
    [InlineData("CRASHTIME=17631763995200")]
    [InlineData("CRASHTIME=-99999999999999")]
    public void A_crash_time_outside_the_calendar_is_null(string text)
    {
        VmcoreInfo.Parse(text).CrashTime.ShouldBeNull();
    }
}
