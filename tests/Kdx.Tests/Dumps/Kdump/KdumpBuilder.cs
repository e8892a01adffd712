using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Kdx.Core.Compression;

namespace Kdx.Tests.Dumps.Kdump;

/// <summary>
/// Builds synthetic compressed kdump files byte by byte, laid out as makedumpfile lays them out
/// (header block, sub-header block with notes, two bitmaps, descriptors, data), independently of
/// Kdx's own writer so that reader and writer check each other. Records where everything went, so
/// tests can corrupt a chosen descriptor or page.
/// </summary>
internal sealed class KdumpBuilder
{
    public int BlockSize { get; set; } = 4096;

    public int HeaderVersion { get; set; } = 6;

    public string Signature { get; set; } = "KDUMP   ";

    public ulong MaxMapnr { get; set; } = 64;

    /// <summary>The compression named in the header's status.</summary>
    public PageCompression Compression { get; set; } = PageCompression.Zlib;

    /// <summary>Per-page codec; defaults to <see cref="Compression"/>.</summary>
    public Func<ulong, PageCompression>? CodecFor { get; set; }

    /// <summary>Present pages: pfn → contents.</summary>
    public SortedDictionary<ulong, byte[]> Pages { get; } = [];

    /// <summary>RAM pages excluded from the dump (bit set in the 1st bitmap only).</summary>
    public SortedSet<ulong> Excluded { get; } = [];

    /// <summary>Store all-zero pages as one shared zero page (dump level bit 1).</summary>
    public bool SharedZeroPage { get; set; }

    public int DumpLevel { get; set; } = 1;

    public uint ExtraStatus { get; set; }

    public int NrCpus { get; set; } = 2;

    public long Timestamp { get; set; } = 1_700_000_000;

    public string Release { get; set; } = "6.1.0-test";

    public ulong PhysBase { get; set; } = 0x1e00000;

    /// <summary>The header's utsname fields (sysname, nodename, version and so on, with <see cref="Release"/> third).</summary>
    public string[]? Utsname { get; set; }

    /// <summary>Notes for the sub-header (version 4 and later).</summary>
    public List<(string Name, uint Type, byte[] Desc)> Notes { get; } = [];

    /// <summary>VMCOREINFO text: a note (version 4+) and offset_vmcoreinfo (version 3+).</summary>
    public string? VmcoreInfo { get; set; } = "OSRELEASE=6.1.0-test\nPAGESIZE=4096\nCRASHTIME=1700000123\n";

    /// <summary>The split range [start, end), or null for a whole dump.</summary>
    public (ulong Start, ulong End)? Split { get; set; }

    /// <summary>A page-filled byte pattern unique to a pfn.</summary>
    public static byte[] Pattern(ulong pfn, int size = 4096)
    {
        var b = new byte[size];
        for (int i = 0; i < size; i++)
        {
            b[i] = (byte)((pfn * 31) + (ulong)(i / 7) + (ulong)(i % 5));
        }

        BinaryPrimitives.WriteUInt64LittleEndian(b, pfn);
        return b;
    }

    /// <summary>Adds present pages with <see cref="Pattern"/> contents.</summary>
    public KdumpBuilder WithPages(params ulong[] pfns)
    {
        foreach (var p in pfns)
        {
            Pages[p] = Pattern(p, BlockSize);
        }

        return this;
    }

    /// <summary>A page that repeats <paramref name="unit"/> (4 bytes) throughout: the kind of page <see cref="LzoRepeat"/> encodes.</summary>
    public static byte[] RepeatingPage(uint unit, int size = 4096)
    {
        var b = new byte[size];
        for (int i = 0; i < size; i += 4)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(i), unit);
        }

        return b;
    }

    /// <summary>
    /// A hand-made LZO1X stream for a page that repeats its first 4 bytes: a 4-byte literal run, one
    /// M3 match of distance 4 for the rest, and the end-of-stream match (distance 0).
    /// </summary>
    public static byte[] LzoRepeat(ReadOnlySpan<byte> page)
    {
        var s = new List<byte> { 17 + 4 };
        s.AddRange(page[..4].ToArray());
        int t = page.Length - 4 - 2; // an M3 match copies t + 2 bytes
        s.Add(32); // M3, length in the following bytes
        for (t -= 31; t > 255; t -= 255)
        {
            s.Add(0);
        }

        s.Add((byte)t);
        s.AddRange([(4 - 1) << 2, 0]); // distance 4, no trailing literals
        s.AddRange([0x11, 0, 0]);
        return [.. s];
    }

    public Built Build()
    {
        using var zstd = new ZstdSharp.Compressor(3);
        int block = BlockSize;
        var notes = NoteBlock(out long vmcoreinfoInNotes, out int vmcoreinfoLength);
        int subBlocks = (int)((104 + notes.Length + block - 1) / block);
        long bitmapBytesEach = (long)(((MaxMapnr + 7) / 8) + (ulong)block - 1) / block * block;
        if (bitmapBytesEach == 0)
        {
            bitmapBytesEach = block;
        }

        uint bitmapBlocks = (uint)(bitmapBytesEach / block * 2);
        long bitmapOffset = (1L + subBlocks) * block;
        long descOffset = bitmapOffset + (bitmapBlocks * (long)block);
        var ram = new byte[bitmapBytesEach];
        var dump = new byte[bitmapBytesEach];
        foreach (var p in Pages.Keys.Concat(Excluded))
        {
            ram[p / 8] |= (byte)(1 << (int)(p % 8));
        }

        foreach (var p in Pages.Keys)
        {
            dump[p / 8] |= (byte)(1 << (int)(p % 8));
        }

        var (start, end) = Split ?? (0, MaxMapnr);
        var mine = Pages.Where(kv => kv.Key >= start && kv.Key < end).ToList();
        long dataOffset = descOffset + (Pages.Count * 24L); // room for every dumpable page, as in a split file
        var file = new MemoryStream();
        var built = new Built { DescriptorsOffset = descOffset, DataOffset = dataOffset, BitmapOffset = bitmapOffset };
        long cursor = dataOffset;
        long zeroAt = -1;
        if (SharedZeroPage)
        {
            zeroAt = cursor;
            Put(file, cursor, new byte[block]);
            cursor += block;
        }

        for (int i = 0; i < mine.Count; i++)
        {
            var (pfn, content) = (mine[i].Key, mine[i].Value);
            long at = descOffset + (i * 24L);
            built.DescriptorOf[pfn] = at;
            long offset;
            int size;
            uint flags;
            if (SharedZeroPage && content.All(b => b == 0))
            {
                (offset, size, flags) = (zeroAt, block, 0);
            }
            else
            {
                var kind = CodecFor?.Invoke(pfn) ?? Compression;
                var packed = Pack(kind, content, zstd);
                if (packed == null)
                {
                    (packed, flags) = (content, 0);
                }
                else
                {
                    flags = kind switch
                    {
                        PageCompression.Zlib => 1u,
                        PageCompression.Lzo => 2u,
                        PageCompression.Snappy => 4u,
                        _ => 0x20u,
                    };
                }

                (offset, size) = (cursor, packed.Length);
                Put(file, cursor, packed);
                cursor += packed.Length;
            }

            built.DataOf[pfn] = (offset, size);
            var d = new byte[24];
            BinaryPrimitives.WriteInt64LittleEndian(d, offset);
            BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(8), (uint)size);
            BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(12), flags);
            Put(file, at, d);
        }

        Put(file, 0, Header(subBlocks, bitmapBlocks));
        Put(file, block, SubHeader(notes.Length, vmcoreinfoInNotes, vmcoreinfoLength, start, end));
        Put(file, block + 104, notes);
        Put(file, bitmapOffset, ram);
        Put(file, bitmapOffset + bitmapBytesEach, dump);
        if (file.Length < descOffset)
        {
            file.SetLength(descOffset);
        }

        built.Bytes = file.ToArray();
        return built;
    }

    private static byte[]? Pack(PageCompression kind, byte[] page, ZstdSharp.Compressor zstd)
    {
        switch (kind)
        {
            case PageCompression.None:
                return null;
            case PageCompression.Lzo:
                return page.AsSpan(4).SequenceEqual(page.AsSpan(0, page.Length - 4)) ? LzoRepeat(page) : null;
            case PageCompression.Zlib:
                using (var ms = new MemoryStream())
                {
                    using (var z = new ZLibStream(ms, CompressionLevel.Fastest, true))
                    {
                        z.Write(page);
                    }

                    return ms.Length < page.Length ? ms.ToArray() : null;
                }

            case PageCompression.Snappy:
                var s = Snappier.Snappy.CompressToArray(page);
                return s.Length < page.Length ? s : null;
            default:
                var packed = zstd.Wrap(page).ToArray();
                return packed.Length < page.Length ? packed : null;
        }
    }

    private static void Put(MemoryStream file, long at, ReadOnlySpan<byte> data)
    {
        if (file.Length < at)
        {
            file.SetLength(at);
        }

        file.Position = at;
        file.Write(data);
    }

    private byte[] NoteBlock(out long vmcoreinfoAt, out int vmcoreinfoLength)
    {
        vmcoreinfoAt = -1;
        vmcoreinfoLength = 0;
        var all = new List<(string Name, uint Type, byte[] Desc)>(Notes);
        if (VmcoreInfo != null)
        {
            all.Add(("VMCOREINFO", 0, Encoding.ASCII.GetBytes(VmcoreInfo)));
        }

        if (HeaderVersion < 4 && VmcoreInfo != null)
        {
            // Before version 4 there are no notes; the text sits alone after the sub-header.
            vmcoreinfoAt = 0;
            vmcoreinfoLength = VmcoreInfo.Length;
            return Encoding.ASCII.GetBytes(VmcoreInfo);
        }

        var ms = new MemoryStream();
        foreach (var (name, type, desc) in all)
        {
            var n = Encoding.ASCII.GetBytes(name + "\0");
            var h = new byte[12];
            BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)n.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), (uint)desc.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(8), type);
            ms.Write(h);
            ms.Write(n);
            ms.Write(new byte[(4 - (n.Length % 4)) % 4]);
            if (name == "VMCOREINFO")
            {
                vmcoreinfoAt = ms.Position;
                vmcoreinfoLength = desc.Length;
            }

            ms.Write(desc);
            ms.Write(new byte[(4 - (desc.Length % 4)) % 4]);
        }

        return ms.ToArray();
    }

    private byte[] Header(int subBlocks, uint bitmapBlocks)
    {
        var h = new byte[464];
        Encoding.ASCII.GetBytes(Signature).CopyTo(h, 0);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(8), HeaderVersion);
        string[] uts = Utsname ?? ["Linux", "testhost", Release, "#1 SMP Debian", "x86_64", "(none)"];
        for (int i = 0; i < 6; i++)
        {
            Encoding.ASCII.GetBytes(uts[i]).CopyTo(h, 12 + (i * 65));
        }

        BinaryPrimitives.WriteInt64LittleEndian(h.AsSpan(408), Timestamp);
        BinaryPrimitives.WriteInt64LittleEndian(h.AsSpan(416), 250_000);
        uint status = ExtraStatus | Compression switch
        {
            PageCompression.Zlib => 1u,
            PageCompression.Lzo => 2u,
            PageCompression.Snappy => 4u,
            PageCompression.Zstd => 0x20u,
            _ => 0u,
        };
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(424), status);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(428), BlockSize);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(432), subBlocks);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(436), bitmapBlocks);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(440), (uint)Math.Min(MaxMapnr, uint.MaxValue));
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(460), NrCpus);
        return h;
    }

    private byte[] SubHeader(int noteLength, long vmcoreinfoInNotes, int vmcoreinfoLength, ulong start, ulong end)
    {
        var s = new byte[104];
        long noteAt = BlockSize + 104;
        BinaryPrimitives.WriteUInt64LittleEndian(s, PhysBase);
        BinaryPrimitives.WriteInt32LittleEndian(s.AsSpan(8), DumpLevel);
        if (HeaderVersion >= 2 && Split != null)
        {
            BinaryPrimitives.WriteInt32LittleEndian(s.AsSpan(12), 1);
            BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(16), start);
            BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(24), end);
        }

        if (HeaderVersion >= 3 && vmcoreinfoInNotes >= 0)
        {
            BinaryPrimitives.WriteInt64LittleEndian(s.AsSpan(32), noteAt + vmcoreinfoInNotes);
            BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(40), (ulong)vmcoreinfoLength);
        }

        if (HeaderVersion >= 4 && noteLength > 0)
        {
            BinaryPrimitives.WriteInt64LittleEndian(s.AsSpan(48), noteAt);
            BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(56), (ulong)noteLength);
        }

        if (HeaderVersion >= 6)
        {
            if (Split != null)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(80), start);
                BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(88), end);
            }

            BinaryPrimitives.WriteUInt64LittleEndian(s.AsSpan(96), MaxMapnr);
        }

        return s;
    }

    /// <summary>A built file and where its parts are.</summary>
    internal sealed class Built
    {
        public byte[] Bytes { get; set; } = [];

        public long BitmapOffset { get; init; }

        public long DescriptorsOffset { get; init; }

        public long DataOffset { get; init; }

        public Dictionary<ulong, long> DescriptorOf { get; } = [];

        public Dictionary<ulong, (long Offset, int Size)> DataOf { get; } = [];
    }
}
