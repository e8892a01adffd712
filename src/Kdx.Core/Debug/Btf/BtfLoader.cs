using Kdx.Core.Dumps;
using Kdx.Core.Elf;
using Kdx.Core.Memory;

namespace Kdx.Core.Debug.Btf;

/// <summary>Where BTF comes from: a vmlinux's .BTF section, or the kernel's own copy in the dump's memory.</summary>
public static class BtfLoader
{
    /// <summary>The .BTF section of an ELF file (a vmlinux, or a module over <paramref name="baseBtf"/>); null when it has none.</summary>
    public static BtfData? FromElf(ElfFile elf, BtfData? baseBtf = null)
    {
        ArgumentNullException.ThrowIfNull(elf);
        var section = elf.FindSection(".BTF");
        if (section is null)
        {
            return null;
        }

        return BtfData.Parse(elf.ReadSectionBytes(section), $"{elf.Name} .BTF", baseBtf, elf.Limits);
    }

    /// <summary>
    /// BTF in kernel memory from <paramref name="start"/> to <paramref name="stop"/>: the vmlinux's is
    /// between the linker symbols __start_BTF and __stop_BTF (include/asm-generic/vmlinux.lds.h), which the
    /// kernel reads in place (btf_parse_vmlinux()). Throws <see cref="MemoryFaultException"/> when the bytes
    /// cannot be read and <see cref="DumpFormatException"/> when they are not BTF.
    /// </summary>
    public static BtfData FromMemory(IMemoryReader memory, ulong start, ulong stop, string name, BtfData? baseBtf = null, ParseLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        limits ??= ParseLimits.Default;
        if (stop <= start || stop - start > (ulong)limits.MaxBtfBytes)
        {
            throw new DumpFormatException(name, $"BTF from {start:x} to {stop:x} is not a plausible size (the limit is {limits.MaxBtfBytes} bytes)");
        }

        var bytes = new byte[stop - start];
        memory.ReadExactly(start, bytes, name);
        return BtfData.Parse(bytes, name, baseBtf, limits);
    }
}
