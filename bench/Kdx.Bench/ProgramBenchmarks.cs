using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Debug.Btf;
using Kdx.Core.Debug.Kallsyms;
using Kdx.Core.Dumps;
using Kdx.Core.Model;

namespace Kdx.Bench;

/// <summary>
/// Opening a dump without a vmlinux: <see cref="KernelProgram.Open(DumpFile, string?)"/> (kallsyms, layout,
/// the kernel's BTF, the module list with module kallsyms and BTF), and its parts alone. Needs the test bed;
/// run with <c>dotnet run -c Release --project bench/Kdx.Bench -- --filter *ProgramBenchmarks*</c>.
/// </summary>
[MemoryDiagnoser]
public class ProgramBenchmarks
{
    private DumpFile? _dump;
    private KernelVirtualMemory? _memory;
    private KallsymsLocations? _locations;
    private ulong _btfStart;
    private ulong _btfStop;

    /// <summary>The run: kernel release prefix and format.</summary>
    [Params("6.1:elf", "6.1:kdump-lzo", "6.12:elf", "6.12:kdump-lzo")]
    public string Run { get; set; } = "6.1:elf";

    private string[] Files
    {
        get
        {
            var (kernel, format) = (Run.Split(':')[0], Run.Split(':')[1]);
            string root = Environment.GetEnvironmentVariable("KDX_TESTBED") ?? "/var/cache/kdx/testbed";
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "index.json")));
            foreach (var run in doc.RootElement.GetProperty("runs").EnumerateArray())
            {
                if (run.GetProperty("kernel").GetString()!.StartsWith(kernel + ".", StringComparison.Ordinal) && run.GetProperty("name").GetString() == "sysrq")
                {
                    return [.. run.GetProperty("formats").GetProperty(format).GetProperty("files").EnumerateArray().Select(f => f.GetString()!)];
                }
            }

            throw new InvalidOperationException($"no {kernel} sysrq run in the test bed");
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        _dump = DumpFiles.Open(Files);
        _memory = new KernelVirtualMemory(_dump, X86_64LayoutDetector.Detect(_dump));
        _locations = KallsymsLocations.FromVmcoreInfo(_dump.VmcoreInfo)!;
        var symbols = KallsymsReader.Read(_memory, _locations, _dump.VmcoreInfo!.Symbol).Symbols;
        symbols.TryGetAddress("__start_BTF", out _btfStart);
        symbols.TryGetAddress("__stop_BTF", out _btfStop);
    }

    [GlobalCleanup]
    public void Cleanup() => _dump?.Dispose();

    /// <summary>The whole open: dump, kallsyms, layout, BTF, modules.</summary>
    [Benchmark]
    public int OpenProgram()
    {
        using var program = KernelProgram.Open(Files);
        return program.Modules.Count;
    }

    /// <summary>kallsyms alone: read and decode the tables, build the symbol table and its name index.</summary>
    [Benchmark]
    public bool Kallsyms() => KallsymsReader.Read(_memory!, _locations!, _dump!.VmcoreInfo!.Symbol).Symbols.TryGetAddress("schedule", out _);

    /// <summary>The kernel's BTF alone: read from the dump, check, index by name, find one struct.</summary>
    [Benchmark]
    public ulong Btf() => new BtfTypeSource(BtfLoader.FromMemory(_memory!, _btfStart, _btfStop, "BTF")).FindType("task_struct", Kdx.Core.Types.TypeKind.Struct)!.Size;
}
