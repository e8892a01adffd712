using System.Runtime.InteropServices;

namespace Kdx.Tests.Compression;

/// <summary>
/// Native memory fenced by inaccessible pages, so a codec that reads or writes one byte outside
/// the span it was given crashes the test run instead of passing silently. Linux only (mmap).
/// </summary>
internal sealed unsafe partial class GuardedMemory : IDisposable
{
    private const int ProtNone = 0;
    private const int ProtReadWrite = 3;
    private const int MapPrivateAnonymous = 0x02 | 0x20;
    private static readonly int PageSize = Environment.SystemPageSize;

    private readonly byte* _base;
    private readonly nuint _total;
    private readonly int _usable;

    /// <summary>Room for <paramref name="length"/> bytes between two guard pages.</summary>
    public GuardedMemory(int length)
    {
        _usable = Math.Max(PageSize, (length + PageSize - 1) / PageSize * PageSize);
        _total = (nuint)(_usable + (2 * PageSize));
        _base = (byte*)Mmap(null, _total, ProtNone, MapPrivateAnonymous, -1, 0);
        if (_base == (byte*)-1)
        {
            throw new InvalidOperationException("mmap failed");
        }

        if (Mprotect(_base + PageSize, (nuint)_usable, ProtReadWrite) != 0)
        {
            throw new InvalidOperationException("mprotect failed");
        }
    }

    /// <summary><paramref name="length"/> bytes that end right at the trailing guard page.</summary>
    public Span<byte> AtEnd(int length) => new(_base + PageSize + _usable - length, length);

    /// <summary><paramref name="length"/> bytes that start right after the leading guard page.</summary>
    public Span<byte> AtStart(int length) => new(_base + PageSize, length);

    public void Dispose() => _ = Munmap(_base, _total);

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "mprotect")]
    private static partial int Mprotect(void* address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(void* address, nuint length);
}
