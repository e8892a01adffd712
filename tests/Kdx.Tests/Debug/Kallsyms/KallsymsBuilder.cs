using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Kdx.Core.Debug.Kallsyms;
using Kdx.Core.Dumps;
using Kdx.Tests.Arch.X86_64;

namespace Kdx.Tests.Debug.Kallsyms;

/// <summary>Which order the kallsyms tables have in .rodata (scripts/kallsyms.c of each kernel).</summary>
internal enum KallsymsTableOrder
{
    /// <summary>v6.1: offsets, relative_base, num_syms, names, markers, seqs_of_names, token_table, token_index.</summary>
    Linux61,

    /// <summary>v6.12: num_syms, names, markers, token_table, token_index, offsets, relative_base, seqs_of_names.</summary>
    Linux612,
}

/// <summary>
/// Builds kallsyms tables in a <see cref="FakeKernel"/>'s image the way scripts/kallsyms lays them out:
/// names compressed with a token table (single printable characters plus a few longer tokens), lengths in
/// one or two bytes, markers every 256 names, addresses in any of the encodings.
/// </summary>
internal sealed class KallsymsBuilder
{
    private static readonly string[] LongTokens = ["vmlab_", "_timer", "init_", "__", "Tschedule", "t_", "page_", "_base", "kallsyms"];
    private readonly string[] _tokens = new string[256];

    public KallsymsBuilder()
    {
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            _tokens[b] = b is >= 0x21 and <= 0x7e ? ((char)b).ToString() : next < LongTokens.Length ? LongTokens[next++] : $"~{b:x2}";
        }
    }

    public List<(string Name, char Type, ulong Address, bool PerCpu)> Symbols { get; } = [];

    public KallsymsAddressMode Mode { get; set; } = KallsymsAddressMode.AbsolutePerCpu;

    public KallsymsTableOrder Order { get; set; } = KallsymsTableOrder.Linux61;

    /// <summary>Two-byte lengths for names of 128 tokens or more (v6.1+); false writes the length byte whole.</summary>
    public bool LongLengths { get; set; } = true;

    /// <summary>Markers as unsigned long (older kernels) instead of u32.</summary>
    public bool WideMarkers { get; set; }

    /// <summary>Bytes written after the token table (to make a last token without NUL).</summary>
    public byte[] AfterTokenTable { get; set; } = [];

    /// <summary>Changes to the encoded names (offset in kallsyms_names, byte) before they are written.</summary>
    public List<(int Offset, byte Value)> NamePatches { get; } = [];

    /// <summary>A token index entry to point elsewhere.</summary>
    public (int Token, ushort Offset)? TokenIndexPatch { get; set; }

    public KallsymsBuilder Add(string name, char type, ulong address, bool perCpu = false)
    {
        Symbols.Add((name, type, address, perCpu));
        return this;
    }

    /// <summary>The encoded name: token numbers, greedy longest match.</summary>
    public byte[] Encode(string typedName)
    {
        var tokens = new List<byte>();
        for (int i = 0; i < typedName.Length;)
        {
            int best = -1;
            for (int t = 0; t < 256; t++)
            {
                if (string.CompareOrdinal(typedName, i, _tokens[t], 0, _tokens[t].Length) == 0 && (best < 0 || _tokens[t].Length > _tokens[best].Length))
                {
                    best = t;
                }
            }

            tokens.Add((byte)best);
            i += _tokens[best].Length;
        }

        return [.. tokens];
    }

    /// <summary>Writes the tables at <paramref name="at"/> (an image address of <paramref name="kernel"/>) and returns where they are.</summary>
    public KallsymsLocations Write(FakeKernel kernel, ulong at)
    {
        var (names, markers) = Names();
        var tokenTable = TokenTable(out var tokenIndex);
        var seqs = new byte[3 * Symbols.Count];
        var (addresses, relativeBase) = Addresses();
        var num = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(num, (uint)Symbols.Count);
        var rb = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(rb, relativeBase);

        var layout = new Dictionary<string, ulong>();
        ulong cursor = at;
        void Put(string label, byte[] data)
        {
            cursor = (cursor + 7) & ~7UL;
            layout[label] = cursor;
            kernel.Dump.Write(kernel.ToPhysical(cursor), data);
            cursor += (ulong)data.Length;
        }

        string addressLabel = Mode == KallsymsAddressMode.Absolute ? "addresses" : "offsets";
        if (Order == KallsymsTableOrder.Linux61)
        {
            Put(addressLabel, addresses);
            Put("relative_base", rb);
            Put("num_syms", num);
            Put("names", names);
            Put("markers", markers);
            Put("seqs", seqs);
            Put("token_table", [.. tokenTable, .. AfterTokenTable]);
            Put("token_index", tokenIndex);
        }
        else
        {
            Put("num_syms", num);
            Put("names", names);
            Put("markers", markers);
            Put("token_table", [.. tokenTable, .. AfterTokenTable]);
            Put("token_index", tokenIndex);
            Put(addressLabel, addresses);
            Put("relative_base", rb);
            Put("seqs", seqs);
        }

        return new KallsymsLocations(
            layout["num_syms"], layout["names"], layout["token_table"], layout["token_index"],
            Mode == KallsymsAddressMode.Absolute ? null : layout["offsets"],
            Mode is KallsymsAddressMode.Relative or KallsymsAddressMode.AbsolutePerCpu ? layout["relative_base"] : null,
            Mode == KallsymsAddressMode.Absolute ? layout["addresses"] : null);
    }

    /// <summary>VMCOREINFO of the kernel with SYMBOL() lines for the tables and <paramref name="extra"/> lines.</summary>
    public static VmcoreInfo VmcoreInfo(FakeKernel kernel, KallsymsLocations l, params string[] extra)
    {
        var text = new StringBuilder(kernel.VmcoreInfo().Text);
        void Symbol(string name, ulong? address)
        {
            if (address is { } a)
            {
                text.Append(CultureInfo.InvariantCulture, $"SYMBOL({name})={a:x}\n");
            }
        }

        Symbol("kallsyms_names", l.Names);
        Symbol("kallsyms_num_syms", l.NumSyms);
        Symbol("kallsyms_token_table", l.TokenTable);
        Symbol("kallsyms_token_index", l.TokenIndex);
        Symbol("kallsyms_offsets", l.Offsets);
        Symbol("kallsyms_relative_base", l.RelativeBase);
        Symbol("kallsyms_addresses", l.Addresses);
        foreach (var line in extra)
        {
            text.Append(line).Append('\n');
        }

        return Kdx.Core.Dumps.VmcoreInfo.Parse(text.ToString());
    }

    private (byte[] Names, byte[] Markers) Names()
    {
        var names = new List<byte>();
        var markers = new List<byte>();
        for (int i = 0; i < Symbols.Count; i++)
        {
            if ((i & 0xff) == 0)
            {
                var m = new byte[WideMarkers ? 8 : 4];
                BinaryPrimitives.WriteUInt32LittleEndian(m, (uint)names.Count);
                markers.AddRange(m);
            }

            var tokens = Encode(Symbols[i].Type + Symbols[i].Name);
            if (LongLengths && tokens.Length > 0x7f)
            {
                names.Add((byte)((tokens.Length & 0x7f) | 0x80));
                names.Add((byte)(tokens.Length >> 7));
            }
            else
            {
                names.Add((byte)tokens.Length);
            }

            names.AddRange(tokens);
        }

        var bytes = names.ToArray();
        foreach (var (offset, value) in NamePatches)
        {
            bytes[offset] = value;
        }

        return (bytes, [.. markers]);
    }

    private byte[] TokenTable(out byte[] index)
    {
        var table = new List<byte>();
        index = new byte[512];
        for (int t = 0; t < 256; t++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(index.AsSpan(2 * t), (ushort)table.Count);
            table.AddRange(Encoding.ASCII.GetBytes(_tokens[t]));
            table.Add(0);
        }

        if (TokenIndexPatch is { } p)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(index.AsSpan(2 * p.Token), p.Offset);
        }

        return [.. table];
    }

    private (byte[] Data, ulong RelativeBase) Addresses()
    {
        if (Mode == KallsymsAddressMode.Absolute)
        {
            var data = new byte[8 * Symbols.Count];
            for (int i = 0; i < Symbols.Count; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(8 * i), Symbols[i].Address);
            }

            return (data, 0);
        }

        // The base is the lowest address that is not an absolute per-CPU one.
        ulong relativeBase = Symbols.Where(s => Mode != KallsymsAddressMode.AbsolutePerCpu || !s.PerCpu).Min(s => s.Address);
        var offsets = new byte[4 * Symbols.Count];
        for (int i = 0; i < Symbols.Count; i++)
        {
            var s = Symbols[i];
            uint value = Mode == KallsymsAddressMode.AbsolutePerCpu
                ? s.PerCpu ? (uint)s.Address : unchecked((uint)(relativeBase - 1 - s.Address))
                : (uint)(s.Address - relativeBase);
            BinaryPrimitives.WriteUInt32LittleEndian(offsets.AsSpan(4 * i), value);
        }

        return (offsets, relativeBase);
    }
}
