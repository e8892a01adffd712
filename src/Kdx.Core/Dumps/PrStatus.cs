using System.Buffers.Binary;
using Kdx.Core.Arch.X86_64;
using Kdx.Core.Elf;

namespace Kdx.Core.Dumps;

/// <summary>
/// Decodes x86_64 NT_PRSTATUS notes (<c>struct elf_prstatus</c>, 336 bytes: pr_pid at 32,
/// pr_reg, a user_regs_struct, at 112) into per-CPU states, in note order, which is CPU order.
/// </summary>
public static class PrStatus
{
    /// <summary>The size of x86_64 <c>struct elf_prstatus</c>.</summary>
    public const int Size = 336;

    /// <summary>The offset of pr_pid.</summary>
    public const int PidOffset = 32;

    /// <summary>The offset of pr_reg.</summary>
    public const int RegsOffset = 112;

    /// <summary>The offset of pr_fpvalid.</summary>
    public const int FpValidOffset = RegsOffset + X86_64Registers.UserRegsSize;

    /// <summary>Every NT_PRSTATUS note ("CORE", type 1) decoded, in order; short notes are skipped.</summary>
    public static List<CpuState> FromNotes(IEnumerable<ElfNote> notes)
    {
        var cpus = new List<CpuState>();
        foreach (var n in notes)
        {
            if (!IsPrStatus(n))
            {
                continue;
            }

            var d = n.Descriptor.Span;
            int pid = BinaryPrimitives.ReadInt32LittleEndian(d[PidOffset..]);
            var regs = X86_64Registers.FromUserRegs(d[RegsOffset..]);
            cpus.Add(new CpuState(cpus.Count, pid, regs, null));
        }

        return cpus;
    }

    /// <summary>Whether <paramref name="note"/> is an x86_64 NT_PRSTATUS note long enough to decode.</summary>
    public static bool IsPrStatus(ElfNote note) =>
        note.Type == ElfNotes.NtPrStatus && note.Name == "CORE" && note.Descriptor.Length >= RegsOffset + X86_64Registers.UserRegsSize;

    /// <summary>
    /// Every field of an x86_64 <c>struct elf_prstatus</c> (include/linux/elfcore.h), for <c>help -n</c>;
    /// null when the descriptor is too short.
    /// </summary>
    public static PrStatusInfo? Decode(ReadOnlySpan<byte> d)
    {
        if (d.Length < RegsOffset + X86_64Registers.UserRegsSize)
        {
            return null;
        }

        return new PrStatusInfo
        {
            SigNo = I32(d, 0),
            SigCode = I32(d, 4),
            SigErrno = I32(d, 8),
            CurSig = BinaryPrimitives.ReadInt16LittleEndian(d[12..]),
            SigPend = U64(d, 16),
            SigHold = U64(d, 24),
            Pid = I32(d, 32),
            PPid = I32(d, 36),
            PGrp = I32(d, 40),
            Sid = I32(d, 44),
            UTime = new PrTime(I64(d, 48), I64(d, 56)),
            STime = new PrTime(I64(d, 64), I64(d, 72)),
            CUTime = new PrTime(I64(d, 80), I64(d, 88)),
            CSTime = new PrTime(I64(d, 96), I64(d, 104)),
            Registers = X86_64Registers.FromUserRegs(d[RegsOffset..]),
            FpValid = d.Length >= FpValidOffset + 4 ? I32(d, FpValidOffset) : 0,
        };
    }

    private static int I32(ReadOnlySpan<byte> d, int at) => BinaryPrimitives.ReadInt32LittleEndian(d[at..]);

    private static long I64(ReadOnlySpan<byte> d, int at) => BinaryPrimitives.ReadInt64LittleEndian(d[at..]);

    private static ulong U64(ReadOnlySpan<byte> d, int at) => BinaryPrimitives.ReadUInt64LittleEndian(d[at..]);
}

/// <summary>A <c>struct timeval</c> of elf_prstatus.</summary>
/// <param name="Seconds">tv_sec.</param>
/// <param name="Microseconds">tv_usec.</param>
public readonly record struct PrTime(long Seconds, long Microseconds);

/// <summary>The fields of an x86_64 <c>struct elf_prstatus</c> (what crash's <c>help -n</c> shows).</summary>
public sealed record PrStatusInfo
{
    /// <summary>pr_info.si_signo.</summary>
    public int SigNo { get; init; }

    /// <summary>pr_info.si_code.</summary>
    public int SigCode { get; init; }

    /// <summary>pr_info.si_errno.</summary>
    public int SigErrno { get; init; }

    /// <summary>pr_cursig.</summary>
    public short CurSig { get; init; }

    /// <summary>pr_sigpend.</summary>
    public ulong SigPend { get; init; }

    /// <summary>pr_sighold.</summary>
    public ulong SigHold { get; init; }

    /// <summary>pr_pid (for a kdump: the task on that CPU; QEMU writes the CPU number + 1).</summary>
    public int Pid { get; init; }

    /// <summary>pr_ppid.</summary>
    public int PPid { get; init; }

    /// <summary>pr_pgrp.</summary>
    public int PGrp { get; init; }

    /// <summary>pr_sid.</summary>
    public int Sid { get; init; }

    /// <summary>pr_utime.</summary>
    public PrTime UTime { get; init; }

    /// <summary>pr_stime.</summary>
    public PrTime STime { get; init; }

    /// <summary>pr_cutime.</summary>
    public PrTime CUTime { get; init; }

    /// <summary>pr_cstime.</summary>
    public PrTime CSTime { get; init; }

    /// <summary>pr_reg.</summary>
    public required X86_64Registers Registers { get; init; }

    /// <summary>pr_fpvalid.</summary>
    public int FpValid { get; init; }
}
