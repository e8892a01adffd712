using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace Kdx.Core.IO;

/// <summary>
/// A read-only, memory-mapped file. Reads are bounds-checked copies from the mapping; the hot path
/// (<see cref="TryGetSpan"/>) hands out spans over the mapping without copying. Opening maps the file
/// but touches none of its pages, so opening a 1 TB dump costs the same as opening a small one.
/// Files that cannot be mapped (pipes, some special files) fall back to positioned reads.
/// </summary>
public sealed unsafe class MappedFile : IByteSource, IMappedByteSource
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly SafeFileHandle? _handle;
    private readonly byte* _base;
    private bool _disposed;

    private MappedFile(string name, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view, SafeFileHandle? handle, byte* basePointer)
    {
        Name = name;
        Length = length;
        _map = map;
        _view = view;
        _handle = handle;
        _base = basePointer;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public long Length { get; }

    /// <summary>
    /// Opens and maps a file. Throws <see cref="KdxException"/> with the path and the reason when the
    /// file cannot be opened.
    /// </summary>
    public static MappedFile Open(string path)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new KdxException($"{path}: {DescribeOpenError(e)}", e);
        }

        long length;
        try
        {
            length = RandomAccess.GetLength(handle);
        }
        catch (IOException e)
        {
            handle.Dispose();
            throw new KdxException($"{path}: cannot get the file size: {e.Message}", e);
        }

        if (Directory.Exists(path))
        {
            handle.Dispose();
            throw new KdxException($"{path}: is a directory");
        }

        if (length == 0)
        {
            return new MappedFile(path, 0, null, null, handle, null);
        }

        try
        {
            var map = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            p += view.PointerOffset;
            return new MappedFile(path, length, map, view, handle, p);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Not mappable: read with pread instead.
            return new MappedFile(path, length, null, null, handle, null);
        }
    }

    /// <inheritdoc/>
    public int Read(long offset, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (offset < 0 || offset >= Length || destination.IsEmpty)
        {
            return 0;
        }

        int n = (int)Math.Min(destination.Length, Length - offset);
        if (_base != null)
        {
            new ReadOnlySpan<byte>(_base + offset, n).CopyTo(destination);
            return n;
        }

        int total = 0;
        while (total < n)
        {
            int r = RandomAccess.Read(_handle!, destination[total..n], offset + total);
            if (r <= 0)
            {
                break;
            }

            total += r;
        }

        return total;
    }

    /// <inheritdoc/>
    public bool TryGetSpan(long offset, int length, out ReadOnlySpan<byte> span)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_base == null || offset < 0 || length < 0 || offset > Length - length)
        {
            span = default;
            return false;
        }

        span = new ReadOnlySpan<byte>(_base + offset, length);
        return true;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_view != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }

        _map?.Dispose();
        _handle?.Dispose();
    }

    private static string DescribeOpenError(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };
}
