using System.Globalization;
using System.Text;
using System.Text.Json;
using Kdx.Core.Debug.Dwarf;
using Kdx.Core.Elf;
using Kdx.Core.Linux;
using Kdx.Core.Model;
using Kdx.Core.Types;
using Kdx.Vmcore.Tests.TestBed;

namespace Kdx.Vmcore.Tests.Walk;

/// <summary>
/// <c>list</c> and <c>tree</c> on the real dumps, against what can be known without them: the module's planted list
/// (its own console line and tests/vmcores/module/vmlab.c), crash 8.0.2's stored answer for the task list on 6.1,
/// and the library's own walkers (Lists, RbTree, XArray, MapleTree), which share no code with the commands, plus facts
/// the structures carry (a pid's number is its IDR index, a VMA spans its maple range, an rb position leads to its
/// node). Both kernels; crash cannot open the 6.12 dumps.
/// </summary>
public sealed class WalkRealDumpTests
{
    private const string Format = "elf";

    private static string Hex(ulong v) => v.ToString("x", CultureInfo.InvariantCulture);

    private static ulong ParseHex(string s) => ulong.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_vmlab_items_list_is_what_the_module_planted(string id)
    {
        var run = CiRuns.Get(id);
        using var kdx = KdxSession.Open(run, Format);
        using var ko = ElfFile.Open(run.VmlabKo);
        using var dwarf = DwarfTypeSource.OpenModule(ko);
        kdx.Program.Types.Add(dwarf);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(run.AddressesPath));
        ulong first = ParseHex(doc.RootElement.GetProperty("console").GetProperty("first_item").GetString()!);

        // vmlab.c: five kzalloc'ed items, node at offset 32, the list_head ring through vmlab_items.
        var nodes = kdx.Run("list -H vmlab_items").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(ParseHex).ToList();
        nodes.Count.ShouldBe(5);
        nodes[0].ShouldBe(first + 32);
        var items = nodes.Select(n => n - 32).ToList();
        kdx.Run("list -H vmlab_items -o 32").ShouldBe(string.Concat(items.Select(i => Hex(i) + "\n")));
        kdx.Run("list vmlab_item.node -H vmlab_items -r").ShouldBe(string.Concat(items.AsEnumerable().Reverse().Select(i => Hex(i) + "\n")));
        kdx.Run($"list -h {Hex(first)} vmlab_item.node").ShouldBe(
            string.Concat(items.Select(i => Hex(i) + "\n")) + Hex(kdx.Program.AddressOf("vmlab_items")!.Value - 32) + "\n");

        var expected = new StringBuilder();
        for (int i = 0; i < 5; i++)
        {
            expected.Append(CultureInfo.InvariantCulture, $"{Hex(items[i])}\n  magic = 1447905620,\n  id = {i},\n");
            expected.Append(CultureInfo.InvariantCulture, $"  name = \"item-{i}{string.Concat(Enumerable.Repeat("\\000", 9))}\",\n");
            expected.Append(CultureInfo.InvariantCulture, $"  value = {0x1000 + (i * 0x111)},\n");
        }

        kdx.Run("list vmlab_item.node -H vmlab_items -s vmlab_item.magic,id,name,value").ShouldBe(expected.ToString());
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_task_list_equals_crash_s_and_the_library_walk(string id)
    {
        var run = CiRuns.Get(id);
        using var kdx = KdxSession.Open(run, Format);
        const string Command = "list task_struct.tasks -h init_task -s task_struct.pid,comm";
        string output = kdx.Run(Command);
        // crash 8.0.2's gdb dies on the 6.12 dumps' -s ("<segmentation violation in gdb>"): only 6.1 has an answer.
        if (run.Formats[Format].LoadCrashReference() is { Opens: true } crash && crash.Output(Command) is { } reference
            && !reference.Contains("segmentation violation", StringComparison.Ordinal))
        {
            output.ShouldBe(reference);
        }

        var initTask = KObject.Variable(kdx.Program, "init_task");
        var taskType = kdx.Program.Types.FindType("task_struct", TypeKind.Struct)!;
        var tasks = Lists.ForEachEntry(initTask["tasks"], taskType, "tasks", validate: true).ToList();
        ulong[] expected = [initTask.Address, .. tasks.Select(t => t.ToUInt64())];
        var shown = output.Split('\n').Where(l => l.Length > 0 && l[0] != ' ').Select(ParseHex).ToList();
        shown.ShouldBe(expected);
        output.ShouldContain($"\n  pid = {tasks[^1]["pid"].ToInt64()},\n");
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_vmap_area_tree_is_the_library_s_in_order_and_every_position_leads_to_its_node(string id)
    {
        var run = CiRuns.Get(id);
        using var kdx = KdxSession.Open(run, Format);
        var program = kdx.Program;
        var vmapArea = program.Types.FindType("vmap_area", TypeKind.Struct)!;
        ulong offset = KObject.OffsetOf(vmapArea, "rb_node");
        // Linux v6.9 ("mm: vmalloc: remove global vmap_area_root rb-tree") keeps the busy areas
        // per node; the free areas' tree is global in both kernels.
        string name = program.AddressOf("vmap_area_root") is null ? "free_vmap_area_root" : "vmap_area_root";
        var root = KObject.Variable(program, name);
        var inOrder = RbTree.InOrderEntries(root, vmapArea, "rb_node").Select(e => e.ToUInt64()).ToList();
        inOrder.Count.ShouldBeGreaterThan(3);

        kdx.Run($"tree -t rbtree -o vmap_area.rb_node -l {name}").ShouldBe(string.Concat(inOrder.Select(a => Hex(a) + "\n")));
        var lines = kdx.Run($"tree -t rbtree -o vmap_area.rb_node {name} -p").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(2 * inOrder.Count);
        var preOrder = new List<ulong>();
        for (int i = 0; i < lines.Length; i += 2)
        {
            ulong entry = ParseHex(lines[i]);
            preOrder.Add(entry);
            lines[i + 1].ShouldStartWith("  position: root");
            var node = root["rb_node"];
            foreach (string step in lines[i + 1]["  position: root".Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                node = node[step == "l" ? "rb_left" : "rb_right"];
            }

            node.ToUInt64().ShouldBe(entry + offset, lines[i + 1]);
        }

        preOrder.Order().ShouldBe(inOrder.Order());
        string members = kdx.Run($"tree -t rbtree -o vmap_area.rb_node -l -s vmap_area.va_start,va_end -x {name}");
        var expected = new StringBuilder();
        foreach (ulong a in inOrder)
        {
            var va = KObject.FromAddress(program, vmapArea, a);
            expected.Append(CultureInfo.InvariantCulture, $"{Hex(a)}\n  va_start = 0x{va["va_start"].ToUInt64():x},\n  va_end = 0x{va["va_end"].ToUInt64():x},\n");
        }

        members.ShouldBe(expected.ToString());
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_pid_idr_holds_each_pid_at_its_number(string id)
    {
        var run = CiRuns.Get(id);
        using var kdx = KdxSession.Open(run, Format);
        var idr = KObject.Variable(kdx.Program, "init_pid_ns")["idr"];
        var entries = XArray.Entries(idr["idr_rt"]).ToList();
        entries.Count.ShouldBeGreaterThan(20);
        var expected = new StringBuilder();
        foreach (var (index, entry) in entries)
        {
            expected.Append(CultureInfo.InvariantCulture, $"{Hex(entry)}\n  index: {index}  position: root/");
            expected.Append(CultureInfo.InvariantCulture, $"{index >> 6}/{index & 63}\n  numbers[0].nr = {index},\n");
        }

        // pid numbers here stay below 4096: two levels, so the path is the top slot and the leaf slot.
        entries[^1].Index.ShouldBeLessThan(4096UL);
        kdx.Run("tree -t xarray -r pid_namespace.idr init_pid_ns -p -s pid.numbers[0].nr").ShouldBe(expected.ToString());
        kdx.Run("tree -t radix -r pid_namespace.idr init_pid_ns").ShouldBe(string.Concat(entries.Select(e => Hex(e.Entry) + "\n")));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Every_mm_s_maple_tree_holds_its_vmas_at_their_ranges(string id)
    {
        var run = CiRuns.Get(id);
        using var kdx = KdxSession.Open(run, Format);
        var program = kdx.Program;
        var initTask = KObject.Variable(program, "init_task");
        var taskType = program.Types.FindType("task_struct", TypeKind.Struct)!;
        var mms = Lists.ForEachEntry(initTask["tasks"], taskType, "tasks").Select(t => t["mm"].ToUInt64()).Where(m => m != 0).Distinct().ToList();
        mms.Count.ShouldBeGreaterThan(0);
        var mmType = program.Types.FindType("mm_struct", TypeKind.Struct)!;
        var vmaType = program.Types.FindType("vm_area_struct", TypeKind.Struct)!;
        foreach (ulong mm in mms)
        {
            var tree = KObject.FromAddress(program, mmType, mm)["mm_mt"];
            var entries = MapleTree.Entries(tree).ToList();
            var expected = new StringBuilder();
            foreach (var (first, last, entry) in entries)
            {
                var vma = KObject.FromAddress(program, vmaType, entry);
                vma["vm_start"].ToUInt64().ShouldBe(first);
                vma["vm_end"].ToUInt64().ShouldBe(last + 1);
                expected.Append(CultureInfo.InvariantCulture, $"{Hex(entry)}\n  vm_start = 0x{first:x},\n  vm_end = 0x{last + 1:x},\n");
            }

            kdx.Run($"tree -t maple -r mm_struct.mm_mt {Hex(mm)} -s vm_area_struct.vm_start,vm_end -x").ShouldBe(expected.ToString(), Hex(mm));
            var positions = kdx.Run($"tree -t maple -r mm_struct.mm_mt {Hex(mm)} -p").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            positions.Where((_, i) => i % 2 == 1).Select((l, i) => l.StartsWith($"  index: {i + 1}  position: root", StringComparison.Ordinal)).ShouldAllBe(ok => ok);
        }
    }
}
