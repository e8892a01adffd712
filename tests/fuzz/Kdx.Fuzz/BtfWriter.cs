using System.Buffers.Binary;
using System.Text;
using Kdx.Core.Debug.Btf;

namespace Kdx.Fuzz;

/// <summary>
/// Writes BTF blobs for tests and fuzz seeds, record by record as include/uapi/linux/btf.h lays them out. A writer over a
/// base writer produces split BTF: its ids and string offsets continue the base's.
/// </summary>
public sealed class BtfWriter
{
    private readonly List<byte> _types = [];
    private readonly List<byte> _strings;
    private readonly Dictionary<string, uint> _offsets = [];
    private readonly uint _firstString;

    public BtfWriter(BtfWriter? baseWriter = null)
    {
        FirstId = baseWriter?.NextId ?? 1;
        NextId = FirstId;
        _firstString = baseWriter is null ? 0 : baseWriter._firstString + (uint)baseWriter._strings.Count;
        _strings = baseWriter is null ? [0] : [];
        if (baseWriter is null)
        {
            _offsets[string.Empty] = 0;
        }
    }

    public int FirstId { get; }

    public int NextId { get; private set; }

    /// <summary>The string's offset (added once).</summary>
    public uint Str(string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return 0;
        }

        if (!_offsets.TryGetValue(s, out uint at))
        {
            at = _firstString + (uint)_strings.Count;
            _strings.AddRange(Encoding.UTF8.GetBytes(s));
            _strings.Add(0);
            _offsets[s] = at;
        }

        return at;
    }

    /// <summary>Any record: struct btf_type and raw u32s of kind-specific data.</summary>
    public int Raw(uint nameOffset, BtfKind kind, int vlen, bool kindFlag, uint sizeOrType, params uint[] extra)
    {
        uint info = ((uint)kind << 24) | (uint)(vlen & 0xffff) | (kindFlag ? 1u << 31 : 0);
        var b = new byte[4];
        foreach (uint w in (uint[])[nameOffset, info, sizeOrType, .. extra])
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b, w);
            _types.AddRange(b);
        }

        return NextId++;
    }

    public int Int(string name, uint size, bool signed = false, bool isChar = false, bool isBool = false, uint? bits = null, uint bitOffset = 0)
    {
        uint encoding = (signed ? 1u : 0) | (isChar ? 2u : 0) | (isBool ? 4u : 0);
        return Raw(Str(name), BtfKind.Int, 0, false, size, (encoding << 24) | (bitOffset << 16) | (bits ?? size * 8));
    }

    public int Float(string name, uint size) => Raw(Str(name), BtfKind.Float, 0, false, size);

    public int Pointer(int target) => Raw(0, BtfKind.Pointer, 0, false, (uint)target);

    public int Array(int element, int index, uint length) => Raw(0, BtfKind.Array, 0, false, 0, (uint)element, (uint)index, length);

    public int Typedef(string name, int target) => Raw(Str(name), BtfKind.Typedef, 0, false, (uint)target);

    public int Const(int target) => Raw(0, BtfKind.Const, 0, false, (uint)target);

    public int Volatile(int target) => Raw(0, BtfKind.Volatile, 0, false, (uint)target);

    public int Restrict(int target) => Raw(0, BtfKind.Restrict, 0, false, (uint)target);

    public int TypeTag(string tag, int target) => Raw(Str(tag), BtfKind.TypeTag, 0, false, (uint)target);

    public int DeclTag(string tag, int target, int component = -1) => Raw(Str(tag), BtfKind.DeclTag, 0, false, (uint)target, unchecked((uint)component));

    public int Forward(string name, bool union = false) => Raw(Str(name), BtfKind.Forward, 0, union, 0);

    /// <summary>A struct; a member with a bit-field width makes it use the kind_flag encoding.</summary>
    public int Struct(string? name, uint size, params (string? Name, int Type, uint BitOffset, uint Bits)[] members) =>
        Compound(BtfKind.Struct, name, size, members.Any(m => m.Bits != 0), members);

    public int Union(string? name, uint size, params (string? Name, int Type, uint BitOffset, uint Bits)[] members) =>
        Compound(BtfKind.Union, name, size, members.Any(m => m.Bits != 0), members);

    /// <summary>A struct in the old encoding (no kind_flag): offsets are plain bit offsets.</summary>
    public int PlainStruct(string? name, uint size, params (string? Name, int Type, uint BitOffset)[] members) =>
        Compound(BtfKind.Struct, name, size, false, [.. members.Select(m => (m.Name, m.Type, m.BitOffset, 0u))]);

    public int Enum(string? name, uint size, bool signed, params (string Name, int Value)[] values) =>
        Raw(Str(name), BtfKind.Enum, values.Length, signed, size, [.. values.SelectMany(v => new[] { Str(v.Name), unchecked((uint)v.Value) })]);

    public int Enum64(string? name, uint size, bool signed, params (string Name, ulong Value)[] values) =>
        Raw(Str(name), BtfKind.Enum64, values.Length, signed, size, [.. values.SelectMany(v => new[] { Str(v.Name), (uint)v.Value, (uint)(v.Value >> 32) })]);

    public int FunctionProto(int returns, bool variadic, params (string? Name, int Type)[] parameters)
    {
        var words = parameters.SelectMany(p => new[] { Str(p.Name), (uint)p.Type }).ToList();
        if (variadic)
        {
            words.AddRange([0u, 0u]);
        }

        return Raw(0, BtfKind.FunctionProto, parameters.Length + (variadic ? 1 : 0), false, (uint)returns, [.. words]);
    }

    public int Function(string name, int proto, uint linkage = 1) => Raw(Str(name), BtfKind.Function, (int)linkage, false, (uint)proto);

    public int Variable(string name, int type, uint linkage = 1) => Raw(Str(name), BtfKind.Variable, 0, false, (uint)type, linkage);

    public int DataSection(string name, uint size, params (int Variable, uint Offset, uint Size)[] variables) =>
        Raw(Str(name), BtfKind.DataSection, variables.Length, false, size, [.. variables.SelectMany(v => new[] { (uint)v.Variable, v.Offset, v.Size })]);

    /// <summary>The blob: header, types, strings (<paramref name="headerLength"/> may be larger than 24).</summary>
    public byte[] Build(int headerLength = BtfData.MinHeaderLength)
    {
        var blob = new byte[headerLength + _types.Count + _strings.Count];
        BinaryPrimitives.WriteUInt16LittleEndian(blob, BtfData.Magic);
        blob[2] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), (uint)headerLength);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(12), (uint)_types.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(16), (uint)_types.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(20), (uint)_strings.Count);
        _types.CopyTo(blob, headerLength);
        _strings.CopyTo(blob, headerLength + _types.Count);
        return blob;
    }

    private int Compound(BtfKind kind, string? name, uint size, bool kindFlag, (string? Name, int Type, uint BitOffset, uint Bits)[] members) =>
        Raw(Str(name), kind, members.Length, kindFlag, size,
            [.. members.SelectMany(m => new[] { Str(m.Name), (uint)m.Type, kindFlag ? (m.Bits << 24) | m.BitOffset : m.BitOffset })]);
}
