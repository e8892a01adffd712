namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>The runs of the test bed's CI set (setup.sh --ci), for theories: one case per crash.</summary>
public static class CiRuns
{
    /// <summary>The run ids, as in index.json's sets.ci (checked by <see cref="CiRunsTests"/>).</summary>
    public static readonly IReadOnlyList<string> Ids =
    [
        "6.1.0-56-cloud-amd64/sysrq",
        "6.1.0-56-cloud-amd64/irqnull",
        "6.1.0-56-cloud-amd64/sysrq-la57",
        "6.12.117+deb12-cloud-amd64/sysrq",
        "6.12.117+deb12-cloud-amd64/oops",
    ];

    /// <summary>The run ids as theory data.</summary>
    public static TheoryData<string> Data => [.. Ids];

    /// <summary>
    /// Every run the test bed has built (index.json: the CI set on a fresh machine, all 12 crash types and
    /// kernels once <c>setup.sh --full</c> ran), as theory data: for the cheap checks that each crash type
    /// needs (sys's panic task and message).
    /// </summary>
    public static TheoryData<string> Built => [.. TestBedIndex.Current?.Runs.Select(r => r.Id) ?? Ids];

    /// <summary>The formats written inside the crashed guest (the same memory at the same moment).</summary>
    public static readonly IReadOnlyList<string> InGuestFormats =
        ["elf", "kdump-lzo", "kdump-zlib", "kdump-lzo-d23", "flat-lzo", "elf-d31", "split-lzo"];

    /// <summary>The formats QEMU wrote from the host while the guest was paused (a moment before the others).</summary>
    public static readonly IReadOnlyList<string> HostFormats =
        ["qemu-elf", "qemu-elf-paging", "qemu-kdump-zlib", "qemu-kdump-zlib.R"];

    /// <summary>The formats that makedumpfile filtered with -d 31.</summary>
    public static readonly IReadOnlyList<string> Level31Formats = ["kdump-lzo", "kdump-zlib", "flat-lzo", "elf-d31", "split-lzo"];

    /// <summary>The run <paramref name="id"/> of the current test bed (fails when it is not built).</summary>
    public static TestBedRun Get(string id) =>
        TestBedIndex.Current?.Find(id) ?? throw new InvalidOperationException($"run {id} is not in the test bed: run tests/vmcores/setup.sh");
}

/// <summary>Checks that <see cref="CiRuns"/> is the CI set of index.json.</summary>
public sealed class CiRunsTests
{
    [TestBedFact]
    public void The_ci_list_is_the_index_ci_set() =>
        CiRuns.Ids.ShouldBe(TestBedIndex.Current!.Sets["ci"]);
}
