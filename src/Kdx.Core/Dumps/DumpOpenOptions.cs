namespace Kdx.Core.Dumps;

/// <summary>How to open a dump.</summary>
public sealed record DumpOpenOptions
{
    /// <summary>The defaults.</summary>
    public static DumpOpenOptions Default { get; } = new();

    /// <summary>
    /// Read pages that makedumpfile excluded as zeros instead of failing with "page excluded"
    /// (crash's <c>--zero_excluded</c>).
    /// </summary>
    public bool ZeroExcluded { get; init; }

    /// <summary>The limits every parser checks.</summary>
    public ParseLimits Limits { get; init; } = ParseLimits.Default;
}
