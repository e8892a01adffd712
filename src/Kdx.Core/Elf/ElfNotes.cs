using System.Buffers.Binary;
using System.Text;
using Kdx.Core.Dumps;

namespace Kdx.Core.Elf;

/// <summary>
/// Parses a block of ELF notes (a PT_NOTE segment, or the note copy in a compressed kdump's
/// sub-header): Elf64_Nhdr { n_namesz, n_descsz, n_type }, then the name and the descriptor,
/// each padded to 4 bytes.
/// </summary>
public static class ElfNotes
{
    /// <summary>NT_PRSTATUS: a CPU's registers at the crash.</summary>
    public const uint NtPrStatus = 1;

    /// <summary>The note type of the "VMCOREINFO" note (any type is accepted; the kernel writes 0).</summary>
    public const uint NtVmcoreInfo = 0;

    /// <summary>
    /// Parses every note in <paramref name="block"/>. A header whose sizes run past the end of the block
    /// ends the parse: /proc/vmcore pads its note segments with zeros, and a zero header also ends it.
    /// Throws <see cref="DumpFormatException"/> when the notes are clearly corrupt or exceed the limits.
    /// </summary>
    /// <param name="block">The note bytes.</param>
    /// <param name="file">The file name, for errors.</param>
    /// <param name="fileOffset">The file offset of <paramref name="block"/>, for errors and <see cref="ElfNote.FileOffset"/>; -1 if none.</param>
    /// <param name="limits">The limits to check.</param>
    /// <param name="into">The list to append the notes to.</param>
    public static void Parse(ReadOnlySpan<byte> block, string file, long fileOffset, ParseLimits limits, List<ElfNote> into)
    {
        int pos = 0;
        while (block.Length - pos >= 12)
        {
            uint namesz = BinaryPrimitives.ReadUInt32LittleEndian(block[pos..]);
            uint descsz = BinaryPrimitives.ReadUInt32LittleEndian(block[(pos + 4)..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(block[(pos + 8)..]);
            if (namesz == 0 && descsz == 0 && type == 0)
            {
                break; // zero padding after the last note
            }

            long nameStart = pos + 12;
            long descStart = nameStart + Align4(namesz);
            long end = descStart + Align4(descsz);
            if (descStart + descsz > block.Length)
            {
                if (into.Count == 0)
                {
                    throw new DumpFormatException(file, fileOffset < 0 ? -1 : fileOffset + pos, $"ELF note claims {namesz} name bytes and {descsz} descriptor bytes but only {block.Length - pos - 12} follow");
                }

                break;
            }

            if (into.Count >= limits.MaxNotes)
            {
                throw new DumpFormatException(file, fileOffset < 0 ? -1 : fileOffset + pos, $"more than {limits.MaxNotes} ELF notes");
            }

            var nameBytes = block.Slice((int)nameStart, (int)namesz);
            int nul = nameBytes.IndexOf((byte)0);
            string name = Encoding.ASCII.GetString(nul >= 0 ? nameBytes[..nul] : nameBytes);
            var desc = block.Slice((int)descStart, (int)descsz).ToArray();
            into.Add(new ElfNote(name, type, desc, fileOffset < 0 ? -1 : fileOffset + pos) { NameSize = namesz });
            if (end > block.Length)
            {
                break;
            }

            pos = (int)end;
        }
    }

    /// <summary>The VMCOREINFO note's text, parsed, or null when there is no such note.</summary>
    public static VmcoreInfo? FindVmcoreInfo(IEnumerable<ElfNote> notes)
    {
        foreach (var n in notes)
        {
            if (n.Name == "VMCOREINFO")
            {
                return VmcoreInfo.Parse(Encoding.Latin1.GetString(n.Descriptor.Span));
            }
        }

        return null;
    }

    private static long Align4(uint n) => ((long)n + 3) & ~3L;
}
