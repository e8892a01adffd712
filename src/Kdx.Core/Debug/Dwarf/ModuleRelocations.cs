using System.Buffers.Binary;
using Kdx.Core.Dumps;
using Kdx.Core.Elf;

namespace Kdx.Core.Debug.Dwarf;

/// <summary>
/// Applies the .rela.debug_* relocations of a relocatable object (a kernel module): references
/// between debug sections (R_X86_64_32 against .debug_str + addend …) and addresses of code and data
/// (R_X86_64_64 against .text + addend), the latter at the addresses the module's sections were loaded
/// at. x86_64 psABI: S + A for R_X86_64_64/32/32S, S + A - P for the PC-relative kinds.
/// </summary>
internal static class ModuleRelocations
{
    private const uint ShtRela = 4;
    private const uint RX86_64None = 0;
    private const uint RX86_64_64 = 1;
    private const uint RX86_64Pc32 = 2;
    private const uint RX86_64_32 = 10;
    private const uint RX86_64_32S = 11;
    private const uint RX86_64Pc64 = 24;

    /// <summary>
    /// The address of every section: SHF_ALLOC sections at <paramref name="given"/> (by name) or laid out
    /// one after another from 0 with their alignment; the other sections at 0 (debug sections refer to
    /// each other by offset).
    /// </summary>
    public static ulong[] Layout(ElfFile elf, IReadOnlyDictionary<string, ulong>? given)
    {
        var addresses = new ulong[elf.Sections.Count];
        ulong next = 0;
        foreach (var s in elf.Sections)
        {
            if (!s.IsAlloc)
            {
                continue;
            }

            if (given is not null && given.TryGetValue(s.Name, out var a))
            {
                addresses[s.Index] = a;
                continue;
            }

            ulong align = Math.Max(1, s.AddressAlign);
            next = (next + align - 1) / align * align;
            addresses[s.Index] = next;
            next += s.Size;
        }

        return addresses;
    }

    /// <summary>Applies every SHT_RELA section that targets <paramref name="target"/> to its bytes.</summary>
    public static void Apply(ElfFile elf, ElfSection target, byte[] bytes, ulong[] sectionAddresses)
    {
        ElfSymbol[]? symbols = null;
        foreach (var rela in elf.Sections)
        {
            if (rela.Type != ShtRela || rela.Info != (uint)target.Index)
            {
                continue;
            }

            symbols ??= elf.ReadSymbols();
            if (rela.EntrySize != 24)
            {
                throw new DumpFormatException(elf.Name, (long)Math.Min(rela.Offset, long.MaxValue), $"relocation section {rela.Name} has sh_entsize {rela.EntrySize}, not 24");
            }

            var entries = elf.ReadSectionBytes(rela);
            for (int i = 0; i + 24 <= entries.Length; i += 24)
            {
                ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(entries.AsSpan(i));
                ulong info = BinaryPrimitives.ReadUInt64LittleEndian(entries.AsSpan(i + 8));
                long addend = BinaryPrimitives.ReadInt64LittleEndian(entries.AsSpan(i + 16));
                uint type = (uint)info;
                uint symbol = (uint)(info >> 32);
                if (type == RX86_64None)
                {
                    continue;
                }

                if (symbol >= (uint)symbols.Length)
                {
                    throw Bad(elf, rela, i, $"symbol index {symbol} is outside the symbol table ({symbols.Length} entries)");
                }

                ulong s = SymbolValue(symbols[symbol], sectionAddresses);
                ulong value = unchecked(s + (ulong)addend);
                ulong place = unchecked(sectionAddresses[target.Index] + offset);
                int size;
                switch (type)
                {
                    case RX86_64_64:
                        size = 8;
                        break;
                    case RX86_64_32 or RX86_64_32S:
                        size = 4;
                        break;
                    case RX86_64Pc32:
                        size = 4;
                        value = unchecked(value - place);
                        break;
                    case RX86_64Pc64:
                        size = 8;
                        value = unchecked(value - place);
                        break;
                    default:
                        throw Bad(elf, rela, i, $"relocation type {type} is not supported in a debug section");
                }

                if (offset > (ulong)bytes.Length || (ulong)size > (ulong)bytes.Length - offset)
                {
                    throw Bad(elf, rela, i, $"offset 0x{offset:x} lies outside {target.Name} ({bytes.Length} bytes)");
                }

                if (size == 8)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((int)offset), value);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)offset), unchecked((uint)value));
                }
            }
        }
    }

    private static ulong SymbolValue(in ElfSymbol symbol, ulong[] sectionAddresses)
    {
        if (symbol.IsUndefined || symbol.SectionIndex >= (uint)sectionAddresses.Length)
        {
            // Undefined (resolved against the kernel at load time) or absolute: the value alone.
            return symbol.IsAbsolute ? symbol.Value : 0;
        }

        return unchecked(sectionAddresses[symbol.SectionIndex] + symbol.Value);
    }

    private static DumpFormatException Bad(ElfFile elf, ElfSection rela, int entryOffset, string problem) =>
        new(elf.Name, (long)Math.Min(rela.Offset + (ulong)entryOffset, long.MaxValue), $"{rela.Name} entry {entryOffset / 24}: {problem}");
}
