using Kdx.Core.Model;

namespace Kdx.Core.Linux.Printk;

/// <summary>
/// The kernel log (dmesg) of the crashed kernel, whichever buffer the kernel has: the lockless printk
/// ringbuffer (v5.10 and later) or the variable-length record buffer (v3.5 to v5.9). The choice is made by
/// the symbols the kernel has, not by its version.
/// </summary>
public static class KernelLog
{
    /// <summary>Which buffer the kernel keeps its log in.</summary>
    public static string Describe(IProgram program) =>
        PrintkRingBuffer.IsPresent(program) ? "lockless printk ringbuffer (prb)"
        : PrintkLogBuffer.IsPresent(program) ? "variable-length record log_buf"
        : "none found";

    /// <summary>
    /// The records, oldest first. Records that cannot be read are skipped and described in
    /// <paramref name="problems"/>; a kernel whose log cannot be found at all throws <see cref="KdxException"/>.
    /// </summary>
    public static IEnumerable<PrintkRecord> Read(IProgram program, ICollection<string> problems)
    {
        if (PrintkRingBuffer.IsPresent(program))
        {
            return PrintkRingBuffer.Open(program).Records(problems);
        }

        if (PrintkLogBuffer.IsPresent(program))
        {
            return PrintkLogBuffer.Open(program).Records(problems);
        }

        throw new KdxException("cannot find the kernel log: the kernel has neither prb (v5.10+) nor log_first_idx (v3.5+)");
    }
}
