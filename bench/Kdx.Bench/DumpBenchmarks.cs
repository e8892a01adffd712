using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Kdx.Core.Dumps;

namespace Kdx.Bench;

/// <summary>
/// Opening each test-bed dump format, and 10,000 random page reads from it (the targets:
/// open ≤ 50 ms, ≥ 100k random pages/s from an lzo dump). Needs the test bed
/// (tests/vmcores/setup.sh); run with <c>dotnet run -c Release --project bench/Kdx.Bench -- --filter *Dump*</c>.
/// </summary>
[MemoryDiagnoser]
public class DumpBenchmarks
{
    private const int Pages = 10_000;
    private DumpFile? _dump;
    private ulong[] _addresses = [];
    private byte[] _page = [];

    /// <summary>The format (a key of index.json's formats) of the 6.1 sysrq run.</summary>
    [Params("elf", "kdump-lzo", "kdump-zlib", "flat-lzo", "split-lzo", "elf-d31", "qemu-elf", "qemu-kdump-zlib")]
    public string Format { get; set; } = "kdump-lzo";

    private string[] Files
    {
        get
        {
            string root = Environment.GetEnvironmentVariable("KDX_TESTBED") ?? "/var/cache/kdx/testbed";
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "index.json")));
            foreach (var run in doc.RootElement.GetProperty("runs").EnumerateArray())
            {
                if (run.GetProperty("kernel").GetString()!.StartsWith("6.1.", StringComparison.Ordinal) && run.GetProperty("name").GetString() == "sysrq")
                {
                    return run.GetProperty("formats").GetProperty(Format).GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToArray();
                }
            }

            throw new InvalidOperationException("no 6.1 sysrq run in the test bed");
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        _dump = DumpFiles.Open(Files);
        _page = new byte[_dump.PageSize];
        var random = new Random(1);
        var present = new List<ulong>();
        foreach (var r in _dump.PhysicalRanges)
        {
            for (ulong pfn = r.Start / (ulong)_dump.PageSize; pfn < r.End / (ulong)_dump.PageSize; pfn++)
            {
                if (_dump.GetPageState(pfn) == PageState.Present)
                {
                    present.Add(pfn * (ulong)_dump.PageSize);
                }
            }
        }

        _addresses = Enumerable.Range(0, Pages).Select(_ => present[random.Next(present.Count)]).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _dump?.Dispose();

    /// <summary>Opens the dump and reads one page (so lazy indexes are built), then closes it.</summary>
    [Benchmark]
    public int Open()
    {
        using var dump = DumpFiles.Open(Files);
        dump.Read(_addresses[0], _page, out int n);
        return n;
    }

    /// <summary>10,000 random present pages, read whole.</summary>
    [Benchmark(OperationsPerInvoke = Pages)]
    public int RandomPageReads()
    {
        int total = 0;
        foreach (var a in _addresses)
        {
            _dump!.Read(a, _page, out int n);
            total += n;
        }

        return total;
    }
}
