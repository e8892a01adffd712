using System.Globalization;
using System.Text;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Tests.Arch.X86_64;

namespace Kdx.Tests.Commands;

/// <summary>
/// A <see cref="KernelProgram"/> over a <see cref="FakeKernel"/> with a System.map of a few symbols, and a
/// command session on it: what the memory commands run on in the synthetic tests.
/// </summary>
internal sealed class FakeProgram : IDisposable
{
    private readonly string _mapPath;

    private readonly IReadOnlyDictionary<string, ulong> _extraSymbols;

    /// <param name="levels">Paging levels.</param>
    /// <param name="withSymbols">Whether the program gets the System.map.</param>
    /// <param name="dataSymbols">More data symbols, by their offset from <see cref="FakeKernel.Text"/>.</param>
    public FakeProgram(int levels = 4, bool withSymbols = true, IReadOnlyDictionary<string, ulong>? dataSymbols = null)
    {
        _extraSymbols = dataSymbols ?? new Dictionary<string, ulong>();
        Kernel = new FakeKernel(levels);
        Dump.Info = Kernel.VmcoreInfo();
        _mapPath = Path.Combine(Path.GetTempPath(), $"kdx-fake-{Guid.NewGuid():n}.map");
        File.WriteAllText(_mapPath, SystemMap());
        Program = KernelProgram.Open(Dump, withSymbols ? _mapPath : null);
        Session = new Session(Program, CommandRegistry.CreateDefault());
    }

    public FakeKernel Kernel { get; }

    public SyntheticDump Dump => Kernel.Dump;

    public KernelProgram Program { get; }

    public Session Session { get; }

    public ulong Schedule => Kernel.Text + 0x100000;

    public ulong DoExit => Kernel.Text + 0x100200;

    public ulong LinuxBanner => Kernel.Text + 0x1200000;

    public ulong SysCallTable => Kernel.Text + 0x1300000;

    public ulong Jiffies => Kernel.Text + 0x1400000;

    /// <summary>A data symbol whose name looks hexadecimal.</summary>
    public ulong Add => Kernel.Text + 0x1500000;

    public ulong End => Kernel.Text + 0x1f00000;

    /// <summary>A per-CPU symbol (an offset into each CPU's area; not relocated).</summary>
    public const ulong Runqueues = 0x2b6c0;

    /// <summary>The end of the per-CPU section (per-CPU symbols lie below it).</summary>
    public const ulong PerCpuEnd = 0x30000;

    /// <summary>Runs a command line and returns its output, lines ending in "\n".</summary>
    public string Run(string line)
    {
        using var output = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        CommandRunner.Run(Session, line, output);
        return output.ToString();
    }

    /// <summary>Writes bytes at a kernel virtual address (its translation must exist).</summary>
    public void Write(ulong address, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            Program.Kernel.Translate(address, out ulong pa).ShouldBe(ReadStatus.Ok);
            int n = (int)Math.Min((ulong)data.Length, 0x1000 - (address & 0xFFF));
            Dump.Write(pa, data[..n]);
            data = data[n..];
            address += (ulong)n;
        }
    }

    public void WriteUInt64(ulong address, ulong value) => Write(address, BitConverter.GetBytes(value));

    public void WriteString(ulong address, string text) => Write(address, [.. Encoding.Latin1.GetBytes(text), 0]);

    public void Dispose()
    {
        Program.Dispose();
        File.Delete(_mapPath);
    }

    // Link-time addresses: the program relocates them by VMCOREINFO's KERNELOFFSET.
    private string SystemMap()
    {
        var symbols = new List<(ulong Address, char Type, string Name)>
        {
            (Runqueues, 'D', "runqueues"),
            (0, 'D', "__per_cpu_start"),
            (PerCpuEnd, 'D', "__per_cpu_end"),
            (Kernel.Text, 'T', "_text"),
            (Schedule, 'T', "schedule"),
            (DoExit, 'T', "do_exit"),
            (LinuxBanner, 'D', "linux_banner"),
            (SysCallTable, 'D', "sys_call_table"),
            (Jiffies, 'D', "jiffies"),
            (Add, 'd', "add"),
            (End, 'B', "_end"),
        };
        foreach (var (name, address) in Kernel.Symbols)
        {
            symbols.Add((address, 'D', name));
        }

        foreach (var (name, offset) in _extraSymbols)
        {
            symbols.Add((Kernel.Text + offset, 'D', name));
        }

        var text = new StringBuilder();
        foreach (var (address, type, name) in symbols.OrderBy(s => s.Address))
        {
            ulong link = address <= PerCpuEnd ? address : address - Kernel.KernelOffset;
            text.Append(CultureInfo.InvariantCulture, $"{link:x16} {type} {name}\n");
        }

        return text.ToString();
    }
}
