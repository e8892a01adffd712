using Kdx.Core.Dumps;

namespace Kdx.Bench;

/// <summary>
/// Chooses random page frames whose contents are in a dump (seeded, so both tools get the same list):
/// the input of the random-read comparison in compare.py.
/// </summary>
internal static class PickPages
{
    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: Kdx.Bench pick-pages COUNT SEED DUMP [DUMP2 ...]");
            return 2;
        }

        int count = int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);
        int seed = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        using var dump = DumpFiles.Open(args[2..]);
        var ranges = dump.PhysicalRanges;
        ulong page = (ulong)dump.PageSize;
        ulong total = 0;
        foreach (var r in ranges)
        {
            total += r.Size / page;
        }

        var random = new Random(seed);
        int found = 0;
        for (int tries = 0; found < count && tries < count * 1000; tries++)
        {
            ulong n = (ulong)random.NextInt64((long)total);
            foreach (var r in ranges)
            {
                ulong pages = r.Size / page;
                if (n < pages)
                {
                    ulong pfn = (r.Start / page) + n;
                    if (dump.GetPageState(pfn) == PageState.Present)
                    {
                        ulong offset = (ulong)random.NextInt64((long)(page / 8)) * 8;
                        Console.WriteLine($"{(pfn * page) + offset:x}");
                        found++;
                    }

                    break;
                }

                n -= pages;
            }
        }

        return found == count ? 0 : 1;
    }
}
