using Kdx.Core.Memory;

namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// The x86-64 interrupt descriptor table (<c>idt_table</c>, arch/x86/kernel/idt.c): 256 16-byte gate
/// descriptors (arch/x86/include/asm/desc_defs.h struct gate_struct: offset_low u16, segment u16, bits u16
/// (IST in the low 3 bits), offset_middle u16, offset_high u32, reserved u32).
/// </summary>
public static class InterruptDescriptorTable
{
    /// <summary>The number of vectors.</summary>
    public const int Vectors = 256;

    /// <summary>The size of a gate descriptor.</summary>
    public const int GateSize = 16;

    /// <summary>The handler address of a gate.</summary>
    public static ulong HandlerOf(ReadOnlySpan<byte> gate)
    {
        ulong low = BitConverter.ToUInt16(gate);
        ulong middle = BitConverter.ToUInt16(gate[6..]);
        ulong high = BitConverter.ToUInt32(gate[8..]);
        return (high << 32) | (middle << 16) | low;
    }

    /// <summary>The interrupt-stack-table slot of a gate (0: none).</summary>
    public static int IstOf(ReadOnlySpan<byte> gate) => gate[4] & 7;

    /// <summary>The handler of every vector of the table at <paramref name="idtTable"/>.</summary>
    public static ulong[] Read(IMemoryReader memory, ulong idtTable)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var table = new byte[Vectors * GateSize];
        memory.ReadExactly(idtTable, table, "idt_table");
        var handlers = new ulong[Vectors];
        for (int i = 0; i < Vectors; i++)
        {
            handlers[i] = HandlerOf(table.AsSpan(i * GateSize, GateSize));
        }

        return handlers;
    }
}
