using Kdx.Core.Arch.X86_64;

namespace Kdx.Tests.Arch.X86_64;

public class TranslationCacheTests
{
    [Fact]
    public void Remembers_pages_by_virtual_4K_page()
    {
        var cache = new TranslationCache();
        cache.TryGet(0xffffc90000001000, out _, out _).ShouldBeFalse();

        cache.Add(0xffffc90000001234, 0x5000, 0x1000);
        cache.Add(0xffffc90000200000, 0x40000000, 1UL << 21);

        cache.TryGet(0xffffc90000001fff, out ulong start, out ulong size).ShouldBeTrue();
        (start, size).ShouldBe((0x5000UL, 0x1000UL));
        cache.TryGet(0xffffc90000200abc, out start, out size).ShouldBeTrue();
        (start, size).ShouldBe((0x40000000UL, 1UL << 21));
        cache.TryGet(0xffffc90000002000, out _, out _).ShouldBeFalse();
        cache.TryGet(0xffffc90000201000, out _, out _).ShouldBeFalse(); // another 4 KiB of the large page: not yet cached
        cache.TryGet(0xffffc90000101000, out _, out _).ShouldBeFalse(); // same slot, other page
    }

    [Fact]
    public void A_colliding_page_replaces_the_slot()
    {
        var cache = new TranslationCache();
        cache.Add(0x1000, 0xa000, 0x1000);
        cache.Add(0x1000 + (256 * 0x1000), 0xb000, 0x1000);

        cache.TryGet(0x1000, out _, out _).ShouldBeFalse();
        cache.TryGet(0x101000, out ulong start, out _).ShouldBeTrue();
        start.ShouldBe(0xb000UL);
    }

    [Fact]
    public void Concurrent_readers_and_writers_never_see_a_torn_entry()
    {
        var cache = new TranslationCache();
        static ulong PhysicalOf(ulong page) => (page * 0x9E3779B97F4A7C15UL) & PageTableEntry.FrameMask;
        int wrong = 0;
        Parallel.For(0, 4, t =>
        {
            var rng = new Random(t);
            for (int i = 0; i < 50_000; i++)
            {
                ulong page = (ulong)rng.Next(0, 4096) << 12;
                if (cache.TryGet(page, out ulong start, out _))
                {
                    if (start != PhysicalOf(page))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
                else
                {
                    cache.Add(page, PhysicalOf(page), 0x1000);
                }
            }
        });

        wrong.ShouldBe(0);
    }
}
