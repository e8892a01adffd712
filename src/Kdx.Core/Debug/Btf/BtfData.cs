using System.Buffers.Binary;
using Kdx.Core.Dumps;

namespace Kdx.Core.Debug.Btf;

/// <summary>The header of a BTF blob (include/uapi/linux/btf.h: struct btf_header).</summary>
/// <param name="Version">Format version (1).</param>
/// <param name="Flags">Flags (none are defined).</param>
/// <param name="HeaderLength">hdr_len: the size of the header; the sections' offsets count from its end.</param>
/// <param name="TypeOffset">type_off.</param>
/// <param name="TypeLength">type_len.</param>
/// <param name="StringOffset">str_off.</param>
/// <param name="StringLength">str_len.</param>
public readonly record struct BtfHeader(byte Version, byte Flags, uint HeaderLength, uint TypeOffset, uint TypeLength, uint StringOffset, uint StringLength);

/// <summary>
/// A BTF blob, checked once when parsed: the header, every type record's size, every type id and string
/// offset it uses, and that no chain of typedefs, qualifiers, pointers or arrays loops. Type ids are
/// numbered from 1 in record order (0 is void). Split BTF (a module's, Linux v5.11) continues the ids and
/// string offsets of its base: ids below <see cref="FirstId"/> and string offsets below
/// <see cref="FirstStringOffset"/> belong to <see cref="Base"/>. Immutable and safe to share.
/// </summary>
public sealed partial class BtfData
{
    /// <summary>BTF_MAGIC, as the little-endian u16 at offset 0.</summary>
    public const ushort Magic = 0xEB9F;

    /// <summary>BTF_MAX_TYPE: the highest type id.</summary>
    public const int MaxTypeId = 0xFFFFF;

    /// <summary>BTF_MAX_NAME_OFFSET: the highest string offset.</summary>
    public const uint MaxNameOffset = 0xFFFFFF;

    /// <summary>sizeof(struct btf_header) of BTF version 1.</summary>
    public const int MinHeaderLength = 24;

    private const int RecordSize = 12;

    private readonly byte[] _blob;
    private readonly int _strings;
    private readonly int _stringLength;
    private readonly int[] _records;
    private readonly BtfKind[] _kinds;

    private BtfData(byte[] blob, string name, BtfHeader header, BtfData? baseBtf, int strings, int[] records, BtfKind[] kinds)
    {
        _kinds = kinds;
        _blob = blob;
        Name = name;
        Header = header;
        Base = baseBtf;
        _strings = strings;
        _stringLength = (int)header.StringLength;
        _records = records;
        FirstId = baseBtf?.EndId ?? 1;
        FirstStringOffset = baseBtf is null ? 0 : baseBtf.FirstStringOffset + baseBtf.Header.StringLength;
    }

    /// <summary>Where the blob came from, for messages ("vmlinux .BTF", "BTF of module virtio").</summary>
    public string Name { get; }

    /// <summary>The header.</summary>
    public BtfHeader Header { get; }

    /// <summary>The base BTF of split BTF (a module's vmlinux BTF), or null.</summary>
    public BtfData? Base { get; }

    /// <summary>The first type id of this blob: 1, or for split BTF the base's <see cref="EndId"/>.</summary>
    public int FirstId { get; }

    /// <summary>One past the last type id (the base's types included).</summary>
    public int EndId => FirstId + _records.Length;

    /// <summary>The number of type records in this blob (the base's not included).</summary>
    public int LocalCount => _records.Length;

    /// <summary>The first string offset of this blob (0, or the end of the base's strings).</summary>
    public uint FirstStringOffset { get; }

    /// <summary>The size of the blob in bytes.</summary>
    public int Length => _blob.Length;

    /// <summary>The raw bytes (for comparing two copies of the same BTF).</summary>
    public ReadOnlySpan<byte> Bytes => _blob;

    /// <summary>
    /// Checks and indexes a BTF blob. Throws <see cref="DumpFormatException"/> naming <paramref name="name"/>,
    /// the offset in the blob and the problem when anything is out of range.
    /// </summary>
    /// <param name="blob">The BTF bytes (kept, not copied).</param>
    /// <param name="name">Where they came from, for messages.</param>
    /// <param name="baseBtf">The base of split BTF (vmlinux BTF for a module), or null.</param>
    /// <param name="limits">Size limits.</param>
    public static BtfData Parse(byte[] blob, string name, BtfData? baseBtf = null, ParseLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(blob);
        limits ??= ParseLimits.Default;
        if (blob.Length > limits.MaxBtfBytes)
        {
            throw new DumpFormatException(name, $"BTF of {blob.Length} bytes is larger than the limit of {limits.MaxBtfBytes}");
        }

        var header = ReadHeader(blob, name);
        int types = checked((int)header.HeaderLength + (int)header.TypeOffset);
        int strings = checked((int)header.HeaderLength + (int)header.StringOffset);
        var (records, kinds) = IndexRecords(blob, name, types, (int)header.TypeLength, baseBtf?.EndId ?? 1);
        var data = new BtfData(blob, name, header, baseBtf, strings, records, kinds);
        data.CheckStrings();
        data.CheckReferences();
        data.CheckChains();
        return data;
    }

    /// <summary>The kind of type <paramref name="id"/> (0 is <see cref="BtfKind.Void"/>).</summary>
    public BtfKind KindOf(int id) => id == 0 ? BtfKind.Void : id >= FirstId && id < EndId ? _kinds[id - FirstId] : Record(id).Kind;

    /// <summary>The name of type <paramref name="id"/>, or null when it has none.</summary>
    public string? NameOf(int id) => id == 0 ? "void" : String(Record(id).NameOffset);

    /// <summary>A string of the string section by offset; null for the empty string.</summary>
    public string? String(uint offset)
    {
        var bytes = StringBytes(offset);
        return bytes.IsEmpty ? null : System.Text.Encoding.UTF8.GetString(bytes);
    }

    /// <summary>The bytes of the NUL-terminated string at <paramref name="offset"/>, without the NUL.</summary>
    internal ReadOnlySpan<byte> StringBytes(uint offset)
    {
        if (offset < FirstStringOffset)
        {
            return Base!.StringBytes(offset);
        }

        ulong local = offset - FirstStringOffset;
        if (local >= (ulong)_stringLength)
        {
            throw new DumpFormatException(Name, $"string offset {offset} is past the end of the string section");
        }

        var s = _blob.AsSpan(_strings + (int)local, _stringLength - (int)local);
        int nul = s.IndexOf((byte)0);
        return nul < 0 ? s : s[..nul];
    }

    /// <summary>The record of type <paramref name="id"/> (1 ≤ id &lt; <see cref="EndId"/>).</summary>
    internal BtfRecord Record(int id)
    {
        if (id < FirstId)
        {
            if (Base is null || id <= 0)
            {
                throw new DumpFormatException(Name, $"type id {id} is not a type record (type ids start at 1)");
            }

            return Base.Record(id);
        }

        if (id >= EndId)
        {
            throw new DumpFormatException(Name, $"type id {id} is out of range (the last is {EndId - 1})");
        }

        int at = _records[id - FirstId];
        uint info = U32(at + 4);
        var kind = (BtfKind)((info >> 24) & 0x1f);
        int extra = ExtraLength(kind, (int)(info & 0xffff));
        return new BtfRecord(id, at, kind, U32(at), (int)(info & 0xffff), (info >> 31) != 0, U32(at + 8), _blob.AsSpan(at + RecordSize, extra));
    }

    /// <summary>The blob offset of a local type's record (for messages).</summary>
    internal int OffsetOf(int id) => id >= FirstId && id < EndId ? _records[id - FirstId] : -1;

    /// <summary>The bytes of kind-specific data that follow a record's 12-byte header; -1 for an unknown kind.</summary>
    internal static int ExtraLength(BtfKind kind, int vlen) => kind switch
    {
        BtfKind.Int or BtfKind.Variable or BtfKind.DeclTag => 4,
        BtfKind.Array => 12,
        BtfKind.Struct or BtfKind.Union or BtfKind.DataSection or BtfKind.Enum64 => 12 * vlen,
        BtfKind.Enum or BtfKind.FunctionProto => 8 * vlen,
        BtfKind.Pointer or BtfKind.Forward or BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const
            or BtfKind.Restrict or BtfKind.Function or BtfKind.Float or BtfKind.TypeTag => 0,
        _ => -1,
    };

    private uint U32(int at) => BinaryPrimitives.ReadUInt32LittleEndian(_blob.AsSpan(at, 4));

    private static BtfHeader ReadHeader(byte[] blob, string name)
    {
        if (blob.Length < MinHeaderLength)
        {
            throw new DumpFormatException(name, 0, $"BTF of {blob.Length} bytes is shorter than its {MinHeaderLength}-byte header");
        }

        var b = blob.AsSpan();
        ushort magic = BinaryPrimitives.ReadUInt16LittleEndian(b);
        if (magic != Magic)
        {
            string why = magic == BinaryPrimitives.ReverseEndianness(Magic) ? "big-endian BTF is not supported" : $"bad BTF magic {magic:x4} (expected {Magic:x4})";
            throw new DumpFormatException(name, 0, why);
        }

        var h = new BtfHeader(b[2], b[3], BinaryPrimitives.ReadUInt32LittleEndian(b[4..]), BinaryPrimitives.ReadUInt32LittleEndian(b[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(b[12..]), BinaryPrimitives.ReadUInt32LittleEndian(b[16..]), BinaryPrimitives.ReadUInt32LittleEndian(b[20..]));
        if (h.Version != 1)
        {
            throw new DumpFormatException(name, 2, $"BTF version {h.Version} is not supported (only version 1)");
        }

        if (h.HeaderLength < MinHeaderLength || h.HeaderLength > (uint)blob.Length)
        {
            throw new DumpFormatException(name, 4, $"BTF header length {h.HeaderLength} is outside {MinHeaderLength}..{blob.Length}");
        }

        ulong body = (ulong)blob.Length - h.HeaderLength;
        if ((ulong)h.TypeOffset + h.TypeLength > body)
        {
            throw new DumpFormatException(name, 8, $"the BTF type section ({h.TypeLength} bytes at {h.TypeOffset}) ends past the end of the {body}-byte body");
        }

        if ((ulong)h.StringOffset + h.StringLength > body)
        {
            throw new DumpFormatException(name, 16, $"the BTF string section ({h.StringLength} bytes at {h.StringOffset}) ends past the end of the {body}-byte body");
        }

        if ((h.HeaderLength + h.TypeOffset) % 4 != 0)
        {
            throw new DumpFormatException(name, 8, $"the BTF type section at {h.TypeOffset} is not 4-byte aligned");
        }

        return h;
    }

    /// <summary>Finds where each type record starts; checks kinds and that every record fits.</summary>
    private static (int[] Records, BtfKind[] Kinds) IndexRecords(byte[] blob, string name, int start, int length, int firstId)
    {
        var records = new List<int>(Math.Max(16, length / 24));
        var kinds = new List<BtfKind>(records.Capacity);
        int end = start + length;
        for (int at = start; at < end;)
        {
            if (end - at < RecordSize)
            {
                throw new DumpFormatException(name, at, $"BTF type {firstId + records.Count}: the type section ends inside its record");
            }

            uint info = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(at + 4, 4));
            var kind = (BtfKind)((info >> 24) & 0x1f);
            int extra = ExtraLength(kind, (int)(info & 0xffff));
            if (extra < 0 || kind == BtfKind.Void)
            {
                throw new DumpFormatException(name, at, $"BTF type {firstId + records.Count} has unknown kind {(int)kind}");
            }

            if (end - at - RecordSize < extra)
            {
                throw new DumpFormatException(name, at, $"BTF type {firstId + records.Count} ({kind}, {info & 0xffff} entries) ends past the end of the type section");
            }

            if (firstId + records.Count > MaxTypeId)
            {
                throw new DumpFormatException(name, at, $"BTF has more than {MaxTypeId} types");
            }

            records.Add(at);
            kinds.Add(kind);
            at += RecordSize + extra;
        }

        return ([.. records], [.. kinds]);
    }
}

/// <summary>One BTF type record: struct btf_type and the kind-specific data after it.</summary>
internal readonly ref struct BtfRecord
{
    public BtfRecord(int id, int offset, BtfKind kind, uint nameOffset, int vlen, bool kindFlag, uint sizeOrType, ReadOnlySpan<byte> extra)
    {
        Id = id;
        Offset = offset;
        Kind = kind;
        NameOffset = nameOffset;
        Vlen = vlen;
        KindFlag = kindFlag;
        SizeOrType = sizeOrType;
        Extra = extra;
    }

    public int Id { get; }

    /// <summary>The offset of the record in its blob.</summary>
    public int Offset { get; }

    public BtfKind Kind { get; }

    public uint NameOffset { get; }

    /// <summary>info bits 0-15: members, enumerators, parameters or variables.</summary>
    public int Vlen { get; }

    /// <summary>info bit 31: bit-field encoding of members, signed enum, union forward.</summary>
    public bool KindFlag { get; }

    /// <summary>The size (INT, ENUM, STRUCT, UNION, DATASEC, FLOAT, ENUM64) or the referred type id (the others).</summary>
    public uint SizeOrType { get; }

    /// <summary>The kind-specific data.</summary>
    public ReadOnlySpan<byte> Extra { get; }

    /// <summary>The i-th u32 of the kind-specific data.</summary>
    public uint Word(int i) => BinaryPrimitives.ReadUInt32LittleEndian(Extra[(i * 4)..]);
}
