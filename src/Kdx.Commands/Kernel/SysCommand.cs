using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core;
using Kdx.Core.Dumps.Kdump;
using Kdx.Core.Linux;
using Kdx.Core.Linux.Printk;
using Kdx.Core.Linux.Tasks;
using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Commands.Kernel;

/// <summary><c>sys</c>: what crashed, where and when — crash's system banner, with the panic task.</summary>
public sealed class SysCommand : Command
{
    // crash's list of panic messages, searched in this order over the log's lines (task.c panic_msg[]).
    private static readonly string[] PanicMessages =
    [
        "SysRq : Crash", "SysRq : Trigger a crash", "SysRq : Netdump", "Kernel panic: ", "Kernel panic - ", "Kernel BUG at",
        "kernel BUG at", "Unable to handle kernel paging request", "Unable to handle kernel NULL pointer dereference",
        "BUG: unable to handle kernel ", "general protection fault: ", "double fault: ", "divide error: ", "stack segment: ",
        "[Hardware Error]: ", "Bad mode in ", "Oops: ",
    ];

    private static readonly OptionParser Options = new("sys", "tci");

    /// <inheritdoc/>
    public override string Name => "sys";

    /// <inheritdoc/>
    public override string Summary => "system data";

    /// <inheritdoc/>
    public override string Usage => "sys [-t | -i | -c [name|number ...] | config]";

    /// <inheritdoc/>
    public override string Help => """
        Prints what crashed: the kernel and dump files, the CPUs (with how many were offline), the
        time the kernel kept when it stopped, its uptime and load, the number of tasks, its name and
        version, its memory, the panic message (the first line of the log that reads like one, as
        crash finds it), and the task that was running on the CPU that panicked.

          -t      the taint flags, one letter per taint as the kernel prints them.
          -i      the DMI strings the firmware gave the kernel (BIOS, system, board, chassis).
          -c      the system call table: number, handler, and the handler's source file and line
                  (relative to the build directory; needs the vmlinux's DWARF). Arguments select
                  rows: a number picks that call, any other word the handlers whose names hold it.
          config  the kernel's own .config, when it was built with CONFIG_IKCONFIG.

        KERNEL is the vmlinux or System.map given; without one, "(none)" and the kallsyms and BTF of
        the dump are used. [TAINTED] follows when the kernel was tainted, [PARTIAL DUMP] a dump
        that makedumpfile filtered. DATE is printed in UTC.
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        var o = Options.Parse(args);
        var program = context.Session.Program;
        if (o.Has("t"))
        {
            Taint(context, program);
            return;
        }

        if (o.Has("c"))
        {
            new SyscallTable(program, context.Session.OutputRadix).Print(context, o.Positionals);
            return;
        }

        if (o.Has("i"))
        {
            Dmi(context, program);
            return;
        }

        if (o.Positionals is ["config"])
        {
            Config(context, program);
            return;
        }

        if (o.Positionals.Count > 0)
        {
            throw new CommandException($"invalid argument: {o.Positionals[0]}");
        }

        var ci = CultureInfo.InvariantCulture;
        ulong taint = KernelInfo.TryGetTaintMask(program) ?? 0;
        string tainted = taint != 0 ? "  [TAINTED]" : string.Empty;
        string kernel = program.Vmlinux is not null || program.SymbolSource.Contains('/', StringComparison.Ordinal) ? program.SymbolSource : "(none: kallsyms and BTF from the dump)";
        context.WriteLine(program.SymbolSource.EndsWith("System.map", StringComparison.Ordinal) || program.SymbolSource.Contains("System.map-", StringComparison.Ordinal)
            ? $"  SYSTEM MAP: {kernel}{tainted}"
            : $"      KERNEL: {kernel}{tainted}");
        DumpFiles(context, program);

        int? present = KernelInfo.TryCountCpus(program, "__cpu_present_mask");
        int? online = KernelInfo.TryCountCpus(program, "__cpu_online_mask");
        int cpus = present ?? program.CpuCount;
        context.WriteLine(string.Create(ci, $"        CPUS: {cpus}{(online is int on && cpus > on ? $" [OFFLINE: {cpus - on}]" : string.Empty)}"));
        long? now = KernelClock.TryGetWallSeconds(program);
        context.WriteLine($"        DATE: {(now is long n ? KernelClock.Format(n) : "(unknown)")}");
        context.WriteLine($"      UPTIME: {Uptime(program)}");
        context.WriteLine($"LOAD AVERAGE: {LoadAverage(program)}");
        context.WriteLine(string.Create(ci, $"       TASKS: {context.Session.Tasks.Tasks.Count}"));
        var uts = KernelInfo.TryGetUtsname(program);
        context.WriteLine($"    NODENAME: {uts?.Nodename ?? "(unknown)"}");
        context.WriteLine($"     RELEASE: {uts?.Release ?? "(unknown)"}");
        context.WriteLine($"     VERSION: {uts?.Version ?? "(unknown)"}");
        string mhz = KernelInfo.TryGetCpuMhz(program) is ulong m and > 0 ? string.Create(ci, $"({m} Mhz)") : "(unknown Mhz)";
        context.WriteLine($"     MACHINE: {uts?.Machine ?? "x86_64"}  {mhz}");
        context.WriteLine($"      MEMORY: {Memory(program)}");
        string panic = PanicMessage(program);
        context.WriteLine($"       PANIC: \"{panic}\"{(panic.Contains("Oops: ", StringComparison.Ordinal) ? " (check log for details)" : string.Empty)}");
        PanicTask(context, program);
    }

    /// <summary>The log line crash takes as the panic message (empty when none matches).</summary>
    public static string PanicMessage(IProgram program)
    {
        List<string> lines;
        try
        {
            lines = [.. KernelLog.Read(program, new List<string>()).Where(r => r.HasText).SelectMany(r => r.TextString.Split('\n'))];
        }
        catch (KdxException)
        {
            return string.Empty;
        }

        foreach (var message in PanicMessages)
        {
            foreach (var line in lines)
            {
                if (line.Contains(message, StringComparison.Ordinal))
                {
                    return line.TrimEnd('\r', '\n');
                }
            }
        }

        return string.Empty;
    }

    /// <summary>crash's size: "511.5 MB", "16 GB" (a total within 64 MiB below a whole GiB counts as that GiB).</summary>
    public static string FormatMemory(ulong bytes)
    {
        const ulong Gib = 1UL << 30;
        ulong nextGig = (bytes + Gib - 1) / Gib * Gib;
        if (nextGig != 0 && nextGig - bytes <= 64UL << 20)
        {
            bytes = nextGig;
        }

        var ci = CultureInfo.InvariantCulture;
        string s = bytes >= Gib ? string.Create(ci, $"{bytes / (double)Gib:F1} GB")
            : bytes >= 1UL << 20 ? string.Create(ci, $"{bytes / (double)(1UL << 20):F1} MB")
            : string.Create(ci, $"{bytes / 1024} KB");
        return s.Replace(".0 ", " ", StringComparison.Ordinal);
    }

    /// <summary>crash's uptime: "HH:MM:SS", or "N days, HH:MM:SS".</summary>
    public static string FormatUptime(ulong seconds)
    {
        ulong days = seconds / 86400;
        ulong rest = seconds % 86400;
        string hms = string.Create(CultureInfo.InvariantCulture, $"{rest / 3600:D2}:{rest % 3600 / 60:D2}:{rest % 60:D2}");
        return days > 0 ? string.Create(CultureInfo.InvariantCulture, $"{days} days, {hms}") : hms;
    }

    /// <summary>crash's load average: each avenrun value rounded to hundredths ("0.63, 0.13, 0.04").</summary>
    public static string FormatLoadAverage(IReadOnlyList<ulong> avenrun)
    {
        // include/linux/sched/loadavg.h: FSHIFT 11; crash adds FIXED_1/200 to round.
        const ulong Fixed1 = 1 << 11;
        return string.Join(", ", avenrun.Select(v =>
        {
            ulong a = v + (Fixed1 / 200);
            return string.Create(CultureInfo.InvariantCulture, $"{a >> 11}.{((a & (Fixed1 - 1)) * 100) >> 11:D2}");
        }));
    }

    private static string Uptime(IProgram program) =>
        KernelClock.TryGetUptimeSeconds(program) is ulong up ? FormatUptime(up) : "(cannot calculate: unknown HZ value)";

    private static string LoadAverage(IProgram program) =>
        KernelInfo.TryGetLoadAverage(program) is { } v ? FormatLoadAverage(v) : "(unknown)";

    private static string Memory(KernelProgram program) =>
        KernelInfo.TryGetMemoryBytes(program, program.PageSize) is ulong bytes ? FormatMemory(bytes) : "(unknown)";

    private static void DumpFiles(CommandContext context, KernelProgram program)
    {
        var dump = program.Dump;
        bool partial = dump is KdumpCompressedDump { DumpLevel: > 0 };
        var files = dump.Files;
        if (files.Count > 1)
        {
            for (int i = 0; i < files.Count; i++)
            {
                context.WriteLine($"{(i == 0 ? "   DUMPFILES: " : "              ")}{files[i]}{(partial ? " [PARTIAL DUMP]" : string.Empty)}");
            }

            return;
        }

        context.WriteLine($"    DUMPFILE: {dump.Path}{(partial ? "  [PARTIAL DUMP]" : string.Empty)}");
    }

    // The task the panicking CPU was running: crash's PID, COMMAND, TASK, CPU and STATE lines.
    private static void PanicTask(CommandContext context, KernelProgram program)
    {
        var tasks = context.Session.Tasks;
        int? cpu = KernelInfo.TryGetPanicCpu(program) ?? program.Dump.PanicCpu;
        if (cpu is not int c || c < 0 || c >= tasks.CurrentByCpu.Count || tasks.CurrentByCpu[c] == 0)
        {
            context.WriteLine("        INFO: the panic task is not known (panic_cpu is not set and the dump does not say which CPU panicked)");
            return;
        }

        if (tasks.Find(tasks.CurrentByCpu[c]) is not { } task)
        {
            // the CPU's current task is known but its task_struct could not be read (makedumpfile 1.7.2 drops
            // some on 6.12 at -d 31): say where it is and why it is missing
            ulong at = tasks.CurrentByCpu[c];
            string why = program.Kernel.Read(at, new byte[8], out _) is var status and not ReadStatus.Ok
                ? MemoryFaultText.Format(status, MemoryType.KernelVirtual, at, "task_struct", program.Kernel.ExplainFailure(at, status), program.Dump)
                : "it is not a task the task lists know";
            context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"        TASK: {at:x}  (its task_struct cannot be read: {why})"));
            context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"         CPU: {c}"));
            return;
        }

        var ci = CultureInfo.InvariantCulture;
        context.WriteLine(string.Create(ci, $"         PID: {task.Pid}"));
        context.WriteLine($"     COMMAND: \"{task.Comm}\"");
        context.WriteLine(string.Create(ci, $"        TASK: {task.Address:x}  [THREAD_INFO: {task.Address:x}]"));
        context.WriteLine(string.Create(ci, $"         CPU: {task.Cpu}"));
        context.WriteLine($"       STATE: {tasks.States.VerboseName(task.State)} (PANIC)");
    }

    private static void Taint(CommandContext context, KernelProgram program)
    {
        // kernel/panic.c taint_flags[]: one letter per bit, in bit order.
        const string Letters = "PFSRMBUDAWCIOELKXTN";
        ulong mask = KernelInfo.TryGetTaintMask(program) ?? throw new CommandException("cannot read tainted_mask");
        var ci = CultureInfo.InvariantCulture;
        var flags = new System.Text.StringBuilder();
        for (int bit = 0; bit < Letters.Length; bit++)
        {
            if ((mask & (1UL << bit)) != 0)
            {
                flags.Append(Letters[bit]);
            }
        }

        context.WriteLine(string.Create(ci, $"TAINTED_MASK: {mask:x}  {flags}"));
    }

    private static void Dmi(CommandContext context, KernelProgram program)
    {
        var (strings, names) = Wrap(() => DmiIdent.Read(program));
        int width = names.Count == 0 ? 0 : names.Max(n => n.Length);
        foreach (var s in strings)
        {
            context.WriteLine(s.Field is { } field
                ? $"  {field.PadLeft(width)}: {s.Value}"
                : string.Create(CultureInfo.InvariantCulture, $"  dmi_ident[{s.Index}]: {s.Value}"));
        }
    }

    private static void Config(CommandContext context, KernelProgram program)
    {
        // crash prints the lines with text, leading blanks dropped
        foreach (var line in Wrap(() => KernelConfig.Read(program)).Split('\n'))
        {
            string text = line.TrimStart();
            if (text.Length > 0)
            {
                context.WriteLine(text);
            }
        }
    }

    private static T Wrap<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (KdxException e)
        {
            throw new CommandException(e.Message);
        }
    }
}
