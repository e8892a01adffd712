using System.Buffers.Binary;
using Kdx.Core.Memory;

namespace Kdx.Tests.Linux.Mm;

/// <summary>Kernel virtual memory made of 4 KiB pages written by the test; everything else is not mapped.</summary>
internal sealed class FakeKernelMemory : IMemoryReader
{
    private const ulong Page = 4096;
    private readonly Dictionary<ulong, byte[]> _pages = [];

    public AddressSpace Space => AddressSpace.KernelVirtual;

    public HashSet<ulong> Excluded { get; } = [];

    public int Reads { get; private set; }

    public void Map(ulong address, ulong length)
    {
        for (ulong a = address & ~(Page - 1); a < address + length; a += Page)
        {
            _pages.TryAdd(a, new byte[Page]);
        }
    }

    public void Write(ulong address, ReadOnlySpan<byte> data)
    {
        Map(address, (ulong)data.Length);
        while (!data.IsEmpty)
        {
            int off = (int)(address % Page);
            int n = Math.Min(data.Length, (int)Page - off);
            data[..n].CopyTo(_pages[address - (ulong)off].AsSpan(off));
            data = data[n..];
            address += (ulong)n;
        }
    }

    public void WriteUInt64(ulong address, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        Write(address, b);
    }

    public ReadStatus Read(ulong address, Span<byte> destination, out int bytesRead)
    {
        Reads++;
        bytesRead = 0;
        while (!destination.IsEmpty)
        {
            ulong page = address & ~(Page - 1);
            if (Excluded.Contains(page))
            {
                return ReadStatus.Excluded;
            }

            if (!_pages.TryGetValue(page, out var bytes))
            {
                return ReadStatus.NotMapped;
            }

            int off = (int)(address - page);
            int n = Math.Min(destination.Length, (int)Page - off);
            bytes.AsSpan(off, n).CopyTo(destination);
            destination = destination[n..];
            address += (ulong)n;
            bytesRead += n;
        }

        return ReadStatus.Ok;
    }

    public string? ExplainFailure(ulong address, ReadStatus status) => null;
}
