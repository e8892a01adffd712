using Kdx.Core.Types;
using Kdx.Fuzz.Dwarf;

namespace Kdx.Tests.Debug.Dwarf;

public class DwarfLineTests
{
    public static TheoryData<int, bool> Encodings => DwarfTestKernel.Encodings;

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Addresses_map_to_the_last_row_at_or_before_them(int version, bool dwarf64)
    {
        var w = new DwarfWriter(version, dwarf64);
        DwarfTestKernel.AddTypes(w);
        using var src = DwarfTestKernel.Source(w);
        const string TestC = "/build/linux/kernel/test.c";
        const string TypesH = "/build/linux/include/linux/types.h";
        SourceLocation? At(ulong a) => src.TryFindLine(a, out var l) ? l : null;

        At(0xffffffff81000100).ShouldBe(new SourceLocation(TestC, 50));
        At(0xffffffff81000107).ShouldBe(new SourceLocation(TestC, 50));
        At(0xffffffff81000108).ShouldBe(new SourceLocation(TypesH, 7));
        At(0xffffffff81000110).ShouldBe(new SourceLocation(TestC, 52));

        // Two rows at 0x...120, the second not a statement: gdb (and so crash) takes the statement row.
        At(0xffffffff81000120).ShouldBe(new SourceLocation(TestC, 53));
        At(0xffffffff8100013f).ShouldBe(new SourceLocation(TestC, 53));

        // The end of the sequence and addresses outside every unit have no line.
        At(0xffffffff81000140).ShouldBeNull();
        At(0xffffffff810000ff).ShouldBeNull();
        At(0).ShouldBeNull();
    }

    [Theory]
    [InlineData(4, false, false)]
    [InlineData(5, false, false)]
    [InlineData(5, true, false)]
    [InlineData(5, false, true)]
    [InlineData(5, true, true)]
    public void Units_missing_from_aranges_are_found_by_their_own_ranges(int version, bool byIndex, bool dwarf64)
    {
        var w = new DwarfWriter(version, dwarf64);
        var u = w.Unit("init.c", "/src");
        u.InAranges = false;
        u.RangesByIndex = byIndex;
        u.Ranges.Add((0x2000, 0x2010));
        u.Ranges.Add((0x9000, 0x9020));
        var lines = new LineProgramWriter { UseLineStrp = false, WithMd5 = version >= 5 };
        lines.Directories.Add("/src");
        lines.Files.Add(("init.c", 0));
        lines.Files.Add(("init.c", 0));
        lines.Start(0x2000).Row(0x2000, 1, 10).Row(0x2008, 1, 11).End(0x2010);
        lines.Start(0x9000).Row(0x9000, 1, 900).End(0x9020);
        u.Lines = lines;
        var other = w.Unit("other.c", "/src");
        other.Ranges.Add((0x5000, 0x5010));
        using var src = DwarfTestKernel.Source(w);

        src.TryFindLine(0x2009, out var l).ShouldBeTrue();
        l.ShouldBe(new SourceLocation("/src/init.c", 11));
        src.TryFindLine(0x901f, out l).ShouldBeTrue();
        l.Line.ShouldBe(900);
        src.TryFindLine(0x2010, out _).ShouldBeFalse();
        src.TryFindLine(0x5000, out _).ShouldBeFalse(); // in a unit, but the unit has no line program
    }

    [Fact]
    public void File_names_join_relative_parts_with_the_compilation_directory()
    {
        Kdx.Core.Debug.Dwarf.LineProgramHeader.Join("debian/build", "debian/build", "kernel/sched/core.c").ShouldBe("debian/build/kernel/sched/core.c");
        Kdx.Core.Debug.Dwarf.LineProgramHeader.Join("debian/build", "./arch/x86/include/asm", "current.h").ShouldBe("debian/build/./arch/x86/include/asm/current.h");
        Kdx.Core.Debug.Dwarf.LineProgramHeader.Join("/build", "/usr/include", "stdio.h").ShouldBe("/usr/include/stdio.h");
        Kdx.Core.Debug.Dwarf.LineProgramHeader.Join("/build", "include", "/abs/x.h").ShouldBe("/abs/x.h");
        Kdx.Core.Debug.Dwarf.LineProgramHeader.Join("", "", "x.c").ShouldBe("x.c");
        Kdx.Core.Debug.Dwarf.LineProgramHeader.Join("/b", "dir/", "x.c").ShouldBe("/b/dir/x.c");
    }
}
