using System.Buffers.Binary;
using System.Text;
using Kdx.Core.Dumps;
using Kdx.Core.Elf;

namespace Kdx.Tests.Elf;

public class ElfNotesTests
{
    internal static byte[] Note(string name, uint type, byte[] desc)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name + "\0");
        int nameLen = (nameBytes.Length + 3) & ~3;
        int descLen = (desc.Length + 3) & ~3;
        var b = new byte[12 + nameLen + descLen];
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)nameBytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)desc.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), type);
        nameBytes.CopyTo(b, 12);
        desc.CopyTo(b, 12 + nameLen);
        return b;
    }

    internal static byte[] PrStatusDesc(int pid, ulong rip, ulong rsp)
    {
        var d = new byte[PrStatus.Size];
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(PrStatus.PidOffset), pid);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(PrStatus.RegsOffset + (16 * 8)), rip);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(PrStatus.RegsOffset + (19 * 8)), rsp);
        return d;
    }

    [Fact]
    public void Parses_prstatus_and_vmcoreinfo_notes_with_padding()
    {
        var block = Note("CORE", 1, PrStatusDesc(42, 0xffffffff81000010, 0xffffc90000123f00))
            .Concat(Note("CORE", 1, PrStatusDesc(0, 0xffffffff81000020, 0xffffc90000200000)))
            .Concat(Note("VMCOREINFO", 0, Encoding.ASCII.GetBytes("OSRELEASE=6.1.0\nPAGESIZE=4096\n")))
            .Concat(new byte[64]) // /proc/vmcore pads note segments with zeros
            .ToArray();
        var notes = new List<ElfNote>();
        ElfNotes.Parse(block, "core", 100, ParseLimits.Default, notes);

        notes.Count.ShouldBe(3);
        notes[0].FileOffset.ShouldBe(100);
        notes[2].Name.ShouldBe("VMCOREINFO");
        ElfNotes.FindVmcoreInfo(notes)!.OsRelease.ShouldBe("6.1.0");

        var cpus = PrStatus.FromNotes(notes);
        cpus.Count.ShouldBe(2);
        cpus[0].Pid.ShouldBe(42);
        cpus[0].Registers!.Rip.ShouldBe(0xffffffff81000010UL);
        cpus[1].Cpu.ShouldBe(1);
        cpus[1].Registers!.Rsp.ShouldBe(0xffffc90000200000UL);
        cpus[1].Registers!["rsp"].ShouldBe(0xffffc90000200000UL);
    }

    [Fact]
    public void A_first_note_larger_than_the_block_is_an_error_naming_the_offset()
    {
        var n = Note("CORE", 1, new byte[16]);
        BinaryPrimitives.WriteUInt32LittleEndian(n.AsSpan(4), 0x7fffffff);
        var e = Should.Throw<DumpFormatException>(() => ElfNotes.Parse(n, "core", 4096, ParseLimits.Default, []));
        e.Message.ShouldContain("core");
        e.Message.ShouldContain("4096");
    }

    [Fact]
    public void A_later_truncated_note_ends_the_list()
    {
        var good = Note("CORE", 1, new byte[16]);
        var bad = Note("CORE", 1, new byte[16]);
        BinaryPrimitives.WriteUInt32LittleEndian(bad.AsSpan(4), 1000);
        var notes = new List<ElfNote>();
        ElfNotes.Parse(good.Concat(bad).ToArray(), "core", -1, ParseLimits.Default, notes);
        notes.Count.ShouldBe(1);
        notes[0].FileOffset.ShouldBe(-1);
    }

    [Fact]
    public void The_note_count_limit_is_enforced()
    {
        var block = Enumerable.Range(0, 10).SelectMany(_ => Note("X", 7, new byte[4])).ToArray();
        var limits = ParseLimits.Default with { MaxNotes = 5 };
        Should.Throw<DumpFormatException>(() => ElfNotes.Parse(block, "core", 0, limits, []));
    }

    [Fact]
    public void Short_prstatus_notes_are_skipped()
    {
        var notes = new List<ElfNote> { new("CORE", 1, new byte[100], 0), new("CORE", 1, PrStatusDesc(7, 1, 2), 0) };
        var cpus = PrStatus.FromNotes(notes);
        cpus.Count.ShouldBe(1);
        cpus[0].Pid.ShouldBe(7);
    }
}
