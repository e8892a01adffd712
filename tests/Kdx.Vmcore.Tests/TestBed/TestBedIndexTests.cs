namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>Checks that the test bed built by tests/vmcores/setup.sh is complete and consistent.</summary>
public sealed class TestBedIndexTests
{
    private static TestBedIndex Index => TestBedIndex.Current!;

    [TestBedFact]
    public void Every_listed_file_exists_and_is_not_empty()
    {
        Index.Runs.ShouldNotBeEmpty();
        foreach (var run in Index.Runs)
        {
            string[] files =
            [
                run.Vmlinux, run.SystemMap, run.VmlabKo, run.ConsoleLog, run.Dmesg, run.GuestPsPath,
                run.AddressesPath, run.CrashCommandsPath,
                .. run.Formats.Values.SelectMany(f => f.Files),
                .. run.Formats.Values.Select(f => f.CrashRefPath).OfType<string>(),
            ];
            foreach (var f in files)
            {
                Path.IsPathRooted(f).ShouldBeTrue($"{run}: {f} is not absolute");
                File.Exists(f).ShouldBeTrue($"{run}: {f} is missing");
                new FileInfo(f).Length.ShouldBeGreaterThan(0, $"{run}: {f} is empty");
            }

            // the linux-image package ships a one-line stub; the real map is in the -dbg package
            new FileInfo(run.SystemMap).Length.ShouldBeGreaterThan(1_000_000, $"{run}: {run.SystemMap} is a stub");
        }
    }

    [TestBedFact]
    public void Every_ci_run_has_all_formats_and_references()
    {
        var ci = Index.Sets["ci"];
        ci.Count.ShouldBe(5);
        foreach (var id in ci)
        {
            var run = Index.Find(id);
            run.ShouldNotBeNull($"CI run {id} is not in index.json");
            run.Formats.Keys.ShouldBe(TestBedIndex.AllFormats, ignoreOrder: true);
            foreach (var f in run.Formats.Values)
            {
                f.Files.Count.ShouldBe(f.Name == "split-lzo" ? 2 : 1, $"{run} {f}");
                f.CrashRefPath.ShouldNotBeNull($"{run} {f}: no crash reference");
                var reference = f.LoadCrashReference()!;
                reference.Opens.ShouldBe(f.CrashOpens);
                reference.Mode.ShouldBe(f.CrashMode);
                if (!reference.Opens)
                {
                    reference.OpenError.ShouldNotBeNullOrWhiteSpace($"{run} {f}");
                }
            }

            // crash 8.0.2 opens every 6.1 dump (it cannot open 6.12 ones without --kaslr auto),
            // and there every command completed (none hung or killed crash).
            if (run.Kernel.StartsWith("6.1.", StringComparison.Ordinal))
            {
                foreach (var f in run.Formats.Values)
                {
                    var reference = f.LoadCrashReference()!;
                    reference.Opens.ShouldBeTrue($"{run} {f}");
                    reference.Commands.Where(c => c.Status is not ("ok" or "skipped")).Select(c => c.Cmd)
                        .ShouldBeEmpty($"{run} {f}: incomplete crash references");
                }

                var elf = run.Formats["elf"].LoadCrashReference()!;
                elf.Mode.ShouldBe("default");
                elf.Output("sys")!.ShouldContain("PANIC:");
                elf.Output("rd -a linux_banner")!.ShouldContain("Linux version " + run.Kernel);
            }

            var addresses = run.LoadAddresses();
            addresses.Addresses.Count.ShouldBeGreaterThanOrEqualTo(50);
            addresses.Addresses.Count(a => a.HasVtop).ShouldBeGreaterThanOrEqualTo(20);
            addresses.Physical.Count.ShouldBeGreaterThanOrEqualTo(5);
            addresses.PgtableL5.ShouldBe(run.La57);
            string[] kinds = ["text", "data", "module", "directmap", "vmalloc", "vmemmap", "percpu", "excluded"];
            foreach (var kind in kinds)
            {
                addresses.OfKind(kind).ShouldNotBeEmpty($"{run}: no {kind} address");
            }

            addresses.OfKind("excluded").ShouldAllBe(a => !a.DumpedD31);
        }
    }

    [TestBedFact]
    public void Guest_ps_and_planted_objects_are_recorded()
    {
        const string Planted = "vmlab: planted 37 objects in vmlab_cache";
        foreach (var run in Index.Runs)
        {
            var console = File.ReadAllText(run.ConsoleLog);
            console.ShouldContain("VMLAB-PS-BEGIN");
            console.ShouldContain("VMLAB-PS-END");
            console.ShouldContain(Planted);
            File.ReadAllText(run.Dmesg).ShouldContain(Planted);

            var ps = run.LoadGuestPs();
            ps.ShouldContain(p => p.Pid == 1 && p.Comm == "init", $"{run}: no init in guest-ps.json");
            ps.ShouldContain(p => p.Comm == "vmlab_kthread" && p.Ppid == 2, $"{run}: no vmlab_kthread");
            ps.ShouldContain(p => p.Comm == "vl-epoll", $"{run}: no vmlab-load threads");
        }
    }
}
