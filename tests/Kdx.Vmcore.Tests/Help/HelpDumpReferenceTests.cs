using System.Text.RegularExpressions;
using Kdx.Vmcore.Tests.Memory;
using Kdx.Vmcore.Tests.TestBed;

namespace Kdx.Vmcore.Tests.Help;

/// <summary>
/// <c>help -D</c> and <c>help -n</c> against crash 8.0.2 on every format of every CI crash crash opened.
/// crash prints the same thing for both (its whole dump summary); Kdx's -D is that summary and -n the notes.
/// Beyond <see cref="CrashText"/>'s rules, the comparison of -D allows exactly these differences:
/// <list type="number">
/// <item>Lines of crash's own state are dropped from crash's output, because Kdx has no such thing:
/// <see cref="CrashInternal"/> lists them (file descriptors, pointers into crash's memory, its page cache and its
/// statistics, the ELF reader's pointer table and the pointer lines after nt_prstatus_percpu/nt_qemu_percpu).</item>
/// <item>Headings that carry such a pointer (header, sub_header_kdump, notes[N]) keep their label; the pointer
/// is dropped from crash's line.</item>
/// <item>filename: crash was given a path relative to the run directory, Kdx an absolute one: the file name is
/// compared.</item>
/// <item>file_size of a flattened file: crash 8.0.2 never sets it and prints 0; Kdx prints the size of the
/// reassembled stream. The line is dropped from both. Kdx's own extra lines (end_marker of a flattened file,
/// truncated_at of a cut ELF file) are dropped from Kdx's output.</item>
/// <item>total_valid_pages of a split file: crash counts whole 4096-page bitmap sectors from start_pfn, so the
/// first file's count includes pages of the second; Kdx counts [start_pfn, end_pfn). The lines are dropped,
/// and the files' counts must add up to crash's count for the unsplit kdump of the same crash.</item>
/// <item>Runs of blank lines compare as one (crash's dropped page-cache block sits between blank lines).</item>
/// </list>
/// </summary>
public sealed partial class HelpDumpReferenceTests
{
    /// <summary>The fields of crash's help -D that describe crash itself, not the dump (and page_cache_hdr[N]).</summary>
    public static readonly IReadOnlySet<string> CrashInternal = new HashSet<string>(StringComparer.Ordinal)
    {
        "ndfd", "dfd", "ofp", "elf_header", "elf32", "notes32", "load32", "elf64", "notes64", "load64", "sect0_64",
        "nt_prstatus", "nt_prpsinfo", "nt_taskstruct", "task_struct", "arch_data1", "arch_data2", "switch_stack",
        "page_size", "xen_kdump_data", "vmcoreinfo", "nt_prstatus_percpu", "nt_qemu_percpu", "backup_src_start",
        "backup_src_size", "backup_offset", "notes_buf", "bitmap", "dumpable_bitmap", "byte", "bit",
        "compressed_page", "curbufptr", "pg_flags", "pg_addr", "pg_bufptr", "pg_hit_count", "page_cache_buf",
        "evict_index", "evictions", "accesses", "cached_reads", "valid_pages", "array",
    };

    private static readonly HashSet<string> PointerHeadings = ["header", "sub_header_kdump"];

    private static readonly HashSet<string> Dropped = ["file_size", "end_marker", "truncated_at"];

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Help_D_matches_crash_on_every_format(string runId)
    {
        var run = CiRuns.Get(runId);
        var failures = new List<string>();
        int compared = 0;
        foreach (var format in run.Formats.Values)
        {
            string? crash = format.LoadCrashReference() is { Opens: true } r ? r.Output("help -D") : null;
            if (crash is null)
            {
                continue;
            }

            using var kdx = KdxSession.Open(run, format.Name, SymbolSource.DumpOnly);
            string expected = Normalize(crash, crashSide: true, format.Name);
            string actual = Normalize(kdx.Run("help -D"), crashSide: false, format.Name);
            if (expected != actual)
            {
                failures.Add(MemoryReferenceTests.Difference($"{run} {format}: help -D", expected, actual));
            }

            compared++;
        }

        compared.ShouldBeGreaterThanOrEqualTo(run.Kernel.StartsWith("6.1.", StringComparison.Ordinal) ? 11 : 6);
        failures.ShouldBeEmpty(MemoryReferenceTests.Report(failures));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_files_of_a_split_dump_count_the_pages_of_the_whole_dump(string runId)
    {
        var run = CiRuns.Get(runId);
        using var split = KdxSession.Open(run, "split-lzo", SymbolSource.DumpOnly);
        using var whole = KdxSession.Open(run, "kdump-lzo", SymbolSource.DumpOnly);
        long[] parts = ValidPages(split.Run("help -D"));
        parts.Length.ShouldBe(2);
        parts.ShouldAllBe(n => n > 0);
        long[] total = ValidPages(whole.Run("help -D"));
        parts.Sum().ShouldBe(total.Single());

        // crash's count where it opened the unsplit dump (6.1; not the 6.12 -d 31 dumps).
        if (run.Formats["kdump-lzo"].LoadCrashReference()?.Output("help -D") is { } crash)
        {
            total.ShouldBe(ValidPages(crash));
        }
    }

    /// <summary>
    /// Kdx's help -n is the notes part of crash's help -D: for ELF dumps crash's Elf64_Nhdr blocks verbatim; for
    /// compressed kdumps, where crash shows the notes decoded under notes[N], the same decoded lines in order.
    /// </summary>
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Help_n_shows_the_notes_crash_shows(string runId)
    {
        var run = CiRuns.Get(runId);
        var failures = new List<string>();
        foreach (var format in run.Formats.Values)
        {
            string? crash = format.LoadCrashReference() is { Opens: true } r ? r.Output("help -n") : null;
            if (crash is null)
            {
                continue;
            }

            using var kdx = KdxSession.Open(run, format.Name, SymbolSource.DumpOnly);
            string notes = kdx.Run("help -n");
            string expected, actual;
            int at = crash.IndexOf("Elf64_Nhdr:", StringComparison.Ordinal);
            if (at >= 0)
            {
                (expected, actual) = (CrashText.Normalize("help", crash[at..]), CrashText.Normalize("help", notes));
            }
            else
            {
                // crash shows the notes of each file of a split dump; they are the same notes.
                int second = crash.IndexOf("diskdump_data: ", crash.IndexOf("diskdump_data: ", StringComparison.Ordinal) + 1, StringComparison.Ordinal);
                string first = second > 0 ? crash[..second] : crash;
                (expected, actual) = (string.Join('\n', CrashDecodedNotes(first)), string.Join('\n', KdxDecodedNotes(notes)));
                expected.ShouldNotBeEmpty($"{run} {format}: no decoded notes in crash's output");
            }

            if (expected != actual)
            {
                failures.Add(MemoryReferenceTests.Difference($"{run} {format}: help -n", expected, actual));
            }
        }

        failures.ShouldBeEmpty(MemoryReferenceTests.Report(failures));
    }

    private static string Normalize(string output, bool crashSide, string format)
    {
        var kept = new List<string>();
        bool pointerRows = false;
        foreach (string raw in CrashText.Normalize("help", output).Split('\n'))
        {
            string line = raw;
            var field = Field().Match(line);
            string name = field.Success ? field.Groups[2].Value : string.Empty;
            if (pointerRows && PointerRow().IsMatch(line))
            {
                continue;
            }

            pointerRows = crashSide && name is "nt_prstatus_percpu" or "nt_qemu_percpu";
            if ((crashSide && (CrashInternal.Contains(name) || name.StartsWith("page_cache_hdr[", StringComparison.Ordinal))) || Dropped.Contains(name) || (format == "split-lzo" && name == "total_valid_pages"))
            {
                continue;
            }

            if (crashSide && (PointerHeadings.Contains(name) || name.StartsWith("notes[", StringComparison.Ordinal)))
            {
                line = Pointer().Replace(line, "$1");
            }

            if (name == "filename")
            {
                line = $"{field.Groups[1].Value}{Path.GetFileName(line[(field.Length)..])}";
            }

            if (line.Length == 0 && kept.Count > 0 && kept[^1].Length == 0)
            {
                continue;
            }

            kept.Add(line);
        }

        return string.Join('\n', kept).Trim('\n');
    }

    private static long[] ValidPages(string helpD) =>
        [.. helpD.Split('\n').Where(l => l.StartsWith(" total_valid_pages: ", StringComparison.Ordinal)).Select(l => long.Parse(l[20..], System.Globalization.CultureInfo.InvariantCulture))];

    // The lines crash prints under "notes[N]: … (NT_PRSTATUS)" or "(QEMUCPUState)" in a compressed kdump's summary.
    private static IEnumerable<string> CrashDecodedNotes(string crash)
    {
        bool inNote = false;
        foreach (string line in crash.Split('\n'))
        {
            if (NoteHeading().IsMatch(line))
            {
                inNote = true;
            }
            else if (inNote && line.StartsWith(new string(' ', 22), StringComparison.Ordinal) && line.Trim().Length > 0)
            {
                yield return line.Trim();
            }
            else
            {
                inNote = false;
            }
        }
    }

    // The decoded lines of Kdx's NT_PRSTATUS and QEMUCPUState notes (not the raw 64-bit words after them).
    private static IEnumerable<string> KdxDecodedNotes(string notes)
    {
        foreach (string block in notes.Split("Elf64_Nhdr:\n"))
        {
            var lines = block.Split('\n');
            if (!lines.Any(l => l.Contains("n_type: 1 (NT_PRSTATUS)", StringComparison.Ordinal) || l.Contains("(QEMUCPUState)", StringComparison.Ordinal)))
            {
                continue;
            }

            foreach (string line in lines.SkipWhile(l => !l.Contains("n_type:", StringComparison.Ordinal)).Skip(1))
            {
                if (line.Length > 0 && !PointerRow().IsMatch(line))
                {
                    yield return line.Trim();
                }
            }
        }
    }

    [GeneratedRegex(@"^(\s*([A-Za-z_][A-Za-z0-9_]*(\[[0-9A-Za-z_]+\])?|NOTE offsets): ?)")]
    private static partial Regex Field();

    [GeneratedRegex(@"^(\s*\S+: )[0-9a-f]+ ?")]
    private static partial Regex Pointer();

    [GeneratedRegex(@"^\s+([0-9a-f]{16} )+$")]
    private static partial Regex PointerRow();

    [GeneratedRegex(@"^\s+notes\[\d+\]: [0-9a-f]+ \((NT_PRSTATUS|QEMUCPUState)\)$")]
    private static partial Regex NoteHeading();
}
