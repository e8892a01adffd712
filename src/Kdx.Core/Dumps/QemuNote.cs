using System.Buffers.Binary;

namespace Kdx.Core.Dumps;

/// <summary>
/// Decodes QEMU's "QEMU" ELF note, written once per CPU by dump-guest-memory after the NT_PRSTATUS notes
/// (QEMU target/i386/arch_dump.c, struct QEMUCPUState: version, size, rax … r15, rip, rflags, ten
/// QEMUCPUSegment {selector, limit, flags, pad, base}, cr[5], and in newer QEMUs kernel_gs_base).
/// </summary>
public static class QemuNote
{
    /// <summary>The note name.</summary>
    public const string NoteName = "QEMU";

    /// <summary>The size of version 1 without kernel_gs_base.</summary>
    public const int BaseSize = 8 + (18 * 8) + (10 * SegmentSize) + (5 * 8);

    /// <summary>The size of one QEMUCPUSegment.</summary>
    public const int SegmentSize = 24;

    private const int SegmentsOffset = 8 + (18 * 8);
    private const int CrOffset = SegmentsOffset + (10 * SegmentSize);

    /// <summary>Whether <paramref name="note"/> is a QEMU CPU state note.</summary>
    public static bool IsQemuNote(ElfNote note) => note.Name == NoteName;

    /// <summary>
    /// Decodes a QEMUCPUState; null when the descriptor is shorter than version 1's fixed part.
    /// kernel_gs_base is read only when both the size field and the descriptor include it.
    /// </summary>
    public static QemuCpuState? Decode(ReadOnlySpan<byte> d)
    {
        if (d.Length < BaseSize)
        {
            return null;
        }

        var registers = new Dictionary<string, ulong>(QemuCpuState.RegisterNames.Count, StringComparer.Ordinal);
        for (int i = 0; i < QemuCpuState.RegisterNames.Count; i++)
        {
            registers[QemuCpuState.RegisterNames[i]] = U64(d, 8 + (i * 8));
        }

        var segments = new Dictionary<string, QemuSegment>(QemuCpuState.SegmentNames.Count, StringComparer.Ordinal);
        for (int i = 0; i < QemuCpuState.SegmentNames.Count; i++)
        {
            var s = d.Slice(SegmentsOffset + (i * SegmentSize), SegmentSize);
            segments[QemuCpuState.SegmentNames[i]] = new QemuSegment(U32(s, 0), U32(s, 4), U32(s, 8), U64(s, 16)) { Pad = U32(s, 12) };
        }

        uint size = U32(d, 4);
        bool hasGsBase = size >= BaseSize + 8 && d.Length >= BaseSize + 8;
        return new QemuCpuState
        {
            Version = U32(d, 0),
            Size = size,
            Registers = registers,
            Segments = segments,
            Cr0 = U64(d, CrOffset),
            Cr1 = U64(d, CrOffset + 8),
            Cr2 = U64(d, CrOffset + 16),
            Cr3 = U64(d, CrOffset + 24),
            Cr4 = U64(d, CrOffset + 32),
            KernelGsBase = hasGsBase ? U64(d, BaseSize) : null,
        };
    }

    private static uint U32(ReadOnlySpan<byte> d, int at) => BinaryPrimitives.ReadUInt32LittleEndian(d[at..]);

    private static ulong U64(ReadOnlySpan<byte> d, int at) => BinaryPrimitives.ReadUInt64LittleEndian(d[at..]);
}
