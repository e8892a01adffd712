using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Core.Memory;
using Kdx.Core.Model;

namespace Kdx.Commands.Memory;

/// <summary><c>rd</c>: displays memory as hex, decimal, symbols or characters, as crash's rd does.</summary>
public sealed class RdCommand : Command
{
    private static readonly OptionParser Options = new("rd", "RaxmpfudDsSN8", "oer", "16", "32", "64");

    /// <inheritdoc/>
    public override string Name => "rd";

    /// <inheritdoc/>
    public override string Summary => "read memory";

    /// <inheritdoc/>
    public override string Usage => "rd [-adDsSupxmfNR][-8|-16|-32|-64][-o offs][-e addr][-r file][address|symbol] [count]";

    /// <inheritdoc/>
    public override string Help => """
        Shows memory starting at an address or a symbol. By default one 64-bit value is shown, in
        hexadecimal, with the bytes as ASCII at the end of the line; the count says how many values.

          -8 -16 -32 -64  the size of each value (64 is the default).
          -a       show printable characters, 60 to a line; without a count, stop at the first
                   unprintable byte (so "rd -a linux_banner" shows a string).
          -p       the address is physical.
          -f       the address is an offset in the dump file itself.
          -u       the address is a user virtual address (needs a task: not available yet).
          -d / -D  signed / unsigned decimal instead of hexadecimal.
          -x       no ASCII column.
          -s       64-bit values that point into the kernel's symbols are shown as symbol+offset.
          -S       as -s, plus slab cache names (needs the slab layer: not available yet).
          -N       16- and 32-bit values in network byte order.
          -R       show the memory that ends at the address (count values up to and including it).
          -o offs  add offs to the address.
          -e addr  show memory up to this (hexadecimal) end address instead of a count.
          -r file  copy count bytes (or up to -e) to a file instead of showing them.

        The address is hexadecimal with or without 0x (a word like "add" is a number), a symbol, a
        symbol+offset, or an expression in parentheses such as "(jiffies - 100)". A count is decimal
        unless it has 0x or hex letters. When a read fails part way, the values read so far are shown,
        then the reason (e.g. "page excluded"), as crash does.

        Examples:
          kdx> rd -a linux_banner
          kdx> rd -32 ffff888002ab1000 8
          kdx> rd -s ffffc90000453e80 16
        """;

    /// <inheritdoc/>
    public override void Execute(CommandContext context, IReadOnlyList<string> args)
    {
        var request = RdRequest.Parse(Options.Parse(args));
        var program = context.Session.Program;
        ulong address;
        try
        {
            address = AddressArgument.Parse(request.AddressWord, program.Symbols);
        }
        catch (SymbolNotFoundException e)
        {
            WriteAlternatives(context, program, e.Name);
            return;
        }

        address = unchecked(address + request.Offset);
        long count = request.Count(address);
        address = request.Start(address, count);
        if (request.EndIgnored)
        {
            context.WriteLine("WARNING: ending address ignored when count is specified");
        }

        var memory = request.Memory;
        if (memory == MemoryType.KernelVirtual && address < program.Layout.PageOffsetBase)
        {
            ThrowBelowKernel(program, address, request.Format);
        }

        using var fileReader = memory == MemoryType.DumpFile ? DumpFileBytes.Open(program.Dump.Files[0]) : null;
        IMemoryReader reader = memory switch
        {
            MemoryType.Physical => program.Dump,
            MemoryType.DumpFile => fileReader!,
            _ => program.Kernel,
        };
        Exception Fault(ReadStatus status, ulong at, string what) =>
            new CommandException(MemoryFaultText.Format(status, memory, at, what, reader.ExplainFailure(at, status), program.Dump));

        if (request.RawFile is { } file)
        {
            CopyToFile(context, reader, address, count, file, Fault);
            return;
        }

        var symbols = new KernelSymbolText(program.Symbols, context.Session.OutputRadix);
        new MemoryDisplay(context, reader, request.Format, symbols.Describe, Fault)
            .Show(address, count, request.Format.ReadType(memory));
    }

    // crash reads an address below the kernel's as a user address of the current task (cmd_rd): a canonical
    // one needs the task layer; any other is not a user address either (crash: "invalid user virtual address").
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowBelowKernel(KernelProgram program, ulong address, DisplayFormat format)
    {
        if (address < program.Layout.UserTop)
        {
            throw new CommandException(string.Create(CultureInfo.InvariantCulture,
                $"{address:x} is a user virtual address: reading user memory needs a task (the task layer is not available yet)"));
        }

        throw new CommandException(MemoryFaultText.Format(ReadStatus.NotMapped, MemoryType.UserVirtual, address,
            format.ReadType(MemoryType.UserVirtual), null, program.Dump));
    }

    private static void CopyToFile(CommandContext context, IMemoryReader reader, ulong address, long count, string file,
        Func<ReadStatus, ulong, string, Exception> fault)
    {
        using var output = OpenOutput(file);
        var buffer = new byte[64 * 1024];
        for (long done = 0; done < count;)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var span = buffer.AsSpan(0, (int)Math.Min(buffer.Length, count - done));
            ulong at = unchecked(address + (ulong)done);
            var status = reader.Read(at, span, out int read);
            output.Write(span[..read]);
            if (status != ReadStatus.Ok)
            {
                throw fault(status, unchecked(at + (ulong)read), "raw dump to file");
            }

            done += span.Length;
        }

        context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} bytes copied from 0x{address:x} to {file}"));
    }

    private static FileStream OpenOutput(string file)
    {
        try
        {
            return new FileStream(file, FileMode.Create, FileAccess.Write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CommandException($"cannot open output file: {file}: {e.Message}", e);
        }
    }

    // crash's answer to a word that is neither a number nor a symbol: the symbols whose names contain it.
    private static void WriteAlternatives(CommandContext context, KernelProgram program, string word)
    {
        context.WriteLine($"symbol not found: {word}");
        context.WriteLine("possible alternatives:");
        bool any = false;
        foreach (var s in program.Symbols)
        {
            if (s.Name.Contains(word, StringComparison.Ordinal))
            {
                context.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {s.Address:x} ({s.Type}) {s.Name}"));
                any = true;
            }
        }

        if (!any)
        {
            context.WriteLine("  (none found)");
        }
    }
}
