using Kdx.Core.Types;

namespace Kdx.Tests.Commands;

/// <summary>
/// A <see cref="FakeProgram"/> with the types list and tree walk (list_head, a vmlab_item-like <c>struct item</c>, a
/// singly linked <c>struct link</c>, rb_node/rb_root, xarray/xa_node, maple_tree/maple_node with the 6.1 layouts)
/// and data symbols: <c>item_list</c>, <c>empty_list</c>, <c>tree_root</c>, <c>xa</c>, <c>mt</c>, <c>holder</c>.
/// Objects go in the direct map from <see cref="Heap"/>.
/// </summary>
internal sealed class WalkKernel : IDisposable, ITypeSource
{
    private readonly Dictionary<string, KType> _types = [];

    public WalkKernel()
    {
        P = new FakeProgram(dataSymbols: new Dictionary<string, ulong>
        {
            ["item_list"] = 0x1600000,
            ["empty_list"] = 0x1600010,
            ["tree_root"] = 0x1600020,
            ["xa"] = 0x1600040,
            ["mt"] = 0x1600060,
            ["holder"] = 0x1600080,
        });
        var u8 = KType.Int("unsigned char", 1, false);
        var u32 = KType.Int("unsigned int", 4, false);
        var u64 = KType.Int("long long unsigned int", 8, false);
        var ulong_ = KType.Int("long unsigned int", 8, false);
        var s32 = KType.Int("int", 4, true);
        var ch = KType.Int("char", 1, true);
        var voidp = KType.Pointer(KType.Void);
        KType? listHead = null;
        listHead = KType.Struct("list_head", 16, () => [new("next", KType.Pointer(() => listHead!), 0), new("prev", KType.Pointer(() => listHead!), 64)]);
        var state = KType.Enum("item_state", 4, false, () => [new KEnumerator("ITEM_NEW", 0), new KEnumerator("ITEM_LIVE", 1)]);
        Add("struct list_head", listHead);
        Add("struct item", KType.Struct("item", 48, () =>
        [
            new("magic", u32, 0), new("id", s32, 32), new("name", KType.Array(ch, 16), 64), new("value", u64, 192), new("node", listHead, 256),
        ]));
        Add("struct item_ext", KType.Struct("item_ext", 32, () =>
            [new("state", state, 0), new("on", KType.Bool("_Bool", 1), 32), new("comm", KType.Pointer(ch), 64), new("owner", voidp, 128), new("neg", s32, 192)]));
        KType? link = null;
        link = KType.Struct("link", 24, () => [new("value", ulong_, 0), new("next", KType.Pointer(() => link!), 64), new("tag", u32, 128)]);
        Add("struct link", link);
        KType? rbNode = null;
        rbNode = KType.Struct("rb_node", 24, () =>
            [new("__rb_parent_color", ulong_, 0), new("rb_right", KType.Pointer(() => rbNode!), 64), new("rb_left", KType.Pointer(() => rbNode!), 128)]);
        Add("struct rb_node", rbNode);
        Add("struct rb_root", KType.Struct("rb_root", 8, () => [new("rb_node", KType.Pointer(rbNode), 0)]));
        Add("struct vma", KType.Struct("vma", 48, () => [new("start", ulong_, 0), new("end", ulong_, 64), new("rb", rbNode, 128)]));
        Add("struct xarray", KType.Struct("xarray", 16, () => [new("xa_lock", u32, 0), new("xa_flags", u32, 32), new("xa_head", voidp, 64)]));
        Add("struct xa_node", KType.Struct("xa_node", 576, () =>
            [new("shift", u8, 0), new("offset", u8, 8), new("count", u8, 16), new("nr_values", u8, 24), new("slots", KType.Array(voidp, 64), 320)]));
        Add("struct maple_tree", KType.Struct("maple_tree", 24, () => [new("ma_lock", u32, 0), new("ma_root", voidp, 64), new("ma_flags", u32, 128)]));
        var mr64 = KType.Struct("maple_range_64", 256, () =>
            [new("parent", voidp, 0), new("pivot", KType.Array(ulong_, 15), 64), new("slot", KType.Array(voidp, 16), 64 * 16)]);
        var ma64 = KType.Struct("maple_arange_64", 256, () =>
            [new("parent", voidp, 0), new("pivot", KType.Array(ulong_, 9), 64), new("slot", KType.Array(voidp, 10), 64 * 10), new("gap", KType.Array(ulong_, 10), 64 * 20)]);
        var dense = KType.Struct(null, 256, () => [new("parent", voidp, 0), new("slot", KType.Array(voidp, 31), 64)]);
        Add("struct maple_node", KType.Struct("maple_node", 256, () =>
            [new(null, KType.Union(null, 256, () => [new(null, dense, 0), new("mr64", mr64, 0), new("ma64", ma64, 0)]), 0)]));
        P.Program.Types.AddFirst(this);
    }

    public FakeProgram P { get; }

    /// <summary>Free direct-map memory for test objects (physical 16 MiB up).</summary>
    public ulong Heap => P.Kernel.PageOffsetBase + 0x1000000;

    public ulong Symbol(string name) => name switch
    {
        "item_list" => P.Kernel.Text + 0x1600000,
        "empty_list" => P.Kernel.Text + 0x1600010,
        "tree_root" => P.Kernel.Text + 0x1600020,
        "xa" => P.Kernel.Text + 0x1600040,
        "mt" => P.Kernel.Text + 0x1600060,
        "holder" => P.Kernel.Text + 0x1600080,
        _ => throw new ArgumentException(name),
    };

    public string Description => "walk test types";

    public string Run(string line) => P.Run(line);

    public void W(ulong address, ulong value) => P.WriteUInt64(address, value);

    public void W32(ulong address, uint value) => P.Write(address, BitConverter.GetBytes(value));

    public void Dispose() => P.Dispose();

    public KType? FindType(string name, TypeKind? kind = null)
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

    public QualifiedType? FindVariableType(string name) => null;

    public KType? FindFunctionType(string name) => null;

    public IEnumerable<string> TypeNames(TypeKind kind) => _types.Keys;

    private void Add(string key, KType type) => _types[key] = type;
}
