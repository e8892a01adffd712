using Kdx.Core.Debug.Dwarf;
using Kdx.Core.Elf;
using Kdx.Core.IO;
using Kdx.Core.Types;
using Kdx.Fuzz.Dwarf;
using Kdx.Tests.Elf;

namespace Kdx.Tests.Debug.Dwarf;

public sealed class DwarfIndexCacheTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kdx-dwarf-cache-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    /// <summary>A vmlinux-like ELF: the test kernel's DWARF and a build id.</summary>
    private static byte[] Vmlinux(byte buildIdSeed = 1, Action<DwarfWriter>? more = null)
    {
        var w = new DwarfWriter();
        DwarfTestKernel.AddTypes(w);
        more?.Invoke(w);
        var elf = new ElfWriter { Type = 2 };
        var id = Enumerable.Range(0, 20).Select(i => (byte)(i * buildIdSeed)).ToArray();
        elf.AddSection(".notes", 7, ElfWriter.Note("GNU", 3, id), flags: 2);
        foreach (var (name, bytes) in w.Build())
        {
            elf.AddSection(name, 1, bytes);
        }

        return elf.Build();
    }

    private DwarfTypeSource Open(ElfFile elf) =>
        DwarfTypeSource.Open(elf, new DwarfOptions { IndexCacheDirectory = _dir, MinCachedInfoBytes = 0, MaxThreads = 2 });

    private static ElfFile Elf(byte[] bytes) => ElfFile.Read(new MemoryByteSource("vmlinux", bytes));

    private string[] CacheFiles() => Directory.Exists(_dir) ? Directory.GetFiles(_dir, "*", SearchOption.AllDirectories) : [];

    [Fact]
    public void The_second_open_reads_the_index_from_the_cache_with_the_same_answers()
    {
        var bytes = Vmlinux();
        string first;
        using (var elf = Elf(bytes))
        using (var src = Open(elf))
        {
            first = src.FindType("flags", TypeKind.Struct)!.Members.Count.ToString();
            src.IndexDescription.ShouldStartWith("scanned");
        }

        CacheFiles().ShouldHaveSingleItem().ShouldEndWith("000102030405060708090a0b0c0d0e0f10111213.dwarf-index");
        using (var elf = Elf(bytes))
        using (var src = Open(elf))
        {
            src.FindType("flags", TypeKind.Struct)!.Members.Count.ToString().ShouldBe(first);
            src.IndexDescription.ShouldStartWith("cache ");
            src.FindVariableType("init_list")!.Value.Type.Name.ShouldBe("list_head");
            src.TypeNames(TypeKind.Struct).ShouldBe(["flags", "holder", "list_head"]);
        }
    }

    [Fact]
    public void A_damaged_or_truncated_cache_file_is_ignored_and_rewritten()
    {
        var bytes = Vmlinux();
        using (var elf = Elf(bytes))
        using (var src = Open(elf))
        {
            _ = src.FindType("int");
        }

        string path = CacheFiles().Single();
        var good = File.ReadAllBytes(path);
        foreach (var damaged in new[] { Flip(good, good.Length - 3), good[..(good.Length / 2)], Flip(good, 0), Array.Empty<byte>() })
        {
            File.WriteAllBytes(path, damaged);
            using var elf = Elf(bytes);
            using var src = Open(elf);
            src.FindType("list_head", TypeKind.Struct)!.Size.ShouldBe(16UL);
            src.IndexDescription.ShouldStartWith("scanned");
        }

        File.ReadAllBytes(path).ShouldBe(good);
    }

    [Fact]
    public void A_cache_whose_entries_point_at_the_wrong_dies_is_detected_and_rebuilt()
    {
        var bytes = Vmlinux();
        using (var elf = Elf(bytes))
        using (var src = Open(elf))
        {
            _ = src.FindType("int");
        }

        // Forge a well-formed cache (right key, right checksum) in which every struct points at "holder".
        string path = CacheFiles().Single();
        using (var elf = Elf(bytes))
        {
            var file = DwarfFile.FromElf(elf);
            var real = IndexBuilder.Build(file, 1);
            var holder = real.Entries(IndexSpace.Struct).Single(e => e.Key == "holder").Value;
            var spaces = new Dictionary<string, IndexEntry>[DwarfIndex.SpaceCount];
            for (int i = 0; i < spaces.Length; i++)
            {
                spaces[i] = real.Entries((IndexSpace)i).ToDictionary(e => e.Key, e => i == (int)IndexSpace.Struct ? holder : e.Value);
            }

            var key = IndexCache.Parse(File.ReadAllBytes(path), KeyOf(elf, file), path) is not null ? KeyOf(elf, file) : throw new InvalidOperationException("the cache does not match its own key");
            File.WriteAllBytes(path, IndexCache.Serialize(key, new DwarfIndex(spaces, [], "forged")));
        }

        using (var elf = Elf(bytes))
        using (var src = Open(elf))
        {
            src.FindType("list_head", TypeKind.Struct)!.Size.ShouldBe(16UL);
            src.IndexDescription!.ShouldContain("the cache was wrong");
        }

        using (var elf = Elf(bytes))
        using (var src = Open(elf))
        {
            src.FindType("list_head", TypeKind.Struct)!.Size.ShouldBe(16UL);
            src.IndexDescription.ShouldStartWith("cache "); // the rebuilt index replaced the forged file
        }
    }

    [Fact]
    public void A_cache_for_another_build_or_other_section_sizes_is_not_used()
    {
        var bytes = Vmlinux();
        using (var elf = Elf(bytes))
        using (var src = Open(elf))
        {
            _ = src.FindType("int");
        }

        // Same build id, a different .debug_info: the key (sizes) differs, so the cache is rebuilt.
        var changed = Vmlinux(1, w => w.Unit("extra.c").BaseType("extra_t", 4, Dw.AteSigned));
        using (var elf = Elf(changed))
        using (var src = Open(elf))
        {
            src.FindType("extra_t").ShouldNotBeNull();
            src.IndexDescription.ShouldStartWith("scanned");
        }

        // Another build id: another file.
        using (var elf = Elf(Vmlinux(3)))
        using (var src = Open(elf))
        {
            _ = src.FindType("int");
        }

        CacheFiles().Length.ShouldBe(2);
    }

    [Fact]
    public void An_unwritable_cache_directory_only_costs_the_cache()
    {
        var blocker = Path.Combine(Path.GetTempPath(), "kdx-not-a-dir-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(blocker, "a file where the cache directory should be");
        try
        {
            using var elf = Elf(Vmlinux());
            using var src = DwarfTypeSource.Open(elf, new DwarfOptions { IndexCacheDirectory = blocker, MinCachedInfoBytes = 0 });
            src.FindType("list_head", TypeKind.Struct).ShouldNotBeNull();
        }
        finally
        {
            File.Delete(blocker);
        }
    }

    [Fact]
    public void Small_files_and_files_without_a_build_id_get_no_cache()
    {
        using (var elf = Elf(Vmlinux()))
        using (var src = DwarfTypeSource.Open(elf, new DwarfOptions { IndexCacheDirectory = _dir }))
        {
            _ = src.FindType("int"); // far below the default 8 MB threshold
        }

        var w = new DwarfWriter();
        DwarfTestKernel.AddTypes(w);
        var noId = new ElfWriter { Type = 2 };
        foreach (var (name, b) in w.Build())
        {
            noId.AddSection(name, 1, b);
        }

        using (var elf = Elf(noId.Build()))
        using (var src = Open(elf))
        {
            _ = src.FindType("int");
        }

        CacheFiles().ShouldBeEmpty();
    }

    [Fact]
    public void Lookups_after_dispose_are_refused()
    {
        using var elf = Elf(Vmlinux());
        var src = Open(elf);
        src.StartIndexing();
        src.Dispose();
        src.Dispose();
        Should.Throw<ObjectDisposedException>(() => src.FindType("int"));
    }

    private static IndexCacheKey KeyOf(ElfFile elf, DwarfFile file)
    {
        var id = Enumerable.Range(0, 20).Select(i => (byte)i).ToArray();
        var s = file.Sections;
        return new IndexCacheKey(id, elf.Source.Length, s.Info.Length, s.Abbrev.Length, s.Str.Length, s.Types.Length);
    }

    private static byte[] Flip(byte[] b, int at)
    {
        var c = (byte[])b.Clone();
        c[at] ^= 0x40;
        return c;
    }
}
