using Kdx.Core;
using Kdx.Core.Dumps;
using Kdx.Core.Elf;
using Kdx.Core.IO;

namespace Kdx.Fuzz;

/// <summary>
/// One fuzz target per parser. Each takes arbitrary bytes and must either succeed or throw a
/// <see cref="KdxException"/> (the parsers' documented error); anything else — an
/// IndexOutOfRangeException, an OutOfMemoryException, a hang — is a bug the fuzzer reports.
/// The same targets run in-process in the xunit suite over seeds and mutations.
/// </summary>
public static class FuzzTargets
{
    /// <summary>Limits small enough that a fuzzed count cannot make a target slow.</summary>
    public static ParseLimits Limits => new()
    {
        MaxProgramHeaders = 4096,
        MaxSectionHeaders = 4096,
        MaxNoteBytes = 1 << 20,
        MaxNotes = 1024,
        MaxPfn = 1UL << 24,
        MaxCpus = 1024,
        MaxFlattenedRecords = 1 << 16,
    };

    /// <summary>
    /// The target names. Kept free of any Kdx.Core access: under AFL, instrumented code must not run
    /// before SharpFuzz has set up its shared memory.
    /// </summary>
    public static IReadOnlyList<string> Names { get; } = ["dump", "notes", "vmcoreinfo"];

    /// <summary>Runs the target called <paramref name="name"/> on <paramref name="data"/>.</summary>
    public static void Run(string name, byte[] data)
    {
        switch (name)
        {
            case "dump":
                Dump(data);
                break;
            case "notes":
                Notes(data);
                break;
            case "vmcoreinfo":
                VmcoreInfoText(data);
                break;
            default:
                throw new ArgumentException($"no fuzz target named {name}", nameof(name));
        }
    }

    /// <summary>Opens the bytes as a dump of any format, then reads pages, states and headers.</summary>
    public static void Dump(byte[] data)
    {
        try
        {
            var source = new MemoryByteSource("fuzz", data);
            using var dump = DumpFiles.Open([source], new DumpOpenOptions { Limits = Limits });
            _ = dump.VmcoreInfo;
            _ = dump.Cpus.Count;
            _ = dump.Describe();
            var page = new byte[dump.PageSize];
            int reads = 0;
            foreach (var range in dump.PhysicalRanges)
            {
                for (ulong a = range.Start; a < range.End && reads < 64; a += (ulong)dump.PageSize, reads++)
                {
                    _ = dump.Read(a, page, out _);
                    _ = dump.GetPageState(a / (ulong)dump.PageSize);
                }
            }
        }
        catch (KdxException)
        {
            // a clear error is the right answer to bad input
        }
    }

    /// <summary>Parses the bytes as an ELF note block and decodes its NT_PRSTATUS notes.</summary>
    public static void Notes(byte[] data)
    {
        try
        {
            var notes = new List<ElfNote>();
            ElfNotes.Parse(data, "fuzz", 0, Limits, notes);
            _ = PrStatus.FromNotes(notes);
            _ = ElfNotes.FindVmcoreInfo(notes);
        }
        catch (KdxException)
        {
        }
    }

    /// <summary>Parses the bytes as VMCOREINFO text and reads the common keys.</summary>
    public static void VmcoreInfoText(byte[] data)
    {
        var v = VmcoreInfo.Parse(System.Text.Encoding.Latin1.GetString(data));
        _ = v.KernelOffset;
        _ = v.CrashTime;
        _ = v.Number("phys_base");
        _ = v.PageSize;
    }
}
