using Kdx.Core;
using Kdx.Core.Linux.Modules;
using Kdx.Core.Symbols;
using Kdx.Core.Types;
using Kdx.Tests.Commands;
using Kdx.Tests.Elf;

namespace Kdx.Tests.Model;

/// <summary>A module object file placed at the sections the kernel gave it, and the program-side pieces around it.</summary>
public sealed class ModuleDebugInfoTests : IDisposable
{
    private const ulong Text = 0xffffffffc0001000;
    private const ulong Data = 0xffffffffc0003000;
    private readonly string _dir = Directory.CreateTempSubdirectory("kdx-ko-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Sections: [1] .text [2] .data [3] .init.text [4] .symtab [5] .strtab
    private string Ko(ushort type = 1)
    {
        var w = new ElfWriter { Type = type };
        w.AddSection(".text", 1, new byte[0x100], flags: 6);
        w.AddSection(".data", 1, new byte[0x40], flags: 3);
        w.AddSection(".init.text", 1, new byte[0x10], flags: 6);
        var strtab = "\0vmlab_timer_fn\0vmlab_items\0vmlab_init\0"u8.ToArray();
        w.AddSection(".symtab", 2, ElfWriter.Symbols((1, 0x12, 1, 0x60, 0x1d), (16, 0x01, 2, 0x20, 16), (28, 0x02, 3, 0, 8)), link: 5, entsize: 24);
        w.AddSection(".strtab", 3, strtab);
        string path = Path.Combine(_dir, $"vmlab-{type}.ko");
        File.WriteAllBytes(path, w.Build());
        return path;
    }

    private static KernelModule Module() => new("vmlab", 0xffffffffc0003100, [new ModuleRegion("text", Text, 0x1000)], Text, new SymbolTable([], [], [], []), null);

    [Fact]
    public void Symbols_move_to_their_sections_and_code_is_known_by_section()
    {
        using var info = ModuleDebugInfo.Open(Module(), Ko(), new Dictionary<string, ulong> { [".text"] = Text, [".data"] = Data });
        info.Dwarf.ShouldBeNull("the file has no DWARF");
        info.Symbols.Select(s => (s.Name, s.Address, s.Type)).ShouldBe([("vmlab_timer_fn", Text + 0x60, 'T'), ("vmlab_items", Data + 0x20, 'd')],
            "vmlab_init is in .init.text, which the kernel freed");
        info.IsCode(Text + 0x60).ShouldBeTrue();
        info.IsCode(Text + 0x100).ShouldBeFalse();
        info.IsCode(Data).ShouldBeFalse();
        info.SectionAddresses[".data"].ShouldBe(Data);
    }

    [Fact]
    public void Only_relocatable_objects_are_modules()
    {
        string exec = Ko(type: 2);
        Should.Throw<KdxException>(() => ModuleDebugInfo.Open(Module(), exec, new Dictionary<string, ulong>()))
            .Message.ShouldBe($"{exec}: not a kernel module object file (ELF type 2, not ET_REL)");
    }

    [Fact]
    public void Type_sources_can_be_put_in_place_and_taken_out()
    {
        var a = new BtfOnlySource("a");
        var b = new BtfOnlySource("b");
        var c = new BtfOnlySource("c");
        var types = new TypeCollection([a, b]);
        types.Insert(1, c);
        types.Sources.ShouldBe([a, c, b]);
        types.Insert(99, c);
        types.Sources[^1].ShouldBeSameAs(c);
        types.Remove(c).ShouldBeTrue();
        types.Remove(new BtfOnlySource("d")).ShouldBeFalse();
        types.Sources.ShouldBe([a, b, c]);
    }

    [Fact]
    public void A_program_keeps_derived_values_and_finds_no_line_without_DWARF()
    {
        using var f = new SymModFixture();
        int made = 0;
        var first = f.Program.Derived(_ => new object[] { made++ });
        f.Program.Derived(_ => new object[] { made++ }).ShouldBeSameAs(first);
        made.ShouldBe(1);

        f.Program.TryFindLine(f.Jiffies, out _).ShouldBeFalse("no vmlinux");
        f.Program.TryFindLine(SymModFixture.VmlabText + 0x60, out _).ShouldBeFalse("no object file loaded for vmlab");
        f.Program.UnloadModuleDebugInfo(f.Program.Modules[0]).ShouldBeFalse();
        f.Program.LoadedModuleDebugInfo.ShouldBeEmpty();
    }

    private sealed class BtfOnlySource(string name) : ITypeSource
    {
        public string Description => name;

        public KType? FindType(string typeName, TypeKind? kind = null) => null;

        public QualifiedType? FindVariableType(string variable) => null;

        public KType? FindFunctionType(string function) => null;

        public IEnumerable<string> TypeNames(TypeKind kind) => [];
    }
}
