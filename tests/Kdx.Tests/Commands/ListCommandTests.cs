using System.Text;

namespace Kdx.Tests.Commands;

public sealed class ListCommandTests : IDisposable
{
    private readonly WalkKernel _k = new();
    private readonly ulong _head;
    private readonly ulong[] _items;

    // Five struct item on the ring item_list, as vmlab plants them: id i, name "item-i", value 0x1000 + 0x111 * i.
    public ListCommandTests()
    {
        _head = _k.Symbol("item_list");
        _items = [.. Enumerable.Range(0, 5).Select(i => _k.Heap + (ulong)(0x100 * (i + 1)))];
        ulong[] ring = [_head, .. _items.Select(a => a + 32)];
        for (int i = 0; i < ring.Length; i++)
        {
            _k.W(ring[i], ring[(i + 1) % ring.Length]);
            _k.W(ring[i] + 8, ring[(i + ring.Length - 1) % ring.Length]);
        }

        for (int i = 0; i < 5; i++)
        {
            _k.W32(_items[i], 0x564d4954);
            _k.W32(_items[i] + 4, (uint)i);
            _k.P.WriteString(_items[i] + 8, $"item-{i}");
            _k.W(_items[i] + 24, 0x1000 + (0x111 * (ulong)i));
        }

        _k.W(_k.Symbol("empty_list"), _k.Symbol("empty_list"));
        _k.W(_k.Symbol("empty_list") + 8, _k.Symbol("empty_list"));
    }

    public void Dispose() => _k.Dispose();

    private static string Lines(IEnumerable<ulong> addresses) => string.Concat(addresses.Select(a => $"{a:x}\n"));

    private IEnumerable<ulong> Nodes => _items.Select(a => a + 32);

    [Fact]
    public void A_list_head_list_shows_the_nodes_and_with_an_offset_the_items()
    {
        _k.Run("list -H item_list").ShouldBe(Lines(Nodes));
        _k.Run("list -H item_list -o item.node").ShouldBe(Lines(_items));
        _k.Run("list -H item_list -o 32").ShouldBe(Lines(_items));
        _k.Run("list item.node -H item_list").ShouldBe(Lines(_items));
        _k.Run("list 32 -H item_list").ShouldBe(Lines(_items));
        _k.Run("list -H item_list -o 0x20").ShouldBe(Lines(_items));
    }

    [Fact]
    public void Reverse_follows_prev_with_a_head_and_is_ignored_without_one()
    {
        _k.Run("list -H item_list -r").ShouldBe(Lines(Nodes.Reverse()));
        _k.Run("list item.node -H item_list -r").ShouldBe(Lines(_items.Reverse()));
        string forward = Lines([_head, .. Nodes]);
        _k.Run("list item_list").ShouldBe(forward);
        _k.Run("list -r item_list").ShouldBe(forward);
    }

    [Fact]
    public void Dash_h_starts_at_an_item_and_shows_the_head_as_if_it_were_an_item()
    {
        var expected = Lines([.. _items, _head - 32]);
        _k.Run($"list -h {_items[0]:x} item.node").ShouldBe(expected);
        _k.Run($"list 32 -h {_items[0]:x}").ShouldBe(expected);
        _k.Run("list -O 0 -h item_list").ShouldBe(Lines(Nodes));
        _k.Run($"list -O item.node -h {_items[2] - 0:x} item.node").ShouldBe(Lines([_items[3], _items[4], _head - 32, _items[0], _items[1]]));
    }

    [Fact]
    public void An_end_address_stops_the_walk_before_it()
    {
        _k.Run($"list -e {_items[2] + 32:x} item_list").ShouldBe(Lines([_head, _items[0] + 32, _items[1] + 32]));
        _k.Run($"list -H item_list -e {_items[2] + 32:x}").ShouldBe(Lines([_items[0] + 32, _items[1] + 32]));
    }

    [Fact]
    public void An_empty_head_says_so()
    {
        _k.Run("list -H empty_list").ShouldBe("(empty)\n");
        _k.Run("list -H empty_list -s item.id").ShouldBe("(empty)\n");
    }

    [Fact]
    public void Members_are_printed_as_gdb_prints_them_in_the_chosen_radix()
    {
        var s = new StringBuilder();
        for (int i = 0; i < 5; i++)
        {
            s.Append($"{_items[i]:x}\n  id = {i},\n  name = \"item-{i}\\000\\000\\000\\000\\000\\000\\000\\000\\000\",\n  value = {0x1000 + (0x111 * i)},\n");
        }

        _k.Run("list item.node -H item_list -s item.id,name,value").ShouldBe(s.ToString());

        // -S reads the members itself: crash 8.0.2 prints them without gdb's commas (the types reference family).
        _k.Run("list item.node -H item_list -S item.id,name,value").ShouldBe(s.ToString().Replace(",\n", "\n", StringComparison.Ordinal));
        _k.Run("list item.node -H item_list -s item.id,value -x").ShouldStartWith($"{_items[0]:x}\n  id = 0x0,\n  value = 0x1000,\n{_items[1]:x}\n  id = 0x1,\n  value = 0x1111,\n");
        _k.Run("list item.node -H item_list -s item.value -d").ShouldStartWith($"{_items[0]:x}\n  value = 4096,\n");
        _k.Run("list item.node -H item_list -s item.id -s item.magic").ShouldStartWith($"{_items[0]:x}\n  id = 0,\n  magic = 1447905620,\n");
    }

    [Fact]
    public void A_struct_name_alone_prints_the_whole_structure_as_crash_s_struct_command()
    {
        string output = _k.Run("list -H item_list -o item.node -s item");
        output.ShouldStartWith(
            $"{_items[0]:x}\nstruct item {{\n  magic = 1447905620,\n  id = 0,\n  name = \"item-0\\000\\000\\000\\000\\000\\000\\000\\000\\000\",\n" +
            $"  value = 4096,\n  node = {{\n    next = 0x{_items[1] + 32:x},\n    prev = 0x{_head:x} <item_list>\n  }}\n}}\n{_items[1]:x}\nstruct item {{\n");
        output.Split('\n').Length.ShouldBe((5 * 11) + 1, "address, 10 lines of struct, for each item");
    }

    [Fact]
    public void Dash_l_prints_the_structure_around_each_link()
    {
        _k.Run("list -H item_list -l item.node -s item.id").ShouldBe(
            string.Concat(Enumerable.Range(0, 5).Select(i => $"{_items[i] + 32:x}\n  id = {i},\n")));
        _k.Run("list -H item_list -l 32 -s item.id").ShouldStartWith($"{_items[0] + 32:x}\n  id = 0,\n");
    }

    [Fact]
    public void Enums_bools_strings_negative_numbers_and_symbol_pointers_read_as_gdb_writes_them()
    {
        ulong e = _k.Heap + 0x2000;
        _k.W32(e, 1);
        _k.P.Write(e + 4, [1]);
        _k.W(e + 8, e + 0x100);
        _k.P.WriteString(e + 0x100, "a\"b\\\n\u0001");
        _k.W(e + 16, _k.Symbol("holder"));
        _k.W32(e + 24, unchecked((uint)-2));
        _k.W(e + 32 + 8, 0); // the list ends: the next of a singly linked list at offset 40 is NULL
        _k.Run($"list -o 40 -s item_ext.state,on,comm,owner,neg {e:x}").ShouldBe(
            $"{e:x}\n  state = ITEM_LIVE,\n  on = true,\n  comm = 0x{e + 0x100:x} \"a\\\"b\\\\\\n\\001\",\n  owner = 0x{_k.Symbol("holder"):x} <holder>,\n  neg = -2\n");
        _k.Run($"list -o 40 -x -s item_ext.on,state {e:x}").ShouldBe($"{e:x}\n  on = 0x1,\n  state = ITEM_LIVE,\n", "gdb shows a bool as a number in hexadecimal");
        _k.Run($"list -o 40 -x -s item_ext.neg {e:x}").ShouldBe($"{e:x}\n  neg = 0xfffffffe\n", "the last member of a structure has no comma");
    }

    [Fact]
    public void A_singly_linked_list_ends_at_null_or_back_at_its_first_entry()
    {
        ulong[] links = [_k.Heap + 0x3000, _k.Heap + 0x3100, _k.Heap + 0x3200];
        _k.W(links[0] + 8, links[1]);
        _k.W(links[1] + 8, links[2]);
        _k.W(links[2] + 8, 0);
        _k.Run($"list link.next {links[0]:x}").ShouldBe(Lines(links));
        _k.Run($"list 8 {links[0]:x}").ShouldBe(Lines(links));
        _k.Run($"list -o 8 {links[0]:x}").ShouldBe(Lines(links));
        _k.Run($"list {links[0]:x} -o link.next -s link.value -x").ShouldBe(string.Concat(links.Select(l => $"{l:x}\n  value = 0x0,\n")));
        _k.W(links[2] + 8, links[2]);
        _k.Run($"list link.next {links[0]:x}").ShouldBe(Lines(links), "an entry pointing to itself ends the list");
        _k.W(links[2] + 8, links[1]);
        _k.Run($"list link.next {links[0]:x}").ShouldBe(Lines(links), "back to the first entry after the start ends it");
    }

    [Fact]
    public void A_loop_that_misses_the_head_stops_at_the_entry_seen_twice()
    {
        // crash's rules end a list that comes back to its first entry, so the loop goes back to the third.
        _k.W(_items[3] + 32, _items[1] + 32);
        _k.Run("list item.node -H item_list").ShouldBe(Lines(_items[..4]));
        _k.W(_items[3] + 32, _items[4] + 32);
        _k.W(_items[4] + 32, _items[2] + 32);
        string output = _k.Run("list item.node -H item_list");
        output.ShouldStartWith(Lines([.. _items, _items[2]]) + "\nlist: duplicate list entry: " + $"{_items[2] + 32:x}");
        output.ShouldEndWith("\n");
        output.Split('\n').Length.ShouldBe(9);
    }

    [Fact]
    public void Brent_finds_the_same_loop_without_remembering_entries()
    {
        _k.Run("list -B item_list").ShouldBe(Lines([_head, .. Nodes]));
        _k.W(_items[4] + 32, _items[2] + 32);
        string output = _k.Run("list -B -H item_list");
        output.ShouldStartWith(Lines(Nodes));
        output.ShouldContain("list: loop detected, loop length: 3\n");
        output.ShouldContain("list: length from start to loop: 2\nlist: duplicate list entry: " + $"{_items[2] + 32:x}\n");
    }

    [Fact]
    public void A_null_link_in_a_list_head_ring_and_an_unreadable_link_end_with_the_entries_kept()
    {
        _k.W(_items[2] + 32, 0);
        _k.Run("list -H item_list").ShouldBe(Lines(Nodes.Take(3)) + $"\nlist: invalid list entry: 0 (NULL next pointer at {_items[2] + 32:x})\n");
        _k.W(_items[2] + 32, 0x1234);
        string output = _k.Run("list -H item_list");
        output.ShouldStartWith(Lines([.. Nodes.Take(3), 0x1234]));
        output.ShouldContain("list: invalid kernel virtual address: 1234  type: \"list entry\"");
    }

    [Theory]
    [InlineData("list", "list: starting address required")]
    [InlineData("list a b c", "list: too many arguments")]
    [InlineData("list -H item_list -l 32", "list: -l option can only be used with -s or -S option")]
    [InlineData("list -o 8 -l 8 -s item.id item_list", "list: -l and -o are mutually exclusive")]
    [InlineData("list -x -d -s item.id item_list", "list: -d and -x are mutually exclusive")]
    [InlineData("list -s item.id -S item.id item_list", "list: -S and -s options are mutually exclusive")]
    [InlineData("list -o 8 -o 16 item_list", "list: offset value 8 (0x8) already entered")]
    [InlineData("list -o nosuch.member item_list", "list: invalid -o argument: nosuch.member")]
    [InlineData("list item_list empty_list", "list: list start already entered")]
    [InlineData("list 0", "list: invalid kernel virtual address: 0")]
    [InlineData("list no_such_symbol", "list: invalid argument: no_such_symbol")]
    [InlineData("list 8 no_such_symbol", "list: symbol not found: no_such_symbol")]
    [InlineData("list -H item_list -s nosuch.id", "list: invalid data structure reference: nosuch")]
    [InlineData("list -H item_list -s item.nosuch", "list: invalid data structure reference: item.nosuch")]
    public void Bad_command_lines_get_crash_s_messages(string line, string message) =>
        _k.Run(line).ShouldStartWith(message);

    [Fact]
    public void An_expression_can_name_the_start()
    {
        _k.Run($"list -H (item_list+0)").ShouldBe(Lines(Nodes));
        _k.Run($"list -h item_list+0 -O 0").ShouldBe(Lines(Nodes));
    }
}
