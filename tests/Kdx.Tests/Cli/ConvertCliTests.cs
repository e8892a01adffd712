using Kdx.Cli;
using Kdx.Core.Compression;
using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Kdump;
using Kdx.Core.Memory;
using Kdx.Tests.Dumps.Kdump;

namespace Kdx.Tests.Cli;

public sealed class ConvertCliTests : IDisposable
{
    private static readonly Lazy<byte[]> KernelDump = new(() =>
    {
        string path = Path.Combine(Path.GetTempPath(), $"kdx-convert-src-{Guid.NewGuid():N}");
        try
        {
            ConvertSource.Write(path);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    });

    private readonly string _dir = Directory.CreateTempSubdirectory("kdx-convert-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static (int Code, string Out, string Err) Run(params string[] args) => RunWith(null, args);

    private static (int Code, string Out, string Err) RunWith(Stream? stdout, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = KdxMain.Run(args, new StringReader(string.Empty), o, e, standardOutput: stdout);
        return (code, o.ToString(), e.ToString());
    }

    // A small kdump with pages 0 … 7 of known contents.
    private string SmallDump(string name = "small.kdump")
    {
        var b = new KdumpBuilder { MaxMapnr = 8, Compression = PageCompression.Zlib }.WithPages(0, 1, 2, 3, 4, 5, 6, 7);
        string path = PathOf(name);
        File.WriteAllBytes(path, b.Build().Bytes);
        return path;
    }

    private string KernelDumpFile()
    {
        string path = PathOf("kernel.kdump");
        File.WriteAllBytes(path, KernelDump.Value);
        return path;
    }

    private string[] FilesInDir() => Directory.GetFiles(_dir).Select(Path.GetFileName).OfType<string>().Order().ToArray();

    [Theory]
    [InlineData("zlib", PageCompression.Zlib)]
    [InlineData("lzo", PageCompression.Lzo)]
    [InlineData("snappy", PageCompression.Snappy)]
    [InlineData("zstd", PageCompression.Zstd)]
    [InlineData("none", PageCompression.None)]
    public void Converts_with_each_codec_and_the_pages_read_back(string codec, PageCompression expected)
    {
        string src = SmallDump(), dst = PathOf("out");
        var r = Run("convert", "--compress", codec, src, dst);
        r.Code.ShouldBe(0, r.Err);
        r.Err.ShouldBeEmpty();
        r.Out.ShouldContain($"{dst}: compressed kdump ({codec})");
        using var d = (KdumpCompressedDump)DumpFiles.Open(dst);
        d.Compression.ShouldBe(expected);
        for (ulong pfn = 0; pfn < 8; pfn++)
        {
            KdumpReaderTests.ReadPage(d, pfn).ShouldBe(KdumpBuilder.Pattern(pfn));
        }

        FilesInDir().ShouldBe(["out", "small.kdump"]); // no temporary left behind
    }

    [Fact]
    public void Dump_level_31_drops_free_cache_and_user_pages_but_keeps_slab_and_kernel_pages()
    {
        string src = KernelDumpFile(), dst = PathOf("d31");
        var r = Run("convert", "--compress=lzo", "-d", "31", src, dst);
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldContain("dump level 31");
        r.Out.ShouldContain("pages dropped  18: cache 1, cache with private data 0, user data 1, free 16, hwpoison 0, offline 0");

        using var d = (KdumpCompressedDump)DumpFiles.Open(dst);
        d.DumpLevel.ShouldBe(31);
        for (ulong pfn = ConvertSource.FreeBlock; pfn < ConvertSource.FreeBlock + 16; pfn++)
        {
            d.GetPageState(pfn).ShouldBe(PageState.Excluded);
        }

        d.GetPageState(ConvertSource.CachePage).ShouldBe(PageState.Excluded);
        d.GetPageState(ConvertSource.AnonPage).ShouldBe(PageState.Excluded);
        KdumpReaderTests.ReadPage(d, ConvertSource.SlabPage).ShouldBe(ConvertSource.Contents(ConvertSource.SlabPage));
        KdumpReaderTests.ReadPage(d, ConvertSource.DataPage).ShouldBe(ConvertSource.Contents(ConvertSource.DataPage));
        KdumpReaderTests.ReadPage(d, ConvertSource.FreeBlock + 16).ShouldBe(new byte[4096]); // a zero page stays
    }

    [Fact]
    public void Dump_level_bits_are_honoured_one_by_one()
    {
        string src = KernelDumpFile();
        (int Level, ulong[] Gone)[] cases =
        [
            (2, [ConvertSource.CachePage]),
            (8, [ConvertSource.AnonPage]),
            (16, [ConvertSource.FreeBlock, ConvertSource.FreeBlock + 15]),
            (1, []),
        ];
        foreach (var (level, gone) in cases)
        {
            string dst = PathOf($"d{level}");
            Run("convert", "--compress", "zstd", $"-d{level}", src, dst).Code.ShouldBe(0);
            using var d = DumpFiles.Open(dst);
            foreach (ulong pfn in new[] { ConvertSource.FreeBlock, ConvertSource.FreeBlock + 15, ConvertSource.CachePage, ConvertSource.AnonPage, ConvertSource.SlabPage })
            {
                d.GetPageState(pfn).ShouldBe(gone.Contains(pfn) ? PageState.Excluded : PageState.Present, $"level {level} pfn {pfn:x}");
            }
        }
    }

    [Fact]
    public void A_dump_without_struct_page_vmcoreinfo_cannot_be_filtered_by_kernel_levels()
    {
        string src = PathOf("bare.kdump"), dst = PathOf("out");
        ConvertSource.Write(src, withStructPageInfo: false);
        var r = Run("convert", "--compress", "zlib", "-d", "31", src, dst);
        r.Code.ShouldBe(1);
        r.Err.ShouldStartWith("kdx convert: dump level 31 cannot be honoured: VMCOREINFO lacks SIZE(page)");
        r.Err.Trim().Split('\n').Length.ShouldBe(1);
        File.Exists(dst).ShouldBeFalse();
        Run("convert", "--compress", "zlib", "-d", "1", src, dst).Code.ShouldBe(0);
    }

    [Fact]
    public void An_existing_output_is_kept_unless_forced()
    {
        string src = SmallDump(), dst = PathOf("out");
        File.WriteAllText(dst, "precious");
        var r = Run("convert", "--compress", "zlib", src, dst);
        r.Code.ShouldBe(1);
        r.Err.ShouldBe($"kdx convert: {dst}: exists (use -f to replace it)\n");
        File.ReadAllText(dst).ShouldBe("precious");

        Run("convert", "-f", "--compress", "zlib", src, dst).Code.ShouldBe(0);
        DumpFiles.Identify(dst).ShouldBe(FileKind.Kdump);
        FilesInDir().ShouldBe(["out", "small.kdump"]);
    }

    [Fact]
    public void A_failed_convert_leaves_no_file()
    {
        // A truncated input: the convert fails, and nothing is left where the output would be.
        string src = SmallDump(), dst = PathOf("out");
        var bytes = File.ReadAllBytes(src);
        File.WriteAllBytes(src, bytes[..4096]);
        var r = Run("convert", "--compress", "zlib", src, dst);
        r.Code.ShouldBe(1);
        r.Err.ShouldStartWith("kdx convert: ");
        FilesInDir().ShouldBe(["small.kdump"]);
    }

    [Fact]
    public void The_output_may_not_be_an_input_even_with_force()
    {
        string src = SmallDump();
        var r = Run("convert", "-f", "--compress", "zlib", src, src);
        r.Code.ShouldBe(1);
        r.Err.ShouldBe($"kdx convert: {src}: the output is also an input\n");
        DumpFiles.Identify(src).ShouldBe(FileKind.Kdump);
    }

    [Fact]
    public void Bad_paths_are_one_line_errors()
    {
        string src = SmallDump();
        Run("convert", "--compress", "zlib", PathOf("nope"), PathOf("out")).Err.ShouldBe($"kdx convert: {PathOf("nope")}: no such file\n");
        Run("convert", "--compress", "zlib", src, _dir).Err.ShouldBe($"kdx convert: {_dir}: is a directory\n");
        var r = Run("convert", "--compress", "zlib", src, PathOf("no/such/dir/out"));
        r.Code.ShouldBe(1);
        r.Err.ShouldStartWith($"kdx convert: {PathOf("no/such/dir/out")}: no such directory");
        File.WriteAllText(PathOf("text"), "hello");
        Run("convert", "--compress", "zlib", PathOf("text"), PathOf("out")).Err.ShouldBe($"kdx convert: {PathOf("text")}: not a vmcore\n");
    }

    [Theory]
    [InlineData("convert")]
    [InlineData("convert", "in", "out")]
    [InlineData("convert", "--compress", "gzip", "in", "out")]
    [InlineData("convert", "--compress", "zlib", "in")]
    [InlineData("convert", "--compress", "zlib", "-d", "32", "in", "out")]
    [InlineData("convert", "--compress", "zlib", "-d", "-1", "in", "out")]
    [InlineData("convert", "--compress", "zlib", "-d", "x", "in", "out")]
    [InlineData("convert", "--compress", "zlib", "-d")]
    [InlineData("convert", "--compress", "zlib", "--bogus", "in", "out")]
    [InlineData("convert", "--compress", "zlib", "in", "-")]
    [InlineData("convert", "--compress", "zlib", "--force=yes", "in", "out")]
    public void Bad_command_lines_are_usage_errors(params string[] args)
    {
        var r = Run(args);
        r.Code.ShouldBe(2);
        r.Err.ShouldStartWith("kdx convert: ");
        r.Err.ShouldContain("usage: kdx convert");
        r.Out.ShouldBeEmpty();
    }

    [Fact]
    public void Help_explains_the_options()
    {
        var r = Run("convert", "--help");
        r.Code.ShouldBe(0);
        r.Out.ShouldContain("usage: kdx convert");
        r.Out.ShouldContain("16 free pages");
        Run("--help").Out.ShouldContain("kdx convert");
    }

    [Fact]
    public void Flattened_output_to_a_file_and_to_standard_output()
    {
        string src = SmallDump(), dst = PathOf("flat");
        var r = Run("convert", "-F", "--compress", "snappy", src, dst);
        r.Code.ShouldBe(0, r.Err);
        DumpFiles.Identify(dst).ShouldBe(FileKind.Flattened);

        using var stdout = new MemoryStream();
        r = RunWith(stdout, "convert", "--flattened", "--compress", "snappy", src, "-");
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldBeEmpty(); // the report goes to stderr: stdout carries the dump
        r.Err.ShouldContain("standard output: compressed kdump (snappy, flattened)");
        stdout.ToArray().ShouldBe(File.ReadAllBytes(dst));
    }

    [Fact]
    public void Excluded_input_pages_stay_excluded_or_become_zeros()
    {
        var b = new KdumpBuilder { MaxMapnr = 8 }.WithPages(0, 1, 2);
        b.Excluded.Add(3);
        string src = PathOf("filtered.kdump"), dst = PathOf("out"), zeroed = PathOf("zeroed");
        File.WriteAllBytes(src, b.Build().Bytes);

        var r = Run("convert", "--compress", "zlib", src, dst);
        r.Out.ShouldContain("pages the input had excluded  1 (still excluded)");
        using (var d = DumpFiles.Open(dst))
        {
            d.GetPageState(3).ShouldBe(PageState.Excluded);
        }

        Run("convert", "--zero-excluded", "--compress", "zlib", src, zeroed).Code.ShouldBe(0);
        using var z = DumpFiles.Open(zeroed);
        KdumpReaderTests.ReadPage(z, 3).ShouldBe(new byte[4096]);
    }

    [Fact]
    public void A_split_set_converts_to_one_file()
    {
        string a = PathOf("split.1"), b = PathOf("split.2"), dst = PathOf("joined");
        var first = new KdumpBuilder { MaxMapnr = 8, Split = (0, 4) }.WithPages(0, 1, 2, 3, 4, 5, 6, 7);
        var second = new KdumpBuilder { MaxMapnr = 8, Split = (4, 8) }.WithPages(0, 1, 2, 3, 4, 5, 6, 7);
        File.WriteAllBytes(a, first.Build().Bytes);
        File.WriteAllBytes(b, second.Build().Bytes);
        var r = Run("convert", "--compress", "lzo", b, a, dst);
        r.Code.ShouldBe(0, r.Err);
        using var d = DumpFiles.Open(dst);
        for (ulong pfn = 0; pfn < 8; pfn++)
        {
            KdumpReaderTests.ReadPage(d, pfn).ShouldBe(KdumpBuilder.Pattern(pfn));
        }
    }

    [Fact]
    public void Interrupting_removes_the_temporary_file()
    {
        string src = SmallDump(), dst = PathOf("out");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var e = new StringWriter();
        int code = KdxMain.Run(["convert", "--compress", "zlib", src, dst], new StringReader(string.Empty), new StringWriter(), e, cancellation: cancel.Token);
        code.ShouldBe(130);
        e.ToString().ShouldBe("kdx convert: interrupted; no output written\n");
        FilesInDir().ShouldBe(["small.kdump"]);
    }

    [Fact]
    public void A_vmlinux_argument_must_match_and_a_second_one_is_refused()
    {
        string src = SmallDump(), map = PathOf("System.map");
        File.WriteAllText(map, "ffffffff81000000 T _text\nffffffff81000000 T _stext\n");
        var r = Run("convert", "--compress", "zlib", "--vmlinux", map, map, src, PathOf("out"));
        r.Code.ShouldBe(1);
        r.Err.ShouldContain("a second kernel image or System.map");
    }
}
