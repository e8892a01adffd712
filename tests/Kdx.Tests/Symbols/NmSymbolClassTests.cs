using Kdx.Core.Elf;
using Kdx.Core.Symbols;

namespace Kdx.Tests.Symbols;

public class NmSymbolClassTests
{
    // Sections of a typical vmlinux, plus odd ones for the rarer letters.
    private static readonly IReadOnlyList<ElfSection> Sections =
    [
        Sec(0, "", 0, 0),
        Sec(1, ".text", 1, 0x6),               // AX        t
        Sec(2, ".rodata", 1, 0x3),             // WA        d (vmlinux's .rodata is writable)
        Sec(3, "__ksymtab", 1, 0x2),           // A         r
        Sec(4, ".data", 1, 0x3),               // WA        d
        Sec(5, ".bss", 8, 0x3),                // NOBITS WA b
        Sec(6, ".debug_info", 1, 0),           // debugging N
        Sec(7, ".comment", 1, 0x30),           // read-only, not loaded: n
        Sec(8, ".writable_note", 1, 0x1),      // writable, not loaded: ?
        Sec(9, ".data..percpu", 1, 0x3),       // WA        d
    ];

    [Theory]
    [InlineData(ElfSymbolBinding.Global, ElfSymbolType.Func, 1, 'T')]
    [InlineData(ElfSymbolBinding.Local, ElfSymbolType.Func, 1, 't')]
    [InlineData(ElfSymbolBinding.Global, ElfSymbolType.Object, 2, 'D')]
    [InlineData(ElfSymbolBinding.Local, ElfSymbolType.Object, 3, 'r')]
    [InlineData(ElfSymbolBinding.Global, ElfSymbolType.Object, 3, 'R')]
    [InlineData(ElfSymbolBinding.Local, ElfSymbolType.NoType, 4, 'd')]
    [InlineData(ElfSymbolBinding.Global, ElfSymbolType.Object, 5, 'B')]
    [InlineData(ElfSymbolBinding.Local, ElfSymbolType.Object, 5, 'b')]
    [InlineData(ElfSymbolBinding.Local, ElfSymbolType.NoType, 6, 'N')]
    [InlineData(ElfSymbolBinding.Local, ElfSymbolType.NoType, 7, 'n')]
    [InlineData(ElfSymbolBinding.Local, ElfSymbolType.NoType, 8, '?')]
    [InlineData(ElfSymbolBinding.Global, ElfSymbolType.Object, 9, 'D')]
    [InlineData(ElfSymbolBinding.Global, ElfSymbolType.NoType, 0xfff1, 'A')]
    [InlineData(ElfSymbolBinding.Local, ElfSymbolType.NoType, 0xfff1, 'a')]
    [InlineData(ElfSymbolBinding.Global, ElfSymbolType.NoType, 0xff05, 'A')]
    [InlineData(ElfSymbolBinding.Global, ElfSymbolType.NoType, 50, 'A')]
    [InlineData(ElfSymbolBinding.Global, ElfSymbolType.Object, 0xfff2, 'C')]
    [InlineData(ElfSymbolBinding.Global, ElfSymbolType.Func, 0, 'U')]
    [InlineData(ElfSymbolBinding.Weak, ElfSymbolType.Func, 0, 'w')]
    [InlineData(ElfSymbolBinding.Weak, ElfSymbolType.Object, 0, 'v')]
    [InlineData(ElfSymbolBinding.Weak, ElfSymbolType.Common, 0, 'v')]
    [InlineData(ElfSymbolBinding.Weak, ElfSymbolType.Func, 1, 'W')]
    [InlineData(ElfSymbolBinding.Weak, ElfSymbolType.Object, 4, 'V')]
    [InlineData(ElfSymbolBinding.Global, ElfSymbolType.GnuIfunc, 1, 'i')]
    [InlineData(ElfSymbolBinding.GnuUnique, ElfSymbolType.Object, 4, 'u')]
    [InlineData((ElfSymbolBinding)13, ElfSymbolType.Object, 4, '?')]
    public void Letters_follow_binutils(ElfSymbolBinding binding, ElfSymbolType type, uint section, char letter)
    {
        var s = new ElfSymbol(1, "x", 0x1000, 8, type, binding, 0, section);
        NmSymbolClass.Of(s, Sections).ShouldBe(letter);
    }

    [Theory]
    [InlineData(0, ElfSymbolType.Func, false)]
    [InlineData(1, ElfSymbolType.Section, false)]
    [InlineData(1, ElfSymbolType.File, false)]
    [InlineData(1, ElfSymbolType.Func, true)]
    [InlineData(1, ElfSymbolType.NoType, true)]
    public void Nm_lists_neither_entry_0_nor_section_and_file_symbols(int index, ElfSymbolType type, bool listed) =>
        NmSymbolClass.IsListed(new ElfSymbol(index, "x", 0, 0, type, ElfSymbolBinding.Local, 0, 1)).ShouldBe(listed);

    [Theory]
    [InlineData(".debug_line", true)]
    [InlineData(".zdebug_info", true)]
    [InlineData(".gnu.linkonce.wi.x", true)]
    [InlineData(".gnu.debuglto_.debug_info", true)]
    [InlineData(".line", true)]
    [InlineData(".stab", true)]
    [InlineData(".comment", false)]
    public void Debugging_sections_are_known_by_name(string name, bool debugging) =>
        NmSymbolClass.OfSection(Sec(1, name, 1, 0)).ShouldBe(debugging ? 'N' : 'n');

    private static ElfSection Sec(int index, string name, uint type, ulong flags) =>
        new(index, name, 0, type, flags, 0, 0, 0, 0, 0, 0, 0);
}
