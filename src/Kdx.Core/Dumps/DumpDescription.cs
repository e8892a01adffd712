namespace Kdx.Core.Dumps;

/// <summary>
/// A tree of named values describing a dump's headers, for <c>help -D</c> and for <c>--json</c>:
/// each reader fills it with its format's fields under the field names of the format's own C headers.
/// </summary>
public sealed class DumpDescription
{
    private readonly List<DumpDescription> _children = [];

    /// <summary>Creates a node.</summary>
    public DumpDescription(string name, string? value = null)
    {
        Name = name;
        Value = value;
    }

    /// <summary>The field or section name, e.g. "header_version".</summary>
    public string Name { get; }

    /// <summary>The value as text, or null for a section.</summary>
    public string? Value { get; }

    /// <summary>The nodes below this one.</summary>
    public IReadOnlyList<DumpDescription> Children => _children;

    /// <summary>Adds a field and returns this node (for chaining).</summary>
    public DumpDescription Add(string name, string? value)
    {
        _children.Add(new DumpDescription(name, value));
        return this;
    }

    /// <summary>Adds a section and returns the new section.</summary>
    public DumpDescription Section(string name)
    {
        var s = new DumpDescription(name);
        _children.Add(s);
        return s;
    }

    /// <summary>Adds an existing node.</summary>
    public DumpDescription Add(DumpDescription child)
    {
        _children.Add(child);
        return this;
    }
}
