using Kdx.Core;
using Kdx.Core.Linux.Printk;
using Kdx.Tests.Model;
using Shouldly;
using Xunit;

namespace Kdx.Tests.Linux;

public sealed class PrintkTests
{
    [Fact]
    public void The_ringbuffer_is_read_from_the_tail_id_to_the_head_id()
    {
        var k = new PrintkTestKernel();
        // Ids 5..7 in a ring of 4 descriptors; lpos in the second lap of a 64-byte data ring.
        k.WriteRecord(5, 64, 80, "one", level: 4, tsNs: 1_500_000_000, caller: 42, subsystem: "pci", device: "+pci:0000:00:01.0");
        k.WriteRecord(6, 80, 96, "two", level: 0, caller: 0x80000001);
        k.WriteRecord(7, 96, 112, "three");
        k.WriteRing(tail: 5, head: 7);

        var problems = new List<string>();
        var records = KernelLog.Read(k.Program, problems).ToList();

        problems.ShouldBeEmpty();
        records.Select(r => r.TextString).ShouldBe(["one", "two", "three"]);
        records[0].Level.ShouldBe(4);
        records[0].Flags.ShouldBe(4);
        records[0].Sequence.ShouldBe(1005UL);
        records[0].TimestampNanoseconds.ShouldBe(1_500_000_000UL);
        records[0].CallerId.ShouldBe(42U);
        records[0].DictionaryLines().ShouldBe(["SUBSYSTEM=pci", "DEVICE=+pci:0000:00:01.0"]);
        records[1].Level.ShouldBe(0);
        records[1].CallerId.ShouldBe(0x80000001U);
        records[2].DictionaryLines().ShouldBeEmpty();
    }

    [Fact]
    public void A_block_that_wraps_keeps_its_text_at_the_start_of_the_ring()
    {
        var k = new PrintkTestKernel();
        k.WriteRecord(1, 100, 120, "before");
        k.WriteRecord(2, 120, 128 + 20, "wrapped text");
        k.WriteRing(tail: 1, head: 2);

        var records = KernelLog.Read(k.Program, new List<string>()).ToList();

        records.Select(r => r.TextString).ShouldBe(["before", "wrapped text"]);
    }

    [Fact]
    public void A_block_ending_exactly_at_the_end_of_the_ring_is_not_a_wrapping_block()
    {
        var k = new PrintkTestKernel();
        k.WriteRecord(1, 64 + 40, 128, "at the end");
        k.WriteRing(tail: 1, head: 1);

        KernelLog.Read(k.Program, new List<string>()).Single().TextString.ShouldBe("at the end");
    }

    [Fact]
    public void Text_longer_than_its_block_is_cut_at_the_block()
    {
        var k = new PrintkTestKernel();
        k.WriteRecord(1, 0, 12, "abcd", textLength: 200);
        k.WriteRing(tail: 1, head: 1);

        KernelLog.Read(k.Program, new List<string>()).Single().TextString.ShouldBe("abcd");
    }

    [Fact]
    public void Data_less_records_have_no_text_and_uncommitted_or_recycled_descriptors_are_skipped()
    {
        var k = new PrintkTestKernel();
        k.WriteRecord(1, 1, 1, string.Empty);            // FAILED_LPOS: data-less
        k.WriteRecord(2, 16, 32, "reserved", state: 0);   // still being written
        k.WriteRecord(3, 32, 48, "reusable", state: 3);   // free
        k.WriteRecord(4, 48, 60, "ok", state: 1);         // committed
        k.WriteRing(tail: 1, head: 4);
        // Descriptor slot 1 now belongs to id 5: reading id 1 there is a miss.
        var records = KernelLog.Read(k.Program, new List<string>()).ToList();

        records.Count.ShouldBe(2);
        records[0].HasText.ShouldBeFalse();
        records[1].TextString.ShouldBe("ok");

        k.WriteRecord(5, 60, 80, "newer");
        KernelLog.Read(k.Program, new List<string>()).Select(r => r.TextString).ShouldBe(["ok"]);
    }

    [Fact]
    public void An_overwritten_text_block_is_reported_and_the_other_records_are_kept()
    {
        var k = new PrintkTestKernel();
        k.WriteRecord(1, 0, 16, "lost", blockId: 9);
        k.WriteRecord(2, 16, 32, "kept");
        k.WriteRing(tail: 1, head: 2);
        var problems = new List<string>();

        KernelLog.Read(k.Program, problems).Select(r => r.TextString).ShouldBe(["kept"]);

        problems.ShouldHaveSingleItem().ShouldContain("belongs to record 9, not 1");
    }

    [Fact]
    public void A_head_more_than_a_ring_past_the_tail_reads_only_the_newest_ring()
    {
        var k = new PrintkTestKernel();
        for (ulong id = 10; id < 14; id++)
        {
            k.WriteRecord(id, (id - 10) * 16, ((id - 10) * 16) + 12, $"m{id}");
        }

        k.WriteRing(tail: 1, head: 13);
        var problems = new List<string>();

        KernelLog.Read(k.Program, problems).Select(r => r.TextString).ShouldBe(["m10", "m11", "m12", "m13"]);
        problems.ShouldHaveSingleItem().ShouldContain("12 ids past tail id 1");
    }

    [Fact]
    public void Unreadable_descriptors_are_reported_one_by_one_without_stopping()
    {
        var k = new PrintkTestKernel();
        k.WriteRing(tail: 1, head: 2);
        k.Program.Write(PrintkTestKernel.Prb + 8, 0xdead000000000000);
        var problems = new List<string>();

        KernelLog.Read(k.Program, problems).ShouldBeEmpty();

        problems.Count.ShouldBe(2);
        problems[0].ShouldStartWith("printk record 1:");
    }

    [Theory]
    [InlineData(0, 6)]
    [InlineData(31, 6)]
    [InlineData(2, 41)]
    public void Implausible_ring_sizes_are_refused(int countBits, int sizeBits)
    {
        var k = new PrintkTestKernel(countBits, sizeBits);
        k.WriteRing(1, 1);

        Should.Throw<KdxException>(() => KernelLog.Read(k.Program, new List<string>()).ToList()).Message.ShouldContain("implausible ring sizes");
    }

    [Fact]
    public void A_kernel_without_a_log_says_which_symbols_it_looked_for()
    {
        var p = new TestProgram();

        Should.Throw<KdxException>(() => KernelLog.Read(p, new List<string>())).Message.ShouldContain("prb");
        KernelLog.Describe(p).ShouldBe("none found");
    }

    [Fact]
    public void The_older_record_buffer_is_read_with_its_dictionary_and_its_wrap_marker()
    {
        var k = new PrintkTestKernel();
        var p = k.Program;
        const ulong buf = TestProgram.Base + 0x10000;
        Symbols(p, buf, length: 128, first: 64, next: 24);
        ulong at = WriteLogRecord(p, buf, 64, "late", "SUBSYSTEM=pci\0DEVICE=+pci:1", level: 3, ts: 7);
        p.Write(buf + at + 8, 0, 2);                     // a header with len 0: continue at index 0
        WriteLogRecord(p, buf, 0, "early", string.Empty, level: 6, ts: 9);

        var problems = new List<string>();
        var records = KernelLog.Read(p, problems).ToList();

        problems.ShouldBeEmpty();
        KernelLog.Describe(p).ShouldBe("variable-length record log_buf");
        records.Select(r => r.TextString).ShouldBe(["late", "early"]);
        records[0].DictionaryLines().ShouldBe(["SUBSYSTEM=pci", "DEVICE=+pci:1"]);
        records[0].Level.ShouldBe(3);
        records[0].Sequence.ShouldBe(5UL);
        records[1].TimestampNanoseconds.ShouldBe(9UL);
        records[1].CallerId.ShouldBeNull();
    }

    [Fact]
    public void A_corrupt_older_record_ends_the_walk_with_a_problem()
    {
        var k = new PrintkTestKernel();
        var p = k.Program;
        const ulong buf = TestProgram.Base + 0x10000;
        Symbols(p, buf, length: 128, first: 0, next: 100);
        WriteLogRecord(p, buf, 0, "fine", string.Empty, level: 6, ts: 1);
        p.Write(buf + 24 + 8, 500, 2);                   // the next header's len runs off the buffer
        var problems = new List<string>();

        KernelLog.Read(p, problems).Select(r => r.TextString).ShouldBe(["fine"]);

        problems.ShouldHaveSingleItem().ShouldContain("length 500");
    }

    [Fact]
    public void Older_buffer_indexes_outside_the_buffer_are_refused()
    {
        var k = new PrintkTestKernel();
        Symbols(k.Program, TestProgram.Base + 0x10000, length: 128, first: 200, next: 0);

        Should.Throw<KdxException>(() => KernelLog.Read(k.Program, new List<string>()).ToList()).Message.ShouldContain("implausible indexes");
    }

    private static void Symbols(TestProgram p, ulong buf, uint length, uint first, uint next)
    {
        const ulong vars = TestProgram.Base + 0xf000;
        p.Symbol("log_buf", vars);
        p.Symbol("log_buf_len", vars + 8);
        p.Symbol("log_first_idx", vars + 16);
        p.Symbol("log_next_idx", vars + 24);
        p.Symbol("log_first_seq", vars + 32);
        p.Write(vars, buf);
        p.Write(vars + 8, length, 4);
        p.Write(vars + 16, first, 4);
        p.Write(vars + 24, next, 4);
        p.Write(vars + 32, 5);
    }

    // struct printk_log: 16-byte header, text, dictionary; records 8-byte aligned. Returns the next index.
    private static ulong WriteLogRecord(TestProgram p, ulong buf, ulong at, string text, string dict, int level, ulong ts)
    {
        ulong len = (ulong)(16 + text.Length + dict.Length + 7) & ~7UL;
        p.Write(buf + at, ts);
        p.Write(buf + at + 8, len, 2);
        p.Write(buf + at + 10, (ulong)text.Length, 2);
        p.Write(buf + at + 12, (ulong)dict.Length, 2);
        p.Write(buf + at + 14, 0, 1);
        p.Write(buf + at + 15, (ulong)level << 5, 1);
        var bytes = System.Text.Encoding.Latin1.GetBytes(text + dict);
        for (int i = 0; i < bytes.Length; i++)
        {
            p.Write(buf + at + 16 + (ulong)i, bytes[i], 1);
        }

        return at + len;
    }
}
