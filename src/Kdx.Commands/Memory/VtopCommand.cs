using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Commands.Memory;

/// <summary><c>vtop</c>: translates kernel virtual addresses and shows the page-table walk, as crash's vtop does.</summary>
public sealed class VtopCommand : Command
{
    private static readonly OptionParser Options = new("vtop", "uk", "c");

    /// <inheritdoc/>
    public override string Name => "vtop";

    /// <inheritdoc/>
    public override string Summary => "virtual to physical";

    /// <inheritdoc/>
    public override string Usage => "vtop [-c [pid | taskp]] [-u|-k] address ...";

    /// <inheritdoc/>
    public override string Help => """
        Translates each kernel virtual address to its physical address and shows how: the virtual
        and physical address, then the walk of the kernel page table (init_top_pgt): the top
        directory's virtual address, its entry, then each lower entry as "address => value" (P4D
        with 5-level paging, PUD, PMD, PTE), the page with its size, and the final entry with its
        physical address and flag names. An unmapped address says "(not mapped)" and the walk stops
        at the entry that is not present. Direct-map and kernel-image addresses translate
        arithmetically (as crash does); their page-table walk is shown as well.

          -k       the address is a kernel virtual address (needed only when the address is in
                   neither the user range nor the kernel range).
          -u       the address is a user virtual address: needs a task, not available yet.
          -c task  use a task's page table: needs the task layer, not available yet.

        The address is hexadecimal, a symbol, symbol+offset, or an expression in parentheses.

        Not shown yet: crash's last table, the struct page of the physical page (PAGE, PHYSICAL,
        MAPPING, INDEX, CNT, FLAGS). Its flag names come from the kernel's enum pageflags, which needs
        the debuginfo type layer; the line is left out rather than shown with guessed names.

        Example:
          kdx> vtop ffffc90000453e80
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        var o = Options.Parse(args);
        if (o.Has("c"))
        {
            throw new CommandException("-c needs a task's page table, and tasks are not available yet");
        }

        if (o.Has("u") && o.Has("k"))
        {
            throw new CommandException("-u and -k options are mutually exclusive");
        }

        if (o.Positionals.Count == 0)
        {
            throw new CommandException("missing address (usage: vtop [-u|-k] address ...)");
        }

        var program = context.Session.Program;
        int others = 0;
        foreach (string word in o.Positionals)
        {
            ulong address = AddressArgument.Parse(word, program.Symbols);
            bool user = o.Has("u") || (!o.Has("k") && address < program.Layout.UserTop);
            if (user)
            {
                throw new CommandException(string.Create(CultureInfo.InvariantCulture,
                    $"{address:x}: user virtual addresses need a task's page table, and tasks are not available yet"));
            }

            if (!o.Has("k") && address < program.Layout.PageOffsetBase)
            {
                throw new CommandException(string.Create(CultureInfo.InvariantCulture, $"ambiguous address: {address:x}  (requires -u or -k)"));
            }

            if (others++ > 0)
            {
                context.WriteLine(string.Empty);
            }

            Translate(context, program, address);
        }
    }

    private static void Translate(CommandContext context, KernelProgram program, ulong address)
    {
        var ci = CultureInfo.InvariantCulture;
        context.WriteLine($"{"VIRTUAL",-16}  {"PHYSICAL",-16}");
        if (address < program.Layout.PageOffsetBase)
        {
            context.WriteLine(string.Create(ci, $"{address,-8:x}  (not a kernel virtual address)"));
            context.WriteLine(string.Empty);
            return;
        }

        var walk = program.Kernel.Walk(address);
        var status = program.Kernel.Translate(address, out ulong physical);
        if (status is not (ReadStatus.Ok or ReadStatus.NotMapped))
        {
            // A page-table page the reads needed is not in the dump: crash stops right after its header too.
            throw PageWalkText.TablePageFault(walk, program);
        }

        string where = status == ReadStatus.Ok ? physical.ToString("x", ci).PadRight(16) : "(not mapped)";
        context.WriteLine($"{address.ToString("x", ci),-16}  {where}");
        context.WriteLine(string.Empty);
        PageWalkText.Write(context, walk, program);
        context.WriteLine(string.Empty);
    }
}
