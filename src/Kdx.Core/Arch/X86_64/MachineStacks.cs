using Kdx.Core.Linux;
using Kdx.Core.Memory;
using Kdx.Core.Model;
using Kdx.Core.Types;

namespace Kdx.Core.Arch.X86_64;

/// <summary>One kind of exception stack (an IST slot) and where each CPU's is.</summary>
/// <param name="Name">crash's name for it (DOUBLEFAULT, NMI, DEBUG, MCE, VC), from the IDT handler that uses the
/// slot; "(unknown)" when no handler does.</param>
/// <param name="Size">Its size (the matching cea_exception_stacks member), 0 for an unknown one.</param>
/// <param name="Bases">Each CPU's stack base (the IST top less the size).</param>
/// <param name="Mapped">Whether each CPU's stack is readable in the dump (the VC stacks exist only with SEV-ES).</param>
public sealed record ExceptionStack(string Name, int Size, IReadOnlyList<ulong> Bases, IReadOnlyList<bool> Mapped);

/// <summary>One range of the firmware memory map (arch/x86/include/asm/e820/types.h struct e820_entry).</summary>
/// <param name="Start">The first physical address.</param>
/// <param name="End">The address after the range.</param>
/// <param name="Type">enum e820_type: 1 RAM, 2 reserved, 3 ACPI, 4 NVS, 5 unusable, 12 PRAM, 128 reserved by the kernel.</param>
public sealed record E820Range(ulong Start, ulong End, uint Type);

/// <summary>
/// The x86-64 machine data crash's <c>mach</c> shows: the per-CPU IRQ and exception stacks and the e820 map.
/// </summary>
public static class MachineStacks
{
    /// <summary>The IRQ stack size (IRQ_STACK_SIZE: 16 KiB on x86-64 since v4.9, from struct irq_stack when present).</summary>
    public static int IrqStackSize(IProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        return StructLayout.TryFind(program.Types, "irq_stack")?.TryOffset("stack") is int && StructLayout.TryFind(program.Types, "irq_stack") is { } s
            ? s.SizeOf("stack")
            : 16384;
    }

    /// <summary>
    /// The base of each CPU's IRQ stack, from hardirq_stack_ptr (v5.2; in struct pcpu_hot since 6.2), which
    /// points at the stack's top word: the base is the top (rounded up to the next 8 bytes) less the size.
    /// 0 for a CPU whose pointer cannot be read.
    /// </summary>
    public static IReadOnlyList<ulong> IrqStacks(IProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        ulong at;
        if (program.Symbols.TryGetAddress("hardirq_stack_ptr", out ulong p))
        {
            at = p;
        }
        else if (program.Symbols.TryGetAddress("pcpu_hot", out ulong hot) && StructLayout.TryFind(program.Types, "pcpu_hot")?.TryOffset("hardirq_stack_ptr") is int off)
        {
            at = hot + (ulong)off;
        }
        else
        {
            return new ulong[program.CpuCount];
        }

        int size = IrqStackSize(program);
        var result = new ulong[program.CpuCount];
        for (int cpu = 0; cpu < result.Length; cpu++)
        {
            if (program.Memory.TryReadUInt64(program.PerCpuAddress(at, cpu), out ulong top) && top != 0)
            {
                // arch/x86/kernel/irq_64.c: the pointer is the stack's top less 8.
                result[cpu] = ((top & 0xfff) != 0 ? top + 8 : top) - (ulong)size;
            }
        }

        return result;
    }

    /// <summary>
    /// The exception stacks in IST order up to the first unused slot: each CPU's IST tops from the TSS
    /// (cpu_tss_rw.x86_tss.ist[]), named after the IDT handler that uses the slot.
    /// </summary>
    public static IReadOnlyList<ExceptionStack> ExceptionStacks(IProgram program, IReadOnlyList<ulong> idtHandlers, Func<ulong, string?> symbolName)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(idtHandlers);
        ArgumentNullException.ThrowIfNull(symbolName);
        var tss = StructLayout.TryFind(program.Types, "tss_struct");
        if (!program.Symbols.TryGetAddress("cpu_tss_rw", out ulong tssAt) || tss?.TryOffset("x86_tss.ist") is not int istAt)
        {
            return [];
        }

        int slots = tss.SizeOf("x86_tss.ist") / 8;
        var names = SlotNames(program, idtHandlers, symbolName, slots);
        var cea = StructLayout.TryFind(program.Types, "cea_exception_stacks");
        var result = new List<ExceptionStack>();
        Span<byte> probe = stackalloc byte[1];
        for (int slot = 0; slot < slots; slot++)
        {
            var tops = new ulong[program.CpuCount];
            for (int cpu = 0; cpu < tops.Length; cpu++)
            {
                tops[cpu] = program.Memory.TryReadUInt64(program.PerCpuAddress(tssAt, cpu) + (ulong)istAt + ((ulong)slot * 8), out ulong t) ? t : 0;
            }

            if (tops[0] == 0)
            {
                break;
            }

            string name = names[slot];
            int size = StackMember(name) is string member && cea?.TryOffset(member) is int ? cea.SizeOf(member) : 0;
            var bases = tops.Select(t => t == 0 ? 0 : t - (ulong)size).ToList();
            var mapped = new List<bool>();
            foreach (ulong b in bases)
            {
                mapped.Add(name != "VC" || program.Memory.Read(b, probe, out _) == ReadStatus.Ok);
            }

            result.Add(new ExceptionStack(name, size, bases, mapped));
        }

        return result;
    }

    /// <summary>The e820 map the kernel kept (<c>*e820_table</c>, v4.12; earlier the <c>e820</c> struct).</summary>
    public static IReadOnlyList<E820Range> E820(IProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        ulong table;
        if (program.Symbols.TryGetAddress("e820_table", out ulong pointer))
        {
            table = program.Memory.ReadUInt64(pointer, "e820_table");
        }
        else if (program.Symbols.TryGetAddress("e820", out table))
        {
            if (program.Types.FindVariableType("e820") is { } t && t.Type.Unaliased().Kind == TypeKind.Pointer)
            {
                table = program.Memory.ReadUInt64(table, "e820");
            }
        }
        else
        {
            throw new KdxException("neither e820_table nor e820 exists in this kernel");
        }

        var layout = StructLayout.TryFind(program.Types, "e820_table") ?? StructLayout.Find(program.Types, "e820map");
        var entry = StructLayout.TryFind(program.Types, "e820_entry") ?? StructLayout.Find(program.Types, "e820entry");
        string countName = layout.Has("nr_entries") ? "nr_entries" : "nr_map";
        string entriesName = layout.Has("entries") ? "entries" : "map";
        uint count = program.Memory.ReadUInt32(table + (ulong)layout.Offset(countName), "e820 entry count");
        int capacity = layout.SizeOf(entriesName) / Math.Max(entry.Size, 1);
        var result = new List<E820Range>();
        for (int i = 0; i < Math.Min(count, (uint)capacity); i++)
        {
            ulong e = table + (ulong)layout.Offset(entriesName) + ((ulong)i * (ulong)entry.Size);
            ulong addr = program.Memory.ReadUInt64(e + (ulong)entry.Offset("addr"), "e820 entry");
            ulong size = program.Memory.ReadUInt64(e + (ulong)entry.Offset("size"), "e820 entry");
            uint type = program.Memory.ReadUInt32(e + (ulong)entry.Offset("type"), "e820 entry");
            result.Add(new E820Range(addr, addr + size, type));
        }

        return result;
    }

    /// <summary>crash's name for an e820 type.</summary>
    public static string E820TypeName(uint type) => type switch
    {
        0 => "(invalid type)",
        1 => "E820_RAM",
        2 => "E820_RESERVED",
        3 => "E820_ACPI",
        4 => "E820_NVS",
        5 => "E820_UNUSABLE",
        12 => "E820_PRAM",
        128 => "E820_RESERVED_KERN",
        _ => $"type {type}",
    };

    // Each IST slot is named after the handler whose gate uses it (gate bits 0-2: the IST index + 1).
    private static string[] SlotNames(IProgram program, IReadOnlyList<ulong> handlers, Func<ulong, string?> symbolName, int slots)
    {
        var names = Enumerable.Repeat("(unknown)", slots).ToArray();
        if (!program.Symbols.TryGetAddress("idt_table", out ulong idt))
        {
            return names;
        }

        var table = new byte[InterruptDescriptorTable.Vectors * InterruptDescriptorTable.GateSize];
        if (program.Memory.Read(idt, table, out _) != ReadStatus.Ok)
        {
            return names;
        }

        for (int v = 0; v < handlers.Count && v < InterruptDescriptorTable.Vectors; v++)
        {
            int ist = InterruptDescriptorTable.IstOf(table.AsSpan(v * InterruptDescriptorTable.GateSize, InterruptDescriptorTable.GateSize));
            if (ist == 0 || ist > slots || symbolName(handlers[v]) is not string handler)
            {
                continue;
            }

            // Checked in crash's order: a later match wins.
            string? name = null;
            foreach (var (word, label) in new[] { ("nmi", "NMI"), ("debug", "DEBUG"), ("stack", "STACKFAULT"), ("double", "DOUBLEFAULT"), ("machine", "MCE"), ("vmm", "VC") })
            {
                if (handler.Contains(word, StringComparison.Ordinal))
                {
                    name = label;
                }
            }

            if (name is not null)
            {
                names[ist - 1] = name;
            }
        }

        return names;
    }

    private static string? StackMember(string name) => name switch
    {
        "DEBUG" => "DB_stack",
        "NMI" => "NMI_stack",
        "DOUBLEFAULT" => "DF_stack",
        "MCE" => "MCE_stack",
        "VC" => "VC_stack",
        _ => null,
    };
}
