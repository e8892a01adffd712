using Kdx.Core.Types;

namespace Kdx.Tests.Commands;

/// <summary>
/// Hand-built types and objects for the type commands, on a <see cref="FakeProgram"/>: a struct task with
/// every member kind gdb prints differently (bit fields, char array, enum, bool, u8, anonymous union, nested
/// struct, self pointer, function pointer, char pointer, member of an unnamed struct type, int array,
/// flexible array), placed at sys_call_table; a per-CPU struct rq at runqueues; typed jiffies, linux_banner
/// and two functions.
/// </summary>
internal sealed class TypeFixture : ITypeSource, IDisposable
{
    private readonly Dictionary<string, KType> _types = [];
    private readonly Dictionary<string, QualifiedType> _variables = [];
    private readonly Dictionary<string, KType> _functions = [];

    public TypeFixture()
    {
        var charType = Add(KType.Int("char", 1, true));
        var intType = Add(KType.Int("int", 4, true));
        var uintType = Add(KType.Int("unsigned int", 4, false));
        var longType = Add(KType.Int("long int", 8, true));
        var ulongType = Add(KType.Int("long unsigned int", 8, false));
        var ucharType = Add(KType.Int("unsigned char", 1, false));
        var boolType = Add(KType.Bool("_Bool", 1));
        var u8 = Add(KType.Typedef("u8", ucharType));
        var u64 = Add(KType.Typedef("u64", ulongType));
        Add(KType.Typedef("pid_t", Add(KType.Typedef("__kernel_pid_t", intType))));
        Add(KType.Typedef("atomic_t", KType.Struct(null, 4, () => [new KMember("counter", intType, 0)])));
        var ret = Add(KType.Enum("irqreturn", 4, false, () => [new KEnumerator("IRQ_NONE", 0), new KEnumerator("IRQ_HANDLED", 1)], () => uintType));
        var retT = Add(KType.Typedef("irqreturn_t", ret));
        Add(KType.Typedef("irq_handler_t", KType.Pointer(KType.Function(() => retT, () => [new KParameter(null, intType)], false))));
        Add(KType.Typedef("work_func_t", KType.Pointer(KType.Function(() => KType.Void, () => [new KParameter(null, KType.Pointer(intType))], false))));
        State = KType.Enum("task_state", 4, false, () => [new KEnumerator("STATE_IDLE", 0), new KEnumerator("STATE_RUN", 1), new KEnumerator("STATE_DEAD", 4)], () => uintType);
        _types["enum task_state"] = State;
        KType? listHead = null;
        listHead = KType.Struct("list_head", 16, () => [new KMember("next", KType.Pointer(() => listHead!), 0), new KMember("prev", KType.Pointer(() => listHead!), 64)]);
        _types["struct list_head"] = listHead;
        ListHead = listHead;
        var anonymous = KType.Union(null, 8, () => [new KMember("value", ulongType, 0), new KMember("half", uintType, 0)]);
        var pair = KType.Struct(null, 8, () => [new KMember("a", intType, 0), new KMember("b", intType, 32)]);
        KType? task = null;
        var callback = KType.Pointer(KType.Function(() => KType.Void, () => [new KParameter(null, KType.Pointer(() => task!))], false));
        task = KType.Struct("task", 96, () =>
        [
            new KMember("pid", intType, 0),
            new KMember("prio", uintType, 32, 3),
            new KMember("nice", uintType, 35, 5),
            new KMember("comm", KType.Array(charType, 8), 64),
            new KMember("state", State, 128),
            new KMember("on_cpu", boolType, 160),
            new KMember("flag", u8, 168),
            new KMember(null, anonymous, 192),
            new KMember("tasks", listHead, 256),
            new KMember("parent", KType.Pointer(() => task!), 384),
            new KMember("fn", callback, 448),
            new KMember("name", KType.Pointer(charType), 512),
            new KMember("pair", pair, 576),
            new KMember("counts", KType.Array(uintType, 3), 640),
            new KMember("tail", KType.Array(() => intType, null, 4), 736),
        ]);
        _types["struct task"] = task;
        Task = task;
        var rq = KType.Struct("rq", 16, () => [new KMember("nr_running", uintType, 0), new KMember("clock", u64, 64)]);
        _types["struct rq"] = rq;
        _types["union value"] = KType.Union("value", 8, () => [new KMember("l", longType, 0), new KMember("c", KType.Array(charType, 8), 0)]);
        // union fields { struct { void *addr; union { int trapno; struct { int lower; } bnd; }; } fault; }: a named
        // member of an unnamed struct type two levels down, which crash's gdb prints as "struct {...} bnd;".
        var bnd = KType.Struct(null, 4, () => [new KMember("lower", intType, 0)]);
        var inner = KType.Union(null, 4, () => [new KMember("trapno", intType, 0), new KMember("bnd", bnd, 0)]);
        var fault = KType.Struct(null, 16, () => [new KMember("addr", KType.Pointer(KType.Void), 0), new KMember(null, inner, 64)]);
        _types["union fields"] = KType.Union("fields", 16, () => [new KMember("fault", fault, 0)]);
        _variables["jiffies"] = new QualifiedType(ulongType, Qualifiers.Volatile);
        _variables["linux_banner"] = KType.Array(charType, 16);
        _variables["sys_call_table"] = task;
        _variables["add"] = listHead;
        _variables["runqueues"] = rq;
        _functions["schedule"] = KType.Function(() => KType.Void, () => [], false);
        _functions["do_exit"] = KType.Function(() => KType.Void, () => [new KParameter("code", longType)], false);

        Program = new FakeProgram();
        Program.Program.Types.AddFirst(this);
        WriteObjects();
    }

    public FakeProgram Program { get; }

    public KType Task { get; }

    public KType ListHead { get; }

    public KType State { get; }

    public ulong TaskAddress => Program.SysCallTable;

    public string Description => "test types";

    public string Run(string line) => Program.Run(line);

    public KType? FindType(string name, TypeKind? kind) => _types.GetValueOrDefault(kind switch
    {
        TypeKind.Struct => "struct " + name,
        TypeKind.Union => "union " + name,
        TypeKind.Enum => "enum " + name,
        _ => name,
    });

    public QualifiedType? FindVariableType(string name) => _variables.TryGetValue(name, out var t) ? t : (QualifiedType?)null;

    public KType? FindFunctionType(string name) => _functions.GetValueOrDefault(name);

    public IEnumerable<string> TypeNames(TypeKind kind) => _types.Keys;

    public KType? FindEnumeratorType(string name) => State.Enumerators.Any(e => e.Name == name) ? State : null;

    public void Dispose() => Program.Dispose();

    private KType Add(KType t)
    {
        _types[t.Name!] = t;
        return t;
    }

    private void WriteObjects()
    {
        var p = Program;
        ulong t = TaskAddress;
        var bytes = new byte[96];
        BitConverter.GetBytes(42).CopyTo(bytes, 0);
        bytes[4] = 5 | (3 << 3); // prio 5, nice 3
        "sh"u8.CopyTo(bytes.AsSpan(8));
        BitConverter.GetBytes(1).CopyTo(bytes, 16); // STATE_RUN
        bytes[20] = 1;
        bytes[21] = (byte)'A';
        BitConverter.GetBytes(0x1122334455667788UL).CopyTo(bytes, 24);
        BitConverter.GetBytes(t + 32).CopyTo(bytes, 32);
        BitConverter.GetBytes(t + 32).CopyTo(bytes, 40);
        BitConverter.GetBytes(t).CopyTo(bytes, 48);
        BitConverter.GetBytes(p.DoExit).CopyTo(bytes, 56);
        BitConverter.GetBytes(p.LinuxBanner).CopyTo(bytes, 64);
        BitConverter.GetBytes(1).CopyTo(bytes, 72);
        BitConverter.GetBytes(-2).CopyTo(bytes, 76);
        BitConverter.GetBytes(7).CopyTo(bytes, 80);
        BitConverter.GetBytes(8).CopyTo(bytes, 84);
        BitConverter.GetBytes(9).CopyTo(bytes, 88);
        p.Write(t, bytes);
        p.WriteString(p.LinuxBanner, "Linux\tversion");
        p.WriteUInt64(p.Jiffies, 4294894904);
        p.WriteUInt64(p.Add, 0);
        p.WriteUInt64(p.Add + 8, 0xffff888000001000);
        for (int cpu = 0; cpu < 2; cpu++)
        {
            ulong rq = p.Program.PerCpuAddress(FakeProgram.Runqueues, cpu);
            p.WriteUInt64(rq, (ulong)(cpu + 2));
            p.WriteUInt64(rq + 8, 1000UL * (ulong)(cpu + 1));
        }
    }
}
