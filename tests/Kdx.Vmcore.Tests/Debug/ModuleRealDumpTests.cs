using System.Globalization;
using System.Text.Json;
using Kdx.Core.Elf;
using Kdx.Core.Model;
using Kdx.Core.Types;
using Kdx.Vmcore.Tests.TestBed;

namespace Kdx.Vmcore.Tests.Debug;

/// <summary>
/// Modules read from the dump alone: the list crash's <c>mod</c> prints (6.1), the test module's planted
/// objects where its own console messages put them (both kernels), module BTF split over the vmlinux's.
/// </summary>
public sealed class ModuleRealDumpTests
{
    /// <summary>The addresses vmlab.ko logged at load time (addresses.json "console").</summary>
    private static Dictionary<string, ulong> Console(TestBedRun run)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(run.AddressesPath));
        return doc.RootElement.GetProperty("console").EnumerateObject()
            .ToDictionary(p => p.Name, p => ulong.Parse(p.Value.GetString()!, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_test_module_and_its_objects_are_found_without_a_vmlinux(string id)
    {
        var run = CiRuns.Get(id);
        using var program = KernelProgram.Open([run.Formats["elf"].Files.Single()]);
        var vmlab = program.Modules.Single(m => m.Name == "vmlab");
        var planted = Console(run);

        program.TryGetSymbol("vmlab_objs", out var objs, out var owner).ShouldBeTrue();
        (objs.Address, owner).ShouldBe((planted["objs"], vmlab));
        program.AddressOf("vmlab_items").ShouldBe(planted["head"]);
        program.AddressOf("vmlab_timer").ShouldBe(planted["timer"]);
        program.TryGetSymbol("vmlab_timer_fn", out var fn, out _).ShouldBeTrue();
        fn.Type.ShouldBe('T');
        vmlab.Regions.First(r => !r.IsInit).Contains(fn.Address).ShouldBeTrue();
        objs.Size.ShouldBe(37UL * 8, "u64 *vmlab_objs[37]");
        program.TryLookupSymbol(fn.Address + 4, out var hit, out owner).ShouldBeTrue();
        (hit.Symbol.Name, hit.Offset, owner).ShouldBe(("vmlab_timer_fn", 4UL, vmlab));

        // The list of five struct vmlab_item: read through the object model with the vmlinux BTF's list_head.
        var head = KObject.FromAddress(program, program.Types.FindType("list_head", TypeKind.Struct)!, planted["head"]);
        head["next"].ToUInt64().ShouldBe(planted["first_item"] + 32, "node is at offset 32 of struct vmlab_item");
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_test_module_has_no_BTF_and_the_others_have_split_BTF(string id)
    {
        var run = CiRuns.Get(id);
        using (var ko = ElfFile.Open(run.VmlabKo))
        {
            ko.FindSection(".BTF").ShouldBeNull("the test bed builds vmlab.ko without BTF");
        }

        using var program = KernelProgram.Open([run.Formats["elf"].Files.Single()]);
        program.Modules.Single(m => m.Name == "vmlab").Btf.ShouldBeNull();
        program.Types.FindType("vmlab_item", TypeKind.Struct).ShouldBeNull();
        var blk = program.Modules.Single(m => m.Name == "virtio_blk").Btf!;
        blk.Data.FirstId.ShouldBe(program.Btf!.Data.EndId);
        var t = program.Types.FindType("virtio_blk", TypeKind.Struct)!;
        t.TryFindMember("vdev", out var vdev, out _).ShouldBeTrue();
        vdev.Type.Type.Target!.Value.Type.ShouldBeSameAs(program.Btf.FindType("virtio_device", TypeKind.Struct));
    }

    [TestBedTheory]
    [InlineData("6.1.0-56-cloud-amd64/sysrq")]
    [InlineData("6.1.0-56-cloud-amd64/irqnull")]
    [InlineData("6.1.0-56-cloud-amd64/sysrq-la57")]
    public void The_module_list_is_crashs_mod_list(string id)
    {
        var run = CiRuns.Get(id);
        var reference = run.Formats["elf"].LoadCrashReference()!.Output("mod")!;
        var expected = reference.Split('\n').Skip(1).Where(l => l.Trim().Length > 0)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => (Address: ulong.Parse(f[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), Name: f[1], Base: ulong.Parse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture), Size: ulong.Parse(f[3], CultureInfo.InvariantCulture)))
            .OrderBy(m => m.Address).ToList();
        expected.Count.ShouldBeGreaterThan(3);

        using var program = KernelProgram.Open([run.Formats["elf"].Files.Single()]);
        program.Modules.Select(m => (m.Address, m.Name, m.Base, m.Size)).OrderBy(m => m.Address).ShouldBe(expected);
    }

    [TestBedFact]
    public void Crash_finds_the_same_vmlab_symbols_on_6_1()
    {
        // crash 8.0.2 on the 6.1 sysrq ELF dump, by hand: "sym vmlab_timer_fn" and "sym -m vmlab".
        var run = CiRuns.Get("6.1.0-56-cloud-amd64/sysrq");
        using var program = KernelProgram.Open([run.Formats["elf"].Files.Single()]);
        var vmlab = program.Modules.Single(m => m.Name == "vmlab").Symbols;
        (ulong Address, char Type, string Name)[] crash =
        [
            (0xffffffffc03d3253, 'T', "vmlab_timer_fn"), (0xffffffffc03d3000, 't', "vmlab_irqnull_fn"), (0xffffffffc03d3030, 't', "vmlab_write"),
            (0xffffffffc03d326b, 't', "vmlab_write.cold"), (0xffffffffc03d3346, 'T', "cleanup_module"), (0xffffffffc03d5020, 'd', "vmlab_items"),
            (0xffffffffc03d54a0, 'b', "vmlab_timer"), (0xffffffffc03d54e0, 'b', "vmlab_objs"), (0xffffffffc03d5100, 'D', "__this_module"),
        ];
        foreach (var (address, type, name) in crash)
        {
            vmlab.TryGetSymbol(name, out var s).ShouldBeTrue(name);
            s.Address.ShouldBe(address, name);
            if (type is 'T' or 't')
            {
                s.Type.ShouldBe(type, name); // crash prints (?) for module data symbols; their letters are nm's
            }
        }
    }
}
