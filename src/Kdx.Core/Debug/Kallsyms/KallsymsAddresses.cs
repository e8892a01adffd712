using System.Buffers.Binary;

namespace Kdx.Core.Debug.Kallsyms;

/// <summary>How kallsyms stores symbol addresses.</summary>
public enum KallsymsAddressMode : byte
{
    /// <summary>kallsyms_addresses: one absolute unsigned long per symbol (kernels without CONFIG_KALLSYMS_BASE_RELATIVE).</summary>
    Absolute,

    /// <summary>kallsyms_offsets are unsigned offsets from kallsyms_relative_base.</summary>
    Relative,

    /// <summary>
    /// CONFIG_KALLSYMS_ABSOLUTE_PERCPU (x86_64 SMP, 6.1 and 6.12): a non-negative offset is the absolute
    /// address of a per-CPU symbol, a negative one is kallsyms_relative_base - 1 - offset.
    /// </summary>
    AbsolutePerCpu,

    /// <summary>
    /// kallsyms_offsets without kallsyms_relative_base: unsigned offsets from a base found by an anchor symbol
    /// (_text or _stext from VMCOREINFO), for kernels that drop the base variable.
    /// </summary>
    RelativeToAnchor,
}

/// <summary>
/// Turns kallsyms_offsets (or kallsyms_addresses) into addresses. Which encoding a kernel uses is not in
/// the dump, so it is decided by the data: the candidate whose addresses are sorted (scripts/kallsyms sorts
/// the table by address) and put the anchor symbols where VMCOREINFO says they are.
/// </summary>
internal static class KallsymsAddresses
{
    /// <summary>Symbols VMCOREINFO gives the address of (not the value: SYMBOL(mem_section) is a pointer's value).</summary>
    public static readonly IReadOnlyList<string> AnchorNames = ["_stext", "init_uts_ns", "swapper_pg_dir", "node_online_map", "prb"];

    /// <summary>Decodes the addresses; throws <see cref="KdxException"/> when no encoding fits.</summary>
    /// <param name="raw">kallsyms_offsets (4 bytes per symbol) or kallsyms_addresses (8 bytes per symbol).</param>
    /// <param name="count">The number of symbols.</param>
    /// <param name="absolute">Whether <paramref name="raw"/> is kallsyms_addresses.</param>
    /// <param name="relativeBase">kallsyms_relative_base, when the kernel has it.</param>
    /// <param name="anchors">The index and the known address of anchor symbols present in the table.</param>
    /// <param name="mode">The encoding found.</param>
    public static ulong[] Decode(ReadOnlySpan<byte> raw, int count, bool absolute, ulong? relativeBase, IReadOnlyList<(int Index, string Name, ulong Address)> anchors, out KallsymsAddressMode mode)
    {
        var addresses = new ulong[count];
        if (absolute)
        {
            for (int i = 0; i < count; i++)
            {
                addresses[i] = BinaryPrimitives.ReadUInt64LittleEndian(raw[(8 * i)..]);
            }

            mode = KallsymsAddressMode.Absolute;
            return Check(addresses, anchors, mode) is { } wrong ? throw new KdxException("kallsyms_addresses: " + wrong) : addresses;
        }

        var offsets = new int[count];
        bool anyNegative = false;
        for (int i = 0; i < count; i++)
        {
            offsets[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]);
            anyNegative |= offsets[i] < 0;
        }

        var problems = new List<string>();
        foreach (var candidate in Candidates(relativeBase, anyNegative, anchors, offsets))
        {
            Fill(addresses, offsets, candidate.Mode, candidate.Base);
            if (Check(addresses, anchors, candidate.Mode) is { } problem)
            {
                problems.Add(problem);
                continue;
            }

            mode = candidate.Mode;
            return addresses;
        }

        throw new KdxException("kallsyms_offsets fit no known encoding: " + (problems.Count == 0 ? "no kallsyms_relative_base and no anchor symbol (_text, _stext)" : string.Join("; ", problems)));
    }

    private static IEnumerable<(KallsymsAddressMode Mode, ulong Base)> Candidates(ulong? relativeBase, bool anyNegative, IReadOnlyList<(int Index, string Name, ulong Address)> anchors, int[] offsets)
    {
        if (relativeBase is { } b)
        {
            // Absolute per-CPU needs negative (relative) offsets: a table of small absolute numbers is not a kernel.
            if (anyNegative)
            {
                yield return (KallsymsAddressMode.AbsolutePerCpu, b);
            }

            yield return (KallsymsAddressMode.Relative, b);
            yield break;
        }

        foreach (var (index, name, address) in anchors)
        {
            if (name is "_text" or "_stext")
            {
                yield return (KallsymsAddressMode.RelativeToAnchor, unchecked(address - (uint)offsets[index]));
                yield break;
            }
        }
    }

    private static void Fill(ulong[] addresses, int[] offsets, KallsymsAddressMode mode, ulong b)
    {
        if (mode == KallsymsAddressMode.AbsolutePerCpu)
        {
            for (int i = 0; i < offsets.Length; i++)
            {
                int o = offsets[i];
                addresses[i] = o >= 0 ? (ulong)o : unchecked(b - 1 - (ulong)(long)o);
            }
        }
        else
        {
            for (int i = 0; i < offsets.Length; i++)
            {
                addresses[i] = unchecked(b + (uint)offsets[i]);
            }
        }
    }

    /// <summary>Null when the addresses are sorted and every anchor is where it should be; else why not.</summary>
    private static string? Check(ulong[] addresses, IReadOnlyList<(int Index, string Name, ulong Address)> anchors, KallsymsAddressMode mode)
    {
        for (int i = 1; i < addresses.Length; i++)
        {
            if (addresses[i] < addresses[i - 1])
            {
                return $"as {mode} the addresses are not sorted (symbol {i} at {addresses[i]:x} is below {addresses[i - 1]:x})";
            }
        }

        foreach (var (index, name, address) in anchors)
        {
            if (addresses[index] != address)
            {
                return $"as {mode} {name} is at {addresses[index]:x}, but VMCOREINFO says {address:x}";
            }
        }

        return null;
    }
}
