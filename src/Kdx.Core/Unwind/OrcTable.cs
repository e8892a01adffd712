using System.Buffers.Binary;
using Kdx.Core.Elf;
using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Unwind;

/// <summary>
/// One ORC table: the sorted instruction addresses of .orc_unwind_ip (each stored as a 32-bit offset from its
/// own slot) and the 6-byte entries of .orc_unwind beside them. An entry covers the code from its address up to
/// the next entry's (arch/x86/kernel/unwind_orc.c __orc_find). The kernel's table comes from the vmlinux's
/// sections or, without one, from the dump's memory between __start_orc_unwind_ip and __stop_orc_unwind_ip; a
/// module's from struct module's arch.orc_unwind_ip / orc_unwind / num_orcs (sorted at load time).
/// </summary>
public sealed class OrcTable
{
    /// <summary>The most entries a table may have (the 6.12 vmlinux has about 410,000).</summary>
    public const int MaxEntries = 8 << 20;

    private readonly ulong[] _ips;
    private readonly byte[] _entries;

    /// <summary>Creates a table from run-time instruction addresses and their raw entries.</summary>
    public OrcTable(ulong[] ips, byte[] entries, OrcLayout layout)
    {
        ArgumentNullException.ThrowIfNull(ips);
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Length < ips.Length * OrcLayout.EntrySize)
        {
            throw new ArgumentException($"{ips.Length} addresses need {ips.Length * OrcLayout.EntrySize} bytes of entries, got {entries.Length}");
        }

        if (!IsSorted(ips))
        {
            // the kernel sorts both tables at build time (scripts/sorttable) and modules' at load time; keep
            // entry i with address i when sorting a table that was not
            var order = Enumerable.Range(0, ips.Length).ToArray();
            Array.Sort((ulong[])ips.Clone(), order);
            var sortedEntries = new byte[ips.Length * OrcLayout.EntrySize];
            for (int i = 0; i < order.Length; i++)
            {
                entries.AsSpan(order[i] * OrcLayout.EntrySize, OrcLayout.EntrySize).CopyTo(sortedEntries.AsSpan(i * OrcLayout.EntrySize));
            }

            Array.Sort(ips);
            entries = sortedEntries;
        }

        _ips = ips;
        _entries = entries;
        Layout = layout;
    }

    /// <summary>How the entries are packed.</summary>
    public OrcLayout Layout { get; }

    /// <summary>The number of entries.</summary>
    public int Count => _ips.Length;

    /// <summary>The lowest address covered.</summary>
    public ulong Start => _ips.Length == 0 ? ulong.MaxValue : _ips[0];

    /// <summary>The highest entry's address.</summary>
    public ulong End => _ips.Length == 0 ? 0 : _ips[^1];

    /// <summary>The entry that covers <paramref name="ip"/>: the last one at or below it.</summary>
    public bool TryFind(ulong ip, out OrcEntry entry)
    {
        entry = default;
        int i = Array.BinarySearch(_ips, ip);
        if (i < 0)
        {
            i = ~i - 1;
        }
        else
        {
            // several entries may share an address: the last one wins, as the kernel's search ends on it
            while (i + 1 < _ips.Length && _ips[i + 1] == ip)
            {
                i++;
            }
        }

        if (i < 0)
        {
            return false;
        }

        entry = Layout.Decode(_entries.AsSpan(i * OrcLayout.EntrySize, OrcLayout.EntrySize));
        return true;
    }

    /// <summary>The entries whose addresses lie in [<paramref name="from"/>, <paramref name="to"/>), in order.</summary>
    public IEnumerable<(ulong Ip, OrcEntry Entry)> Range(ulong from, ulong to)
    {
        int i = Array.BinarySearch(_ips, from);
        i = i < 0 ? ~i : i;
        while (i > 0 && _ips[i - 1] == from)
        {
            i--;
        }

        for (; i < _ips.Length && _ips[i] < to; i++)
        {
            yield return (_ips[i], Layout.Decode(_entries.AsSpan(i * OrcLayout.EntrySize, OrcLayout.EntrySize)));
        }
    }

    /// <summary>The kernel's table from the vmlinux's .orc_unwind_ip and .orc_unwind, moved by <paramref name="relocation"/>.</summary>
    public static OrcTable? FromVmlinux(ElfFile vmlinux, long relocation, OrcLayout? layout)
    {
        ArgumentNullException.ThrowIfNull(vmlinux);
        if (vmlinux.FindSection(".orc_unwind_ip") is not { HasContents: true } ipSection || vmlinux.FindSection(".orc_unwind") is not { HasContents: true } entrySection)
        {
            return null;
        }

        int count = CheckCount(ipSection.Size / 4, entrySection.Size, ".orc_unwind_ip in the vmlinux");
        var ipBytes = vmlinux.ReadSectionBytes(ipSection);
        var entries = vmlinux.ReadSectionBytes(entrySection);
        return new OrcTable(Addresses(ipBytes, count, unchecked(ipSection.Address + (ulong)relocation)), entries, layout ?? OrcLayout.Guess(entries));
    }

    /// <summary>The kernel's table from the dump's memory (the vmlinux's linker symbols, also in kallsyms).</summary>
    public static OrcTable? FromMemory(IProgram program, OrcLayout? layout)
    {
        ArgumentNullException.ThrowIfNull(program);
        if (!program.TryGetSymbolAddress("__start_orc_unwind_ip", out ulong start) || !program.TryGetSymbolAddress("__stop_orc_unwind_ip", out ulong stop)
            || !program.TryGetSymbolAddress("__start_orc_unwind", out ulong entriesAt) || stop <= start)
        {
            return null;
        }

        int count = CheckCount((stop - start) / 4, (stop - start) / 4 * OrcLayout.EntrySize, "__start_orc_unwind_ip");
        return Read(program.Memory, start, entriesAt, count, layout, "kernel ORC table");
    }

    /// <summary>A module's table from its struct module's arch members (their addresses and the count).</summary>
    public static OrcTable Read(IMemoryReader memory, ulong ipsAt, ulong entriesAt, int count, OrcLayout? layout, string what)
    {
        ArgumentNullException.ThrowIfNull(memory);
        CheckCount((ulong)count, (ulong)count * OrcLayout.EntrySize, what);
        var ipBytes = new byte[count * 4];
        memory.ReadExactly(ipsAt, ipBytes, what + " (orc_unwind_ip)");
        var entries = new byte[count * OrcLayout.EntrySize];
        memory.ReadExactly(entriesAt, entries, what + " (orc_unwind)");
        return new OrcTable(Addresses(ipBytes, count, ipsAt), entries, layout ?? OrcLayout.Guess(entries));
    }

    private static ulong[] Addresses(byte[] ipBytes, int count, ulong ipsAt)
    {
        var ips = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            int relative = BinaryPrimitives.ReadInt32LittleEndian(ipBytes.AsSpan(i * 4));
            ips[i] = unchecked(ipsAt + (ulong)(i * 4) + (ulong)(long)relative);
        }

        return ips;
    }

    private static int CheckCount(ulong count, ulong entryBytes, string what)
    {
        if (count > MaxEntries || entryBytes < count * OrcLayout.EntrySize)
        {
            throw new KdxException($"{what}: {count} ORC entries is not a plausible table (at most {MaxEntries}, {entryBytes} bytes of entries)");
        }

        return (int)count;
    }

    private static bool IsSorted(ulong[] ips)
    {
        for (int i = 1; i < ips.Length; i++)
        {
            if (ips[i] < ips[i - 1])
            {
                return false;
            }
        }

        return true;
    }
}
