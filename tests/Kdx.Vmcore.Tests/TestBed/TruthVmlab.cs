using System.Text.Json;

namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>The objects vmlab.ko planted (tests/vmcores/module/vmlab.c), read back by drgn.</summary>
/// <param name="Objects">vmlab_objs[0..36]: slab objects of vmlab_cache.</param>
/// <param name="Items">the vmlab_items list, in list order.</param>
/// <param name="Timer">vmlab_timer.</param>
/// <param name="Kthread">vmlab_kthread_task.</param>
/// <param name="Cache">vmlab_cache.</param>
public sealed record TruthVmlab(
    IReadOnlyList<TruthVmlabObject> Objects, IReadOnlyList<TruthVmlabItem> Items, TruthVmlabTimer Timer, TruthVmlabKthread Kthread,
    TruthVmlabCache Cache)
{
    internal static TruthVmlab Parse(JsonElement e)
    {
        var timer = e.GetProperty("timer");
        var kthread = e.GetProperty("kthread");
        var cache = e.GetProperty("cache");
        return new TruthVmlab(
            [.. JsonRead.Array(e, "objs").Select(o => new TruthVmlabObject(
                JsonRead.Int(o, "index")!.Value, JsonRead.Hex(o, "address")!.Value, JsonRead.Hex(o, "magic")!.Value,
                JsonRead.Long(o, "stored_index")!.Value, JsonRead.Req(o, "tag"), JsonRead.Bool(o, "fill_ok") ?? false))],
            [.. JsonRead.Array(e, "items").Select(i => new TruthVmlabItem(
                JsonRead.Hex(i, "address")!.Value, JsonRead.Hex(i, "magic")!.Value, JsonRead.Int(i, "id")!.Value, JsonRead.Req(i, "name"),
                (ulong)JsonRead.Long(i, "value")!.Value))],
            new TruthVmlabTimer(
                JsonRead.Hex(timer, "address")!.Value, (ulong)JsonRead.Long(timer, "expires")!.Value, JsonRead.Str(timer, "function"),
                JsonRead.Bool(timer, "pending") ?? false, (ulong)JsonRead.Long(timer, "jiffies")!.Value),
            new TruthVmlabKthread(
                JsonRead.Hex(kthread, "task")!.Value, JsonRead.Int(kthread, "pid")!.Value, JsonRead.Req(kthread, "comm"),
                JsonRead.Req(kthread, "state")),
            new TruthVmlabCache(
                JsonRead.Hex(cache, "address")!.Value, JsonRead.Req(cache, "name"), JsonRead.Long(cache, "object_size")!.Value,
                JsonRead.Long(cache, "size")!.Value));
    }
}

/// <summary>vmlab_objs[Index].</summary>
/// <param name="Index">index in vmlab_objs.</param>
/// <param name="Address">the object.</param>
/// <param name="Magic">its magic (0x564d4c41424f424a, "VMLABOBJ").</param>
/// <param name="StoredIndex">the index stored in the object.</param>
/// <param name="Tag">"vmlab-obj-NN".</param>
/// <param name="FillOk">whether the 168 fill bytes are (index + i) &amp; 0xff.</param>
public sealed record TruthVmlabObject(int Index, ulong Address, ulong Magic, long StoredIndex, string Tag, bool FillOk);

/// <summary>A struct vmlab_item of the vmlab_items list.</summary>
/// <param name="Address">the item.</param>
/// <param name="Magic">0x564d4954 ("VMIT").</param>
/// <param name="Id">id.</param>
/// <param name="Name">"item-N".</param>
/// <param name="Value">0x1000 + id * 0x111.</param>
public sealed record TruthVmlabItem(ulong Address, ulong Magic, int Id, string Name, ulong Value);

/// <summary>vmlab_timer.</summary>
/// <param name="Address">the timer_list.</param>
/// <param name="Expires">expires (jiffies).</param>
/// <param name="Function">its function as symbol+offset.</param>
/// <param name="Pending">whether it is queued (entry.pprev != NULL).</param>
/// <param name="Jiffies">jiffies at the crash.</param>
public sealed record TruthVmlabTimer(ulong Address, ulong Expires, string? Function, bool Pending, ulong Jiffies);

/// <summary>vmlab_kthread_task.</summary>
/// <param name="Task">the task_struct.</param>
/// <param name="Pid">its pid.</param>
/// <param name="Comm">"vmlab_kthread".</param>
/// <param name="State">its state letter.</param>
public sealed record TruthVmlabKthread(ulong Task, int Pid, string Comm, string State);

/// <summary>vmlab_cache.</summary>
/// <param name="Address">the kmem_cache.</param>
/// <param name="Name">"vmlab_cache".</param>
/// <param name="ObjectSize">200.</param>
/// <param name="Size">size.</param>
public sealed record TruthVmlabCache(ulong Address, string Name, long ObjectSize, long Size);
