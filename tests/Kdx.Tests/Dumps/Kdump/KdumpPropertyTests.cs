using CsCheck;
using Kdx.Core.Compression;
using Kdx.Core.Dumps;
using Kdx.Core.Dumps.Kdump;
using Kdx.Core.IO;
using Kdx.Core.Memory;
using Kdx.Tests.Dumps.Flattened;

namespace Kdx.Tests.Dumps.Kdump;

public class KdumpPropertyTests
{
    private const int Block = 1024;

    private static readonly PageCompression[] Codecs = [PageCompression.None, PageCompression.Zlib, PageCompression.Snappy, PageCompression.Zstd, PageCompression.Lzo];

    // A random page map: each pfn a hole, a patterned page, a zero page, an excluded page or a repeating page.
    private static readonly Gen<PageMap> Maps = Gen.Select(Gen.Int[1, 700], Gen.Int[1, 6], Gen.Int[0, 4], Gen.Bool, Gen.Int, (mapnr, version, codec, zero, seed) =>
        new PageMap(mapnr, version, Codecs[codec], zero, seed));

    [Fact]
    public void Random_page_maps_read_back_as_built()
    {
        Maps.Sample(map =>
        {
            using var dump = KdumpReaderTests.Open(map.Builder.Build().Bytes);
            Check(map.Builder, dump);
        }, iter: 30);
    }

    [Fact]
    public void Random_page_maps_round_trip_through_the_writer_and_the_flattened_format()
    {
        Maps.Sample(map =>
        {
            if (map.Builder.Compression == PageCompression.Lzo && !KdumpReaderTests.HaveLzo)
            {
                map.Builder.Compression = PageCompression.Zlib; // the source's pages must be readable
            }

            using var source = KdumpReaderTests.Open(map.Builder.Build().Bytes);
            var output = new MemoryStream();
            var codec = Codecs[(int)(map.Builder.MaxMapnr % 5)];
            bool flattened = map.Builder.MaxMapnr % 2 == 0;
            KdumpWriter.Write(source, output, new KdumpWriterOptions { Compression = codec, ExcludeZeroPages = map.Builder.SharedZeroPage, Flattened = flattened });
            var bytes = output.ToArray();
            using (var copy = DumpFiles.Open([new MemoryByteSource("copy", bytes)], DumpOpenOptions.Default))
            {
                Check(map.Builder, copy);
            }

            // A makedumpfile -F style re-chunking with records out of order reads the same.
            if (!flattened)
            {
                var shuffled = FlattenedSourceTests.Flatten(bytes, 777, shuffleSeed: (int)map.Builder.MaxMapnr);
                using var flat = DumpFiles.Open([new MemoryByteSource("flat", shuffled)], DumpOpenOptions.Default);
                Check(map.Builder, flat);
            }
        }, iter: 20);
    }

    private static void Check(KdumpBuilder b, DumpFile dump)
    {
        var buf = new byte[Block];
        for (ulong pfn = 0; pfn < b.MaxMapnr + 2; pfn++)
        {
            var status = dump.Read(pfn * Block, buf, out _);
            if (b.Pages.TryGetValue(pfn, out var page))
            {
                dump.GetPageState(pfn).ShouldBe(PageState.Present);
                bool lzoPage = status == ReadStatus.DecompressionFailed && b.Compression == PageCompression.Lzo && !KdumpReaderTests.HaveLzo;
                if (!lzoPage)
                {
                    status.ShouldBe(ReadStatus.Ok, $"pfn {pfn}: {dump.ExplainFailure(pfn * Block, status)}");
                    buf.ShouldBe(page, $"pfn {pfn}");
                }
            }
            else if (b.Excluded.Contains(pfn))
            {
                dump.GetPageState(pfn).ShouldBe(PageState.Excluded);
                status.ShouldBe(ReadStatus.Excluded);
            }
            else
            {
                dump.GetPageState(pfn).ShouldBe(PageState.NotInDump);
                status.ShouldBe(ReadStatus.NotInDump);
            }
        }
    }

    internal sealed record PageMap(int MaxMapnr, int Version, PageCompression Codec, bool ZeroPages, int Seed)
    {
        private KdumpBuilder? _builder;

        // Built on first use, so that generating samples stays cheap.
        public KdumpBuilder Builder => _builder ??= Make();

        public override string ToString() => $"max_mapnr {MaxMapnr}, version {Version}, {Codec}, zero pages {ZeroPages}, seed {Seed}";

        private KdumpBuilder Make()
        {
            var rng = new Random(Seed);
            var b = new KdumpBuilder
            {
                BlockSize = Block,
                MaxMapnr = (ulong)MaxMapnr,
                HeaderVersion = Version,
                Compression = Codec,
                SharedZeroPage = ZeroPages,
                VmcoreInfo = Version >= 3 ? "OSRELEASE=x\n" : null,
            };
            for (ulong pfn = 0; pfn < (ulong)MaxMapnr; pfn++)
            {
                switch (rng.Next(8))
                {
                    case 0 or 1:
                        break;
                    case 2:
                        b.Excluded.Add(pfn);
                        break;
                    case 3:
                        b.Pages[pfn] = new byte[Block];
                        break;
                    case 4:
                        b.Pages[pfn] = KdumpBuilder.RepeatingPage((uint)rng.Next(), Block);
                        break;
                    default:
                        b.Pages[pfn] = KdumpBuilder.Pattern(pfn, Block);
                        break;
                }
            }

            return b;
        }
    }
}
