using System.Buffers;
using System.Collections.Concurrent;
using Kdx.Core.Compression;
using Kdx.Core.IO;
using Kdx.Core.Memory;

namespace Kdx.Core.Dumps.Kdump;

/// <summary>
/// Finds and reads the pages of one kdump file: pfn → rank in the 2nd bitmap → page descriptor →
/// page data → decompressed page. Every descriptor is checked before it is trusted; a failure is a
/// <see cref="ReadStatus"/>, and <see cref="Explain"/> says in words what was wrong and where.
/// </summary>
internal sealed class KdumpPages : IDisposable
{
    private const int CachedPages = 16; // as many as crash keeps (diskdump_mod.h: DISKDUMP_CACHED_PAGES)

    private readonly KdumpPart _part;
    private readonly PageCache _cache;
    private readonly IMappedByteSource? _mapped;
    private readonly int _blockSize;
    private readonly ConcurrentBag<PageCodec> _codecs = []; // a codec is not thread-safe: one per concurrent reader
    private long _rankBase = -1;
    private long _decompressions;

    public KdumpPages(KdumpPart part)
    {
        _part = part;
        _blockSize = part.Header.BlockSize;
        _cache = new PageCache(CachedPages, _blockSize);
        _mapped = part.Source as IMappedByteSource;
    }

    /// <summary>How many pages have been decompressed (for tests of the page cache).</summary>
    public long Decompressions => Interlocked.Read(ref _decompressions);

    /// <summary>Why a page lookup ended where it did.</summary>
    internal enum Outcome
    {
        Found,
        BeyondMaxMapnr,
        NotRam,
        Excluded,
        OtherSplitFile,
        DescriptorPastEnd,
        NotWritten,
        BadSize,
        BadOffset,
        BadFlags,
        RawSizeMismatch,
        DataPastEnd,
    }

    /// <summary>
    /// Copies <c>destination.Length</c> bytes of page <paramref name="pfn"/> from <paramref name="offset"/>.
    /// <paramref name="zeroUnwritten"/> reads never-written pages of an incomplete dump as zeros (crash does so with --zero_excluded).
    /// </summary>
    public ReadStatus Read(ulong pfn, int offset, Span<byte> destination, bool zeroUnwritten)
    {
        var outcome = Locate(pfn, out var pd, out _, out var kind);
        if (outcome != Outcome.Found)
        {
            if (outcome == Outcome.NotWritten && zeroUnwritten)
            {
                destination.Clear();
                return ReadStatus.Ok;
            }

            return StatusOf(outcome);
        }

        if (kind == PageCompression.None)
        {
            int n = _part.Source.Read(pd.Offset + offset, destination);
            return n == destination.Length ? ReadStatus.Ok : ReadStatus.Truncated;
        }

        if (_cache.TryCopy(pfn, offset, destination))
        {
            return ReadStatus.Ok;
        }

        byte[] page = ArrayPool<byte>.Shared.Rent(_blockSize);
        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> packed;
            if (_mapped == null || !_mapped.TryGetSpan(pd.Offset, (int)pd.Size, out packed))
            {
                rented = ArrayPool<byte>.Shared.Rent((int)pd.Size);
                if (_part.Source.Read(pd.Offset, rented.AsSpan(0, (int)pd.Size)) != pd.Size)
                {
                    return ReadStatus.Truncated;
                }

                packed = rented.AsSpan(0, (int)pd.Size);
            }

            var output = page.AsSpan(0, _blockSize);
            Interlocked.Increment(ref _decompressions);
            var codec = _codecs.TryTake(out var c) ? c : new PageCodec();
            bool ok = codec.TryDecompress(kind, packed, output, out int written) && written == _blockSize;
            _codecs.Add(codec);
            if (!ok)
            {
                return ReadStatus.DecompressionFailed;
            }

            _cache.Add(pfn, output);
            output.Slice(offset, destination.Length).CopyTo(destination);
            return ReadStatus.Ok;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(page);
            if (rented != null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The words for a failed read of page <paramref name="pfn"/>.</summary>
    public string Explain(ulong pfn, ReadStatus status)
    {
        var outcome = Locate(pfn, out var pd, out long at, out var kind);
        string page = $"pfn 0x{pfn:x} in {_part.Name}";
        string data = $"the page data of {page} ({pd.Size} bytes at offset {pd.Offset})";
        long length = _part.Source.Length;
        return outcome switch
        {
            Outcome.BeyondMaxMapnr => $"{page} is beyond max_mapnr 0x{_part.MaxMapnr:x}",
            Outcome.NotRam => $"{page} is not RAM (its bit in the 1st bitmap is clear)",
            Outcome.Excluded => $"{page} was excluded by makedumpfile (dump_level {_part.SubHeader.DumpLevel})",
            Outcome.OtherSplitFile => $"{page} belongs to another file of the split dump set (this file holds pfns 0x{_part.StartPfn:x}-0x{_part.EndPfn:x})",
            Outcome.DescriptorPastEnd => $"file truncated at offset {length}: the page descriptor of {page} is at offset {at}",
            Outcome.NotWritten => (_part.Header.Status & KdumpFlags.CompressedIncomplete) != 0
                ? $"{page} was never written: the dump is incomplete (DUMP_DH_COMPRESSED_INCOMPLETE, makedumpfile ran out of space); page descriptor at offset {at}"
                : $"{page} was never written: its page descriptor at offset {at} is zero (incomplete dump?)",
            Outcome.BadSize => $"corrupt page descriptor of {page} at offset {at}: size {pd.Size} is not 1..{_blockSize}",
            Outcome.BadOffset => $"corrupt page descriptor of {page} at offset {at}: page data offset {pd.Offset} is outside the page data area",
            Outcome.BadFlags => $"corrupt page descriptor of {page} at offset {at}: flags 0x{(uint)pd.Flags:x} name more than one compression method",
            Outcome.RawSizeMismatch => $"corrupt page descriptor of {page} at offset {at}: uncompressed page of {pd.Size} bytes, block size is {_blockSize}",
            Outcome.DataPastEnd => $"file truncated at offset {length}: {data} runs past the end of the file",
            Outcome.Found when status == ReadStatus.DecompressionFailed => $"{kind.ToString().ToLowerInvariant()} {data} does not decompress to {_blockSize} bytes",
            Outcome.Found when status == ReadStatus.Truncated => $"file truncated at offset {length} while reading {data}",
            _ => $"{page}: {status.Describe()}",
        };
    }

    /// <summary>Frees the codecs.</summary>
    public void Dispose()
    {
        while (_codecs.TryTake(out var codec))
        {
            codec.Dispose();
        }
    }

    /// <summary>Finds and checks the page descriptor of <paramref name="pfn"/>.</summary>
    internal Outcome Locate(ulong pfn, out PageDescriptor pd, out long descriptorOffset, out PageCompression kind)
    {
        pd = default;
        descriptorOffset = -1;
        kind = PageCompression.None;
        if (pfn >= _part.MaxMapnr)
        {
            return Outcome.BeyondMaxMapnr;
        }

        if (!_part.Ram.Test(pfn))
        {
            return Outcome.NotRam;
        }

        if (!_part.Dumpable.Test(pfn))
        {
            return Outcome.Excluded;
        }

        if (pfn < _part.StartPfn || pfn >= _part.EndPfn)
        {
            return Outcome.OtherSplitFile;
        }

        // A split file numbers its descriptors from its own start_pfn (crash diskdump.c: pfn_to_pos).
        long index = _part.Dumpable.Rank(pfn) - RankBase();
        descriptorOffset = _part.DescriptorsOffset + (index * KdumpFormat.PageDescriptorSize);
        Span<byte> raw = stackalloc byte[KdumpFormat.PageDescriptorSize];
        if (_part.Source.Read(descriptorOffset, raw) != raw.Length)
        {
            return Outcome.DescriptorPastEnd;
        }

        pd = PageDescriptor.Read(raw);
        if (pd.Offset == 0)
        {
            // makedumpfile IMPLEMENTATION, "The incomplete DUMPFILE": descriptors never written read as zeros.
            return Outcome.NotWritten;
        }

        if (pd.Size == 0 || pd.Size > (uint)_blockSize)
        {
            return Outcome.BadSize;
        }

        if (pd.Offset < _part.DescriptorsOffset)
        {
            return Outcome.BadOffset;
        }

        if (!KdumpFormat.TryGetCompression(pd.Flags, out kind))
        {
            return Outcome.BadFlags;
        }

        if (kind == PageCompression.None && pd.Size != (uint)_blockSize)
        {
            return Outcome.RawSizeMismatch;
        }

        if (pd.Offset > _part.Source.Length - pd.Size)
        {
            return Outcome.DataPastEnd;
        }

        return Outcome.Found;
    }

    private static ReadStatus StatusOf(Outcome outcome) => outcome switch
    {
        Outcome.Found => ReadStatus.Ok,
        Outcome.BeyondMaxMapnr or Outcome.NotRam or Outcome.OtherSplitFile => ReadStatus.NotInDump,
        Outcome.Excluded => ReadStatus.Excluded,
        Outcome.DescriptorPastEnd or Outcome.NotWritten or Outcome.DataPastEnd => ReadStatus.Truncated,
        _ => ReadStatus.Corrupt,
    };

    private long RankBase()
    {
        long b = Volatile.Read(ref _rankBase);
        if (b < 0)
        {
            b = _part.Dumpable.Rank(_part.StartPfn);
            Volatile.Write(ref _rankBase, b);
        }

        return b;
    }
}
