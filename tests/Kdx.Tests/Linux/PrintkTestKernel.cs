using System.Text;
using Kdx.Core.Types;
using Kdx.Tests.Model;

namespace Kdx.Tests.Linux;

/// <summary>
/// A <see cref="TestProgram"/> with the kernel's printk types laid out as Debian's 6.1 kernel has them
/// (checked with crash's struct -o) and writers for a lockless ringbuffer and an older log_buf.
/// </summary>
internal sealed class PrintkTestKernel
{
    public const ulong Prb = TestProgram.Base + 0x1000;
    public const ulong PrbPointer = TestProgram.Base + 0x800;
    public const ulong Descs = TestProgram.Base + 0x2000;
    public const ulong Infos = TestProgram.Base + 0x4000;
    public const ulong Data = TestProgram.Base + 0x8000;

    private readonly KType _u8;
    private readonly KType _u16;
    private readonly KType _u32;
    private readonly KType _u64;

    public PrintkTestKernel(int countBits = 2, int sizeBits = 6)
    {
        CountBits = countBits;
        SizeBits = sizeBits;
        var p = Program;
        _u8 = KType.Int("unsigned char", 1, false);
        _u16 = KType.Int("short unsigned int", 2, false);
        _u32 = p.UInt;
        _u64 = KType.Int("long long unsigned int", 8, false);
        var atomicLong = KType.Typedef("atomic_long_t", KType.Struct(null, 8, () => [new KMember("counter", p.Long, 0)]));
        var lpos = KType.Struct("prb_data_blk_lpos", 16, () => [new KMember("begin", p.ULong, 0), new KMember("next", p.ULong, 64)]);
        var desc = KType.Struct("prb_desc", 24, () => [new KMember("state_var", atomicLong, 0), new KMember("text_blk_lpos", lpos, 64)]);
        var devInfo = KType.Struct("dev_printk_info", 64, () =>
            [new KMember("subsystem", KType.Array(p.Char, 16), 0), new KMember("device", KType.Array(p.Char, 48), 128)]);
        var info = KType.Struct("printk_info", 88, () =>
        [
            new KMember("seq", _u64, 0), new KMember("ts_nsec", _u64, 64), new KMember("text_len", _u16, 128),
            new KMember("facility", _u8, 144), new KMember("flags", _u8, 152, 5), new KMember("level", _u8, 157, 3),
            new KMember("caller_id", _u32, 160), new KMember("dev_info", devInfo, 192),
        ]);
        var descRing = KType.Struct("prb_desc_ring", 48, () =>
        [
            new KMember("count_bits", p.UInt, 0), new KMember("descs", KType.Pointer(desc), 64), new KMember("infos", KType.Pointer(info), 128),
            new KMember("head_id", atomicLong, 192), new KMember("tail_id", atomicLong, 256), new KMember("last_finalized_id", atomicLong, 320),
        ]);
        var dataRing = KType.Struct("prb_data_ring", 32, () =>
        [
            new KMember("size_bits", p.UInt, 0), new KMember("data", KType.Pointer(p.Char), 64),
            new KMember("head_lpos", atomicLong, 128), new KMember("tail_lpos", atomicLong, 192),
        ]);
        var rb = KType.Struct("printk_ringbuffer", 88, () =>
            [new KMember("desc_ring", descRing, 0), new KMember("text_data_ring", dataRing, 384), new KMember("fail", atomicLong, 640)]);
        foreach (var t in new[] { lpos, desc, devInfo, info, descRing, dataRing, rb })
        {
            p.AddType("struct " + t.Name, t);
        }

        var log = KType.Struct("printk_log", 16, () =>
        [
            new KMember("ts_nsec", _u64, 0), new KMember("len", _u16, 64), new KMember("text_len", _u16, 80), new KMember("dict_len", _u16, 96),
            new KMember("facility", _u8, 112), new KMember("flags", _u8, 120, 5), new KMember("level", _u8, 125, 3),
        ]);
        p.AddType("struct printk_log", log);
    }

    public TestProgram Program { get; } = new();

    public int CountBits { get; }

    public int SizeBits { get; }

    public ulong DataSize => 1UL << SizeBits;

    /// <summary>Writes prb and the ring headers; <paramref name="tail"/> and <paramref name="head"/> are ids.</summary>
    public void WriteRing(ulong tail, ulong head)
    {
        var p = Program;
        p.Symbol("prb", PrbPointer);
        p.Write(PrbPointer, Prb);
        p.Write(Prb, (ulong)CountBits, 4);
        p.Write(Prb + 8, Descs);
        p.Write(Prb + 16, Infos);
        p.Write(Prb + 24, head);
        p.Write(Prb + 32, tail);
        p.Write(Prb + 48, (ulong)SizeBits, 4);
        p.Write(Prb + 56, Data);
    }

    /// <summary>Writes a descriptor, its info and its text block at lpos [begin, next).</summary>
    public void WriteRecord(ulong id, ulong begin, ulong next, string text, ulong state = 2, int level = 6, ulong tsNs = 0, uint caller = 1, string subsystem = "", string device = "", ulong? blockId = null, int? textLength = null)
    {
        var p = Program;
        ulong index = id % (1UL << CountBits);
        ulong d = Descs + (index * 24);
        p.Write(d, (state << 62) | id);
        p.Write(d + 8, begin);
        p.Write(d + 16, next);
        ulong i = Infos + (index * 88);
        p.Write(i, id + 1000);
        p.Write(i + 8, tsNs);
        p.Write(i + 16, (ulong)(textLength ?? text.Length), 2);
        p.Write(i + 18, 0, 1);
        p.Write(i + 19, (ulong)(level << 5) | 0x4, 1);
        p.Write(i + 20, caller, 4);
        p.WriteString(i + 24, subsystem);
        p.WriteString(i + 40, device);
        if ((begin & 1) != 0 || begin == next)
        {
            return;
        }

        // A block that wraps keeps its id at begin and its data from the start of the ring.
        bool wraps = begin / DataSize != (next - 1) / DataSize;
        ulong at = wraps ? 0 : begin % DataSize;
        p.Write(Data + at, blockId ?? id);
        var bytes = Encoding.Latin1.GetBytes(text);
        for (int k = 0; k < bytes.Length; k++)
        {
            p.Write(Data + at + 8 + (ulong)k, bytes[k], 1);
        }
    }
}
