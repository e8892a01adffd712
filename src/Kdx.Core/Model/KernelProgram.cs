using Kdx.Core.Dumps;

namespace Kdx.Core.Model;

/// <summary>
/// The crashed kernel as a program: its memory (the dump), and what Kdx knows about it.
/// Commands, scripts and tests all start here.
/// </summary>
public sealed class KernelProgram : IDisposable
{
    /// <summary>Creates a program over an open dump (the program owns it).</summary>
    public KernelProgram(DumpFile dump)
    {
        Dump = dump;
    }

    /// <summary>The dump.</summary>
    public DumpFile Dump { get; }

    /// <summary>VMCOREINFO, when the dump has it.</summary>
    public VmcoreInfo? VmcoreInfo => Dump.VmcoreInfo;

    /// <inheritdoc/>
    public void Dispose() => Dump.Dispose();
}
