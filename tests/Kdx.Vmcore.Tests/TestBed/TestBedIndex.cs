using System.Text.Json;

namespace Kdx.Vmcore.Tests.TestBed;

/// <summary>
/// The real-vmcore test bed built by <c>tests/vmcores/setup.sh</c>: its <c>index.json</c>
/// (runs, dump formats, reference files). The cache root comes from the environment variable
/// <c>KDX_TESTBED</c>, default <c>/var/cache/kdx/testbed</c>.
/// </summary>
public sealed class TestBedIndex
{
    /// <summary>The cache root used when KDX_TESTBED is not set.</summary>
    public const string DefaultRoot = "/var/cache/kdx/testbed";

    /// <summary>Every dump format a run has, in index order.</summary>
    public static readonly IReadOnlyList<string> AllFormats =
    [
        "elf", "kdump-lzo", "kdump-zlib", "kdump-lzo-d23", "flat-lzo", "elf-d31", "split-lzo",
        "qemu-elf", "qemu-elf-paging", "qemu-kdump-zlib", "qemu-kdump-zlib.R",
    ];

    private static readonly Lazy<TestBedIndex?> Shared = new(() => TryLoad(RootDirectory));

    private TestBedIndex(string root, JsonElement json)
    {
        Root = root;
        Version = json.GetProperty("version").GetInt32();
        Runs = [.. json.GetProperty("runs").EnumerateArray().Select(r => new TestBedRun(r))];
        var sets = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var s in json.GetProperty("sets").EnumerateObject())
        {
            sets[s.Name] = [.. s.Value.EnumerateArray().Select(v => v.GetString()!)];
        }

        Sets = sets;
        var tools = new Dictionary<string, string>();
        foreach (var t in json.GetProperty("tools").EnumerateObject())
        {
            tools[t.Name] = t.Value.GetString() ?? "";
        }

        Tools = tools;
        var versions = new Dictionary<string, int>();
        if (JsonRead.Has(json, "refs_versions", out var rv))
        {
            foreach (var v in rv.EnumerateObject())
            {
                versions[v.Name] = v.Value.GetInt32();
            }
        }

        RefsVersions = versions;
    }

    /// <summary>The cache root: KDX_TESTBED or <see cref="DefaultRoot"/>.</summary>
    public static string RootDirectory =>
        Environment.GetEnvironmentVariable("KDX_TESTBED") is { Length: > 0 } r ? r : DefaultRoot;

    /// <summary>The index of the default root, loaded once; null when the test bed is not built.</summary>
    public static TestBedIndex? Current => Shared.Value;

    /// <summary>Why the test bed is unavailable, or null when it is available.</summary>
    public static string? UnavailableReason => Current is null
        ? $"the real-vmcore test bed is not built ({Path.Combine(RootDirectory, "index.json")} is missing): run tests/vmcores/setup.sh"
        : null;

    /// <summary>The cache root this index was read from.</summary>
    public string Root { get; }

    /// <summary>TESTBED_VERSION of setup.sh that wrote the index.</summary>
    public int Version { get; }

    /// <summary>Every published run.</summary>
    public IReadOnlyList<TestBedRun> Runs { get; }

    /// <summary>Run ids per setup.sh mode ("ci", "full", "demo").</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Sets { get; }

    /// <summary>Versions of the reference tools (crash, makedumpfile, drgn, gdb, qemu).</summary>
    public IReadOnlyDictionary<string, string> Tools { get; }

    /// <summary>
    /// REFS_VERSION of each reference family that setup.sh makes now (tests/vmcores/lib/reflib/families.py); a run
    /// whose family has another version was not refreshed (it is not in the mode setup.sh last ran).
    /// </summary>
    public IReadOnlyDictionary<string, int> RefsVersions { get; }

    /// <summary>The runs of the CI subset that are present.</summary>
    public IEnumerable<TestBedRun> CiRuns => RunsOf("ci");

    /// <summary>Loads <c>index.json</c> from <paramref name="root"/>; null if it does not exist.</summary>
    public static TestBedIndex? TryLoad(string root)
    {
        var path = Path.Combine(root, "index.json");
        if (!File.Exists(path))
        {
            return null;
        }

        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return new TestBedIndex(root, doc.RootElement.Clone());
    }

    /// <summary>The runs of a setup.sh mode that are present in the index.</summary>
    public IEnumerable<TestBedRun> RunsOf(string set) =>
        Sets.TryGetValue(set, out var ids) ? ids.Select(Find).OfType<TestBedRun>() : [];

    /// <summary>A run by id ("KERNEL/NAME", e.g. "6.1.0-56-cloud-amd64/sysrq"), or null.</summary>
    public TestBedRun? Find(string id) => Runs.FirstOrDefault(r => r.Id == id);

    /// <summary>A run by kernel release prefix and run name, e.g. ("6.12", "oops"), or null.</summary>
    public TestBedRun? Find(string kernelPrefix, string name) =>
        Runs.FirstOrDefault(r => r.Name == name && r.Kernel.StartsWith(kernelPrefix + ".", StringComparison.Ordinal));
}

/// <summary>One crash of one kernel, captured in every format.</summary>
public sealed class TestBedRun
{
    internal TestBedRun(JsonElement r)
    {
        Id = Str(r, "id");
        Kernel = Str(r, "kernel");
        Scenario = Str(r, "scenario");
        Name = Str(r, "name");
        La57 = r.GetProperty("la57").GetBoolean();
        Dir = Str(r, "dir");
        Vmlinux = Str(r, "vmlinux");
        SystemMap = Str(r, "system_map");
        VmlabKo = Str(r, "vmlab_ko");
        ConsoleLog = Str(r, "console_log");
        Dmesg = Str(r, "dmesg");
        GuestPsPath = Str(r, "guest_ps");
        AddressesPath = Str(r, "addresses");
        CrashCommandsPath = Str(r, "crash_commands");
        DumpVersion = JsonRead.Str(r, "dump_version") ?? "";
        var families = new Dictionary<string, ReferenceFamily>();
        if (JsonRead.Has(r, "refs", out var refs))
        {
            foreach (var f in refs.EnumerateObject())
            {
                families[f.Name] = ReferenceFamily.Parse(f.Name, f.Value);
            }
        }

        Families = families;
        var formats = new Dictionary<string, TestBedFormat>();
        foreach (var f in r.GetProperty("formats").EnumerateObject())
        {
            var paths = families.Values
                .Where(fam => fam.Formats.TryGetValue(f.Name, out var ff) && ff.Path is not null)
                .ToDictionary(fam => fam.Name, fam => fam.Formats[f.Name].Path!);
            formats[f.Name] = new TestBedFormat(f.Name, f.Value, paths);
        }

        Formats = formats;
    }

    /// <summary>"KERNEL/NAME".</summary>
    public string Id { get; }

    /// <summary>Kernel release, e.g. 6.1.0-56-cloud-amd64.</summary>
    public string Kernel { get; }

    /// <summary>sysrq, oops, bug, softlockup or irqnull.</summary>
    public string Scenario { get; }

    /// <summary>The scenario, with "-la57" for the 5-level paging variant.</summary>
    public string Name { get; }

    /// <summary>Whether the guest ran with 5-level paging.</summary>
    public bool La57 { get; }

    /// <summary>The run directory.</summary>
    public string Dir { get; }

    /// <summary>vmlinux with DWARF (from the -dbg package).</summary>
    public string Vmlinux { get; }

    /// <summary>The kernel's System.map.</summary>
    public string SystemMap { get; }

    /// <summary>The test module with DWARF.</summary>
    public string VmlabKo { get; }

    /// <summary>Serial console of both kernels (the guest's ps is between VMLAB-PS-BEGIN/END).</summary>
    public string ConsoleLog { get; }

    /// <summary>makedumpfile --dump-dmesg output.</summary>
    public string Dmesg { get; }

    /// <summary>guest-ps.json.</summary>
    public string GuestPsPath { get; }

    /// <summary>addresses.json.</summary>
    public string AddressesPath { get; }

    /// <summary>crash-commands.json: the commands every crash-ref.json of this run ran.</summary>
    public string CrashCommandsPath { get; }

    /// <summary>Format name to files and references.</summary>
    public IReadOnlyDictionary<string, TestBedFormat> Formats { get; }

    /// <summary>The version of the run's dumps (TESTBED_VERSION, or TESTBED_VERSION.N for a run rebuilt on its own).</summary>
    public string DumpVersion { get; }

    /// <summary>The reference families of this run by name (<see cref="ReferenceFamilies"/>); empty for a run without ref/refs.json.</summary>
    public IReadOnlyDictionary<string, ReferenceFamily> Families { get; }

    /// <summary>drgn's ground truth (ref/truth/drgn.json); null when the run has no truth family.</summary>
    public GroundTruth? LoadTruth() => TruthFile("drgn") is { } p ? GroundTruth.Load(p) : null;

    /// <summary>gdb's struct layouts (ref/truth/gdb-layouts.json); null when the run has no truth family.</summary>
    public GdbLayouts? LoadGdbLayouts() => TruthFile("gdb_layouts") is { } p ? GdbLayouts.Load(p) : null;

    /// <summary>The sym addresses and their System.map/kallsyms answers (ref/truth/symbols.json); null without a truth family.</summary>
    public SymbolTruth? LoadSymbolTruth() => TruthFile("symbols") is { } p ? SymbolTruth.Load(p) : null;

    /// <summary>
    /// The system gdb's whatis/ptype answers from the vmlinux and vmlab.ko (ref/truth/gdb-commands.json), as a
    /// <see cref="CrashReference"/>-like list (command to output); null without a truth family.
    /// </summary>
    public GdbCommands? LoadGdbCommands() => TruthFile("gdb_commands") is { } p ? GdbCommands.Load(p) : null;

    /// <summary>
    /// The crash reference of <paramref name="family"/> on <paramref name="format"/> (the types family runs on the
    /// unfiltered ELF only), read once per run; null when the family did not run there. E.g.
    /// <c>run.Reference("types").Output("struct -o task_struct")</c>.
    /// </summary>
    public CrashReference? Reference(string family, string format = "elf")
    {
        lock (_references)
        {
            if (!_references.TryGetValue((family, format), out var r))
            {
                r = Formats.TryGetValue(format, out var f) ? f.LoadCrashReference(family) : null;
                _references[(family, format)] = r;
            }

            return r;
        }
    }

    /// <summary>The guest's own process list before the crash.</summary>
    public IReadOnlyList<GuestProcess> LoadGuestPs()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(GuestPsPath));
        return
        [
            .. doc.RootElement.GetProperty("processes").EnumerateArray().Select(p => new GuestProcess(
                p.GetProperty("pid").GetInt32(), p.GetProperty("ppid").GetInt32(), Str(p, "stat"), Str(p, "comm"),
                Str(p, "args"))),
        ];
    }

    /// <summary>The addresses chosen for the rd/vtop/ptov references of this crash.</summary>
    public AddressList LoadAddresses() => AddressList.Load(AddressesPath);

    /// <inheritdoc/>
    public override string ToString() => Id;

    internal static string Str(JsonElement e, string name) => e.GetProperty(name).GetString() ?? "";

    private readonly Dictionary<(string Family, string Format), CrashReference?> _references = [];

    private string? TruthFile(string key) =>
        Families.TryGetValue(ReferenceFamilies.Truth, out var t) && t.Files.TryGetValue(key, out var p) ? p : null;
}

/// <summary>One dump format of a run.</summary>
public sealed class TestBedFormat
{
    internal TestBedFormat(string name, JsonElement f, IReadOnlyDictionary<string, string> familyPaths)
    {
        Name = name;
        CrashReferencePaths = familyPaths;
        Files = [.. f.GetProperty("files").EnumerateArray().Select(x => x.GetString()!)];
        CrashRefPath = f.GetProperty("crash_ref").ValueKind == JsonValueKind.String ? f.GetProperty("crash_ref").GetString() : null;
        CrashOpens = f.GetProperty("crash_opens").GetBoolean();
        CrashMode = f.GetProperty("crash_mode").ValueKind == JsonValueKind.String ? f.GetProperty("crash_mode").GetString() : null;
        DrgnTasksPath = f.TryGetProperty("drgn_tasks", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
    }

    /// <summary>The format name (see <see cref="TestBedIndex.AllFormats"/>).</summary>
    public string Name { get; }

    /// <summary>The dump file(s): two for split-lzo.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>crash-ref.json, or null.</summary>
    public string? CrashRefPath { get; }

    /// <summary>Whether crash reached its prompt on this dump.</summary>
    public bool CrashOpens { get; }

    /// <summary>"default", "kaslr-auto-no-modules", or null when crash could not open the dump.</summary>
    public string? CrashMode { get; }

    /// <summary>drgn's task list for this dump, or null.</summary>
    public string? DrgnTasksPath { get; }

    /// <summary>The crash reference file of each family that ran on this format (family name to path).</summary>
    public IReadOnlyDictionary<string, string> CrashReferencePaths { get; }

    /// <summary>The crash reference outputs of the base family (crash-ref.json); null if there are none.</summary>
    public CrashReference? LoadCrashReference() => CrashRefPath is null ? null : CrashReference.Load(CrashRefPath);

    /// <summary>
    /// The crash reference outputs of <paramref name="family"/> (<see cref="ReferenceFamilies"/>) on this format;
    /// null when the family did not run here (not one of its formats, or crash cannot open the dump).
    /// </summary>
    public CrashReference? LoadCrashReference(string family) =>
        family == ReferenceFamilies.Base ? LoadCrashReference()
        : CrashReferencePaths.TryGetValue(family, out var p) ? CrashReference.Load(p, family) : null;

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>A line of the guest's <c>ps -T</c> (threads included; comm cut to 15 characters).</summary>
/// <param name="Pid">pid (the thread id for threads).</param>
/// <param name="Ppid">parent pid.</param>
/// <param name="Stat">busybox state letters, e.g. "S", "IW&lt;".</param>
/// <param name="Comm">task comm.</param>
/// <param name="Args">command line ([name] for kernel threads, {name} for named threads).</param>
public sealed record GuestProcess(int Pid, int Ppid, string Stat, string Comm, string Args);
