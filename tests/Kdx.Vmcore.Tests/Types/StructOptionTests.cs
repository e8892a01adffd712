using System.Globalization;
using System.Text.RegularExpressions;
using Kdx.Core.Elf;
using Kdx.Vmcore.Tests.TestBed;
using Shouldly;
using Xunit;

namespace Kdx.Vmcore.Tests.Types;

/// <summary>
/// struct -r, -f and -p on the real dumps, in the forms crash 8.0.2 printed by hand on the 6.1 ELF dump
/// (raw words like rd, a dump file offset read as the object, pointer members followed on "  -> " lines),
/// checked against vmlab_timer as drgn read it and against the same object read through its virtual address.
/// </summary>
public sealed partial class StructOptionTests
{
    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Raw_words_and_followed_pointers_of_the_test_modules_timer(string runId)
    {
        var run = CiRuns.Get(runId);
        var timer = run.LoadTruth().ShouldNotBeNull().Vmlab.ShouldNotBeNull().Timer;
        using var kdx = KdxSession.Open(run, "elf");
        ulong at = timer.Address;

        // struct timer_list is 40 bytes: 5 words, 2 a line. entry.next (0: pending is the last on its list or
        // not), expires at word 2.
        var lines = kdx.Run($"struct timer_list -r {at:x}").TrimEnd('\n').Split('\n');
        lines.Length.ShouldBe(3);
        var words = lines.SelectMany(l => RawLine().Match(l).Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => ulong.Parse(w, NumberStyles.HexNumber, CultureInfo.InvariantCulture))).ToList();
        lines.Select(l => ulong.Parse(RawLine().Match(l).Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ShouldBe([at, at + 16, at + 32]);
        words.Count.ShouldBe(5);
        words[2].ShouldBe(timer.Expires);
        (words[1] != 0).ShouldBe(timer.Pending, "entry.pprev is set while the timer is queued");
        kdx.Run($"struct timer_list.expires -r {at:x}").ShouldStartWith($"{at + 16:x}:  {timer.Expires:x16}");
        kdx.Run($"struct timer_list.expires,function -r {at:x}").ShouldBe("struct: only one structure member allowed with -r\n");

        // -p: the function pointer is declared on its line and named on the next.
        string function = timer.Function.ShouldNotBeNull().Replace("+0x0", string.Empty, StringComparison.Ordinal);
        string followed = kdx.Run($"struct timer_list -p {at:x}");
        followed.ShouldMatch(@"\n  void \(\*function\)\(struct timer_list \*\) = 0x[0-9a-f]+\n  -> <" + Regex.Escape(function) + ">\n");
        followed.ShouldContain($"\n  expires = {timer.Expires},\n");
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void A_dump_file_offset_reads_the_object_stored_there(string runId)
    {
        // init_task lies in the kernel image's PT_LOAD: its file offset is p_offset + (address - p_vaddr).
        var run = CiRuns.Get(runId);
        ulong task = run.LoadTruth().ShouldNotBeNull().Anchors["init_task"].ShouldNotBeNull();
        string path = run.Formats["elf"].Files[0];
        using var elf = ElfFile.Open(path);
        var load = elf.ProgramHeaders.Single(p => p.IsLoad && task >= p.VirtualAddress && task < p.VirtualAddress + p.FileSize);
        ulong offset = load.Offset + (task - load.VirtualAddress);
        using var kdx = KdxSession.Open(run, "elf");
        string byAddress = kdx.Run($"struct task_struct.pid,comm,tasks {task:x}");
        byAddress.ShouldContain("comm = \"swapper");
        kdx.Run($"struct task_struct.pid,comm,tasks -f {offset:x}").ShouldBe(byAddress);
        // rd's layout: a file offset is padded to an address's width; the words are those at the virtual address.
        string raw = kdx.Run($"struct list_head -r -f {offset + 0x10:x}");
        raw.TrimStart().ShouldStartWith($"{offset + 0x10:x}:  ");
        raw[(raw.IndexOf(':', StringComparison.Ordinal) + 1)..].ShouldBe(kdx.Run($"struct list_head -r {task + 0x10:x}")[17..]);
    }

    [GeneratedRegex(@"^([0-9a-f]{16}):((?: {1,2}[0-9a-f]{16})+)")]
    private static partial Regex RawLine();
}
