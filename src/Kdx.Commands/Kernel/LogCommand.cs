using System.Globalization;
using System.Text;
using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Linux;
using Kdx.Core.Linux.Printk;
using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Commands.Kernel;

/// <summary><c>log</c>: the kernel's message buffer, as crash prints it.</summary>
public sealed class LogCommand : Command
{
    private static readonly OptionParser Options = new("log", "Ttdmcas");

    /// <inheritdoc/>
    public override string Name => "log";

    /// <inheritdoc/>
    public override string Summary => "dump system message buffer";

    /// <inheritdoc/>
    public override string Usage => "log [-Ttdmca]";

    /// <inheritdoc/>
    public override string Help => """
        Prints the kernel's message buffer (what dmesg would have shown), oldest message first,
        read from the kernel's own log structures in the dump: the lockless printk ringbuffer of
        v5.10 and later kernels, or the variable-length record buffer of v3.5 to v5.9.

        Each message starts with its time since boot in seconds ([    1.234567]); the lines of a
        message that spans several lines are indented under its first line. Bytes that are not
        printable ASCII are shown as ".".

          -T  show the time of day instead (the boot time, found from the kernel's clock and its
              jiffies uptime, plus the message's time since boot; printed in UTC; the kernel's
              clock may have drifted, so treat it as approximate).
          -t  no time stamps.
          -d  also print each message's dev_printk() properties (SUBSYSTEM=, DEVICE=) under it.
          -m  show each message's log level, as <level> (0 emergency ... 7 debug).
          -c  show who logged each message: [Tpid] for a task, [Ccpu] for interrupt context.
          -a  print the audit records still queued in the kernel for the audit daemon.
          -s  the per-CPU "printk safe" buffers of kernels before v5.15 (later kernels have none).

        Records that cannot be read (an excluded or corrupt page) are skipped and listed after the log.

        Examples:
          kdx> log | tail -40
          kdx> log -m -d
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        var o = Options.Parse(args);
        if (o.Positionals.Count > 0)
        {
            throw new CommandException($"unexpected argument: {o.Positionals[0]} (usage: {Usage})");
        }

        var program = context.Session.Program;
        if (o.Has("a"))
        {
            foreach (var audit in AuditLog.Lines(program))
            {
                context.WriteLine(audit);
            }

            return;
        }

        if (o.Has("s"))
        {
            // kernel v5.15 (commit 93d102f094be "printk: remove safe buffers") logs straight to the ringbuffer.
            if (!program.Symbols.TryGetAddress("safe_print_seq", out _) && !program.Symbols.TryGetAddress("nmi_print_seq", out _))
            {
                context.WriteLine("log: this kernel has no printk safe buffers (removed in v5.15): every message is in the main log");
                return;
            }

            throw new CommandException("reading the printk safe buffers of this older kernel is not supported");
        }

        var style = new LogStyle
        {
            Timestamps = !o.Has("t"),
            WallClock = o.Has("T"),
            Dictionary = o.Has("d"),
            Level = o.Has("m"),
            Caller = o.Has("c"),
        };
        if (style.WallClock && style.Timestamps)
        {
            style.BootSeconds = KernelClock.TryGetBootSeconds(program)
                ?? throw new CommandException("cannot find the boot time (needs tick_nsec, jiffies_64 and tk_core): use log without -T");
        }

        if (style.Caller)
        {
            style.CallerWidth = CallerWidth(program);
        }

        var problems = new List<string>();
        var line = new StringBuilder();
        foreach (var record in KernelLog.Read(program, problems))
        {
            context.Cancellation.ThrowIfCancellationRequested();
            line.Clear();
            Format(record, style, line);
            context.WriteLine(line.ToString());
        }

        foreach (var p in problems)
        {
            context.WriteLine($"log: {p}");
        }
    }

    /// <summary>Formats one record as crash does (without the final newline).</summary>
    public static void Format(PrintkRecord record, LogStyle style, StringBuilder line)
    {
        if (!record.HasText)
        {
            return;
        }

        var ci = CultureInfo.InvariantCulture;
        if (style.Timestamps)
        {
            ulong seconds = record.TimestampNanoseconds / 1_000_000_000;
            ulong micros = record.TimestampNanoseconds % 1_000_000_000 / 1000;
            line.Append(style.WallClock
                ? $"[{KernelClock.Format(style.BootSeconds + (long)seconds)}] "
                : string.Create(ci, $"[{seconds,5}.{micros:D6}] "));
        }

        if (style.Caller && record.CallerId is uint id)
        {
            // printk.c: the top bit says the caller was a CPU (interrupt context), the rest its number.
            string who = string.Create(ci, $"{((id & 0x80000000) != 0 ? 'C' : 'T')}{id & 0x7fffffff}");
            line.Append('[').Append(who.PadLeft(style.CallerWidth)).Append("] ");
        }

        if (style.Level)
        {
            line.Append('<').Append(record.Level.ToString("x", ci)).Append('>');
        }

        int indent = line.Length;
        foreach (byte b in record.Text)
        {
            if (b == (byte)'\n')
            {
                line.Append('\n').Append(' ', indent);
            }
            else
            {
                line.Append(b is >= 0x20 and < 0x7f or (byte)'\t' or 0x0b or 0x0c or (byte)'\r' ? (char)b : '.');
            }
        }

        if (style.Dictionary)
        {
            foreach (var property in record.DictionaryLines())
            {
                line.Append('\n').Append(' ', indent).Append(property);
            }
        }
    }

    // The caller column is as wide as the largest "T<pid>" pid_max allows (crash: 6 up to 99999, 7 up to
    // 999999, else 8).
    private static int CallerWidth(KernelProgram program)
    {
        if (program.Symbols.TryGetAddress("pid_max", out ulong at) && program.Kernel.TryReadUInt64(at, out ulong raw))
        {
            uint pidMax = (uint)raw;
            return pidMax <= 99999 ? 6 : pidMax <= 999999 ? 7 : 8;
        }

        return 8;
    }
}

/// <summary>How <see cref="LogCommand"/> prints records.</summary>
public sealed class LogStyle
{
    /// <summary>Print a time stamp before each message.</summary>
    public bool Timestamps { get; set; } = true;

    /// <summary>The time stamp is the time of day (<see cref="BootSeconds"/> plus the record's time).</summary>
    public bool WallClock { get; set; }

    /// <summary>The boot time in Unix seconds, for <see cref="WallClock"/>.</summary>
    public long BootSeconds { get; set; }

    /// <summary>Print the dev_printk properties.</summary>
    public bool Dictionary { get; set; }

    /// <summary>Print the log level.</summary>
    public bool Level { get; set; }

    /// <summary>Print the caller id.</summary>
    public bool Caller { get; set; }

    /// <summary>The width of the caller id column.</summary>
    public int CallerWidth { get; set; } = 8;
}
