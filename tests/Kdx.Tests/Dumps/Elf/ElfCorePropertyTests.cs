using CsCheck;
using Kdx.Core.Dumps;
using Kdx.Core.Memory;
using Kdx.Tests.Elf;

namespace Kdx.Tests.Dumps.Elf;

/// <summary>Physical reads against a byte-by-byte model of overlapping segments.</summary>
public class ElfCorePropertyTests
{
    private static readonly Gen<(int Start, int FileSize, int Extra)[]> Segments =
        Gen.Select(Gen.Int[0, 600], Gen.Int[0, 120], Gen.Int[0, 80]).Array[1, 8];

    private static readonly Gen<(int Address, int Length)[]> Reads = Gen.Select(Gen.Int[0, 800], Gen.Int[0, 200]).Array[1, 12];

    [Fact]
    public void Reads_match_a_model_where_file_bytes_win_then_the_earlier_segment()
    {
        Gen.Select(Segments, Reads, Gen.Bool).Sample((segments, reads, qemu) =>
        {
            var w = new ElfWriter { DataAlign = 1 };
            w.AddSegment(4, qemu ? ElfWriter.Note("QEMU", 0, ElfWriter.QemuState(0)) : Cores.KdumpNotes(), flags: 0);
            for (int i = 0; i < segments.Length; i++)
            {
                var (start, fileSize, extra) = segments[i];
                var data = Enumerable.Range(0, fileSize).Select(j => (byte)(((i * 37) + j) % 251 + 1)).ToArray();
                w.AddSegment(1, data, paddr: (ulong)start, memsz: (ulong)(fileSize + extra));
            }

            using var d = Cores.Open(w.Build());
            foreach (var (address, length) in reads)
            {
                var buf = new byte[length];
                var status = d.Read((ulong)address, buf, out int n);
                int expectedRead = 0;
                var expected = ReadStatus.Ok;
                for (int a = address; a < address + length; a++)
                {
                    var (st, value) = Model(segments, a, qemu);
                    if (st != ReadStatus.Ok)
                    {
                        expected = st;
                        break;
                    }

                    buf[a - address].ShouldBe(value, $"byte at {a}");
                    expectedRead++;
                }

                status.ShouldBe(expected, $"read {length} at {address}");
                n.ShouldBe(expectedRead, $"read {length} at {address}");
            }

            var ranges = d.PhysicalRanges;
            for (int i = 1; i < ranges.Count; i++)
            {
                ranges[i].Start.ShouldBeGreaterThan(ranges[i - 1].End);
            }
        });
    }

    private static (ReadStatus Status, byte Value) Model((int Start, int FileSize, int Extra)[] segments, int address, bool qemu)
    {
        for (int i = 0; i < segments.Length; i++)
        {
            var (start, fileSize, _) = segments[i];
            if (address >= start && address < start + fileSize)
            {
                return (ReadStatus.Ok, (byte)(((i * 37) + (address - start)) % 251 + 1));
            }
        }

        if (!qemu && segments.Any(s => address >= s.Start + s.FileSize && address < s.Start + s.FileSize + s.Extra))
        {
            return (ReadStatus.Excluded, 0);
        }

        return (ReadStatus.NotInDump, 0);
    }
}
