namespace Kdx.Tests.Commands;

public sealed class TreeCommandTests : IDisposable
{
    private readonly WalkKernel _k = new();

    public void Dispose() => _k.Dispose();

    private static string Lines(IEnumerable<ulong> addresses) => string.Concat(addresses.Select(a => $"{a:x}\n"));

    // struct vma { start; end; struct rb_node rb; } at 16: A is the root, B (D, E) its left, C (-, F) its right.
    private (ulong A, ulong B, ulong C, ulong D, ulong E, ulong F) RbTree()
    {
        ulong V(int i) => _k.Heap + 0x4000 + (ulong)(0x40 * i);
        var (a, b, c, d, e, f) = (V(0), V(1), V(2), V(3), V(4), V(5));
        void Node(ulong vma, ulong left, ulong right)
        {
            _k.W(vma, vma * 2);
            _k.W(vma + 16 + 8, right == 0 ? 0 : right + 16);
            _k.W(vma + 16 + 16, left == 0 ? 0 : left + 16);
        }

        Node(a, b, c);
        Node(b, d, e);
        Node(c, 0, f);
        Node(d, 0, 0);
        Node(e, 0, 0);
        Node(f, 0, 0);
        _k.W(_k.Symbol("tree_root"), a + 16);
        _k.W(_k.Symbol("holder") + 8, a + 16);
        return (a, b, c, d, e, f);
    }

    [Fact]
    public void A_red_black_tree_is_shown_root_first_or_in_order_with_positions()
    {
        var (a, b, c, d, e, f) = RbTree();
        _k.Run("tree -t rbtree -o vma.rb tree_root").ShouldBe(Lines([a, b, d, e, c, f]));
        _k.Run("tree -o 16 tree_root").ShouldBe(Lines([a, b, d, e, c, f]), "rbtree is the default");
        _k.Run("tree -t rbtree tree_root").ShouldBe(Lines(new[] { a, b, d, e, c, f }.Select(x => x + 16)));
        _k.Run("tree -t rb -o vma.rb -l tree_root").ShouldBe(Lines([d, b, e, a, c, f]));
        _k.Run("tree -t rbtree -o vma.rb -p tree_root").ShouldBe(
            $"{a:x}\n  position: root\n{b:x}\n  position: root/l\n{d:x}\n  position: root/l/l\n" +
            $"{e:x}\n  position: root/l/r\n{c:x}\n  position: root/r\n{f:x}\n  position: root/r/r\n");
        _k.Run("tree -t rbtree -o vma.rb -l -p tree_root").ShouldStartWith($"{d:x}\n  position: root/l/l\n{b:x}\n  position: root/l\n");
        _k.Run($"tree -t rbtree -o vma.rb -N {b + 16:x}").ShouldBe(Lines([b, d, e]));
        _k.Run("tree -t rbtree -o vma.rb -r 8 holder").ShouldBe(Lines([a, b, d, e, c, f]));
        _k.Run("tree -t rbtree -o vma.rb -s vma.start -x tree_root").ShouldStartWith($"{a:x}\n  start = 0x{a * 2:x},\n{b:x}\n  start = 0x{b * 2:x},\n");
    }

    [Fact]
    public void A_red_black_child_that_cannot_be_read_is_reported_and_skipped()
    {
        var (a, b, c, d, e, f) = RbTree();
        _k.W(b + 16 + 16, 0x1000);
        _k.Run("tree -o vma.rb tree_root").ShouldBe(
            Lines([a, b]) + $"tree: rb_node: {b + 16:x}: corrupted rb_left pointer: 1000\n" + Lines([e, c, f]));
    }

    [Fact]
    public void A_red_black_cycle_ends_with_the_node_seen_twice()
    {
        var (a, b, _, d, e, _) = RbTree();
        _k.W(e + 16 + 8, a + 16);
        _k.Run("tree -o vma.rb tree_root").ShouldBe(Lines([a, b, d, e]) + $"\ntree: duplicate tree entry: {a + 16:x} (a child pointer leads back to a node already shown)\n");
    }

    // xa: top node (shift 6) with slot 0 -> leaf N2 (entries at 1 and 5) and slot 2 -> leaf N3 (entry at 3, a sibling at 4).
    private (ulong Top, ulong E1, ulong E5, ulong E131) XArray()
    {
        ulong top = _k.Heap + 0x8000, n2 = _k.Heap + 0x9000, n3 = _k.Heap + 0xa000;
        ulong e1 = _k.Heap + 0x10000, e5 = 0x15, e131 = _k.Heap + 0x10100;
        _k.P.Write(top, [6]);
        _k.W(top + 40, n2 | 2);
        _k.W(top + 40 + 16, n3 | 2);
        _k.W(n2 + 40 + 8, e1);
        _k.W(n2 + 40 + 40, e5);
        _k.W(n3 + 40 + 24, e131);
        _k.W(n3 + 40 + 32, (3 << 2) | 2);
        _k.W(_k.Symbol("xa") + 8, top | 2);
        _k.W(e1, 0x1111);
        _k.W(e131, 0x2222);
        return (top, e1, e5, e131);
    }

    [Fact]
    public void An_xarray_shows_every_stored_slot_with_its_index_and_path()
    {
        var (top, e1, e5, e131) = XArray();
        string expected = Lines([e1, e5, e131, 0xc]);
        _k.Run("tree -t xarray xa").ShouldBe(expected);
        _k.Run("tree -t x xa").ShouldBe(expected);
        _k.Run("tree -t radix xa").ShouldBe(expected, "radix trees are XArrays here");
        _k.Run($"tree -t xarray -N {top | 2:x}").ShouldBe(expected);
        _k.Run("tree -t xarray -p xa").ShouldBe(
            $"{e1:x}\n  index: 1  position: root/0/1\n{e5:x}\n  index: 5  position: root/0/5\n" +
            $"{e131:x}\n  index: 131  position: root/2/3\nc\n  index: 132  position: root/2/4\n");
        _k.Run("tree -t xarray -p -r 0x40 holder").ShouldBe("0\n  index: 0  position: direct/0\n", "crash shows an empty xarray's NULL head as its direct entry");
        _k.Run("tree -t xarray -r 0x40 -s link.value holder").ShouldBe("0\n", "there is no structure at NULL to show");
    }

    [Fact]
    public void A_single_entry_xarray_is_direct()
    {
        ulong e = _k.Heap + 0x10000;
        _k.W(_k.Symbol("xa") + 8, e);
        _k.W(e, 42);
        _k.Run("tree -t xarray -p -s link.value xa").ShouldBe($"{e:x}\n  index: 0  position: direct/0\n  value = 42,\n");
    }

    [Fact]
    public void An_xarray_node_reached_twice_ends_the_walk()
    {
        var (top, e1, e5, _) = XArray();
        _k.W(top + 40 + 8, top | 2);
        _k.Run("tree -t xarray xa").ShouldBe(Lines([e1, e5]) + $"\ntree: duplicate tree node: {top:x} (a slot leads back to a node already walked)\n");
    }

    // mt: a range_64 root with two leaves: [0,99] holds e0 at 0-9 and e2 at 20-29; [100,max] holds e3 and e4.
    private (ulong Root, ulong Leaf, ulong E0, ulong E2, ulong E3, ulong E4) MapleTree()
    {
        ulong root = _k.Heap + 0xc000, leaf = _k.Heap + 0xc100, leaf2 = _k.Heap + 0xc200;
        ulong e0 = _k.Heap + 0x11000, e2 = _k.Heap + 0x11100, e3 = _k.Heap + 0x11200, e4 = _k.Heap + 0x11300;
        const ulong LeafType = (1 << 3) | 2, RangeType = (2 << 3) | 2;
        _k.W(root + 8, 99);
        _k.W(root + 16, ulong.MaxValue);
        _k.W(root + 128, leaf | LeafType);
        _k.W(root + 136, leaf2 | LeafType);
        _k.W(leaf + 8, 9);
        _k.W(leaf + 16, 19);
        _k.W(leaf + 24, 29);
        _k.W(leaf + 128, e0);
        _k.W(leaf + 144, e2);
        _k.W(leaf2 + 8, 199);
        _k.W(leaf2 + 16, ulong.MaxValue);
        _k.W(leaf2 + 128, e3);
        _k.W(leaf2 + 136, e4);
        _k.W(_k.Symbol("mt") + 8, root | RangeType);
        return (root, leaf, e0, e2, e3, e4);
    }

    [Fact]
    public void A_maple_tree_shows_its_entries_in_index_order_with_a_count_and_the_slot_path()
    {
        var (root, _, e0, e2, e3, e4) = MapleTree();
        _k.Run("tree -t maple mt").ShouldBe(Lines([e0, e2, e3, e4]));
        _k.Run("tree -t maple -p mt").ShouldBe(
            $"{e0:x}\n  index: 1  position: root/0/0\n{e2:x}\n  index: 2  position: root/0/2\n" +
            $"{e3:x}\n  index: 3  position: root/1/0\n{e4:x}\n  index: 4  position: root/1/1\n");
        _k.Run($"tree -t maple -p -N {root | 0x12:x}").ShouldStartWith($"{e0:x}\n  index: 1  position: direct/0/0\n");
        _k.Run("tree -t m -r 8 -N mt").ShouldStartWith("tree: -r and -N options are mutually exclusive");
    }

    [Fact]
    public void A_maple_tree_with_one_entry_or_none()
    {
        ulong e = _k.Heap + 0x11000;
        _k.W(_k.Symbol("mt") + 8, e);
        _k.Run("tree -t maple -p mt").ShouldBe($"{e:x}\n  index: 1  position: /0\n");
        _k.W(_k.Symbol("mt") + 8, 0);
        _k.Run("tree -t maple mt").ShouldBe(string.Empty);
    }

    [Fact]
    public void A_corrupt_maple_tree_says_where()
    {
        var (root, leaf, e0, _, e3, e4) = MapleTree();
        _k.W(leaf + 16, 150);
        _k.Run("tree -t maple mt").ShouldBe(Lines([e0]) + $"node {leaf:x} last (150) > max (99) at pivot 1!\n" + Lines([e3, e4]));
        _k.W(root + 136, root | 0x12);
        _k.Run("tree -t maple mt").ShouldEndWith($"\ntree: duplicate tree node: {root:x} (a slot leads back to a node already walked)\n");
        ulong odd = _k.Heap + 0xc400;
        _k.W(root + 136, odd | (5 << 3) | 2);
        _k.Run("tree -t maple mt").ShouldEndWith($" UNKNOWN TYPE (maple node {odd:x}, type 5)\n");
    }

    [Theory]
    [InlineData("tree", "tree: a starting address is required")]
    [InlineData("tree -t foo tree_root", "tree: invalid tree type: foo")]
    [InlineData("tree -t rb -t x tree_root", "tree: multiple tree types may not be entered")]
    [InlineData("tree -t rbtree tree_root xa", "tree: too many arguments entered")]
    [InlineData("tree -t xarray -l xa", "tree: -l option is not applicable to Xarrays")]
    [InlineData("tree -t xarray -o 8 xa", "tree: -o option is not applicable to Xarrays")]
    [InlineData("tree -t maple -l mt", "tree: -l option is not applicable to maple trees")]
    [InlineData("tree -r 8 -N tree_root", "tree: -r and -N options are mutually exclusive")]
    [InlineData("tree -r 8 -r 16 tree_root", "tree: root offset value 8 (0x8) already entered")]
    [InlineData("tree -o 8 -o 16 tree_root", "tree: node offset value 8 (0x8) already entered")]
    [InlineData("tree -r nosuch.member tree_root", "tree: invalid -r argument: nosuch.member")]
    [InlineData("tree no_such_symbol", "tree: invalid start argument: no_such_symbol")]
    [InlineData("tree 0", "tree: invalid start argument: 0")]
    [InlineData("tree -x -d tree_root", "tree: -d and -x are mutually exclusive")]
    public void Bad_command_lines_get_crash_s_messages(string line, string message) =>
        _k.Run(line).ShouldStartWith(message);
}
