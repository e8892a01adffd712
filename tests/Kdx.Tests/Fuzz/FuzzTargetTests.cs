using Kdx.Fuzz;

namespace Kdx.Tests.Fuzz;

/// <summary>
/// Runs every fuzz target in-process over its seed corpus and a fixed set of deterministic
/// mutations of each seed (bit flips, interesting byte values, truncations, duplicated chunks):
/// a fast regression net between the AFL runs of tests/fuzz/run.sh. A target may only succeed or
/// throw its documented KdxException; anything else, or an input that does not finish, fails.
/// </summary>
public class FuzzTargetTests
{
    private const int MutationsPerSeed = 400;

    public static TheoryData<string> Targets()
    {
        var data = new TheoryData<string>();
        foreach (var name in FuzzTargets.Names)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Seeds_and_mutations_never_escape_with_an_unexpected_exception(string target)
    {
        var seeds = Directory.GetFiles(Path.Combine(CorpusRoot(), target));
        seeds.ShouldNotBeEmpty($"tests/fuzz/corpus/{target} has no seeds");
        var failures = new List<string>();
        foreach (var seed in seeds)
        {
            var bytes = File.ReadAllBytes(seed);
            var random = new Random(bytes.Length ^ target.GetHashCode(StringComparison.Ordinal));
            Check(target, bytes, $"{Path.GetFileName(seed)} as is", failures);
            for (int i = 0; i < MutationsPerSeed && failures.Count < 5; i++)
            {
                var (mutant, how) = Mutate(bytes, random);
                Check(target, mutant, $"{Path.GetFileName(seed)} {how}", failures);
            }
        }

        failures.ShouldBeEmpty();
    }

    private static void Check(string target, byte[] input, string what, List<string> failures)
    {
        var run = Task.Run(() => FuzzTargets.Run(target, input));
        try
        {
            if (!run.Wait(TimeSpan.FromSeconds(20)))
            {
                failures.Add($"{what}: did not finish in 20 s");
            }
        }
        catch (AggregateException e)
        {
            failures.Add($"{what}: {e.InnerException!.GetType().Name}: {e.InnerException.Message}");
        }
    }

    private static (byte[] Bytes, string How) Mutate(byte[] seed, Random random)
    {
        var b = (byte[])seed.Clone();
        if (b.Length == 0)
        {
            return ([(byte)random.Next(256)], "one random byte");
        }

        switch (random.Next(5))
        {
            case 0:
                {
                    int at = random.Next(b.Length);
                    int bit = random.Next(8);
                    b[at] ^= (byte)(1 << bit);
                    return (b, $"bit {bit} of byte {at} flipped");
                }

            case 1:
                {
                    byte[] interesting = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe];
                    int at = random.Next(b.Length);
                    int len = Math.Min(b.Length - at, 1 << random.Next(4));
                    byte v = interesting[random.Next(interesting.Length)];
                    b.AsSpan(at, len).Fill(v);
                    return (b, $"{len} bytes at {at} set to {v:x2}");
                }

            case 2:
                {
                    int len = random.Next(b.Length);
                    return (b[..len], $"truncated to {len}");
                }

            case 3:
                {
                    int at = random.Next(b.Length);
                    int len = Math.Min(b.Length - at, 1 + random.Next(64));
                    var grown = b.Take(at + len).Concat(b.Skip(at)).ToArray();
                    return (grown, $"{len} bytes at {at} duplicated");
                }

            default:
                {
                    int at = random.Next(Math.Max(1, b.Length - 8));
                    int len = Math.Min(8, b.Length - at);
                    random.NextBytes(b.AsSpan(at, len));
                    return (b, $"{len} random bytes at {at}");
                }
        }
    }

    private static string CorpusRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kdx.slnx")))
            {
                return Path.Combine(dir.FullName, "tests", "fuzz", "corpus");
            }
        }

        throw new DirectoryNotFoundException("cannot find the repository root (Kdx.slnx) above " + AppContext.BaseDirectory);
    }
}
