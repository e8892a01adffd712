using System.Text.Json;

namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>
/// <c>ref/truth/drgn.json</c>: what drgn 0.0.22 read from the unfiltered ELF dump of a run
/// (<c>tests/vmcores/lib/truth-drgn.py</c>), independent of crash: every task (crash 8.0.2 sees only the active
/// ones on 6.1 and none on 6.12), the modules with their kallsyms, type layouts, values of globals, slab caches
/// with object counts, the objects vmlab.ko planted, and anchor addresses. A section drgn could not read is
/// empty here and named in <see cref="Errors"/>.
/// </summary>
public sealed class GroundTruth
{
    private GroundTruth(JsonElement r)
    {
        Tool = JsonRead.Str(r, "tool") ?? "";
        Kernel = JsonRead.Str(r, "kernel") ?? "";
        var errors = new Dictionary<string, string>();
        foreach (var section in new[] { "percpu", "tasks", "modules", "slab_caches", "vmlab", "anchors" })
        {
            if (JsonRead.Error(r, section) is { } e)
            {
                errors[section] = e;
            }
        }

        Errors = errors;
        PerCpu = JsonRead.Has(r, "percpu", out var pc) && !errors.ContainsKey("percpu") ? TruthPerCpu.Parse(pc) : null;
        Tasks = [.. JsonRead.Array(r, "tasks").Select(TruthTask.Parse)];
        Modules = [.. JsonRead.Array(r, "modules").Select(TruthModule.Parse)];
        var layouts = new Dictionary<string, TypeLayout>();
        if (JsonRead.Has(r, "layouts", out var ls))
        {
            foreach (var l in ls.EnumerateObject())
            {
                layouts[l.Name] = TypeLayout.Parse(l.Name, l.Value);
            }
        }

        Layouts = layouts;
        Globals = [.. JsonRead.Array(r, "globals").Select(TruthGlobal.Parse)];
        SlabCaches = [.. JsonRead.Array(r, "slab_caches").Select(TruthSlabCache.Parse)];
        Vmlab = JsonRead.Has(r, "vmlab", out var vm) && !errors.ContainsKey("vmlab") ? TruthVmlab.Parse(vm) : null;
        var anchors = new Dictionary<string, ulong?>();
        if (JsonRead.Has(r, "anchors", out var an) && an.ValueKind == JsonValueKind.Object)
        {
            foreach (var a in an.EnumerateObject().Where(a => a.Name != "errors"))
            {
                anchors[a.Name] = a.Value.ValueKind == JsonValueKind.String ? JsonRead.ParseHex(a.Value.GetString()!) : null;
            }
        }

        Anchors = anchors;
    }

    /// <summary>"drgn 0.0.22".</summary>
    public string Tool { get; }

    /// <summary>init_uts_ns.name.release.</summary>
    public string Kernel { get; }

    /// <summary>Sections that failed (percpu, tasks, modules, slab_caches, vmlab, anchors) with drgn's error.</summary>
    public IReadOnlyDictionary<string, string> Errors { get; }

    /// <summary>Per-CPU facts, or null if they could not be read.</summary>
    public TruthPerCpu? PerCpu { get; }

    /// <summary>Every task of the init_task.tasks list and its threads (for_each_task), in list order.</summary>
    public IReadOnlyList<TruthTask> Tasks { get; }

    /// <summary>The loaded modules, in the order of the modules list.</summary>
    public IReadOnlyList<TruthModule> Modules { get; }

    /// <summary>Layouts by C name ("struct task_struct", "union sigval"), as drgn sees the DWARF.</summary>
    public IReadOnlyDictionary<string, TypeLayout> Layouts { get; }

    /// <summary>Values of the globals that the types family prints with p.</summary>
    public IReadOnlyList<TruthGlobal> Globals { get; }

    /// <summary>Every slab cache, with counts from one pass over mem_map and the (hardened) freelists.</summary>
    public IReadOnlyList<TruthSlabCache> SlabCaches { get; }

    /// <summary>The objects vmlab.ko planted, read back; null if they could not be read.</summary>
    public TruthVmlab? Vmlab { get; }

    /// <summary>Addresses the references walk from (init_task, the PID IDR root, panic_task, vmlab_module, …); null where absent.</summary>
    public IReadOnlyDictionary<string, ulong?> Anchors { get; }

    /// <summary>Reads a drgn.json.</summary>
    public static GroundTruth Load(string path) => new(JsonRead.Load(path));

    /// <summary>The task with this pid (the thread group leader for a pid shared by threads: pid is the tid).</summary>
    public TruthTask? Task(int pid) => Tasks.FirstOrDefault(t => t.Pid == pid);
}

/// <summary>Per-CPU facts.</summary>
/// <param name="PerCpuOffsets">__per_cpu_offset[cpu].</param>
/// <param name="Runqueues">the address of each CPU's struct rq.</param>
/// <param name="Current">rq->curr.</param>
/// <param name="Idle">rq->idle.</param>
/// <param name="NrRunning">rq->nr_running.</param>
public sealed record TruthPerCpu(
    IReadOnlyList<ulong> PerCpuOffsets, IReadOnlyList<ulong> Runqueues, IReadOnlyList<ulong> Current, IReadOnlyList<ulong> Idle,
    IReadOnlyList<long> NrRunning)
{
    internal static TruthPerCpu Parse(JsonElement e) => new(
        Hexes(e, "per_cpu_offset"), Hexes(e, "runqueues"), Hexes(e, "curr"), Hexes(e, "idle"),
        [.. JsonRead.Array(e, "nr_running").Select(x => x.GetInt64())]);

    private static List<ulong> Hexes(JsonElement e, string name) => [.. JsonRead.Strings(e, name).Select(JsonRead.ParseHex)];
}

/// <summary>A task.</summary>
/// <param name="Pid">task->pid (the thread id).</param>
/// <param name="Tgid">task->tgid.</param>
/// <param name="Ppid">task->real_parent->pid.</param>
/// <param name="Comm">task->comm.</param>
/// <param name="State">drgn's state letter (R, S, D, I, …).</param>
/// <param name="Address">the task_struct.</param>
/// <param name="Stack">task->stack.</param>
/// <param name="SavedSp">task->thread.sp.</param>
/// <param name="Cpu">task_cpu().</param>
/// <param name="OnCpu">task->on_cpu.</param>
/// <param name="CurrentOfCpu">the CPU whose rq->curr it is, or null.</param>
/// <param name="KernelThread">PF_KTHREAD.</param>
/// <param name="Mm">task->mm (0 for kernel threads).</param>
/// <param name="StackTrace">drgn's stack trace, or null when it failed (<see cref="StackTraceError"/>).</param>
/// <param name="StackTraceError">why drgn could not unwind (6.12: "unknown ORC entry type 3").</param>
/// <param name="Vmas">the VMAs (thread group leaders with an mm), from a walk of mm->mm_mt.</param>
/// <param name="Files">the open files.</param>
public sealed record TruthTask(
    int Pid, int Tgid, int Ppid, string Comm, string State, ulong Address, ulong Stack, ulong SavedSp, int Cpu, bool OnCpu,
    int? CurrentOfCpu, bool KernelThread, ulong Mm, IReadOnlyList<TruthFrame>? StackTrace, string? StackTraceError,
    IReadOnlyList<TruthVma> Vmas, IReadOnlyList<TruthFile> Files)
{
    internal static TruthTask Parse(JsonElement e)
    {
        JsonRead.Has(e, "stack_trace", out var st);
        IReadOnlyList<TruthFrame>? frames = JsonRead.Has(st, "frames", out _)
            ? [.. JsonRead.Array(st, "frames").Select(TruthFrame.Parse)]
            : null;
        return new TruthTask(
            JsonRead.Int(e, "pid")!.Value, JsonRead.Int(e, "tgid")!.Value, JsonRead.Int(e, "ppid")!.Value, JsonRead.Req(e, "comm"),
            JsonRead.Req(e, "state"), JsonRead.Hex(e, "task")!.Value, JsonRead.Hex(e, "stack") ?? 0, JsonRead.Hex(e, "sp") ?? 0,
            JsonRead.Int(e, "cpu") ?? -1, JsonRead.Long(e, "on_cpu") is > 0, JsonRead.Int(e, "current_of_cpu"),
            JsonRead.Bool(e, "kthread") ?? false, JsonRead.Hex(e, "mm") ?? 0, frames, JsonRead.Str(st, "error"),
            [.. JsonRead.Array(e, "vmas").Select(TruthVma.Parse)], [.. JsonRead.Array(e, "files").Select(TruthFile.Parse)]);
    }
}

/// <summary>A stack frame (drgn lists inlined functions as frames of their own, with the same pc).</summary>
/// <param name="Pc">program counter.</param>
/// <param name="Sp">stack pointer.</param>
/// <param name="Function">the (possibly inlined) function from the DWARF.</param>
/// <param name="Inline">whether this frame is an inlined call.</param>
/// <param name="Symbol">the ELF symbol containing pc (what crash prints), or null.</param>
/// <param name="Offset">pc - symbol.</param>
public sealed record TruthFrame(ulong Pc, ulong Sp, string? Function, bool Inline, string? Symbol, long? Offset)
{
    internal static TruthFrame Parse(JsonElement e) => new(
        JsonRead.Hex(e, "pc")!.Value, JsonRead.Hex(e, "sp") ?? 0, JsonRead.Str(e, "function"), JsonRead.Bool(e, "inline") ?? false,
        JsonRead.Str(e, "symbol"), JsonRead.Long(e, "offset"));
}

/// <summary>A VMA.</summary>
/// <param name="Start">vm_start.</param>
/// <param name="End">vm_end.</param>
/// <param name="Flags">vm_flags.</param>
/// <param name="File">the mapped file's path, or null.</param>
/// <param name="Address">the vm_area_struct.</param>
public sealed record TruthVma(ulong Start, ulong End, ulong Flags, string? File, ulong Address)
{
    internal static TruthVma Parse(JsonElement e) => new(
        JsonRead.Hex(e, "start")!.Value, JsonRead.Hex(e, "end")!.Value, JsonRead.Hex(e, "flags") ?? 0,
        JsonRead.Has(e, "file", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null, JsonRead.Hex(e, "vma") ?? 0);
}

/// <summary>An open file.</summary>
/// <param name="Fd">the descriptor.</param>
/// <param name="Address">the struct file.</param>
/// <param name="Path">d_path of f_path, or null.</param>
public sealed record TruthFile(int Fd, ulong Address, string? Path)
{
    internal static TruthFile Parse(JsonElement e) => new(
        JsonRead.Int(e, "fd")!.Value, JsonRead.Hex(e, "file")!.Value,
        JsonRead.Has(e, "path", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null);
}

/// <summary>A loaded module.</summary>
/// <param name="Name">module->name.</param>
/// <param name="Address">the struct module.</param>
/// <param name="State">module->state (enum name).</param>
/// <param name="Regions">memory regions: 6.4+ mem[] (text, data, rodata, ro_after_init, init_*), before core_layout/init_layout.</param>
/// <param name="Symbols">the module's kallsyms (name, address, size, type letter).</param>
public sealed record TruthModule(
    string Name, ulong Address, string State, IReadOnlyList<TruthModuleRegion> Regions, IReadOnlyList<TruthModuleSymbol> Symbols)
{
    internal static TruthModule Parse(JsonElement e) => new(
        JsonRead.Req(e, "name"), JsonRead.Hex(e, "module")!.Value, JsonRead.Str(e, "state") ?? "",
        [.. JsonRead.Array(e, "layout").Select(r => new TruthModuleRegion(
            JsonRead.Req(r, "kind"), JsonRead.Hex(r, "base") ?? 0, JsonRead.Long(r, "size") ?? 0))],
        [.. JsonRead.Array(e, "symbols").Select(s => new TruthModuleSymbol(
            JsonRead.Str(s, "name") ?? "", JsonRead.Hex(s, "address") ?? 0, JsonRead.Long(s, "size") ?? 0, JsonRead.Str(s, "type") ?? "?"))]);
}

/// <summary>A memory region of a module.</summary>
/// <param name="Kind">text, data, rodata, … (6.4+) or core_layout / init_layout.</param>
/// <param name="Base">start address.</param>
/// <param name="Size">bytes.</param>
public sealed record TruthModuleRegion(string Kind, ulong Base, long Size);

/// <summary>A module symbol from its kallsyms.</summary>
/// <param name="Name">symbol name.</param>
/// <param name="Address">run-time address.</param>
/// <param name="Size">st_size.</param>
/// <param name="Type">the kernel's type letter (t, T, d, b, r, …).</param>
public sealed record TruthModuleSymbol(string Name, ulong Address, long Size, string Type);

/// <summary>The value of a global (or expression) that the types family prints with <c>p</c>.</summary>
/// <param name="Expression">the crash command, e.g. "p jiffies".</param>
/// <param name="Python">the drgn expression that computed the value.</param>
/// <param name="Text">the value: a number in decimal, or the string; null on error.</param>
/// <param name="Integer">the value as an unsigned 64-bit number (two's complement), for integers.</param>
/// <param name="Error">drgn's error, or null.</param>
public sealed record TruthGlobal(string Expression, string Python, string? Text, ulong? Integer, string? Error)
{
    internal static TruthGlobal Parse(JsonElement e)
    {
        string? text = JsonRead.Has(e, "value", out var v)
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()
            : null;
        return new TruthGlobal(JsonRead.Req(e, "expr"), JsonRead.Req(e, "py"), text, JsonRead.Hex(e, "hex"), JsonRead.Str(e, "error"));
    }
}

/// <summary>A slab cache (SLUB).</summary>
/// <param name="Name">kmem_cache->name.</param>
/// <param name="Address">the struct kmem_cache.</param>
/// <param name="ObjectSize">object_size.</param>
/// <param name="Size">size (with metadata and alignment).</param>
/// <param name="Slabs">slab pages whose slab_cache is this cache (null on error).</param>
/// <param name="Total">objects in those slabs.</param>
/// <param name="Allocated">objects on no freelist (the slab's, or a CPU's lockless one).</param>
/// <param name="Error">drgn's error, or null.</param>
public sealed record TruthSlabCache(string Name, ulong Address, long ObjectSize, long Size, long? Slabs, long? Total, long? Allocated, string? Error)
{
    internal static TruthSlabCache Parse(JsonElement e) => new(
        JsonRead.Req(e, "name"), JsonRead.Hex(e, "address")!.Value, JsonRead.Long(e, "object_size") ?? 0, JsonRead.Long(e, "size") ?? 0,
        JsonRead.Long(e, "slabs"), JsonRead.Long(e, "total"), JsonRead.Long(e, "allocated"), JsonRead.Str(e, "error"));
}
