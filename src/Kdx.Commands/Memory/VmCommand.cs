using System.Globalization;
using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Commands.Tasks;
using Kdx.Core.Linux;
using Kdx.Core.Linux.Fs;
using Kdx.Core.Linux.Mm;
using Kdx.Core.Linux.Tasks;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Memory;

/// <summary><c>vm</c>: a task's address space: its mm_struct, page table and VMAs.</summary>
public sealed class VmCommand : PerTaskCommand
{
    private static readonly OptionParser Parser = new("vm", "mvxd");

    /// <inheritdoc/>
    public override string Name => "vm";

    /// <inheritdoc/>
    public override string Summary => "virtual memory areas of a task";

    /// <inheritdoc/>
    public override string Usage => "vm [-m | -v] [-x | -d] [pid | task] ...";

    /// <inheritdoc/>
    public override string Help => """
        For each task (by default the current one): its mm_struct, its top-level page table
        (PGD), its resident and virtual sizes, then one line per virtual memory area (VMA) in
        address order: the vm_area_struct, its first and end addresses, its vm_flags in
        hexadecimal and the path of the file it maps (empty for anonymous memory). VMAs come
        from the mm's maple tree on kernels that have one (6.1 and later), else from its list.
        A kernel thread has no address space: only the first line is shown. A damaged tree or
        list is reported after the VMAs that could be read.

          pid | task   the tasks, by PID or task_struct address.
          -m           the whole struct mm_struct instead.
          -v           every struct vm_area_struct in full instead.
          -x, -d       integers in hexadecimal or decimal with -m and -v.

        Examples:
          kdx> vm
          kdx> vm -v 1
        """;

    /// <inheritdoc/>
    protected override OptionParser Options => Parser;

    /// <inheritdoc/>
    protected override void Run(CommandContext context, ParsedOptions options, IReadOnlyList<KernelTask> tasks)
    {
        if (options.Has("m") && options.Has("v"))
        {
            throw new CommandException("vm: only one of -m and -v");
        }

        if (options.Has("x") && options.Has("d"))
        {
            throw new CommandException("vm: -x and -d are mutually exclusive");
        }

        var program = context.Session.Program;
        var printer = new ValuePrinter(program, options.Has("x") ? 16 : options.Has("d") ? 10 : context.Session.OutputRadix);
        var usage = new MemoryUsage(program, program.PageSize);
        var byMm = context.Session.Tasks.Tasks.Where(t => t.Mm != 0).ToLookup(t => t.Mm);
        var paths = new DentryPath(program);
        var file = StructLayout.Find(program.Types, "file");
        int fMnt = file.Offset("f_path.mnt");
        int fDentry = file.Offset("f_path.dentry");
        int pgdOffset = StructLayout.Find(program.Types, "mm_struct").Offset("pgd");
        var ci = CultureInfo.InvariantCulture;
        foreach (var task in tasks)
        {
            context.WriteLine(TaskArguments.Header(task));
            if (options.Has("m"))
            {
                if (task.Mm != 0)
                {
                    WriteStruct(context, printer, program, "mm_struct", task.Mm);
                }

                context.WriteLine(string.Empty);
                continue;
            }

            var problems = new List<string>();
            var areas = task.Mm == 0 ? [] : VmAreas.Read(program, task.Mm, problems);
            if (options.Has("v"))
            {
                foreach (var a in areas)
                {
                    WriteStruct(context, printer, program, "vm_area_struct", a.Address);
                }
            }
            else
            {
                ulong pgd = task.Mm != 0 && program.Kernel.TryReadUInt64(task.Mm + (ulong)pgdOffset, out ulong p) ? p : 0;
                var (vsz, rss) = usage.Of(task, byMm[task.Mm]);
                context.WriteLine(CrashColumns.Center("MM", 16) + "  " + CrashColumns.Center("PGD", 16) + "  " + CrashColumns.Center("RSS", 6) + "  " + CrashColumns.Center("TOTAL_VM", 8));
                context.WriteLine(CrashColumns.Center(task.Mm.ToString("x", ci), 16) + "  " + CrashColumns.Center(pgd.ToString("x", ci), 16) + "  " +
                    CrashColumns.Center(string.Create(ci, $"{rss}k"), 6) + "  " + CrashColumns.Center(string.Create(ci, $"{vsz}k"), 8));
                if (task.Mm != 0)
                {
                    context.WriteLine(CrashColumns.Center("VMA", 16) + " " + CrashColumns.Center("START", 16, true) + " " + CrashColumns.Center("END", 16, true) + "  FLAGS FILE");
                    foreach (var a in areas)
                    {
                        string path = string.Empty;
                        if (a.File != 0 && program.Kernel.TryReadUInt64(a.File + (ulong)fDentry, out ulong dentry) && dentry != 0 &&
                            program.Kernel.TryReadUInt64(a.File + (ulong)fMnt, out ulong mnt))
                        {
                            if (!paths.TryOf(dentry, mnt, out path, out ulong bad))
                            {
                                problems.Add($"VMA {a.Address:x}: the path of its file (dentry {dentry:x}) is incomplete: {bad:x} cannot be read");
                            }
                        }

                        context.WriteLine(string.Create(ci, $"{a.Address,16:x} {a.Start,16:x} {a.End,16:x} {a.Flags,6:x} {path}"));
                    }
                }
            }

            foreach (string problem in problems)
            {
                context.WriteLine($"vm: {problem}");
            }

            context.WriteLine(string.Empty);
        }
    }

    private static void WriteStruct(CommandContext context, ValuePrinter printer, KernelProgram program, string name, ulong address)
    {
        var type = program.Types.FindType(name, TypeKind.Struct) ?? throw new CommandException($"vm: no type information for struct {name}");
        foreach (string line in printer.StructLines(KObject.FromAddress(program, new QualifiedType(type), address)))
        {
            context.WriteLine(line);
        }
    }
}
