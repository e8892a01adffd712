using System.Globalization;
using Kdx.Commands.Infrastructure;
using Kdx.Commands.Symbols;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Kernel;

/// <summary>
/// <c>sys -c</c>: sys_call_table (arch/x86/entry/syscall_64.c), one handler per system call number, named as
/// <c>sym</c> names addresses, with the source line of the handler's first instruction that is not in an
/// included header, relative to the build directory as crash prints it ("../fs/read_write.c: 621").
/// </summary>
internal sealed class SyscallTable
{
    private const string Header = "NUM  SYSTEM CALL                FILE AND LINE NUMBER";

    /// <summary>Most bytes of a handler searched for a line outside the headers.</summary>
    private const int MaxScan = 4096;

    private readonly KernelProgram _program;
    private readonly CrashSymbolView _symbols;
    private readonly int _radix;

    public SyscallTable(KernelProgram program, int radix)
    {
        _program = program;
        _radix = radix;
        _symbols = new CrashSymbolView(program, radix);
    }

    /// <summary>Prints the table, or with <paramref name="specs"/> the rows each one selects.</summary>
    public void Print(CommandContext context, IReadOnlyList<string> specs)
    {
        if (!_program.Symbols.TryGetAddress("sys_call_table", out ulong table))
        {
            throw new CommandException("sys_call_table does not exist in this kernel");
        }

        if (_program.Dwarf is null)
        {
            context.WriteLine("sys: line numbers are not available");
        }

        var rows = Rows(table);
        if (specs.Count == 0)
        {
            context.WriteLine(Header);
            foreach (var (_, _, text) in rows)
            {
                context.WriteLine(text);
            }

            return;
        }

        for (int i = 0; i < specs.Count; i++)
        {
            // crash prints the header once, before the first row the first argument selects
            bool header = i > 0;
            var selected = Select(rows, specs[i]);
            foreach (var text in selected)
            {
                if (!header)
                {
                    context.WriteLine(Header);
                    header = true;
                }

                context.WriteLine(text);
            }
        }
    }

    private IEnumerable<string> Select(List<(string Number, string Name, string Text)> rows, string spec)
    {
        if (Number(spec) is ulong n)
        {
            string key = _radix == 16 ? n.ToString("x", CultureInfo.InvariantCulture) : n.ToString(CultureInfo.InvariantCulture);
            return rows.Where(r => r.Number == key).Take(1).Select(r => r.Text);
        }

        return rows.Where(r => r.Name.Contains(spec, StringComparison.Ordinal)).Select(r => r.Text);
    }

    /// <summary>A number as crash reads one here: decimal digits, else hexadecimal digits with or without 0x.</summary>
    private static ulong? Number(string s)
    {
        if (ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out ulong d))
        {
            return d;
        }

        string hex = s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? s[2..] : s;
        return ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong h) ? h : null;
    }

    private List<(string Number, string Name, string Text)> Rows(ulong table)
    {
        var (count, confirmed) = Count(table);
        string? buildDirectory = BuildDirectory();
        _program.Symbols.TryGetAddress("sys_ni_syscall", out ulong niSyscall);
        var rows = new List<(string, string, string)>(count);
        for (int i = 0; i < count; i++)
        {
            ulong handler = _program.Kernel.ReadUInt64(table + (ulong)(8 * i), "sys_call_table");
            string number = _radix == 16 ? i.ToString("x", CultureInfo.InvariantCulture) : i.ToString(CultureInfo.InvariantCulture);
            string column = number.PadLeft(3);
            // a handler is the start of a function: anything else (the zeros after a table whose length was
            // guessed from the next symbol, a corrupt slot) is not a system call
            if (!_symbols.Kernel.TrySearch(handler, out int index, out ulong offset) || offset != 0 || !_symbols.IsText(handler))
            {
                if (confirmed)
                {
                    string near = new KernelSymbolText(_program.Symbols, _radix).Describe(handler) is { } hit ? $" ({hit})" : string.Empty;
                    rows.Add((number, string.Empty, $"{column}  invalid sys_call_table entry: {handler:x}{near}"));
                }

                continue;
            }

            string name = niSyscall != 0 && handler == niSyscall ? "sys_ni_syscall" : _symbols.Kernel[index].Name;
            rows.Add((number, name, $"{column}  {name,-26} {SourceLine(index, handler, buildDirectory)}"));
        }

        return rows;
    }

    /// <summary>The array's length from its type (confirmed), else the distance to the next symbol's address.</summary>
    private (int Count, bool Confirmed) Count(ulong table)
    {
        if (_program.Types.FindVariableType("sys_call_table") is { } t && t.Type.Kind == TypeKind.Array && t.Type.Length is ulong n and > 0 and < 4096)
        {
            return ((int)n, true);
        }

        if (_symbols.Kernel.TrySearch(table, out int index, out _))
        {
            for (int i = index + 1; i < _symbols.Kernel.Count; i++)
            {
                if (_symbols.Kernel[i].Address > table)
                {
                    return ((int)Math.Min((_symbols.Kernel[i].Address - table) / 8, 4096), false);
                }
            }
        }

        return (256, false);
    }

    /// <summary>The build directory: the path of schedule's source line before "/kernel/" (or "/./arch/").</summary>
    private string? BuildDirectory()
    {
        foreach (string name in (string[])["schedule", "do_schedule"])
        {
            if (_program.Symbols.TryGetAddress(name, out ulong at))
            {
                string line = _symbols.SourceLine(at);
                int cut = line.IndexOf("/kernel/", StringComparison.Ordinal);
                cut = cut >= 0 ? cut : line.IndexOf("/./arch/", StringComparison.Ordinal);
                return cut >= 0 ? line[..cut] : null;
            }
        }

        return null;
    }

    /// <summary>
    /// The first line of the handler, from its start to the next symbol's address, that is not in an
    /// include/*.h header (a handler often begins with an inlined helper).
    /// </summary>
    private string SourceLine(int index, ulong start, string? buildDirectory)
    {
        if (buildDirectory is null || _program.Dwarf is null)
        {
            return string.Empty;
        }

        ulong end = start + MaxScan;
        for (int i = index + 1; i < _symbols.Kernel.Count; i++)
        {
            if (_symbols.Kernel[i].Address > start)
            {
                end = Math.Min(end, _symbols.Kernel[i].Address);
                break;
            }
        }

        for (ulong at = start; at < end; at++)
        {
            string line = _symbols.SourceLine(at);
            if (line.Contains(".h: ", StringComparison.Ordinal) && line.Contains("include/", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.Contains(buildDirectory, StringComparison.Ordinal))
            {
                return ".." + line[buildDirectory.Length..];
            }
        }

        return string.Empty;
    }
}
