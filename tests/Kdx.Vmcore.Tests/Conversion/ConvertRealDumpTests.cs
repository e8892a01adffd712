using System.Globalization;
using System.Text.RegularExpressions;
using Kdx.Cli;
using Kdx.Core.Compression;
using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Kdump;
using Kdx.Core.Linux.Mm;
using Kdx.Core.Model;
using Kdx.Vmcore.Tests.TestBed;

namespace Kdx.Vmcore.Tests.Conversion;

/// <summary>
/// kdx convert on the test bed's ELF dumps: every codec reads back byte for byte, and dump level 31 drops
/// the pages makedumpfile drops, except what makedumpfile 1.7.2 gets wrong.
/// </summary>
public sealed partial class ConvertRealDumpTests : IDisposable
{
    private const int Page = 4096;
    private readonly string _dir = Directory.CreateTempSubdirectory("kdx-convert-vmcore-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static TestBedRun Run(string kernel) =>
        TestBedIndex.Current!.Find(kernel, "sysrq") ?? throw new InvalidOperationException($"the test bed has no {kernel} sysrq run");

    private static string Elf(TestBedRun run) => run.Formats["elf"].Files.Single();

    private static IEnumerable<ulong> PresentPfns(DumpFile dump)
    {
        foreach (var r in dump.PhysicalRanges)
        {
            for (ulong pfn = r.Start / Page; pfn < (r.End + Page - 1) / Page; pfn++)
            {
                if (dump.GetPageState(pfn) == PageState.Present)
                {
                    yield return pfn;
                }
            }
        }
    }

    // Frames an ELF segment covers only in part: makedumpfile leaves them out of its bitmaps, Kdx writes them
    // with the missing bytes as zeros (the first segment of a PC ends at 0x9fc00, where the EBDA begins).
    private static HashSet<ulong> PartialPfns(DumpFile dump) =>
        [.. dump.PhysicalRanges.SelectMany(r => new[] { (r.Start % Page != 0, r.Start / Page), (r.End % Page != 0, r.End / Page) }).Where(x => x.Item1).Select(x => x.Item2)];

    private static byte[] ReadPage(DumpFile dump, ulong pfn)
    {
        var b = new byte[Page];
        var status = dump.Read(pfn * Page, b, out int n);
        if (status == Kdx.Core.Memory.ReadStatus.NotInDump && n > 0)
        {
            b.AsSpan(n).Clear(); // a partial frame: the writer fills the rest with zeros
        }
        else
        {
            status.ShouldBe(Kdx.Core.Memory.ReadStatus.Ok, $"{dump.Path}: pfn {pfn:x}");
        }

        return b;
    }

    // Every 7th present frame, and every page-table page the walks of the run's reference addresses touch.
    private static SortedSet<ulong> Sample(KernelProgram program, TestBedRun run)
    {
        var pfns = new SortedSet<ulong>(PresentPfns(program.Dump).Where(p => p % 7 == 0));
        int tables = 0;
        foreach (var a in run.LoadAddresses().Addresses)
        {
            foreach (var step in program.Kernel.Walk(a.Address).Steps)
            {
                tables += pfns.Add(step.EntryAddress / Page) ? 1 : 0;
            }
        }

        tables.ShouldBeGreaterThan(0);
        return pfns;
    }

    [TestBedTheory]
    [InlineData("6.1", "zlib")]
    [InlineData("6.1", "lzo")]
    [InlineData("6.1", "snappy")]
    [InlineData("6.1", "zstd")]
    [InlineData("6.12", "zlib")]
    [InlineData("6.12", "lzo")]
    [InlineData("6.12", "snappy")]
    [InlineData("6.12", "zstd")]
    public void Every_codec_reads_back_the_elf_dump_byte_for_byte(string kernel, string codec)
    {
        var run = Run(kernel);
        string output = Path.Combine(_dir, $"vmcore.{codec}");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        KdxMain.Run(["convert", "--compress", codec, Elf(run), output], TextReader.Null, stdout, stderr).ShouldBe(0, stderr.ToString());

        using var source = KernelProgram.Open([Elf(run)]);
        using var converted = (KdumpCompressedDump)DumpFiles.Open(output);
        converted.Compression.ToString().ToLowerInvariant().ShouldBe(codec);
        converted.VmcoreInfo!.OsRelease.ShouldBe(run.Kernel);
        PresentPfns(converted).ToList().ShouldBe(PresentPfns(source.Dump).Concat(PartialPfns(source.Dump)).Distinct().Order().ToList());
        foreach (ulong pfn in Sample(source, run))
        {
            ReadPage(converted, pfn).ShouldBe(ReadPage(source.Dump, pfn), $"pfn {pfn:x}");
        }

        // The converted dump works as a kernel: the same layout comes out of it.
        using var reopened = KernelProgram.Open([output]);
        reopened.Layout.PageOffsetBase.ShouldBe(source.Layout.PageOffsetBase);
        reopened.Layout.VmemmapBase.ShouldBe(source.Layout.VmemmapBase);
    }

    [TestBedFact]
    public void Level_31_on_6_1_drops_what_makedumpfile_drops()
    {
        var run = Run("6.1");
        var (converted, filter, result) = ConvertAt31(run);
        using var kdx = converted;
        using var makedumpfile = DumpFiles.Open(run.Formats["kdump-lzo"].Files.Single());
        using var source = DumpFiles.Open(Elf(run));
        var partial = PartialPfns(source);

        // The same frames are kept, save the partial frames makedumpfile leaves out altogether.
        var differ = PresentPfns(source).Concat(partial).Distinct()
            .Where(p => (kdx.GetPageState(p) == PageState.Present) != (makedumpfile.GetPageState(p) == PageState.Present)).ToList();
        differ.ShouldAllBe(p => partial.Contains(p) && kdx.GetPageState(p) == PageState.Present && makedumpfile.GetPageState(p) == PageState.NotInDump);

        // And the counts makedumpfile printed agree class by class.
        var log = MakedumpfileCounts(run, "kdump-lzo");
        filter.Counts[PageClass.Cache].ShouldBe(log["Non-private cache pages"]);
        filter.Counts[PageClass.CachePrivate].ShouldBe(log["Private cache pages"]);
        filter.Counts[PageClass.User].ShouldBe(log["User process data pages"]);
        filter.Counts[PageClass.Free].ShouldBe(log["Free pages"]);
        filter.Counts[PageClass.HwPoison].ShouldBe(log["Hwpoison pages"]);
        filter.Counts[PageClass.Offline].ShouldBe(log["Offline pages"]);
        long zeroPartials = partial.Count(p => ReadPage(source, p).AsSpan().IndexOfAnyExcept((byte)0) < 0);
        result.ZeroPages.ShouldBe(log["Pages filled with zero"] + zeroPartials);
    }

    [TestBedFact]
    public void Level_31_on_6_12_keeps_the_live_slab_pages_makedumpfile_1_7_2_dropped()
    {
        var run = Run("6.12");
        using var program = KernelProgram.Open([Elf(run)]);
        var layout = StructPageLayout.FromVmcoreInfo(program.VmcoreInfo!);
        layout.Scheme.ShouldBe(PageTypeScheme.TopByte);
        var map = MemMap.Read(program.Kernel, program.VmcoreInfo!, Page, 1UL << 20);
        using var d31 = DumpFiles.Open(run.Formats["kdump-lzo"].Files.Single());
        using var d23 = DumpFiles.Open(run.Formats["kdump-lzo-d23"].Files.Single());

        // Slab pages (by their page type) that makedumpfile kept at -d 23 and dropped at -d 31: taken for user data.
        var wronglyDropped = PresentPfns(program.Dump)
            .Where(p => d23.GetPageState(p) == PageState.Present && d31.GetPageState(p) == PageState.Excluded && IsSlab(p))
            .ToList();
        wronglyDropped.Count.ShouldBeGreaterThan(0, "the test bed's 6.12 -d 31 dump no longer shows makedumpfile 1.7.2's slab bug");

        using var kdx = ConvertAt31(run).Dump;
        foreach (ulong pfn in wronglyDropped)
        {
            ReadPage(kdx, pfn).ShouldBe(ReadPage(program.Dump, pfn), $"slab pfn {pfn:x}");
        }

        // Every other frame is kept or dropped as makedumpfile did, save the partial frames.
        var partial = PartialPfns(program.Dump);
        var slab = wronglyDropped.ToHashSet();
        PresentPfns(program.Dump)
            .Where(p => !slab.Contains(p) && !partial.Contains(p))
            .Where(p => kdx.GetPageState(p) != d31.GetPageState(p))
            .ShouldBeEmpty();

        bool IsSlab(ulong pfn)
        {
            var raw = new byte[layout.Size];
            return map.TryGetStructPage(pfn, out ulong a) && program.Kernel.Read(a, raw, out _) == Kdx.Core.Memory.ReadStatus.Ok
                && layout.IsSlab(layout.Decode(raw));
        }
    }

    [TestBedTheory]
    [InlineData("6.1")]
    [InlineData("6.12")]
    public void A_qemu_kdump_converts_with_its_cpu_notes_and_drops_what_the_elf_conversion_drops(string kernel)
    {
        var run = Run(kernel);
        string qemu = run.Formats["qemu-kdump-zlib"].Files.Single();
        using var fromElf = ConvertAt31(run).Dump;
        var (converted, filter, _) = ConvertAt31(run, qemu, "vmcore.qemu-d31");
        using var fromQemu = converted;

        // QEMU's CPU state notes (CR3, CR4) come through for the x86_64 layout.
        fromQemu.Producer.ShouldBe(DumpProducer.Qemu);
        fromQemu.Cpus.Count.ShouldBeGreaterThan(0);
        fromQemu.Cpus.ShouldAllBe(c => c.Qemu != null && c.Qemu.Cr3 != 0);

        // The same crash: the frames both dumps hold are kept or dropped alike. The QEMU dump also holds the
        // BIOS flash below 4 GiB, which has no struct page and is kept.
        filter.Counts[PageClass.NoStructPage].ShouldBeGreaterThan(0);
        PresentPfns(fromElf).Where(p => fromQemu.GetPageState(p) != PageState.Present).ShouldBeEmpty();
        foreach (var r in fromElf.PhysicalRanges)
        {
            for (ulong pfn = r.Start / Page; pfn < r.End / Page; pfn++)
            {
                fromQemu.GetPageState(pfn).ShouldBe(fromElf.GetPageState(pfn), $"pfn {pfn:x}");
            }
        }
    }

    private (DumpFile Dump, DumpLevelFilter Filter, KdumpWriteResult Result) ConvertAt31(TestBedRun run, string? input = null, string name = "vmcore.d31")
    {
        string output = Path.Combine(_dir, name);
        using (var program = KernelProgram.Open([input ?? Elf(run)]))
        {
            var filter = DumpLevelFilter.Create(program, 31);
            var result = KdumpWriter.Write(program.Dump, output, KdumpWriterOptions.ForDumpLevel(31, PageCompression.Lzo, filter));
            result.DumpLevel.ShouldBe(31);
            result.UnreadablePages.ShouldBe(0);
            filter.Counts[PageClass.Unreadable].ShouldBe(0);
            return (DumpFiles.Open(output), filter, result);
        }
    }

    // The "Pages filled with zero : 0x…" lines of makedumpfile's report in the run's log.
    private static Dictionary<string, long> MakedumpfileCounts(TestBedRun run, string format)
    {
        string log = File.ReadAllText(Path.Combine(run.Dir, "kdump", $"{format}.log"));
        var counts = new Dictionary<string, long>();
        foreach (Match m in CountLine().Matches(log))
        {
            counts[m.Groups[1].Value.Trim()] = long.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        counts.ShouldContainKey("Free pages");
        return counts;
    }

    [GeneratedRegex(@"^\s+([A-Za-z -]+?)\s*:\s*0x([0-9a-f]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex CountLine();
}
