using Kdx.Core.Linux;
using Kdx.Core.Model;
using Kdx.Core.Types;
using Kdx.Tests.Model;

namespace Kdx.Tests.Linux;

public class WalkerTests
{
    private const ulong B = TestProgram.Base;

    private static KType PointerArray(int n) => KType.Array(KType.Pointer(KType.Void), (ulong)n);

    private static KType ULongArray(TestProgram p, int n) => KType.Array(p.ULong, (ulong)n);

    [Fact]
    public void A_list_ring_yields_every_node_and_container_of_gives_the_tasks()
    {
        var p = new TestProgram();
        p.Variable("head", p.ListHead, B + 0x100);
        ulong[] tasks = [B + 0x1000, B + 0x2000, B + 0x3000];
        ulong[] ring = [B + 0x100, tasks[0] + 40, tasks[1] + 40, tasks[2] + 40];
        for (int i = 0; i < ring.Length; i++)
        {
            p.Write(ring[i], ring[(i + 1) % ring.Length]);
            p.Write(ring[i] + 8, ring[(i + ring.Length - 1) % ring.Length]);
        }

        for (int i = 0; i < 3; i++)
        {
            p.Write(tasks[i], (ulong)(10 + i), 4);
        }

        var head = KObject.Variable(p, "head");
        Lists.ForEach(head, validate: true).Select(n => n.ToUInt64()).ShouldBe(ring.Skip(1));
        Lists.ForEachEntry(head, p.Task, "tasks").Select(t => t["pid"].ToInt64()).ShouldBe([10L, 11, 12]);
        Lists.IsEmpty(head).ShouldBeFalse();
    }

    [Fact]
    public void Broken_lists_stop_with_an_error_after_the_good_entries()
    {
        var p = new TestProgram();
        p.Variable("head", p.ListHead, B + 0x100);
        p.Write(B + 0x100, B + 0x200);
        p.Write(B + 0x200, B + 0x300);
        p.Write(B + 0x208, B + 0x100);
        p.Write(B + 0x300, B + 0x200); // cycle that never returns to the head
        p.Write(B + 0x308, B + 0x999);
        var head = KObject.Variable(p, "head");
        var seen = new List<ulong>();
        var e = Should.Throw<CorruptStructureException>(() =>
        {
            foreach (var n in Lists.ForEach(head))
            {
                seen.Add(n.ToUInt64());
            }
        });
        seen.ShouldBe([B + 0x200, B + 0x300]);
        e.Message.ShouldContain("cycle");

        var bad = Should.Throw<CorruptStructureException>(() => Lists.ForEach(head, validate: true).ToList());
        bad.Message.ShouldContain("prev is");

        p.Write(B + 0x100, 0);
        Should.Throw<CorruptStructureException>(() => Lists.ForEach(head).ToList()).Message.ShouldContain("NULL next");
        p.Write(B + 0x100, B + 0x200);
        Should.Throw<CorruptStructureException>(() => Lists.ForEach(head, limits: new WalkLimits { MaxEntries = 0 }).ToList()).Message.ShouldContain("more than 0 entries");
    }

    [Fact]
    public void Hlists_end_at_null_and_detect_cycles()
    {
        var p = new TestProgram();
        KType? node = null;
        node = KType.Struct("hlist_node", 16, () => [new KMember("next", KType.Pointer(() => node!), 0), new KMember("pprev", KType.Pointer(KType.Pointer(() => node!)), 64)]);
        var headType = KType.Struct("hlist_head", 8, () => [new KMember("first", KType.Pointer(node), 0)]);
        p.Variable("h", headType, B + 0x100);
        p.Write(B + 0x100, B + 0x200);
        p.Write(B + 0x200, B + 0x300);
        p.Write(B + 0x300, 0);
        Lists.HlistForEach(KObject.Variable(p, "h")).Select(n => n.ToUInt64()).ShouldBe([B + 0x200, B + 0x300]);
        p.Write(B + 0x300, B + 0x200);
        Should.Throw<CorruptStructureException>(() => Lists.HlistForEach(KObject.Variable(p, "h")).ToList());
    }

    [Fact]
    public void Red_black_trees_are_walked_in_order()
    {
        var p = new TestProgram();
        KType? node = null;
        node = KType.Struct("rb_node", 24, () => [new KMember("__rb_parent_color", p.ULong, 0), new KMember("rb_right", KType.Pointer(() => node!), 64), new KMember("rb_left", KType.Pointer(() => node!), 128)]);
        var root = KType.Struct("rb_root", 8, () => [new KMember("rb_node", KType.Pointer(node), 0)]);
        p.Variable("root", root, B + 0x100);
        //        4
        //      2   6
        //     1 3   7
        ulong N(int k) => B + 0x1000 + ((ulong)k * 0x100);
        void Node(int k, int left, int right)
        {
            p.Write(N(k) + 8, right == 0 ? 0 : N(right));
            p.Write(N(k) + 16, left == 0 ? 0 : N(left));
        }

        p.Write(B + 0x100, N(4));
        Node(4, 2, 6);
        Node(2, 1, 3);
        Node(6, 0, 7);
        Node(1, 0, 0);
        Node(3, 0, 0);
        Node(7, 0, 0);
        RbTree.InOrder(KObject.Variable(p, "root")).Select(n => n.ToUInt64()).ShouldBe(new[] { 1, 2, 3, 4, 6, 7 }.Select(N));
        Node(7, 4, 0); // a cycle back to the root
        Should.Throw<CorruptStructureException>(() => RbTree.InOrder(KObject.Variable(p, "root")).ToList()).Message.ShouldContain("cycle");
    }

    [Fact]
    public void XArrays_and_idrs_yield_entries_in_index_order()
    {
        var p = new TestProgram();
        var xaNode = KType.Struct("xa_node", 576, () => [new KMember("shift", KType.Int("unsigned char", 1, false), 0), new KMember("slots", PointerArray(64), 40 * 8)]);
        p.AddType("struct xa_node", xaNode);
        var xarray = KType.Struct("xarray", 16, () => [new KMember("xa_head", KType.Pointer(KType.Void), 64)]);
        var idr = KType.Struct("idr", 24, () => [new KMember("idr_rt", xarray, 0), new KMember("idr_base", p.UInt, 128), new KMember("idr_next", p.UInt, 160)]);
        p.Variable("pids", idr, B + 0x100);
        ulong top = B + 0x1000, leaf = B + 0x2000;
        p.Write(B + 0x108, top | 2);
        p.Write(B + 0x110, 1, 4); // idr_base
        p.Write(top, 6, 1);
        p.Write(top + 40 + (0 * 8), leaf | 2);
        p.Write(top + 40 + (3 * 8), B + 0x9000);        // index 3 << 6 = 192
        p.Write(top + 40 + (4 * 8), (5UL << 2) | 2);    // a sibling entry: no item
        p.Write(leaf, 0, 1);
        p.Write(leaf + 40 + (1 * 8), B + 0x8000);       // index 1
        p.Write(leaf + 40 + (7 * 8), (42UL << 1) | 1);  // a value entry at 7
        XArray.Entries(KObject.Variable(p, "pids")).ShouldBe([(2UL, B + 0x8000), (8UL, (42UL << 1) | 1), (193UL, B + 0x9000)]);
        p.Write(leaf + 40 + (9 * 8), top | 2); // a loop back to the top node
        Should.Throw<CorruptStructureException>(() => XArray.Entries(KObject.Variable(p, "pids")).ToList());
    }

    [Fact]
    public void Maple_trees_yield_ranges_with_their_entries()
    {
        var p = new TestProgram();
        var range64 = KType.Struct("maple_range_64", 256, () => [new KMember("parent", KType.Pointer(KType.Void), 0), new KMember("pivot", ULongArray(p, 15), 64), new KMember("slot", PointerArray(16), 64 * 16)]);
        var arange64 = KType.Struct("maple_arange_64", 256, () => [new KMember("parent", KType.Pointer(KType.Void), 0), new KMember("pivot", ULongArray(p, 9), 64), new KMember("slot", PointerArray(10), 64 * 10)]);
        var node = KType.Struct("maple_node", 256, () => [new KMember("parent", KType.Pointer(KType.Void), 0), new KMember("slot", PointerArray(31), 64), new KMember("mr64", range64, 0), new KMember("ma64", arange64, 0)]);
        p.AddType("struct maple_node", node);
        var tree = KType.Struct("maple_tree", 16, () => [new KMember("ma_root", KType.Pointer(KType.Void), 64), new KMember("ma_flags", p.UInt, 0)]);
        p.Variable("mt", tree, B + 0x100);
        ulong root = B + 0x1000, leafA = B + 0x1100, leafB = B + 0x1200;
        ulong Enc(ulong n, int type) => n | ((ulong)type << 3) | 2;
        p.Write(B + 0x108, Enc(root, 3));               // arange_64 root
        p.Write(root + 8, 0x1fff);                       // pivot[0]
        p.Write(root + 16, ulong.MaxValue);              // pivot[1] = the node maximum ends it
        p.Write(root + 80, Enc(leafA, 1));               // slot[0]
        p.Write(root + 88, Enc(leafB, 1));               // slot[1] covers 0x2000..max
        p.Write(leafA + 8, 0xfff);
        p.Write(leafA + 16, 0x1fff);                     // == node max: ends the node
        p.Write(leafA + 128, 0);                         // [0, fff]: NULL gap
        p.Write(leafA + 136, B + 0xa000);                // [1000, 1fff]
        p.Write(leafB + 8, 0x2fff);
        p.Write(leafB + 16, ulong.MaxValue);
        p.Write(leafB + 128, B + 0xb000);                // [2000, 2fff]
        p.Write(leafB + 136, 0);
        MapleTree.Entries(KObject.Variable(p, "mt")).ShouldBe([(0x1000UL, 0x1fffUL, B + 0xa000), (0x2000UL, 0x2fffUL, B + 0xb000)]);
        p.Write(leafB + 8, ulong.MaxValue - 1);
        p.Write(leafA + 8, 0x3000);                      // above leafA's maximum 0x1fff
        Should.Throw<CorruptStructureException>(() => MapleTree.Entries(KObject.Variable(p, "mt")).ToList()).Message.ShouldContain("above the node's maximum");
        p.Write(B + 0x108, B + 0xc000);                  // a single entry at index 0
        MapleTree.Entries(KObject.Variable(p, "mt")).ShouldBe([(0UL, 0UL, B + 0xc000)]);
    }
}
