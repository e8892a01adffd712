using System.Globalization;

namespace Kdx.Core.Dumps;

/// <summary>
/// The kernel's VMCOREINFO text (<c>KEY=VALUE</c> lines written by crash_save_vmcoreinfo()):
/// OSRELEASE, PAGESIZE, KERNELOFFSET, CRASHTIME, SYMBOL(x), SIZE(x), OFFSET(x.y), LENGTH(x), NUMBER(x).
/// It reaches us as an ELF note named "VMCOREINFO", or in the kdump header's sub-header.
/// Later lines win, as in makedumpfile (the kernel appends CRASHTIME at panic time).
/// </summary>
public sealed class VmcoreInfo
{
    // DateTimeOffset's range in Unix seconds; a CRASHTIME outside it is corrupt, not a time.
    private const long MinUnixSeconds = -62135596800;
    private const long MaxUnixSeconds = 253402300799;

    private readonly Dictionary<string, string> _values;

    private VmcoreInfo(string text, Dictionary<string, string> values)
    {
        Text = text;
        _values = values;
    }

    /// <summary>The raw text.</summary>
    public string Text { get; }

    /// <summary>Every key in the text.</summary>
    public IEnumerable<string> Keys => _values.Keys;

    /// <summary>The kernel release, e.g. "6.1.0-56-cloud-amd64".</summary>
    public string? OsRelease => Get("OSRELEASE");

    /// <summary>The build id of the kernel, when the kernel exports it (Linux v5.9).</summary>
    public string? BuildId => Get("BUILD-ID");

    /// <summary>The page size, when given.</summary>
    public long? PageSize => Long("PAGESIZE");

    /// <summary>The KASLR offset of the kernel image (hex in the text), when given.</summary>
    public ulong? KernelOffset => Hex("KERNELOFFSET");

    /// <summary>The time of the crash (seconds since the epoch in the text), when given.</summary>
    public DateTimeOffset? CrashTime
    {
        get
        {
            long? s = Long("CRASHTIME");
            return s is null || s < MinUnixSeconds || s > MaxUnixSeconds ? null : DateTimeOffset.FromUnixTimeSeconds(s.Value);
        }
    }

    /// <summary>Parses VMCOREINFO text. Lines without '=' are ignored; a trailing NUL ends the text.</summary>
    public static VmcoreInfo Parse(string text)
    {
        int nul = text.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
        {
            text = text[..nul];
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            values[line[..eq]] = line[(eq + 1)..];
        }

        return new VmcoreInfo(text, values);
    }

    /// <summary>The raw value of a key, or null.</summary>
    public string? Get(string key) => _values.TryGetValue(key, out var v) ? v : null;

    /// <summary>SYMBOL(name): the symbol's run-time (KASLR-relocated) address.</summary>
    public ulong? Symbol(string name) => Hex($"SYMBOL({name})");

    /// <summary>NUMBER(name): a signed decimal number (phys_base may be negative).</summary>
    public long? Number(string name) => Long($"NUMBER({name})");

    /// <summary>SIZE(type): sizeof the type.</summary>
    public long? Size(string type) => Long($"SIZE({type})");

    /// <summary>OFFSET(type.member): offsetof the member.</summary>
    public long? Offset(string typeDotMember) => Long($"OFFSET({typeDotMember})");

    /// <summary>LENGTH(name): the number of elements of an array.</summary>
    public long? Length(string name) => Long($"LENGTH({name})");

    /// <summary>A value parsed as hexadecimal (with or without 0x), or null.</summary>
    public ulong? Hex(string key)
    {
        var v = Get(key);
        if (v is null)
        {
            return null;
        }

        v = v.Trim();
        if (v.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            v = v[2..];
        }

        return ulong.TryParse(v, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var r) ? r : null;
    }

    /// <summary>A value parsed as a signed decimal (or 0x-prefixed hexadecimal), or null.</summary>
    public long? Long(string key)
    {
        var v = Get(key)?.Trim();
        if (v is null)
        {
            return null;
        }

        if (v.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return ulong.TryParse(v[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var h) ? unchecked((long)h) : null;
        }

        return long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var r) ? r : null;
    }
}
