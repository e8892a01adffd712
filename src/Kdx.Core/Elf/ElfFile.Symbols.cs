using System.Buffers.Binary;
using Kdx.Core.Dumps;

namespace Kdx.Core.Elf;

/// <summary>One entry of an ELF symbol table (Elf64_Sym, glibc elf.h) with its name resolved.</summary>
/// <param name="Index">The entry's index in its table.</param>
/// <param name="Name">The name from the linked string table.</param>
/// <param name="Value">st_value: the address (a section offset in a relocatable object).</param>
/// <param name="Size">st_size.</param>
/// <param name="Type">ELF64_ST_TYPE(st_info).</param>
/// <param name="Binding">ELF64_ST_BIND(st_info).</param>
/// <param name="Other">st_other (the visibility).</param>
/// <param name="SectionIndex">st_shndx, with SHN_XINDEX resolved through SHT_SYMTAB_SHNDX; special values (SHN_ABS …) kept.</param>
public readonly record struct ElfSymbol(int Index, string Name, ulong Value, ulong Size, ElfSymbolType Type, ElfSymbolBinding Binding, byte Other, uint SectionIndex)
{
    /// <summary>Whether the symbol is undefined (st_shndx SHN_UNDEF).</summary>
    public bool IsUndefined => SectionIndex == ElfConstants.ShnUndef;

    /// <summary>Whether the symbol is absolute (st_shndx SHN_ABS).</summary>
    public bool IsAbsolute => SectionIndex == ElfConstants.ShnAbs;
}

/// <summary>Symbol tables.</summary>
public sealed partial class ElfFile
{
    /// <summary>The .symtab section (SHT_SYMTAB), or null when the file is stripped.</summary>
    public ElfSection? SymbolTableSection
    {
        get
        {
            foreach (var s in Sections)
            {
                if (s.Type == ElfConstants.ShtSymtab)
                {
                    return s;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Every entry of a symbol table (SHT_SYMTAB or SHT_DYNSYM; .symtab when <paramref name="table"/> is
    /// null), entry 0 included. Throws <see cref="DumpFormatException"/> when there is no table, or when
    /// the table, its string table or a name offset is corrupt.
    /// </summary>
    public ElfSymbol[] ReadSymbols(ElfSection? table = null)
    {
        table ??= SymbolTableSection ?? throw new DumpFormatException(Name, "has no symbol table (.symtab): the file is stripped");
        long at = (long)Math.Min(table.Offset, long.MaxValue);
        string what = $"symbol table {Describe(table)}";
        if (table.Type != ElfConstants.ShtSymtab && table.Type != ElfConstants.ShtDynsym)
        {
            throw new DumpFormatException(Name, at, $"{Describe(table)} is not a symbol table (sh_type {table.Type})");
        }

        if (table.EntrySize != ElfConstants.SymbolSize)
        {
            throw new DumpFormatException(Name, at, $"{what} has sh_entsize {table.EntrySize}, not {ElfConstants.SymbolSize}");
        }

        if (table.Link == 0 || table.Link >= Sections.Count || Sections[(int)table.Link].Type != ElfConstants.ShtStrtab)
        {
            throw new DumpFormatException(Name, at, $"{what} links to section {table.Link}, which is not a string table");
        }

        var strings = Sections[(int)table.Link];
        if (!table.IsCompressed && table.Size > (ulong)Limits.MaxSymbols * ElfConstants.SymbolSize)
        {
            throw new DumpFormatException(Name, at, $"{what} has {table.Size / ElfConstants.SymbolSize} symbols, more than the limit of {Limits.MaxSymbols}");
        }

        // Views of the mapping when possible (a vmlinux .symtab is a few MB), copies otherwise.
        if (!TryGetSectionSpan(table, out var syms))
        {
            syms = ReadSectionBytes(table);
        }

        if (!TryGetSectionSpan(strings, out var strtab))
        {
            strtab = ReadSectionBytes(strings);
        }

        if (syms.Length % ElfConstants.SymbolSize != 0)
        {
            throw new DumpFormatException(Name, at, $"{what} holds {syms.Length} bytes, not a multiple of {ElfConstants.SymbolSize}");
        }

        int count = syms.Length / ElfConstants.SymbolSize;
        if (count > Limits.MaxSymbols)
        {
            throw new DumpFormatException(Name, at, $"{what} has {count} symbols, more than the limit of {Limits.MaxSymbols}");
        }

        var extended = ReadExtendedIndexes(table, count);
        var result = new ElfSymbol[count];
        for (int i = 0; i < result.Length; i++)
        {
            var e = syms.Slice(i * ElfConstants.SymbolSize, ElfConstants.SymbolSize);
            uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(e);
            byte info = e[4];
            ushort shndx = BinaryPrimitives.ReadUInt16LittleEndian(e[6..]);
            string name = StringAt(strtab, nameOffset)
                ?? throw new DumpFormatException(Name, at + ((long)i * ElfConstants.SymbolSize), $"symbol {i} of {Describe(table)}: st_name {nameOffset} is outside its string table {Describe(strings)} ({strings.Size} bytes)");
            uint section = shndx == ElfConstants.ShnXindex && extended is not null ? extended[i] : shndx;
            result[i] = new ElfSymbol(
                i,
                name,
                BinaryPrimitives.ReadUInt64LittleEndian(e[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[16..]),
                (ElfSymbolType)(info & 0xf),
                (ElfSymbolBinding)(info >> 4),
                e[5],
                section);
        }

        return result;
    }

    /// <summary>The SHT_SYMTAB_SHNDX table that belongs to <paramref name="table"/>, or null.</summary>
    private uint[]? ReadExtendedIndexes(ElfSection table, int count)
    {
        foreach (var s in Sections)
        {
            if (s.Type != ElfConstants.ShtSymtabShndx || s.Link != (uint)table.Index)
            {
                continue;
            }

            if (s.Size / 4 < (ulong)count)
            {
                throw new DumpFormatException(Name, (long)Math.Min(s.Offset, long.MaxValue), $"{Describe(s)} holds {s.Size / 4} extended section indexes for {count} symbols");
            }

            var bytes = ReadSectionBytes(s);
            var result = new uint[count];
            for (int i = 0; i < count; i++)
            {
                result[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4));
            }

            return result;
        }

        return null;
    }
}
