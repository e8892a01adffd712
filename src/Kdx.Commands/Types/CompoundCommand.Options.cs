using System.Globalization;
using System.Text.RegularExpressions;
using Kdx.Commands.Formatting;
using Kdx.Commands.Infrastructure;
using Kdx.Commands.Memory;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Commands.Types;

/// <summary>struct/union -r (raw words), -f (the address is a dump file offset) and -p (pointer members followed).</summary>
public abstract partial class CompoundCommand
{
    // -r: the object's bytes as rd shows them (8-byte words and their ASCII), one block per object.
    private void WriteRaw(CommandContext context, KType type, string[] members, ulong address, long count, bool fileOffset)
    {
        if (members.Length > 1)
        {
            throw new CommandException($"{Name}: only one structure member allowed with -r");
        }

        ulong size = type.Unaliased().Size, start = address;
        if (members.Length == 1)
        {
            MemberPath.TryOffset(type, members[0], out ulong offset, out var memberType);
            start = unchecked(address + offset);
            size = memberType.Type.Unaliased().Size;
        }

        var program = context.Session.Program;
        using var file = fileOffset ? DumpFileBytes.Open(program.Dump.Files[0]) : null;
        IMemoryReader reader = file is not null ? file : program.Kernel;
        var memory = file is not null ? MemoryType.DumpFile : MemoryType.KernelVirtual;
        int unit = size % 8 == 0 ? 8 : size % 4 == 0 ? 4 : size % 2 == 0 ? 2 : 1;
        var format = new DisplayFormat(unit, false, ValueFormat.Hex, false, true, false);
        Exception Fault(ReadStatus status, ulong at, string what) =>
            new CommandException(MemoryFaultText.Format(status, memory, at, what, reader.ExplainFailure(at, status), program.Dump));
        ulong stride = type.Unaliased().Size;
        ulong first = count > 0 ? start : unchecked(start - ((ulong)(-count - 1) * stride));
        for (long i = 0; i < Math.Abs(count); i++)
        {
            if (i > 0)
            {
                context.WriteLine(string.Empty);
            }

            new MemoryDisplay(context, reader, format, _ => null, Fault)
                .Show(unchecked(first + ((ulong)i * stride)), (long)(size / (ulong)unit), format.ReadType(memory));
        }
    }

    // -f: the object read from the dump file's bytes at an offset, as a value.
    private static KObject FromDumpFile(KernelProgram program, KType type, ulong offset)
    {
        var bytes = new byte[type.Unaliased().Size];
        using var file = DumpFileBytes.Open(program.Dump.Files[0]);
        var status = file.Read(offset, bytes, out int read);
        if (status != ReadStatus.Ok)
        {
            throw new CommandException(MemoryFaultText.Format(status, MemoryType.DumpFile, unchecked(offset + (ulong)read),
                "gdb_readmem_callback", file.ExplainFailure(offset, status), program.Dump));
        }

        return KObject.FromBytes(program, type, bytes);
    }

    // -p: crash rewrites each pointer member of the object's own level ("  name = 0x…") to "  TYPE name = 0x…" and
    // follows it on the next lines: "  -> NULL", "  -> <function>", "  -> (not accessible)" or the target's value
    // (continuation lines indented to line up after "  -> "). Members of unnamed structs keep their lines.
    private static List<string> FollowPointers(KernelProgram program, ValuePrinter printer, KObject owner, List<string> lines)
    {
        var result = new List<string>(lines.Count);
        foreach (string line in lines)
        {
            var m = PointerLine().Match(line);
            if (!m.Success || !owner.UnderlyingType.Members.Any(x => x.Name == m.Groups[1].Value)
                || owner.UnderlyingType.Members.First(x => x.Name == m.Groups[1].Value) is not { } member
                || member.Type.Type.Unaliased().Kind != TypeKind.Pointer)
            {
                result.Add(line);
                continue;
            }

            ulong value = owner.Member(member.Name!).ToUInt64();
            result.Add(string.Create(CultureInfo.InvariantCulture, $"  {GdbTypeText.Declaration(member.Type, member.Name!)} = 0x{value:x}"));
            result.AddRange(Target(program, printer, member.Type.Type.Unaliased().Target!.Value, value));
        }

        return result;
    }

    private static IEnumerable<string> Target(KernelProgram program, ValuePrinter printer, QualifiedType target, ulong value)
    {
        if (value == 0)
        {
            return ["  -> NULL"];
        }

        var t = target.Type.Unaliased();
        if (t.Kind == TypeKind.Function)
        {
            return program.TryLookupSymbol(value, out var hit, out _)
                ? [hit.Offset == 0 ? $"  -> <{hit.Symbol.Name}>" : string.Create(CultureInfo.InvariantCulture, $"  -> <{hit.Symbol.Name}+{hit.Offset}>")]
                : ["  -> (not accessible)"];
        }

        if (t.Size == 0)
        {
            return []; // void *: nothing to show
        }

        string text;
        try
        {
            text = printer.Format(KObject.FromAddress(program, target, value), 0);
        }
        catch (MemoryFaultException)
        {
            return ["  -> (not accessible)"];
        }

        var parts = text.Split('\n');
        return parts.Select((p, i) => i == 0 ? "  -> " + p : "     " + p);
    }

    [GeneratedRegex(@"^  (\w+) = 0x[0-9a-f]+")]
    private static partial Regex PointerLine();
}
