using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux.Printk;

/// <summary>
/// The lockless printk ringbuffer (kernel v5.10, commit 896fbe20b4e2 "printk: use the lockless
/// ringbuffer"; kernel/printk/printk_ringbuffer.h): a ring of descriptors (state and text block
/// positions), a parallel ring of printk_info (sequence, time, level, caller, dev_printk properties) and
/// a text data ring whose blocks start with the owning descriptor's id. Records are read from the tail
/// id to the head id, one descriptor at a time, so a damaged record costs only itself.
/// </summary>
internal sealed class PrintkRingBuffer
{
    // printk_ringbuffer.h: the top two bits of a descriptor's state_var are its state, the rest its id.
    private const int StateShift = 62;
    private const ulong IdMask = (1UL << StateShift) - 1;
    private const ulong StateCommitted = 1;
    private const ulong StateFinalized = 2;

    private readonly IMemoryReader _memory;
    private readonly StructLayout _desc;
    private readonly StructLayout _info;
    private readonly StructLayout _lpos;
    private readonly ulong _descs;
    private readonly ulong _infos;
    private readonly ulong _count;
    private readonly ulong _data;
    private readonly ulong _dataSize;
    private readonly ulong _head;
    private readonly ulong _tail;
    private readonly int _subsystemOffset;
    private readonly int _subsystemSize;
    private readonly int _deviceOffset;
    private readonly int _deviceSize;

    private PrintkRingBuffer(IProgram program, ulong prb)
    {
        _memory = program.Memory;
        var types = program.Types;
        var rb = StructLayout.Find(types, "printk_ringbuffer");
        var descRing = StructLayout.Find(types, "prb_desc_ring");
        var dataRing = StructLayout.Find(types, "prb_data_ring");
        _desc = StructLayout.Find(types, "prb_desc");
        _info = StructLayout.Find(types, "printk_info");
        _lpos = StructLayout.Find(types, "prb_data_blk_lpos");

        var bytes = new byte[rb.Size];
        _memory.ReadExactly(prb, bytes, "printk_ringbuffer (prb)");
        var dr = bytes.AsSpan(rb.Offset("desc_ring"), descRing.Size);
        var tr = bytes.AsSpan(rb.Offset("text_data_ring"), dataRing.Size);

        int countBits = (int)descRing.Read(dr, "count_bits");
        int sizeBits = (int)dataRing.Read(tr, "size_bits");
        if (countBits is < 1 or > 30 || sizeBits is < 4 or > 40)
        {
            throw new KdxException($"printk_ringbuffer at {prb:x}: implausible ring sizes (count_bits {countBits}, size_bits {sizeBits})");
        }

        _count = 1UL << countBits;
        _dataSize = 1UL << sizeBits;
        _descs = descRing.Read(dr, "descs");
        _infos = descRing.Read(dr, "infos");
        _head = descRing.Read(dr, "head_id") & IdMask;
        _tail = descRing.Read(dr, "tail_id") & IdMask;
        _data = dataRing.Read(tr, "data");
        if (_info.Has("dev_info.subsystem"))
        {
            _subsystemOffset = _info.Offset("dev_info.subsystem");
            _subsystemSize = _info.SizeOf("dev_info.subsystem");
            _deviceOffset = _info.Offset("dev_info.device");
            _deviceSize = _info.SizeOf("dev_info.device");
        }
    }

    /// <summary>Whether the kernel has the lockless ringbuffer (the <c>prb</c> pointer).</summary>
    public static bool IsPresent(IProgram program) => program.Symbols.TryGetAddress("prb", out _);

    /// <summary>Opens the ringbuffer <c>prb</c> points to.</summary>
    public static PrintkRingBuffer Open(IProgram program)
    {
        if (!program.Symbols.TryGetAddress("prb", out ulong pointer))
        {
            throw new KdxException("the kernel has no lockless printk ringbuffer (no prb symbol)");
        }

        ulong prb = program.Memory.ReadUInt64(pointer, "prb (the printk ringbuffer pointer)");
        return new PrintkRingBuffer(program, prb);
    }

    /// <summary>
    /// The records from the oldest to the newest, skipping descriptors not (or no longer) committed. A
    /// record that cannot be read is reported to <paramref name="problems"/> and skipped.
    /// </summary>
    public IEnumerable<PrintkRecord> Records(ICollection<string> problems)
    {
        // At most one ring's worth of ids lies between the tail and the head; more means a corrupt head.
        ulong span = (_head - _tail) & IdMask;
        ulong first = _tail;
        if (span >= _count)
        {
            problems.Add($"printk ringbuffer: head id {_head:x} is {span} ids past tail id {_tail:x} in a ring of {_count}; reading the newest {_count}");
            first = (_head - _count + 1) & IdMask;
        }

        var desc = new byte[_desc.Size];
        var info = new byte[_info.Size];
        for (ulong id = first; ; id = (id + 1) & IdMask)
        {
            var record = TryRead(id, desc, info, problems);
            if (record is not null)
            {
                yield return record;
            }

            if (id == _head)
            {
                break;
            }
        }
    }

    private PrintkRecord? TryRead(ulong id, byte[] desc, byte[] info, ICollection<string> problems)
    {
        ulong index = id % _count;
        ulong descAddress = _descs + (index * (ulong)desc.Length);
        ulong infoAddress = _infos + (index * (ulong)info.Length);
        try
        {
            _memory.ReadExactly(descAddress, desc, $"printk descriptor {id:x}");
            ulong state = _desc.Read(desc, "state_var");
            ulong s = state >> StateShift;
            if ((state & IdMask) != id || (s != StateCommitted && s != StateFinalized))
            {
                return null;
            }

            _memory.ReadExactly(infoAddress, info, $"printk_info of record {id:x}");
            int lposAt = _desc.Offset("text_blk_lpos");
            var lpos = desc.AsSpan(lposAt, _lpos.Size);
            ulong begin = _lpos.Read(lpos, "begin");
            ulong next = _lpos.Read(lpos, "next");
            int textLength = (int)_info.Read(info, "text_len");
            var (hasText, text) = ReadText(id, begin, next, textLength);
            return new PrintkRecord
            {
                Sequence = _info.Read(info, "seq"),
                TimestampNanoseconds = _info.Read(info, "ts_nsec"),
                Level = (int)_info.Read(info, "level"),
                Facility = (int)_info.Read(info, "facility"),
                Flags = (int)_info.Read(info, "flags"),
                CallerId = _info.Has("caller_id") ? (uint)_info.Read(info, "caller_id") : null,
                HasText = hasText,
                Text = text,
                Subsystem = _subsystemSize > 0 ? KernelStrings.FromBuffer(info.AsSpan(_subsystemOffset, _subsystemSize)) : string.Empty,
                Device = _deviceSize > 0 ? KernelStrings.FromBuffer(info.AsSpan(_deviceOffset, _deviceSize)) : string.Empty,
            };
        }
        catch (KdxException e)
        {
            problems.Add($"printk record {id:x}: {e.Message}");
            return null;
        }
    }

    // printk_ringbuffer.c get_data(): a block lies in one wrap of the ring, or wraps and then keeps its
    // data at the start of the ring; either way it starts with the descriptor id (unsigned long).
    private (bool HasText, byte[] Text) ReadText(ulong id, ulong begin, ulong next, int textLength)
    {
        // Data-less blocks (failed or empty reservations) have odd positions (LPOS_DATALESS).
        if ((begin & 1) != 0 || begin == next)
        {
            return (false, []);
        }

        ulong wrapBegin = begin / _dataSize;
        ulong wrapLast = (next - 1) / _dataSize;
        ulong start;
        ulong size;
        if (wrapBegin == wrapLast && begin < next)
        {
            start = begin % _dataSize;
            size = next - begin;
        }
        else if (wrapBegin + 1 == wrapLast)
        {
            start = 0;
            size = next % _dataSize == 0 ? _dataSize : next % _dataSize;
        }
        else
        {
            throw new KdxException($"text block positions {begin:x}..{next:x} do not fit a ring of {_dataSize} bytes");
        }

        if (size < 8)
        {
            throw new KdxException($"text block at {_data + start:x} is {size} bytes, shorter than its id");
        }

        ulong blockId = _memory.ReadUInt64(_data + start, $"text block id of record {id:x}");
        if ((blockId & IdMask) != id)
        {
            throw new KdxException($"text block at {_data + start:x} belongs to record {blockId & IdMask:x}, not {id:x} (overwritten)");
        }

        int length = (int)Math.Min((ulong)textLength, size - 8);
        var text = new byte[length];
        _memory.ReadExactly(_data + start + 8, text, $"text of printk record {id:x}");
        return (true, text);
    }
}
