namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>
/// Checks the reference families of the CI runs (tests/vmcores/lib/make-refs.py) and the readers of this folder:
/// a broken or stale reference build fails here, not in the command tests that rely on it.
/// </summary>
public sealed class ReferenceFamilyTests
{
    // the module type and the struct -o / union -o entries the command tests lean on (lib/reflib/catalog.py)
    private static readonly string[] CoreTypes =
    [
        "struct task_struct", "struct mm_struct", "struct page", "struct slab", "struct kmem_cache", "struct list_head",
        "struct rb_node", "struct xarray", "struct maple_tree", "struct pt_regs", "struct vm_area_struct", "union sigval",
    ];

    [TestBedFact]
    public void The_index_lists_the_families_setup_sh_makes()
    {
        var index = TestBedIndex.Current!;
        index.RefsVersions.Keys.ShouldBe(ReferenceFamilies.All, ignoreOrder: true);
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Every_family_is_present_and_current(string id)
    {
        var run = CiRuns.Get(id);
        var index = TestBedIndex.Current!;
        foreach (var name in ReferenceFamilies.All)
        {
            run.Families.TryGetValue(name, out var family).ShouldBeTrue($"{run}: no {name} family: run tests/vmcores/setup.sh");
            if (name != ReferenceFamilies.Base)
            {
                // base may be the version 1 adopted from analysis.json; the others are made by make-refs.py
                family!.Version.ShouldBe(index.RefsVersions[name], $"{run}: {name} is stale: run tests/vmcores/setup.sh");
            }
        }

        var truth = run.Families[ReferenceFamilies.Truth];
        truth.Errors.ShouldBeEmpty($"{run}");
        truth.Files.Keys.ShouldBe(["drgn", "gdb_layouts", "symbols", "gdb_commands"], ignoreOrder: true);
        truth.Files.Values.ShouldAllBe(p => File.Exists(p));
        var types = run.Families[ReferenceFamilies.Types];
        types.Formats.Keys.ShouldBe(ReferenceFamilies.Formats[ReferenceFamilies.Types], ignoreOrder: true);
        var elf = types.Formats["elf"];
        elf.Opens.ShouldBeTrue($"{run}: crash did not open the ELF dump for the types family");
        (elf.CrashFailed > 0).ShouldBe(elf.TruthInstead is not null);
        if (run.Kernel.StartsWith("6.1.", StringComparison.Ordinal))
        {
            elf.Statuses.Keys.ShouldBe(["ok"], $"{run}: some types commands hung or killed crash");
        }
        else
        {
            // crash's gdb corrupts its heap on 6.12 and crash may die: counted among the commands it could not answer
            elf.Statuses.Where(s => s.Key != "ok").Sum(s => s.Value).ShouldBeLessThanOrEqualTo(elf.CrashFailed, $"{run}");
        }

        foreach (var name in new[] { ReferenceFamilies.Dis, ReferenceFamilies.State, ReferenceFamilies.Bt })
        {
            var family = run.Families[name];
            family.Formats.Keys.ShouldBe(ReferenceFamilies.Formats[name], ignoreOrder: true, $"{run}: {name}");
            foreach (var f in family.Formats.Values)
            {
                // crash opens every 6.1 format; on 6.12 it cannot open the -d 31 kdump, and says why
                if (run.Kernel.StartsWith("6.1.", StringComparison.Ordinal) || f.Format != "kdump-lzo")
                {
                    f.Opens.ShouldBeTrue($"{run}: crash did not open {f.Format} for the {name} family");
                    f.Path.ShouldNotBeNull();
                }
                else
                {
                    (f.Opens || f.NotRun is not null).ShouldBeTrue($"{run}: {name} {f.Format} neither ran nor says why");
                }
            }
        }
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_types_reference_has_the_promised_commands(string id)
    {
        var run = CiRuns.Get(id);
        var crash = run.Reference(ReferenceFamilies.Types)!;
        crash.ShouldNotBeNull();
        crash.Family.ShouldBe(ReferenceFamilies.Types);
        crash.Commands.ShouldAllBe(c => c.Status == "ok" || c.CrashFailed != null);
        crash.Starting("struct -o").Count().ShouldBeGreaterThanOrEqualTo(40);
        crash.Starting("union -o").ShouldNotBeEmpty();
        crash.Starting("whatis").Count().ShouldBeGreaterThanOrEqualTo(40);
        crash.Starting("ptype").ShouldNotBeEmpty();
        crash.Commands.Count(c => c.Cmd.StartsWith("p ", StringComparison.Ordinal) || c.Cmd.StartsWith("p/", StringComparison.Ordinal))
            .ShouldBeGreaterThanOrEqualTo(40);
        crash.Starting("eval").ShouldNotBeEmpty();
        crash.SymAddresses().Count.ShouldBeGreaterThanOrEqualTo(250);
        crash.Starting("list").ShouldNotBeEmpty();
        crash.Starting("tree").ShouldNotBeEmpty();

        // sym -l is kept as its head, its line count and its digest
        var all = crash.Find("sym -l").ShouldNotBeNull();
        all.Truncated.ShouldBeTrue();
        all.OutputLines!.Value.ShouldBeGreaterThan(100_000);
        all.OutputSha256!.Length.ShouldBe(64);
        all.Output!.Split('\n').Length.ShouldBeLessThan(all.OutputLines.Value);

        // what crash could not answer (6.12: its gdb dies; --no_modules) is marked with where the truth is
        if (run.Kernel.StartsWith("6.1.", StringComparison.Ordinal))
        {
            crash.Mode.ShouldBe("default");
            crash.Commands.ShouldAllBe(c => c.CrashFailed == null, $"{run}");
            crash.Output("mod -s vmlab vmlab.ko").ShouldNotBeNull().ShouldContain("vmlab.ko");
        }
        else
        {
            crash.Mode.ShouldBe("kaslr-auto-no-modules");
            var failed = crash.Find("struct -o task_struct").ShouldNotBeNull();
            failed.CrashFailed.ShouldNotBeNull();
            failed.Truth.ShouldNotBeNull().ShouldContain("gdb-layouts.json");
            crash.Find("mod").ShouldNotBeNull().CrashFailed.ShouldNotBeNull("crash reads no module with --no_modules");
            crash.Output("p jiffies").ShouldNotBeNull().ShouldStartWith("jiffies = ");
        }
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Crash_gdb_and_drgn_layouts_agree(string id)
    {
        var run = CiRuns.Get(id);
        var gdb = run.LoadGdbLayouts().ShouldNotBeNull();
        var truth = run.LoadTruth().ShouldNotBeNull();
        var good = gdb.Types.Values.Where(t => t.Error is null).ToList();
        good.Count.ShouldBeGreaterThanOrEqualTo(40);
        foreach (var name in CoreTypes.Append("struct vmlab_item"))
        {
            var g = gdb.Types[name];
            g.Error.ShouldBeNull($"{run}: gdb has no {name}");
            g.Size.ShouldNotBeNull().ShouldBeGreaterThan(0);
            g.Members.ShouldNotBeEmpty();
            var d = truth.Layouts[name];
            d.Size.ShouldBe(g.Size, $"{run} {name}: drgn and gdb sizes");
            TopOffsets(d).ShouldBe(TopOffsets(g), $"{run} {name}: drgn and gdb offsets");
        }

        var item = gdb.Types["struct vmlab_item"];
        item.Size.ShouldBe(48);
        item.Member("node")!.Offset.ShouldBe(32);

        var crash = run.Reference(ReferenceFamilies.Types)!;
        var layouts = crash.Layouts();
        if (!run.Kernel.StartsWith("6.1.", StringComparison.Ordinal))
        {
            layouts.ShouldBeEmpty($"{run}: crash printed a layout on 6.12 (its gdb used to die): check the references");
            return;
        }

        layouts.Count.ShouldBeGreaterThanOrEqualTo(40);
        foreach (var (name, layout) in layouts)
        {
            var g = gdb.Types[name];
            layout.Size.ShouldBe(g.Size, $"{run} {name}: crash and gdb sizes");
            layout.Members.ShouldNotBeEmpty($"{run} {name}");
            TopOffsets(layout).ShouldBe(TopOffsets(g), $"{run} {name}: crash and gdb offsets");
        }

        var task = crash.Layout("task_struct").ShouldNotBeNull();
        task.Member("comm")!.Type.ShouldBe("char[16]");
        task.Member("sched_reset_on_fork")!.BitSize.ShouldBe(1);
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void Sym_addresses_are_answered_by_the_truth_and_by_crash(string id)
    {
        var run = CiRuns.Get(id);
        var symbols = run.LoadSymbolTruth().ShouldNotBeNull();
        symbols.Addresses.Count.ShouldBeGreaterThanOrEqualTo(250);
        symbols.Addresses.Where(a => a.Kind is "text" or "data").ShouldAllBe(a => a.SystemMap != null);
        symbols.Addresses.Where(a => a.Kind == "module").ShouldAllBe(a => a.Module != null);
        symbols.Addresses.Select(a => a.Address).Distinct().Count().ShouldBe(symbols.Addresses.Count);

        var crash = run.Reference(ReferenceFamilies.Types)!.SymAddresses();
        crash.Keys.ShouldBe(symbols.Addresses.Select(a => a.Address), ignoreOrder: true);
        foreach (var a in symbols.Addresses.Where(a => a.Kind == "text" && a.SystemMap!.Aliases.Count == 0))
        {
            // "ffffffff8109c2d6 (T) schedule+22 kernel/sched/core.c: 6654": name, then +offset when not 0; crash
            // drops GCC's clone suffixes: subsys_register.part.0+63 is shown as subsys_register+63
            // but keeps others (.constprop.0): compare the names without them
            string want = a.SystemMap!.Offset == 0 ? a.SystemMap.Name : $"{a.SystemMap.Name}+{a.SystemMap.Offset}";
            var fields = crash[a.Address].Split('\n')[0].Split(' ');
            fields.Length.ShouldBeGreaterThan(2, $"{run} sym {a.Address:x}: {crash[a.Address]}");
            WithoutCloneSuffix(fields[2]).ShouldBe(WithoutCloneSuffix(want), $"{run} sym {a.Address:x}: {crash[a.Address]}");
        }
    }

    [TestBedTheory]
    [MemberData(nameof(CiRuns.Data), MemberType = typeof(CiRuns))]
    public void The_truth_holds_what_vmlab_planted(string id)
    {
        var run = CiRuns.Get(id);
        var truth = run.LoadTruth().ShouldNotBeNull();
        var vmlab = truth.Vmlab.ShouldNotBeNull();
        vmlab.Items.Select(i => i.Id).ShouldBe([0, 1, 2, 3, 4]);
        vmlab.Items.Select(i => i.Name).ShouldBe(["item-0", "item-1", "item-2", "item-3", "item-4"]);
        vmlab.Objects.Count.ShouldBe(37);
        vmlab.Objects.ShouldAllBe(o => o.FillOk && o.StoredIndex == o.Index);
        vmlab.Cache.Name.ShouldBe("vmlab_cache");
        vmlab.Timer.Pending.ShouldBeTrue();
        vmlab.Kthread.Comm.ShouldBe("vmlab_kthread");
        truth.Modules.ShouldContain(m => m.Name == "vmlab");
        truth.Tasks.Count.ShouldBeGreaterThan(50);
        truth.Globals.Count.ShouldBeGreaterThanOrEqualTo(40);
        truth.Globals.Count(g => g.Error is null).ShouldBeGreaterThanOrEqualTo(40);

        // the list walk crash printed on 6.1 is the truth's list
        var list = run.Reference(ReferenceFamilies.Types)!.Output("list -H vmlab_items -o vmlab_item.node -s vmlab_item.id,name,value");
        if (run.Kernel.StartsWith("6.1.", StringComparison.Ordinal))
        {
            foreach (var item in vmlab.Items)
            {
                list.ShouldNotBeNull().ShouldContain($"{item.Address:x}\n  id = {item.Id},");
            }
        }

        var gdb = run.LoadGdbCommands().ShouldNotBeNull();
        gdb.Output("whatis vmlab_objs").ShouldBe("type = struct vmlab_obj *[37]");
        gdb.Output("ptype init_task.comm").ShouldBe("type = char [16]");
    }

    private static string WithoutCloneSuffix(string symbol)
    {
        int dot = symbol.IndexOf('.', StringComparison.Ordinal);
        int plus = symbol.IndexOf('+', StringComparison.Ordinal);
        return dot < 0 ? symbol : symbol[..dot] + (plus > dot ? symbol[plus..] : "");
    }

    private static List<(string, long)> TopOffsets(TypeLayout t) =>
        [.. t.Members.Where(m => m.Name is not null && !m.Name.Contains('.', StringComparison.Ordinal)).Select(m => (m.Name!, m.Offset))];
}
