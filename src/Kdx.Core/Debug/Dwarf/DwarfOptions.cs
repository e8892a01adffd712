namespace Kdx.Core.Debug.Dwarf;

/// <summary>How a <see cref="DwarfTypeSource"/> indexes its file.</summary>
public sealed record DwarfOptions
{
    /// <summary>The defaults: index with every processor, no on-disk index cache.</summary>
    public static DwarfOptions Default { get; } = new();

    /// <summary>The most threads that scan units while indexing.</summary>
    public int MaxThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Where to keep index caches (one file per build id), or null for none. A cache is checked
    /// (format, build id, section sizes, checksum, and each entry when used) and rebuilt when wrong.
    /// </summary>
    public string? IndexCacheDirectory { get; init; }

    /// <summary>Files with less .debug_info than this are not worth a cache (modules index in milliseconds).</summary>
    public long MinCachedInfoBytes { get; init; } = 8 << 20;

    /// <summary>The usual cache directory: <c>${XDG_CACHE_HOME:-~/.cache}/kdx</c>, or null when there is no home.</summary>
    public static string? UserCacheDirectory()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "kdx");
        }

        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache", "kdx");
    }
}
