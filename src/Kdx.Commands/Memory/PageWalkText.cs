using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Commands.Memory;

/// <summary>
/// A page-table walk in crash's vtop layout (x86_64.c x86_64_kvtop with verbose on, x86_64_translate_pte):
/// <code>
/// PGD DIRECTORY: ffffffff98810000
/// PAGE DIRECTORY: e415067
///    PUD: e415ff0 => e416063
///    PMD: e4165b8 => ca001e1
///   PAGE: ca00000  (2MB)
///
///   PTE    PHYSICAL  FLAGS
/// ca001e1   ca00000  (PRESENT|ACCESSED|DIRTY|PSE|GLOBAL)
/// </code>
/// </summary>
internal static class PageWalkText
{
    /// <summary>Writes the walk; throws the read error when a page-table page is not in the dump.</summary>
    public static void Write(CommandContext context, PageWalk walk, KernelProgram program)
    {
        var ci = CultureInfo.InvariantCulture;
        var layout = program.Layout;
        ulong top = layout.KernelPageTableVirtual ?? layout.PhysicalToVirtual(walk.Root);
        context.WriteLine(string.Create(ci, $"PGD DIRECTORY: {top:x}"));
        foreach (var step in walk.Steps)
        {
            context.WriteLine(step.Level == PageTableLevel.Pgd
                ? string.Create(ci, $"PAGE DIRECTORY: {step.Entry:x}")
                : string.Create(ci, $"   {step.Level.Name()}: {step.EntryAddress:x} => {step.Entry:x}"));
        }

        if (walk.Status is not (ReadStatus.Ok or ReadStatus.NotMapped))
        {
            throw TablePageFault(walk, program);
        }

        if (walk.Leaf is not { } leaf)
        {
            return;
        }

        ulong frame = Frame(leaf.Entry, walk.Levels);
        if (walk.IsMapped)
        {
            string size = leaf.Level switch
            {
                PageTableLevel.Pud => "  (1GB)",
                PageTableLevel.Pmd => "  (2MB)",
                _ => string.Empty,
            };
            context.WriteLine(string.Create(ci, $"  PAGE: {frame:x}{size}"));
            context.WriteLine(string.Empty);
            WriteEntry(context, leaf.Entry, frame);
        }
        else if (leaf.Level == PageTableLevel.Pte && leaf.Entry != 0)
        {
            // A PTE that is not present but not empty: crash prints its swap device and offset, which needs
            // the swap layer; Kdx shows the entry and its flags.
            context.WriteLine(string.Empty);
            WriteEntry(context, leaf.Entry, frame);
        }
    }

    /// <summary>crash's fault for a page-table page the dump lacks (FILL_PUD etc.: "pud page", "page table").</summary>
    public static CommandException TablePageFault(PageWalk walk, KernelProgram program)
    {
        ulong table = walk.FailedReadAddress & ~0xFFFUL;
        string what = walk.StoppedAt switch
        {
            PageTableLevel.Pgd => "pgd page",
            PageTableLevel.P4d => "p4d page",
            PageTableLevel.Pud => "pud page",
            PageTableLevel.Pmd => "pmd page",
            _ => "page table",
        };
        return new CommandException(MemoryFaultText.Format(walk.Status, MemoryType.Physical, table, what,
            program.Dump.ExplainFailure(walk.FailedReadAddress, walk.Status), program.Dump));
    }

    /// <summary>
    /// The "PTE PHYSICAL FLAGS" table of one entry: each column as wide as its value (at least its title),
    /// titles centred leaning left, values centred leaning right (crash's mkstring CENTER|LJUST / CENTER|RJUST).
    /// </summary>
    public static void WriteEntry(CommandContext context, ulong entry, ulong frame)
    {
        var ci = CultureInfo.InvariantCulture;
        string pte = entry.ToString("x", ci);
        string physical = frame.ToString("x", ci);
        int w1 = Math.Max(pte.Length, 3);
        int w2 = Math.Max(physical.Length, 8);
        context.WriteLine($"{Center("PTE", w1, false)}  {Center("PHYSICAL", w2, false)}  FLAGS");
        context.WriteLine($"{Center(pte, w1, true)}  {Center(physical, w2, true)}  ({PageTableEntry.FlagNames(entry)})");
    }

    /// <summary>crash's mkstring(CENTER): the odd space goes right (LJUST) or left (RJUST).</summary>
    internal static string Center(string text, int width, bool leanRight)
    {
        int extra = width - text.Length;
        if (extra <= 0)
        {
            return text;
        }

        int left = extra / 2;
        if (extra % 2 != 0 && leanRight)
        {
            left++;
        }

        return new string(' ', left) + text + new string(' ', extra - left);
    }

    /// <summary>
    /// The 4 KiB frame an entry points at, as crash prints it (PHYSICAL_PAGE_MASK: bits 12 to 45 with 4-level
    /// paging, to 51 with 5-level; a large page's own PAT bit 12 is not cleared).
    /// </summary>
    internal static ulong Frame(ulong entry, int levels) =>
        entry & ~0xFFFUL & ((1UL << (levels == 5 ? 52 : 46)) - 1);
}
