using System.Buffers.Binary;
using System.Text;

namespace Kdx.Fuzz;

/// <summary>A kallsyms seed: the tables of a tiny kernel in the layout the kallsyms target reads.</summary>
public static class KallsymsSeeds
{
    /// <summary>The address of byte 0 of the input.</summary>
    public const ulong Base = 0xffffffff81000000;

    /// <summary>
    /// Seven u64 table offsets, then num_syms, names (one long name with a two-byte length), markers, token
    /// table (every byte its own character), token index, offsets (absolute per-CPU encoding), relative base.
    /// </summary>
    public static byte[] Tables()
    {
        (string Name, ulong Address, bool PerCpu)[] symbols =
        [
            ("Acpu_number", 0x1000, true), ("T_text", Base + 0x1000, false), ("T_stext", Base + 0x1000, false),
            ("tvmlab_timer_fn", Base + 0x1234, false), ("t" + new string('x', 150), Base + 0x1300, false), ("Bjiffies", Base + 0x2000, false),
        ];
        var memory = new List<byte>(new byte[56]);
        var offsets = new ulong[7];
        void Put(int slot, byte[] data)
        {
            while (memory.Count % 8 != 0)
            {
                memory.Add(0);
            }

            if (slot >= 0)
            {
                offsets[slot] = (ulong)memory.Count;
            }

            memory.AddRange(data);
        }

        Put(0, BitConverter.GetBytes((uint)symbols.Length));
        var names = new List<byte>();
        foreach (var (name, _, _) in symbols)
        {
            var bytes = Encoding.ASCII.GetBytes(name);
            if (bytes.Length > 0x7f)
            {
                names.Add((byte)((bytes.Length & 0x7f) | 0x80));
                names.Add((byte)(bytes.Length >> 7));
            }
            else
            {
                names.Add((byte)bytes.Length);
            }

            names.AddRange(bytes);
        }

        Put(1, [.. names]);
        Put(-1, new byte[4]); // kallsyms_markers: one marker, 0
        var table = new List<byte>();
        var index = new byte[512];
        for (int t = 0; t < 256; t++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(index.AsSpan(2 * t), (ushort)table.Count);
            table.Add((byte)(t == 0 ? '~' : t));
            table.Add(0);
        }

        Put(2, [.. table]);
        Put(3, index);
        ulong relativeBase = Base + 0x1000;
        var raw = new byte[4 * symbols.Length];
        for (int i = 0; i < symbols.Length; i++)
        {
            var (_, address, perCpu) = symbols[i];
            BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(4 * i), perCpu ? (uint)address : unchecked((uint)(relativeBase - 1 - address)));
        }

        Put(4, raw);
        Put(5, BitConverter.GetBytes(relativeBase));
        var result = memory.ToArray();
        for (int i = 0; i < 7; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(result.AsSpan(8 * i), offsets[i]);
        }

        return result;
    }
}
