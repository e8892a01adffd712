using Kdx.Core.Arch.X86_64;
using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Core.Linux.Tasks;

/// <summary>
/// A process's command line and environment as exec() left them on its user stack: the bytes between
/// mm->arg_start and arg_end, and env_start and env_end (NUL-separated strings), read through the
/// task's own page table (mm->pgd).
/// </summary>
public sealed class ProcessArguments
{
    /// <summary>The largest area read (the kernel caps argv + envp at a quarter of the stack limit; 2 MiB is plenty).</summary>
    public const int MaxBytes = 2 << 20;

    private ProcessArguments(IReadOnlyList<string> arguments, IReadOnlyList<string> environment)
    {
        Arguments = arguments;
        Environment = environment;
    }

    /// <summary>The command line, one string per argument.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The environment, one NAME=value string each.</summary>
    public IReadOnlyList<string> Environment { get; }

    /// <summary>
    /// The user address space of <paramref name="task"/>, or null for a kernel thread (no mm). Throws when
    /// mm->pgd cannot be read or translated.
    /// </summary>
    public static UserVirtualMemory? UserMemoryOf(IProgram program, KernelVirtualMemory kernel, KernelTask task)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(task);
        if (task.Mm == 0)
        {
            return null;
        }

        ulong pgd = kernel.ReadUInt64(task.Mm + (ulong)StructLayout.Find(program.Types, "mm_struct").Offset("pgd"), "mm_struct.pgd");
        var status = kernel.Translate(pgd, out ulong physical);
        return status == ReadStatus.Ok
            ? kernel.ForUser(physical)
            : throw new MemoryFaultException(pgd, AddressSpace.KernelVirtual, status, "the page table (mm_struct.pgd) of task " + task.Address.ToString("x", System.Globalization.CultureInfo.InvariantCulture), null);
    }

    /// <summary>Reads the arguments and environment of <paramref name="task"/>; null for a kernel thread. Throws when they cannot be read.</summary>
    public static ProcessArguments? Read(IProgram program, KernelVirtualMemory kernel, KernelTask task)
    {
        if (UserMemoryOf(program, kernel, task) is not { } user)
        {
            return null;
        }

        var mm = StructLayout.Find(program.Types, "mm_struct");
        ulong Member(string name) => kernel.ReadUInt64(task.Mm + (ulong)mm.Offset(name), "mm_struct." + name);
        return new ProcessArguments(
            Strings(user, Member("arg_start"), Member("arg_end"), "the arguments"),
            Strings(user, Member("env_start"), Member("env_end"), "the environment"));
    }

    private static List<string> Strings(UserVirtualMemory user, ulong start, ulong end, string what)
    {
        if (end <= start)
        {
            return [];
        }

        var bytes = new byte[(int)Math.Min(end - start, MaxBytes)];
        user.ReadExactly(start, bytes, what);
        var result = new List<string>();
        foreach (var part in System.Text.Encoding.Latin1.GetString(bytes).Split('\0'))
        {
            if (part.Length > 0)
            {
                result.Add(part);
            }
        }

        return result;
    }
}
