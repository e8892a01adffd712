using Kdx.Core.Memory;

namespace Kdx.Core.Debug.Kallsyms;

/// <summary>
/// The bytes of a table of unknown length at a kernel address, read in growing bulk reads as a decoder
/// asks for more (kallsyms_names ends where its last symbol ends), up to a cap.
/// </summary>
internal sealed class MemoryWindow
{
    private readonly IMemoryReader _memory;
    private readonly int _cap;
    private byte[] _data;
    private int _length;

    public MemoryWindow(IMemoryReader memory, ulong start, int initial, int cap, string what)
    {
        _memory = memory;
        Start = start;
        What = what;
        _cap = cap;
        _data = new byte[Math.Clamp(initial, 1, Math.Max(1, cap))];
    }

    /// <summary>The address of byte 0.</summary>
    public ulong Start { get; }

    /// <summary>What the table is, for messages.</summary>
    public string What { get; }

    /// <summary>Why the last read stopped short, or Ok.</summary>
    public ReadStatus StopReason { get; private set; } = ReadStatus.Ok;

    /// <summary>The bytes read so far.</summary>
    public ReadOnlySpan<byte> Data => _data.AsSpan(0, _length);

    /// <summary>Makes the first <paramref name="count"/> bytes available; false when they cannot be read or pass the cap.</summary>
    public bool Ensure(int count)
    {
        while (_length < count)
        {
            if (StopReason != ReadStatus.Ok || _length >= _cap)
            {
                return false;
            }

            int size = (int)Math.Min(_cap, Math.Max((long)count, Math.Max(_data.Length, (long)_length * 2)));
            if (size > _data.Length)
            {
                Array.Resize(ref _data, size);
            }

            var status = _memory.Read(Start + (ulong)_length, _data.AsSpan(_length, size - _length), out int n);
            _length += n;
            StopReason = status;
        }

        return true;
    }

    /// <summary>Why <see cref="Ensure"/> failed at <paramref name="offset"/>, as an exception.</summary>
    public KdxException Failure(int offset, string reading)
    {
        ulong at = Start + (ulong)_length;
        if (StopReason != ReadStatus.Ok)
        {
            return new MemoryFaultException(at, _memory.Space, StopReason, $"{What} ({reading})", _memory.ExplainFailure(at, StopReason));
        }

        return new KdxException($"{What} at {Start:x}: {reading} at offset {offset} runs past {_cap} bytes");
    }
}
