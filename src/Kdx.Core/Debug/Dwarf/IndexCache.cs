using System.Buffers.Binary;
using System.Text;

namespace Kdx.Core.Debug.Dwarf;

/// <summary>What a cached index must match: the file's build id and the sizes of the file and its DWARF sections.</summary>
internal sealed record IndexCacheKey(byte[] BuildId, long FileLength, long InfoLength, long AbbrevLength, long StrLength, long TypesLength)
{
    /// <summary>The cache file name: the build id in hex.</summary>
    public string FileName => Convert.ToHexStringLower(BuildId) + ".dwarf-index";
}

/// <summary>
/// The on-disk form of a <see cref="DwarfIndex"/>, so that a second session on the same vmlinux
/// starts without scanning. The file is never trusted blindly: its magic, version, key and checksum
/// must match, every count and offset is checked, and a bad file is ignored (and replaced). It is
/// written to a temporary name and renamed, so a reader never sees half a file.
/// Layout (little-endian): header (magic "KDXDWIX1", version, key, six entry counts, name bytes,
/// checksum), then per space its entries (name offset u32, DIE u64, rank u8, tag u16), then the names.
/// </summary>
internal static class IndexCache
{
    private const int Version = 1;
    private const int EntrySize = 15;
    private const int MaxBuildId = 64;
    private static readonly byte[] Magic = "KDXDWIX1"u8.ToArray();

    // magic 8, version 4, build id length 4 + 64, five lengths 40, six counts 24, names 4, checksum 8
    private const int HeaderSize = 8 + 4 + 4 + MaxBuildId + 40 + 24 + 4 + 8;

    /// <summary>Loads the index at <paramref name="path"/> if it exists and matches; null otherwise.</summary>
    public static DwarfIndex? TryLoad(string path, IndexCacheKey key)
    {
        byte[] bytes;
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return Parse(bytes, key, path);
    }

    /// <summary>Parses a cache file's bytes; null when anything is wrong.</summary>
    public static DwarfIndex? Parse(byte[] bytes, IndexCacheKey key, string origin)
    {
        if (bytes.Length < HeaderSize || !bytes.AsSpan(0, 8).SequenceEqual(Magic) || I32(bytes, 8) != Version)
        {
            return null;
        }

        var expected = Header(key, new int[DwarfIndex.SpaceCount], 0, 0);
        int keyEnd = 8 + 4 + 4 + MaxBuildId + 40;
        if (!bytes.AsSpan(0, keyEnd).SequenceEqual(expected.AsSpan(0, keyEnd)))
        {
            return null;
        }

        var counts = new int[DwarfIndex.SpaceCount];
        long entryBytes = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            counts[i] = I32(bytes, keyEnd + (4 * i));
            if (counts[i] < 0)
            {
                return null;
            }

            entryBytes += (long)counts[i] * EntrySize;
        }

        int nameBytes = I32(bytes, keyEnd + 24);
        ulong checksum = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(keyEnd + 28));
        if (nameBytes < 0 || HeaderSize + entryBytes + nameBytes != bytes.Length || Checksum(bytes.AsSpan(HeaderSize)) != checksum)
        {
            return null;
        }

        var names = new ReadOnlyMemory<byte>(bytes, HeaderSize + (int)entryBytes, nameBytes);
        var spaces = new Func<Dictionary<string, IndexEntry>>[DwarfIndex.SpaceCount];
        int at = HeaderSize;
        for (int i = 0; i < spaces.Length; i++)
        {
            int start = at, count = counts[i];
            spaces[i] = () => Decode(bytes, start, count, names);
            at += count * EntrySize;
        }

        return new DwarfIndex(spaces, [], $"cache {origin}", fromCache: true);
    }

    /// <summary>Writes the index (atomically: a temporary file, then a rename); false when it cannot.</summary>
    public static bool TrySave(string path, IndexCacheKey key, DwarfIndex index)
    {
        var bytes = Serialize(key, index);
        string? dir = Path.GetDirectoryName(path);
        string temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
            }

            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception e2) when (e2 is IOException or UnauthorizedAccessException)
            {
                // nothing more to do: the cache is an optimisation
            }

            return false;
        }
    }

    /// <summary>The cache file's bytes.</summary>
    public static byte[] Serialize(IndexCacheKey key, DwarfIndex index)
    {
        var names = new MemoryStream();
        var nameOffsets = new Dictionary<string, int>(StringComparer.Ordinal);
        var entries = new MemoryStream();
        var counts = new int[DwarfIndex.SpaceCount];
        Span<byte> e = stackalloc byte[EntrySize];
        for (int space = 0; space < counts.Length; space++)
        {
            foreach (var (name, entry) in index.Entries((IndexSpace)space).OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (!nameOffsets.TryGetValue(name, out int offset))
                {
                    offset = (int)names.Length;
                    nameOffsets.Add(name, offset);
                    names.Write(Encoding.UTF8.GetBytes(name));
                    names.WriteByte(0);
                }

                BinaryPrimitives.WriteInt32LittleEndian(e, offset);
                BinaryPrimitives.WriteInt64LittleEndian(e[4..], entry.Die);
                e[12] = entry.Rank;
                BinaryPrimitives.WriteUInt16LittleEndian(e[13..], entry.Tag);
                entries.Write(e);
                counts[space]++;
            }
        }

        var payload = new byte[entries.Length + names.Length];
        entries.ToArray().CopyTo(payload, 0);
        names.ToArray().CopyTo(payload, (int)entries.Length);
        var header = Header(key, counts, (int)names.Length, Checksum(payload));
        return [.. header, .. payload];
    }

    private static Dictionary<string, IndexEntry> Decode(byte[] bytes, int start, int count, ReadOnlyMemory<byte> names)
    {
        var map = new Dictionary<string, IndexEntry>(count, StringComparer.Ordinal);
        var n = names.Span;
        for (int i = 0; i < count; i++)
        {
            var e = bytes.AsSpan(start + (i * EntrySize), EntrySize);
            int offset = BinaryPrimitives.ReadInt32LittleEndian(e);
            if (offset < 0 || offset >= n.Length)
            {
                throw new CacheCorruptException();
            }

            int length = n[offset..].IndexOf((byte)0);
            if (length < 0)
            {
                throw new CacheCorruptException();
            }

            var entry = new IndexEntry(BinaryPrimitives.ReadInt64LittleEndian(e[4..]), e[12], BinaryPrimitives.ReadUInt16LittleEndian(e[13..]));
            map[Encoding.UTF8.GetString(n.Slice(offset, length))] = entry;
        }

        return map;
    }

    private static byte[] Header(IndexCacheKey key, int[] counts, int nameBytes, ulong checksum)
    {
        var h = new byte[HeaderSize];
        Magic.CopyTo(h, 0);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(8), Version);
        int idLength = Math.Min(key.BuildId.Length, MaxBuildId);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(12), idLength);
        key.BuildId.AsSpan(0, idLength).CopyTo(h.AsSpan(16));
        int at = 16 + MaxBuildId;
        foreach (long v in (long[])[key.FileLength, key.InfoLength, key.AbbrevLength, key.StrLength, key.TypesLength])
        {
            BinaryPrimitives.WriteInt64LittleEndian(h.AsSpan(at), v);
            at += 8;
        }

        foreach (int c in counts)
        {
            BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(at), c);
            at += 4;
        }

        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(at), nameBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(at + 4), checksum);
        return h;
    }

    /// <summary>A 64-bit checksum (multiply-xorshift over 8-byte words): catches truncation and damage, not tampering.</summary>
    private static ulong Checksum(ReadOnlySpan<byte> data)
    {
        const ulong Prime = 0x9E3779B97F4A7C15;
        ulong h = (ulong)data.Length * Prime;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(data[i..])) * Prime;
            h ^= h >> 29;
        }

        for (; i < data.Length; i++)
        {
            h = (h ^ data[i]) * Prime;
        }

        return h ^ (h >> 32);
    }

    private static int I32(byte[] b, int at) => BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(at));
}

/// <summary>A cache file whose contents turned out wrong while being decoded.</summary>
internal sealed class CacheCorruptException : Exception
{
    public CacheCorruptException()
        : base("the DWARF index cache is corrupt")
    {
    }

    public CacheCorruptException(string message)
        : base(message)
    {
    }

    public CacheCorruptException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
