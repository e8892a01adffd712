namespace Kdx.Fuzz;

/// <summary>BTF seed inputs: a blob with every kind, and split BTF over <see cref="SmallBase"/>.</summary>
public static class BtfSeeds
{
    /// <summary>A small vmlinux-like base: int, char, list_head.</summary>
    public static BtfWriter SmallBase()
    {
        var w = new BtfWriter();
        w.Int("int", 4, signed: true);
        w.Int("char", 1, signed: true, isChar: true);
        int listHead = w.NextId + 1;
        int ptr = w.Pointer(listHead);
        w.Struct("list_head", 16, ("next", ptr, 0, 0), ("prev", ptr, 64, 0));
        return w;
    }

    /// <summary>One record of every kind, bit fields in both encodings, qualifiers, tags, variables.</summary>
    public static byte[] EveryKind()
    {
        var w = new BtfWriter();
        int i = w.Int("int", 4, signed: true);
        int c = w.Int("char", 1, signed: true, isChar: true);
        int u = w.Int("unsigned int", 4);
        int three = w.Int("unsigned int", 4, bits: 3);
        w.Int("_Bool", 1, isBool: true);
        w.Float("double", 8);
        int listHead = w.NextId + 1;
        int lp = w.Pointer(listHead);
        w.Struct("list_head", 16, ("next", lp, 0, 0), ("prev", lp, 64, 0));
        int comm = w.Array(c, u, 16);
        int inner = w.Union(null, 8, ("a", u, 0, 0), ("b", i, 0, 0));
        int task = w.Struct("task_struct", 64, ("state", u, 0, 2), ("flags", u, 2, 30), ("comm", comm, 32, 0), (null, inner, 192, 0), ("tasks", listHead, 256, 0));
        w.PlainStruct("old", 8, ("x", three, 0), ("y", u, 32));
        w.Enum("pid_type", 4, false, ("PIDTYPE_PID", 0), ("PIDTYPE_MAX", 4));
        w.Enum64("big", 8, true, ("NEG", unchecked((ulong)-5L)));
        w.Forward("file");
        w.Forward("opaque", union: true);
        int td = w.Typedef("pid_t", i);
        int cc = w.Const(c);
        w.Volatile(td);
        int str = w.Restrict(w.Pointer(cc));
        int rcu = w.TypeTag("rcu", task);
        w.Pointer(rcu);
        int proto = w.FunctionProto(i, true, ("fmt", str));
        w.Function("_printk", proto);
        int v = w.Variable("runqueues", task);
        w.DataSection(".data..percpu", 0x1000, (v, 0x40, 64));
        w.DeclTag("user", task, 1);
        return w.Build();
    }

    /// <summary>A module's split BTF over <see cref="SmallBase"/>.</summary>
    public static byte[] Split()
    {
        var m = new BtfWriter(SmallBase());
        m.Struct("vmlab_item", 40, ("magic", 1, 0, 0), ("id", 1, 32, 0), ("node", 4, 192, 0));
        return m.Build();
    }
}
