namespace Kdx.Core.Dumps.Kdump;

/// <summary>
/// The last few decompressed pages, least recently used evicted first, so that reading a page in
/// several small pieces decompresses it once. Thread-safe; copies in and out under a lock.
/// </summary>
internal sealed class PageCache
{
    private readonly int _pageSize;
    private readonly ulong[] _pfns;
    private readonly long[] _stamps;
    private readonly byte[] _data;
    private readonly Lock _lock = new();
    private long _clock;

    /// <summary>Creates a cache of <paramref name="slots"/> pages of <paramref name="pageSize"/> bytes.</summary>
    public PageCache(int slots, int pageSize)
    {
        _pageSize = pageSize;
        _pfns = new ulong[slots];
        _stamps = new long[slots]; // 0 = empty
        _data = new byte[slots * pageSize];
    }

    /// <summary>Copies bytes of page <paramref name="pfn"/> from <paramref name="offset"/> into <paramref name="destination"/> if it is cached.</summary>
    public bool TryCopy(ulong pfn, int offset, Span<byte> destination)
    {
        lock (_lock)
        {
            for (int i = 0; i < _pfns.Length; i++)
            {
                if (_stamps[i] != 0 && _pfns[i] == pfn)
                {
                    _stamps[i] = ++_clock;
                    _data.AsSpan((i * _pageSize) + offset, destination.Length).CopyTo(destination);
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Stores a decompressed page, evicting the least recently used one.</summary>
    public void Add(ulong pfn, ReadOnlySpan<byte> page)
    {
        lock (_lock)
        {
            int victim = 0;
            for (int i = 0; i < _pfns.Length; i++)
            {
                if (_stamps[i] != 0 && _pfns[i] == pfn)
                {
                    victim = i;
                    break;
                }

                if (_stamps[i] < _stamps[victim])
                {
                    victim = i;
                }
            }

            _pfns[victim] = pfn;
            _stamps[victim] = ++_clock;
            page.CopyTo(_data.AsSpan(victim * _pageSize, _pageSize));
        }
    }
}
