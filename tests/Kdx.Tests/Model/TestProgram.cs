using System.Buffers.Binary;
using System.Text;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Symbols;
using Kdx.Core.Types;

namespace Kdx.Tests.Model;

/// <summary>
/// A tiny kernel for object-model tests: memory at <see cref="Base"/>, a few types (list_head,
/// a task-like struct with bit fields and an anonymous union), and variables placed in memory.
/// </summary>
internal sealed class TestProgram : IProgram, IMemoryReader, ITypeSource
{
    public const ulong Base = 0xffff888000000000;
    private readonly byte[] _memory = new byte[1 << 20];
    private readonly Dictionary<string, ulong> _symbols = [];
    private readonly Dictionary<string, QualifiedType> _variables = [];
    private readonly Dictionary<string, KType> _types = [];
    private SymbolTable? _table;

    public TestProgram()
    {
        Char = KType.Int("char", 1, true);
        Int = KType.Int("int", 4, true);
        UInt = KType.Int("unsigned int", 4, false);
        Long = KType.Int("long int", 8, true);
        ULong = KType.Int("long unsigned int", 8, false);
        foreach (var t in new[] { Char, Int, UInt, Long, ULong, KType.Int("unsigned char", 1, false), KType.Int("short int", 2, true) })
        {
            _types[t.Name!] = t;
        }

        KType? listHead = null;
        listHead = KType.Struct("list_head", 16, () => [new KMember("next", KType.Pointer(() => listHead!), 0), new KMember("prev", KType.Pointer(() => listHead!), 64)]);
        ListHead = listHead;
        _types["struct list_head"] = listHead;
        var u32 = KType.Typedef("u32", UInt);
        _types["u32"] = u32;
        var inner = KType.Union(null, 8, () => [new KMember("value", ULong, 0), new KMember("half", UInt, 0)]);
        Task = KType.Struct("task", 64, () =>
        [
            new KMember("pid", Int, 0),
            new KMember("flags", u32, 32, 0),
            new KMember("prio", UInt, 64 + 3, 5),
            new KMember("neg", Int, 64 + 8, 4),
            new KMember("comm", KType.Array(Char, 16), 96),
            new KMember(null, inner, 256),
            new KMember("tasks", listHead, 320),
            new KMember("parent", KType.Pointer(() => Task!), 448),
        ]);
        _types["struct task"] = Task;
    }

    public KType Char { get; }

    public KType Int { get; }

    public KType UInt { get; }

    public KType Long { get; }

    public KType ULong { get; }

    public KType ListHead { get; }

    public KType Task { get; }

    public IMemoryReader Memory => this;

    public TypeCollection Types => new([this]);

    public SymbolTable Symbols => _table ??= new SymbolTable(
        _symbols.Keys.ToArray(), _symbols.Values.ToArray(), new ulong[_symbols.Count], Enumerable.Repeat('D', _symbols.Count).ToArray());

    public int CpuCount => 2;

    public AddressSpace Space => AddressSpace.KernelVirtual;

    public string Description => "test types";

    public ulong PerCpuAddress(ulong address, int cpu) => address + ((ulong)cpu * 0x1000);

    public void Variable(string name, QualifiedType type, ulong address)
    {
        _symbols[name] = address;
        _variables[name] = type;
        _table = null;
    }

    public void Symbol(string name, ulong address)
    {
        _symbols[name] = address;
        _table = null;
    }

    public void Write(ulong address, ulong value, int size = 8)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        b[..size].CopyTo(_memory.AsSpan((int)(address - Base)));
    }

    public void WriteString(ulong address, string s) => Encoding.ASCII.GetBytes(s + "\0").CopyTo(_memory, (int)(address - Base));

    public ReadStatus Read(ulong address, Span<byte> destination, out int bytesRead)
    {
        bytesRead = 0;
        if (address < Base || address - Base >= (ulong)_memory.Length)
        {
            return ReadStatus.NotMapped;
        }

        int n = (int)Math.Min((ulong)destination.Length, (ulong)_memory.Length - (address - Base));
        _memory.AsSpan((int)(address - Base), n).CopyTo(destination);
        bytesRead = n;
        return n == destination.Length ? ReadStatus.Ok : ReadStatus.NotMapped;
    }

    public string? ExplainFailure(ulong address, ReadStatus status) => null;

    public KType? FindType(string name, TypeKind? kind)
    {
        string key = kind switch
        {
            TypeKind.Struct => "struct " + name,
            TypeKind.Union => "union " + name,
            TypeKind.Enum => "enum " + name,
            _ => name,
        };
        return _types.GetValueOrDefault(key);
    }

    public QualifiedType? FindVariableType(string name) => _variables.TryGetValue(name, out var t) ? t : (QualifiedType?)null;

    public KType? FindFunctionType(string name) => null;

    public IEnumerable<string> TypeNames(TypeKind kind) => _types.Keys;
}
