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

    /// <summary>Every NT_PRSTATUS note ("CORE", type 1) decoded, in order; short notes are skipped.</summary>
    public static List<CpuState> FromNotes(IEnumerable<ElfNote> notes)
    {
        var cpus = new List<CpuState>();
        foreach (var n in notes)
        {
            if (n.Type != ElfNotes.NtPrStatus || n.Name != "CORE" || n.Descriptor.Length < RegsOffset + X86_64Registers.UserRegsSize)
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
}
