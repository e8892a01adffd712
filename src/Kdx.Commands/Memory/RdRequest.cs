using System.Globalization;
using Kdx.Commands.Infrastructure;

namespace Kdx.Commands.Memory;

/// <summary>
/// <c>rd</c>'s options turned into what to read and how to show it, by crash's rules (memory.c cmd_rd): the
/// options apply in the order given, so "-s" is accepted only while the size is 64 bits ("rd -s -32" prints
/// plain hex), "-d"/"-D" turn hex off, and the last size option wins.
/// </summary>
internal sealed class RdRequest
{
    private const int AsciiType = 0;
    private const int RawType = -1;
    private ulong _end;
    private long _count = -1;
    private bool _reverse;

    private RdRequest(string addressWord)
    {
        AddressWord = addressWord;
    }

    /// <summary>The address argument as typed.</summary>
    public string AddressWord { get; }

    /// <summary>The memory the address is in.</summary>
    public MemoryType Memory { get; private set; } = MemoryType.KernelVirtual;

    /// <summary>-o: added to the address.</summary>
    public ulong Offset { get; private set; }

    /// <summary>-r: the file to copy raw bytes to.</summary>
    public string? RawFile { get; private set; }

    /// <summary>How to show the values.</summary>
    public DisplayFormat Format { get; private set; } = new(8, false, ValueFormat.Hex, false, true, false);

    /// <summary>A count and -e were both given: crash warns that -e is ignored.</summary>
    public bool EndIgnored => _count >= 0 && _end != 0;

    /// <summary>Interprets parsed options. Throws <see cref="CommandException"/> for a bad combination.</summary>
    public static RdRequest Parse(ParsedOptions o)
    {
        if (o.Positionals.Count == 0)
        {
            throw new CommandException("missing address (usage: rd [options] address|symbol [count])");
        }

        if (o.Positionals.Count > 2)
        {
            throw new CommandException($"too many arguments: {string.Join(' ', o.Positionals.Skip(2))}");
        }

        var r = new RdRequest(o.Positionals[0]);
        int type = 8;
        bool hex = true, signed = false, symbolic = false, noAscii = false, network = false, slab = false;
        foreach (var (name, value) in o.InOrder)
        {
            switch (name)
            {
                case "R": r._reverse = true; break;
                case "a": type = AsciiType; break;
                case "8": type = 1; break;
                case "16": type = 2; break;
                case "32": type = 4; break;
                case "64": type = 8; break;
                case "e": r._end = NumberArgument.ParseHex(value!); break;
                case "r": type = RawType; r.RawFile = value; break;
                case "o": r.Offset = NumberArgument.ParseNumber(value!); break;
                case "p": r.Memory = MemoryType.Physical; break;
                case "u": r.Memory = MemoryType.UserVirtual; break;
                case "f": r.Memory = MemoryType.DumpFile; break;
                case "x": noAscii = true; break;
                case "N": network = true; break;
                case "d": hex = false; signed = true; break;
                case "D": hex = false; break;
                case "m": throw new CommandException("-m option only applies to xen architecture");
                case "s" or "S":
                    if (type != 8)
                    {
                        throw new CommandException($"-{name} option is only allowed with 64-bit display");
                    }

                    symbolic = true;
                    slab |= name == "S";
                    break;
            }
        }

        if (slab)
        {
            throw new CommandException("-S needs the slab layer, which is not available yet (-s shows the symbols)");
        }

        if (r.Memory == MemoryType.UserVirtual)
        {
            throw new CommandException("-u needs a task's page table, and tasks are not available yet");
        }

        if (type != RawType)
        {
            r.RawFile = null;
        }

        if (o.Positionals.Count == 2)
        {
            ulong count = NumberArgument.ParseNumber(o.Positionals[1]);
            r._count = count > long.MaxValue / 8 ? throw new CommandException($"invalid count request: {o.Positionals[1]}") : (long)count;
        }

        var format = hex ? ValueFormat.Hex : signed ? ValueFormat.Signed : ValueFormat.Unsigned;
        r.Format = new DisplayFormat(type <= 0 ? 1 : type, type == AsciiType, format, hex && symbolic && type == 8,
            hex && !symbolic && !noAscii && type > 0, network);
        return r;
    }

    /// <summary>
    /// How many values to show from <paramref name="address"/> (after -o): the count, else up to -e, else one
    /// (unlimited with -a).
    /// </summary>
    public long Count(ulong address)
    {
        long count = _count;
        if (count < 0)
        {
            if (_end != 0)
            {
                if (_end <= address)
                {
                    throw new CommandException(string.Create(CultureInfo.InvariantCulture, $"invalid ending address: {_end:x}"));
                }

                ulong bytes = _end - address;
                count = (long)Math.Min(bytes / (ulong)ItemSize, long.MaxValue / 8);
            }
            else if (RawFile is not null)
            {
                throw new CommandException("-r option requires either a count argument or the -e option");
            }
            else
            {
                count = Format.Ascii ? MemoryDisplay.Unlimited : 1;
            }
        }

        if (_reverse && count == 0)
        {
            count = 1;
        }

        if (count == 0)
        {
            throw new CommandException("invalid count request: 0");
        }

        return count;
    }

    /// <summary>The first address to show: with -R, the display ends at <paramref name="address"/>.</summary>
    public ulong Start(ulong address, long count)
    {
        if (!_reverse || count <= 1)
        {
            return address;
        }

        if (count == MemoryDisplay.Unlimited)
        {
            throw new CommandException("-R needs a count with -a");
        }

        return unchecked(address - ((ulong)(count - 1) * (ulong)ItemSize));
    }

    private int ItemSize => Format.Ascii || RawFile is not null ? 1 : Format.Size;
}
