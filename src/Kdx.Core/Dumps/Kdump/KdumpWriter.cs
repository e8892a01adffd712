using System.Numerics;
using Kdx.Core.Compression;
using Kdx.Core.Memory;

namespace Kdx.Core.Dumps.Kdump;

/// <summary>
/// Writes a compressed kdump in the layout makedumpfile writes (header version 6; makedumpfile.c:
/// write_kdump_header, write_kdump_pages_and_bitmap_cyclic) from any <see cref="DumpFile"/>, so that
/// crash, <c>makedumpfile --dump-dmesg</c> and <c>makedumpfile -R</c> read it. This is the library side of
/// <c>kdx convert --compress CODEC [-d LEVEL] IN OUT</c>:
/// <code>
/// using var dump = DumpFiles.Open(input);
/// var options = KdumpWriterOptions.ForDumpLevel(level, PageCompression.Lzo);
/// KdumpWriteResult result = KdumpWriter.Write(dump, output, options);
/// </code>
/// Pages are read and written once, in pfn order; memory use is the two bitmaps (max_mapnr / 4 bytes)
/// and a few buffers, whatever the dump size. Pages the source excluded stay excluded, unless the source
/// was opened with <see cref="DumpOpenOptions.ZeroExcluded"/>: then they are written as zero pages.
/// </summary>
public static partial class KdumpWriter
{
    private const int DescriptorBuffer = 4096 * KdumpFormat.PageDescriptorSize;
    private const int DataBuffer = 1 << 20;

    /// <summary>
    /// Writes <paramref name="source"/> to a new file at <paramref name="path"/>.
    /// Throws <see cref="KdxException"/> when the file cannot be written.
    /// </summary>
    public static KdumpWriteResult Write(DumpFile source, string path, KdumpWriterOptions options, CancellationToken cancellation = default)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new KdxException($"{path}: cannot create the file: {e.Message}", e);
        }

        using (stream)
        {
            try
            {
                return Write(source, stream, options, cancellation);
            }
            catch (IOException e)
            {
                throw new KdxException($"{path}: write failed: {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="source"/> to <paramref name="output"/>, which must be seekable unless
    /// <see cref="KdumpWriterOptions.Flattened"/> is set.
    /// </summary>
    public static KdumpWriteResult Write(DumpFile source, Stream output, KdumpWriterOptions options, CancellationToken cancellation = default)
    {
        int pageSize = source.PageSize;
        if (pageSize < KdumpFormat.MinBlockSize || !BitOperations.IsPow2(pageSize))
        {
            throw new KdxException($"{source.Path}: page size {pageSize} cannot be a kdump block size");
        }

        var sink = new KdumpOutput(output, options.Flattened);
        var plan = Plan(source, options, cancellation);
        var headers = BuildHeaders(source, options, plan);
        sink.Write(0, headers.Header);
        sink.Write(pageSize, headers.SubHeaderAndNotes);

        long descriptors = (long)(1 + headers.SubHeaderBlocks + headers.BitmapBlocks) * pageSize;
        long data = descriptors + (plan.Dumpable * KdumpFormat.PageDescriptorSize);
        var pages = WritePages(source, options, plan, sink, descriptors, data, cancellation);

        // The bitmaps go last: a page that could not be read has been taken out of the 2nd bitmap.
        long bitmapOffset = (long)(1 + headers.SubHeaderBlocks) * pageSize;
        long bitmapLength = (long)headers.BitmapBlocks / 2 * pageSize;
        WriteBitmap(sink, bitmapOffset, plan.Ram);
        WriteBitmap(sink, bitmapOffset + bitmapLength, plan.Keep);
        sink.Finish();
        return pages with
        {
            MaxMapnr = plan.MaxMapnr,
            DumpLevel = headers.DumpLevel,
            FilteredPages = plan.Filtered,
            SourceExcludedPages = plan.SourceExcluded,
            FileSize = sink.Size,
        };
    }

    // The 1st bitmap (RAM) and the 2nd (pages to write), from the source's page states and the filter.
    private static PagePlan Plan(DumpFile source, KdumpWriterOptions options, CancellationToken cancellation)
    {
        int shift = BitOperations.TrailingZeroCount(source.PageSize);
        ulong maxMapnr = source is KdumpCompressedDump k ? k.MaxMapnr : 0;
        foreach (var r in source.PhysicalRanges)
        {
            maxMapnr = Math.Max(maxMapnr, (r.End + (ulong)source.PageSize - 1) >> shift);
        }

        var ram = new ulong[(maxMapnr + 63) / 64];
        var keep = new ulong[ram.Length];
        long dumpable = 0, filtered = 0, excluded = 0;
        foreach (var r in source.PhysicalRanges)
        {
            cancellation.ThrowIfCancellationRequested();
            for (ulong pfn = r.Start >> shift; pfn < Math.Min(maxMapnr, (r.End + (ulong)source.PageSize - 1) >> shift); pfn++)
            {
                var state = source.GetPageState(pfn);
                if (state == PageState.Excluded && source.Options.ZeroExcluded)
                {
                    // The caller reads excluded pages as zeros (crash's --zero_excluded; what crash and
                    // makedumpfile make of a filtered ELF's memsz > filesz gaps): write them as zero pages.
                    state = PageState.Present;
                }

                if (state == PageState.NotInDump)
                {
                    continue;
                }

                ram[pfn >> 6] |= 1UL << (int)(pfn & 63);
                if (state == PageState.Excluded)
                {
                    excluded++;
                }
                else if (options.Filter?.Keep(pfn) ?? true)
                {
                    keep[pfn >> 6] |= 1UL << (int)(pfn & 63);
                    dumpable++;
                }
                else
                {
                    filtered++;
                }
            }
        }

        return new PagePlan(maxMapnr, ram, keep, dumpable, filtered, excluded);
    }

    private static KdumpWriteResult WritePages(DumpFile source, KdumpWriterOptions options, PagePlan plan, KdumpOutput sink, long descriptorsAt, long dataAt, CancellationToken cancellation)
    {
        int pageSize = source.PageSize;
        int shift = BitOperations.TrailingZeroCount(pageSize);
        var descriptors = new KdumpRegion(sink, descriptorsAt, DescriptorBuffer);
        var data = new KdumpRegion(sink, dataAt, DataBuffer);
        var page = new byte[pageSize];
        var packed = new byte[Math.Max(pageSize, PageCodec.MaxCompressedSize(options.Compression, pageSize))];
        using var codec = new PageCodec();
        Span<byte> desc = stackalloc byte[KdumpFormat.PageDescriptorSize];
        var zeroPage = default(PageDescriptor);
        if (options.ExcludeZeroPages)
        {
            // One zero page at the start of the page data; every zero page's descriptor points at it.
            zeroPage = new PageDescriptor(data.Position, (uint)pageSize, KdumpFlags.None, 0);
            data.Append(new byte[pageSize]);
        }

        long done = 0, zeros = 0, compressed = 0, unreadable = 0;
        string? firstUnreadable = null;
        for (long word = 0; word < plan.Keep.Length; word++)
        {
            ulong bits = plan.Keep[word];
            while (bits != 0)
            {
                int bit = BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                ulong pfn = ((ulong)word * 64) + (ulong)bit;
                if ((done & 4095) == 0)
                {
                    cancellation.ThrowIfCancellationRequested();
                    options.Progress?.Report(new KdumpWriteProgress(done, plan.Dumpable));
                }

                var status = ReadPage(source, pfn << shift, page);
                if (status != ReadStatus.Ok)
                {
                    plan.Keep[word] &= ~(1UL << bit); // not in the dump after all
                    unreadable++;
                    firstUnreadable ??= $"0x{pfn << shift:x}: {status.Describe()}" + (source.ExplainFailure(pfn << shift, status) is { } why ? $" ({why})" : string.Empty);
                    continue;
                }

                PageDescriptor pd;
                if (options.ExcludeZeroPages && page.AsSpan().IndexOfAnyExcept((byte)0) < 0)
                {
                    pd = zeroPage;
                    zeros++;
                }
                else
                {
                    int n = codec.Compress(options.Compression, page, packed);
                    if (n > 0)
                    {
                        pd = new PageDescriptor(data.Position, (uint)n, KdumpFormat.FlagOf(options.Compression), 0);
                        data.Append(packed.AsSpan(0, n));
                        compressed++;
                    }
                    else
                    {
                        pd = new PageDescriptor(data.Position, (uint)pageSize, KdumpFlags.None, 0);
                        data.Append(page);
                    }
                }

                pd.Write(desc);
                descriptors.Append(desc);
                done++;
            }
        }

        descriptors.Flush();
        data.Flush();
        options.Progress?.Report(new KdumpWriteProgress(done, plan.Dumpable));
        return new KdumpWriteResult
        {
            DumpedPages = done,
            ZeroPages = zeros,
            CompressedPages = compressed,
            UnreadablePages = unreadable,
            FirstUnreadable = firstUnreadable,
        };
    }

    // Reads one page; bytes past the end of a partly described page (an ELF segment that ends
    // mid-page) read as zeros, as makedumpfile fills them.
    private static ReadStatus ReadPage(DumpFile source, ulong address, byte[] page)
    {
        var status = source.Read(address, page, out int n);
        if (status == ReadStatus.NotInDump && n > 0)
        {
            page.AsSpan(n).Clear();
            return ReadStatus.Ok;
        }

        return status;
    }

    private static void WriteBitmap(KdumpOutput sink, long offset, ulong[] words)
    {
        var bytes = new byte[Math.Min(words.Length * 8L, 1 << 20)];
        for (long w = 0; w < words.Length;)
        {
            int count = (int)Math.Min(words.Length - w, bytes.Length / 8);
            for (int i = 0; i < count; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 8), words[w + i]);
            }

            sink.Write(offset + (w * 8), bytes.AsSpan(0, count * 8));
            w += count;
        }
    }

    private sealed record PagePlan(ulong MaxMapnr, ulong[] Ram, ulong[] Keep, long Dumpable, long Filtered, long SourceExcluded);
}
