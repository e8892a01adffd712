using System.Buffers.Binary;

namespace Kdx.Core.Arch.X86_64;

/// <summary>
/// The general registers of an x86_64 CPU in the order of the kernel's <c>struct user_regs_struct</c>
/// (which is also <c>elf_gregset_t</c> in NT_PRSTATUS): r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx
/// rdx rsi rdi orig_rax rip cs eflags rsp ss fs_base gs_base ds es fs gs. The first 21 are also
/// <c>struct pt_regs</c>.
/// </summary>
public sealed record X86_64Registers
{
    /// <summary>The register names in user_regs_struct order.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi", "rdi",
        "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs",
    ];

    /// <summary>The size of user_regs_struct in bytes.</summary>
    public const int UserRegsSize = 27 * 8;

    private readonly ulong[] _values;

    /// <summary>Creates a register set from 27 values in user_regs_struct order.</summary>
    public X86_64Registers(ReadOnlySpan<ulong> values)
    {
        if (values.Length != Names.Count)
        {
            throw new ArgumentException($"expected {Names.Count} registers, got {values.Length}", nameof(values));
        }

        _values = values.ToArray();
    }

    /// <summary>All 27 values in user_regs_struct order.</summary>
    public ReadOnlySpan<ulong> Values => _values;

    /// <summary>A register by name (as in <see cref="Names"/>).</summary>
    public ulong this[string name]
    {
        get
        {
            int i = Names.ToList().IndexOf(name);
            return i >= 0 ? _values[i] : throw new ArgumentException($"no x86_64 register named {name}", nameof(name));
        }
    }

    /// <summary>The instruction pointer.</summary>
    public ulong Rip => _values[16];

    /// <summary>The stack pointer.</summary>
    public ulong Rsp => _values[19];

    /// <summary>The frame pointer.</summary>
    public ulong Rbp => _values[4];

    /// <summary>The code segment selector.</summary>
    public ulong Cs => _values[17];

    /// <summary>The flags register.</summary>
    public ulong Eflags => _values[18];

    /// <summary>Decodes little-endian user_regs_struct bytes (at least <see cref="UserRegsSize"/>).</summary>
    public static X86_64Registers FromUserRegs(ReadOnlySpan<byte> bytes)
    {
        Span<ulong> v = stackalloc ulong[27];
        for (int i = 0; i < 27; i++)
        {
            v[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(i * 8)..]);
        }

        return new X86_64Registers(v);
    }

    /// <inheritdoc/>
    public bool Equals(X86_64Registers? other) => other is not null && Values.SequenceEqual(other.Values);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = default(HashCode);
        foreach (var v in _values)
        {
            h.Add(v);
        }

        return h.ToHashCode();
    }
}
