using System.Buffers;
using Kdx.Core.Dumps;

namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// The bytes of one DWARF section (a window onto a mapped file, or a decompressed or relocated copy),
/// with the names used in error messages.
/// </summary>
internal sealed class DwarfSection
{
    public DwarfSection(string file, string name, ReadOnlyMemory<byte> data)
    {
        File = file;
        Name = name;
        Data = data;
    }

    /// <summary>The file the section came from.</summary>
    public string File { get; }

    /// <summary>The section name (".debug_info").</summary>
    public string Name { get; }

    /// <summary>The section's bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The section's length.</summary>
    public int Length => Data.Length;

    /// <summary>An empty section, for the ones a file does not have.</summary>
    public static DwarfSection Empty(string file, string name) => new(file, name, ReadOnlyMemory<byte>.Empty);

    /// <summary>A reader at <paramref name="offset"/>.</summary>
    public DwarfReader Reader(int offset = 0) => new(this, Data.Span, offset);

    /// <summary>An error about this section at <paramref name="offset"/>.</summary>
    public DumpFormatException Error(long offset, string problem) => new(File, $"{Name} offset 0x{offset:x}: {problem}");

    /// <summary>
    /// Tells the OS this process is done with [offset, offset+length) for now: for a section mapped from
    /// the file, its whole pages leave the process's resident set (they stay in the page cache and come
    /// back on the next read). The index scan does this after each unit, so scanning 200 MB of DWARF
    /// does not leave 200 MB resident. Does nothing for sections held in arrays.
    /// </summary>
    public void Release(int offset, int length)
    {
        if (System.Runtime.InteropServices.MemoryMarshal.TryGetMemoryManager<byte, MappedMemory>(Data, out var mapped, out int start, out _))
        {
            mapped.Release(start + offset, length);
        }
    }

    /// <summary>Checks that [offset, offset+length) lies in the section.</summary>
    public void CheckRange(ulong offset, ulong length, string what)
    {
        if (offset > (ulong)Length || length > (ulong)Length - offset)
        {
            throw Error((long)Math.Min(offset, long.MaxValue), $"{what} ({length} bytes) runs past the end of the section ({Length} bytes)");
        }
    }
}

/// <summary>A <see cref="Memory{T}"/> over bytes that a memory-mapped file owns (valid while the file is open).</summary>
internal sealed unsafe class MappedMemory : MemoryManager<byte>
{
    private readonly byte* _pointer;
    private readonly int _length;

    public MappedMemory(ReadOnlySpan<byte> mapped)
    {
        // The span points into a file mapping, not the managed heap, so its address is stable.
        fixed (byte* p = mapped)
        {
            _pointer = p;
        }

        _length = mapped.Length;
    }

    public override Span<byte> GetSpan() => new(_pointer, _length);

    /// <summary>Drops the whole pages of [offset, offset+length) from the resident set (madvise MADV_DONTNEED on Linux).</summary>
    public void Release(int offset, int length)
    {
        if (!OperatingSystem.IsLinux() || offset < 0 || length <= 0 || offset > _length - length)
        {
            return;
        }

        const long Page = 4096;
        long from = ((long)_pointer + offset + Page - 1) & ~(Page - 1);
        long to = ((long)_pointer + offset + length) & ~(Page - 1);
        if (to > from)
        {
            _ = NativeMethods.Madvise((nint)from, (nuint)(to - from), NativeMethods.MadvDontneed);
        }
    }

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

/// <summary>The libc calls the DWARF reader makes.</summary>
internal static partial class NativeMethods
{
    /// <summary>MADV_DONTNEED (Linux include/uapi/asm-generic/mman-common.h).</summary>
    public const int MadvDontneed = 4;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "madvise")]
    public static partial int Madvise(nint address, nuint length, int advice);
}
