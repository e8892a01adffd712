namespace Kdx.Tests.Commands;

/// <summary>mod: crash's module list and the errors of loading object files.</summary>
public sealed class ModCommandTests : IDisposable
{
    private const string Usage = "Usage:\n  mod -s module [objfile] | -d module | -S [directory] [-D|-t|-r|-R|-o|-g]\nEnter \"help mod\" for details.\n";
    private readonly SymModFixture _f = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("kdx-mod-").FullName;

    public void Dispose()
    {
        _f.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private const string Header = "     MODULE     " + "  " + "NAME      " + "  " + "      BASE      " + "  " + " SIZE" + "  OBJECT FILE\n";

    private string VmlabRow => $"{_f.Vmlab:x16}  vmlab       {SymModFixture.VmlabText:x}  16384  (not loaded)  [CONFIG_KALLSYMS]\n";

    private string VirtioRow => $"{_f.Virtio:x16}  virtio_blk  {SymModFixture.VirtioText:x}  16384  (not loaded)  [CONFIG_KALLSYMS]\n";

    [Fact]
    public void The_list_has_crashs_columns_widened_to_the_longest_name_and_size()
    {
        _f.Run("mod").ShouldBe(Header + VmlabRow + VirtioRow);
        _f.Run("mod -R").ShouldBe(Header + VmlabRow + VirtioRow);
        _f.Run("mod -o").ShouldBeEmpty();
    }

    [Fact]
    public void A_kernel_without_modules_says_so()
    {
        using var plain = new FakeProgram();
        plain.Run("mod").ShouldBe("no modules installed\n");
    }

    [Fact]
    public void Loading_needs_a_module_and_an_elf_file()
    {
        _f.Run("mod -s nosuch").ShouldBe(Usage);
        _f.Run("mod -s vmlab a b").ShouldBe(Usage);
        _f.Run($"mod -s vmlab {_dir}").ShouldBe($"mod: vmlab: cannot find or load object file: {_dir}\n");
        _f.Run($"mod -s vmlab {_dir}/none.ko").ShouldBe($"mod: vmlab: cannot find or load object file: {_dir}/none.ko\n");

        string text = Path.Combine(_dir, "vmlab.ko");
        File.WriteAllText(text, "not an object file");
        _f.Run($"mod -s vmlab {text}").ShouldBe($"mod: {text}: not an ELF format object file\n" + Usage);
        _f.Run($"mod -s vmlab {_dir}").ShouldBe($"mod: {text}: not an ELF format object file\n" + Usage, "a directory is searched for NAME.ko");
    }

    [Fact]
    public void A_kernel_that_keeps_no_section_addresses_cannot_place_the_file()
    {
        string ko = Path.Combine(_dir, "virtio-blk.ko");
        File.WriteAllBytes(ko, [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0]);
        _f.Run($"mod -s virtio_blk {_dir}").ShouldBe(
            $"mod: cannot load symbols from: {ko}: cannot load {ko}: module virtio_blk has no section attributes (sect_attrs)\n");
        _f.Program.DebugInfoOf(_f.Program.Modules[1]).ShouldBeNull();
        _f.Run("mod").ShouldBe(Header + VmlabRow + VirtioRow);
    }

    [Fact]
    public void Loading_all_reports_the_modules_without_a_file()
    {
        _f.Run($"mod -S {_dir}").ShouldBe("mod: cannot find or load object file for vmlab module\nmod: cannot find or load object file for virtio_blk module\n");
        _f.Run($"mod -S {_dir}/none").ShouldBe($"mod: {_dir}/none is not a directory\n" + Usage);
        _f.Run($"mod -S {_dir} {_dir}").ShouldBe(Usage);

        File.WriteAllText(Path.Combine(_dir, "vmlab.ko"), "text");
        _f.Run($"mod -S {_dir}").ShouldBe(
            $"mod: {_dir}/vmlab.ko: not an ELF format object file\n" + Header + VmlabRow + "mod: cannot find or load object file for virtio_blk module\n");
    }

    [Fact]
    public void Deleting_and_other_options()
    {
        _f.Run("mod -d vmlab").ShouldBeEmpty();
        _f.Run($"mod -d {_f.Vmlab:x16}").ShouldBeEmpty();
        _f.Run("mod -d nosuch").ShouldBe(Usage);
        _f.Run("mod -D").ShouldBeEmpty();
        _f.Run("mod -s vmlab -S").ShouldBe(Usage);
        _f.Run("mod -x").ShouldBe("mod: invalid option -- 'x'\n" + Usage);
        _f.Run("mod -t").ShouldBe("mod: -t (module taints) is not available yet\n");
    }
}
