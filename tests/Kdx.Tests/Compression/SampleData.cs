using System.Buffers.Binary;
using System.Text;

namespace Kdx.Tests.Compression;

/// <summary>Page-like inputs for codec tests: what a kernel's memory looks like, and the extremes.</summary>
internal static class SampleData
{
    public const int PageSize = 4096;

    private static readonly Lazy<(string Name, byte[] Data)[]> All = new(() => [.. Build()]);

    /// <summary>Named samples, each built from a fixed seed so a failure reproduces. Shared: do not modify.</summary>
    public static IReadOnlyList<(string Name, byte[] Data)> Pages() => All.Value;

    /// <summary>The sample called <paramref name="name"/>.</summary>
    public static byte[] Page(string name) => All.Value.First(s => s.Name == name).Data;

    private static IEnumerable<(string Name, byte[] Data)> Build()
    {
        yield return ("zero page", new byte[PageSize]);
        yield return ("0xff page", Filled(PageSize, 0xff));
        yield return ("random page", Random(PageSize, 1));
        yield return ("text page", Text(PageSize, 2));
        yield return ("pointer array", PointerArray(PageSize, 3));
        yield return ("page table", PageTable(PageSize, 4));
        yield return ("sparse struct page", SparseStructs(PageSize, 5));
        yield return ("mostly zero, few words", FewWords(PageSize, 6));
        yield return ("period 3", Periodic(PageSize, 3));
        yield return ("period 7", Periodic(PageSize, 7));
        yield return ("period 13", Periodic(PageSize, 13));
        yield return ("half random half zero", HalfRandom(PageSize, 7));
        yield return ("far repeats (M4 distances)", FarRepeats(3 * 16384 + 5000, 8));
        yield return ("64 KiB text", Text(65536, 9));
        yield return ("200 KiB mixed", Mixed(200 * 1024, 10));
        yield return ("1 MiB zero", new byte[1 << 20]);
    }

    public static byte[] Filled(int length, byte value)
    {
        var data = new byte[length];
        data.AsSpan().Fill(value);
        return data;
    }

    public static byte[] Random(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static byte[] Text(int length, int seed)
    {
        string[] words = ["the", "kernel", "page", "struct", "task_struct", "mm", "slab", "dentry", "inode", "\n",
            "0x", "ffff888", "lock", "rcu", "irq", "cpu", "=", "{", "}", "sched", "printk", "[", "]", " ", " "];
        var random = new Random(seed);
        var text = new StringBuilder(length + 32);
        while (text.Length < length)
        {
            text.Append(words[random.Next(words.Length)]).Append(' ');
        }

        return Encoding.ASCII.GetBytes(text.ToString(0, length));
    }

    /// <summary>Kernel direct-map pointers (0xffff8880_xxxxxxxx), 8-byte aligned, with NULLs between.</summary>
    public static byte[] PointerArray(int length, int seed)
    {
        var random = new Random(seed);
        var data = new byte[length];
        for (int i = 0; i + 8 <= length; i += 8)
        {
            ulong value = random.Next(4) == 0 ? 0 : 0xffff888000000000UL | ((ulong)random.Next(1 << 20) << 6);
            BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(i), value);
        }

        return data;
    }

    /// <summary>x86-64 page-table entries: physical frame | present, rw, user, accessed, dirty, some NX.</summary>
    public static byte[] PageTable(int length, int seed)
    {
        var random = new Random(seed);
        var data = new byte[length];
        ulong frame = (ulong)random.Next(1 << 20);
        for (int i = 0; i + 8 <= length; i += 8)
        {
            if (random.Next(5) == 0)
            {
                continue;
            }

            frame += (ulong)random.Next(1, 3);
            ulong entry = (frame << 12) | 0x63 | (random.Next(3) == 0 ? 0x8000000000000000UL : 0);
            BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(i), entry);
        }

        return data;
    }

    /// <summary>An array of 64-byte records: list_head pointers, a counter, flags, padding.</summary>
    public static byte[] SparseStructs(int length, int seed)
    {
        var random = new Random(seed);
        var data = new byte[length];
        for (int i = 0; i + 64 <= length; i += 64)
        {
            var record = data.AsSpan(i, 64);
            ulong self = 0xffff888100000000UL + (ulong)(i * 2);
            BinaryPrimitives.WriteUInt64LittleEndian(record, self + 64);
            BinaryPrimitives.WriteUInt64LittleEndian(record[8..], self - 64);
            BinaryPrimitives.WriteUInt32LittleEndian(record[16..], (uint)random.Next(100));
            BinaryPrimitives.WriteUInt32LittleEndian(record[20..], 0x2000);
            BinaryPrimitives.WriteUInt64LittleEndian(record[24..], 0xffffffff81000000UL + (ulong)random.Next(1 << 16));
        }

        return data;
    }

    public static byte[] FewWords(int length, int seed)
    {
        var random = new Random(seed);
        var data = new byte[length];
        for (int k = 0; k < 12; k++)
        {
            int at = random.Next(length / 8) * 8;
            BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(at), (ulong)random.NextInt64());
        }

        return data;
    }

    public static byte[] Periodic(int length, int period)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)(i % period * 37);
        }

        return data;
    }

    public static byte[] HalfRandom(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data.AsSpan(0, length / 2));
        return data;
    }

    /// <summary>Random blocks that reappear 16..48 KiB later: only M4 matches can reach them.</summary>
    public static byte[] FarRepeats(int length, int seed)
    {
        var random = new Random(seed);
        var data = new byte[length];
        random.NextBytes(data.AsSpan(0, 20000));
        for (int at = 20000; at < length; at += 100)
        {
            int from = at - random.Next(16385, Math.Min(at, 0xBFFF) + 1);
            int size = Math.Min(100, length - at);
            data.AsSpan(from, size).CopyTo(data.AsSpan(at));
        }

        return data;
    }

    /// <summary>Pages of every kind above, concatenated in a seeded order.</summary>
    public static byte[] Mixed(int length, int seed)
    {
        var random = new Random(seed);
        var data = new byte[length];
        for (int at = 0; at < length; at += PageSize)
        {
            int n = Math.Min(PageSize, length - at);
            byte[] page = random.Next(7) switch
            {
                0 => Random(n, seed + at),
                1 => Text(n, seed + at),
                2 => PointerArray(n, seed + at),
                3 => PageTable(n, seed + at),
                4 => SparseStructs(n, seed + at),
                5 => Periodic(n, 1 + random.Next(20)),
                _ => new byte[n],
            };
            page.CopyTo(data.AsSpan(at));
        }

        return data;
    }
}
