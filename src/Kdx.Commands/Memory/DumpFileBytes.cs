using Kdx.Commands.Infrastructure;
using Kdx.Core.Memory;
using Microsoft.Win32.SafeHandles;

namespace Kdx.Commands.Memory;

/// <summary>
/// The dump file's own bytes by file offset, for <c>rd -f</c> (crash's FILEADDR reads the first dump file).
/// </summary>
internal sealed class DumpFileBytes : IMemoryReader, IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly long _length;

    private DumpFileBytes(SafeFileHandle file)
    {
        _file = file;
        _length = RandomAccess.GetLength(file);
    }

    /// <summary>Opens the file; a <see cref="CommandException"/> says why it cannot be.</summary>
    public static DumpFileBytes Open(string path)
    {
        try
        {
            return new DumpFileBytes(File.OpenHandle(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CommandException($"cannot open the dump file {path}: {e.Message}", e);
        }
    }

    // Not a machine address space; MemoryType.DumpFile names it in messages.
    public AddressSpace Space => AddressSpace.Physical;

    public ReadStatus Read(ulong address, Span<byte> destination, out int bytesRead)
    {
        bytesRead = 0;
        while (!destination.IsEmpty)
        {
            ulong at = address + (ulong)bytesRead;
            if (at >= (ulong)_length)
            {
                return ReadStatus.NotInDump;
            }

            int n = RandomAccess.Read(_file, destination, (long)at);
            if (n <= 0)
            {
                return ReadStatus.NotInDump;
            }

            bytesRead += n;
            destination = destination[n..];
        }

        return ReadStatus.Ok;
    }

    public string? ExplainFailure(ulong address, ReadStatus status) => $"the file is {_length} bytes long";

    public void Dispose() => _file.Dispose();
}
