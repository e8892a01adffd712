using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux.Printk;

/// <summary>
/// The variable-length record buffer of kernels v3.5 to v5.9 (commit 7ff9554bb578 "printk: convert
/// byte-buffer to variable-length record buffer"; replaced in v5.10): <c>log_buf</c> holds records
/// <c>struct printk_log</c> (named <c>struct log</c> before v3.11, commit 62e32ac3505a) each followed by its
/// text and its dictionary ("KEY=value\0KEY=value"), from <c>log_first_idx</c> to <c>log_next_idx</c>; a
/// record header with len 0 means "continue at the start of the buffer".
/// </summary>
internal sealed class PrintkLogBuffer
{
    private readonly IMemoryReader _memory;
    private readonly StructLayout _header;
    private readonly ulong _buffer;
    private readonly ulong _length;
    private readonly ulong _first;
    private readonly ulong _next;
    private readonly ulong _firstSeq;

    private PrintkLogBuffer(IProgram program, StructLayout header)
    {
        _memory = program.Memory;
        _header = header;
        _buffer = _memory.ReadUInt64(Symbol(program, "log_buf"), "log_buf");
        _length = _memory.ReadUInt32(Symbol(program, "log_buf_len"), "log_buf_len");
        _first = _memory.ReadUInt32(Symbol(program, "log_first_idx"), "log_first_idx");
        _next = _memory.ReadUInt32(Symbol(program, "log_next_idx"), "log_next_idx");
        _firstSeq = program.Symbols.TryGetAddress("log_first_seq", out ulong seq) ? _memory.ReadUInt64(seq, "log_first_seq") : 0;
        if (_length == 0 || _length > 1UL << 31 || _first >= _length || _next > _length)
        {
            throw new KdxException($"log_buf at {_buffer:x}: implausible indexes (length {_length}, first {_first}, next {_next})");
        }
    }

    /// <summary>Whether the kernel has this buffer (log_first_idx and a record type).</summary>
    public static bool IsPresent(IProgram program) => program.Symbols.TryGetAddress("log_first_idx", out _);

    /// <summary>Opens the buffer.</summary>
    public static PrintkLogBuffer Open(IProgram program)
    {
        var header = StructLayout.TryFind(program.Types, "printk_log") ?? StructLayout.Find(program.Types, "log");
        return new PrintkLogBuffer(program, header);
    }

    /// <summary>The records from the oldest to the newest; a damaged record ends the walk with a problem.</summary>
    public IEnumerable<PrintkRecord> Records(ICollection<string> problems)
    {
        ulong at = _first;
        ulong seq = _firstSeq;
        var head = new byte[_header.Size];
        bool wrapped = false;
        // Each record is at least a header long: a walk longer than the buffer has met a cycle.
        for (ulong walked = 0; at != _next && walked <= _length; walked += (ulong)head.Length)
        {
            PrintkRecord? record;
            ulong length;
            try
            {
                if (at + (ulong)head.Length > _length)
                {
                    throw new KdxException($"record header at index {at} runs past the end of the {_length}-byte buffer");
                }

                _memory.ReadExactly(_buffer + at, head, $"printk_log header at log_buf+{at}");
                length = _header.Read(head, "len");
                if (length == 0)
                {
                    // A zero-length header marks the end of the used part: continue at the start (once).
                    if (wrapped)
                    {
                        throw new KdxException($"a second wrap marker at index {at}");
                    }

                    wrapped = true;
                    at = 0;
                    continue;
                }

                if (length < (ulong)head.Length || at + length > _length)
                {
                    throw new KdxException($"record at index {at} has length {length}, outside the buffer");
                }

                record = Decode(at, head, length, seq);
            }
            catch (KdxException e)
            {
                problems.Add($"log_buf record at index {at}: {e.Message}");
                yield break;
            }

            yield return record;
            at += length;
            seq++;
        }
    }

    private PrintkRecord Decode(ulong at, byte[] head, ulong length, ulong seq)
    {
        int textLength = (int)_header.Read(head, "text_len");
        int dictLength = (int)_header.Read(head, "dict_len");
        if ((ulong)head.Length + (ulong)textLength + (ulong)dictLength > length)
        {
            throw new KdxException($"text ({textLength}) and dictionary ({dictLength}) do not fit the record's {length} bytes");
        }

        var bytes = new byte[textLength + dictLength];
        _memory.ReadExactly(_buffer + at + (ulong)head.Length, bytes, $"printk_log text at log_buf+{at}");
        string[] properties = dictLength == 0 ? [] :
            System.Text.Encoding.Latin1.GetString(bytes, textLength, dictLength).Split('\0', StringSplitOptions.RemoveEmptyEntries);

        return new PrintkRecord
        {
            Sequence = seq,
            TimestampNanoseconds = _header.Read(head, "ts_nsec"),
            Level = (int)_header.Read(head, "level"),
            Facility = (int)_header.Read(head, "facility"),
            Flags = (int)_header.Read(head, "flags"),
            CallerId = _header.Has("caller_id") ? (uint)_header.Read(head, "caller_id") : null,
            Text = bytes[..textLength],
            Properties = properties,
        };
    }

    private static ulong Symbol(IProgram program, string name) =>
        program.Symbols.TryGetAddress(name, out ulong a) ? a : throw new KdxException($"the kernel has no {name} symbol");
}
